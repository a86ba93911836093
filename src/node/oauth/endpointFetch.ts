import type { FetchLike } from '../auth/authFetch';
import { ProtocolError } from '../../common/errors';
import { OAuthRefusedError } from '../../common/oauth/errors';
import { isSecureTransport } from '../../common/settings';

/**
 * Token and registration requests carry client credentials (Basic auth), which the
 * metadata fetch strips, so they get their own: https or loopback http only (like the
 * endpoints' metadata), no redirects (a credential must not follow one), a time limit.
 */
export function createEndpointFetch(base: FetchLike): FetchLike {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (!isSecureTransport(url)) {
      throw new OAuthRefusedError('unsafe-url', `Refusing to send credentials to ${url.protocol}//${url.host}: only https (or http to this computer).`);
    }
    const timeout = AbortSignal.timeout(30_000);
    const response = await base(url, { ...init, redirect: 'manual', signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new ProtocolError(`${url.origin} answered a token request with a redirect; not followed.`);
    }
    return response;
  };
}
