/** The claims of an access token that are safe to show: never the token itself. */
export interface TokenClaims {
  readonly aud?: string | string[];
  readonly iss?: string;
  readonly scp?: string;
  readonly roles?: string[];
  readonly tid?: string;
  readonly oid?: string;
  readonly sub?: string;
  readonly azp?: string;
  readonly appid?: string;
  readonly ver?: string;
  readonly idtyp?: string;
  readonly exp?: number;
  readonly nbf?: number;
  readonly iat?: number;
  readonly name?: string;
  readonly preferred_username?: string;
  readonly email?: string;
}

const SHOWN: readonly (keyof TokenClaims)[] = ['aud', 'iss', 'scp', 'roles', 'tid', 'oid', 'sub', 'azp', 'appid', 'ver', 'idtyp', 'exp', 'nbf', 'iat', 'name', 'preferred_username', 'email'];

/**
 * Reads a JWT's payload without verifying it (the server verifies; the client only
 * explains). Returns undefined for opaque tokens. Only the listed claims are kept, so
 * nothing unexpected from a token reaches a report.
 */
export function decodeClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) {
    return undefined;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(base64UrlToText(parts[1]));
  } catch {
    return undefined;
  }
  if (!payload || typeof payload !== 'object') {
    return undefined;
  }
  const source = payload as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of SHOWN) {
    if (source[key] !== undefined) {
      out[key] = source[key];
    }
  }
  return out as TokenClaims;
}

/** Expiry in epoch milliseconds from a JWT's `exp`, when it has one. */
export function expiresAtOf(token: string): number | undefined {
  const exp = decodeClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

/** Decodes base64url (padding optional) as UTF-8; throws on characters outside the alphabet. */
function base64UrlToText(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
  return new TextDecoder('utf-8').decode(Uint8Array.from(binary, c => c.charCodeAt(0)));
}
