import { isSecureTransport } from '../settings';
import { OAuthRefusedError } from './errors';

/**
 * docs/security.md A10: an authorization URL is opened only when it is `https:`, or `http:`
 * to a loopback host. Anything else (`javascript:`, `file:`, `command:`, `vscode:`, a
 * plain-http remote host) would let a hostile authorization server run code or leak
 * the request, so it is refused before the browser sees it.
 */
export function checkAuthorizationUrl(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value.toString());
  } catch (e) {
    throw new OAuthRefusedError('unsafe-url', 'The authorization server gave an invalid authorization URL.', { cause: e });
  }
  if (isSecureTransport(url)) {
    if (url.username || url.password) {
      throw new OAuthRefusedError('unsafe-url', 'Refusing to open an authorization URL that carries a user name or password.');
    }
    return url;
  }
  // The scheme is safe to show; the rest of the URL may be hostile and is not echoed.
  throw new OAuthRefusedError('unsafe-url', `Refusing to open an authorization URL with scheme "${url.protocol}": only https (or http to this computer) is allowed.`);
}

/**
 * Issuer identifiers are compared as strings, exactly: RFC 8414 section 3.3 wants the
 * metadata's issuer identical to the one its URL was built from, and RFC 9207 (and MCP
 * 2026-07-28) an exact match for the authorization response's `iss` (A11, B3). A
 * trailing-slash or case variant is another issuer.
 */
export function sameIssuer(a: string, b: string): boolean {
  return a === b;
}
