import { ProtocolError } from '../errors';

/** Why a sign-in was refused; tests and the UI branch on this, never on the message. */
export type OAuthRefusal =
  | 'no-pkce'
  | 'no-metadata'
  | 'not-mcp-endpoint'
  | 'resource-mismatch'
  | 'issuer-mismatch'
  | 'no-authorization-server'
  | 'unsafe-url'
  | 'invalid-metadata'
  | 'state-mismatch'
  | 'iss-mismatch'
  | 'callback-error'
  | 'timeout';

/**
 * The authorization server or the browser round trip broke a rule of the MCP
 * authorization spec or docs/security.md (A4–A10, B2–B3); nothing further was sent.
 */
export class OAuthRefusedError extends ProtocolError {
  override readonly name: string = 'OAuthRefusedError';
  constructor(readonly refusal: OAuthRefusal, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A metadata document the SDK's schema rejected (a `javascript:` endpoint, a missing
 * field) as a typed refusal that names what is wrong; anything else passes unchanged.
 */
export function refuseInvalidMetadata(e: unknown, what: string): unknown {
  const issues = (e as { issues?: unknown } | null)?.issues;
  if (!(e instanceof Error) || (e.name !== 'ZodError' && !Array.isArray(issues))) {
    return e;
  }
  const summary = Array.isArray(issues)
    ? issues.slice(0, 3).map(i => {
      const issue = i as { path?: unknown[]; message?: string };
      return `${(issue.path ?? []).join('.') || '(document)'}: ${issue.message ?? 'invalid'}`;
    }).join('; ')
    : e.message;
  return new OAuthRefusedError('invalid-metadata', `${what} is not valid (${summary.slice(0, 300)}); refusing to sign in.`, { cause: e });
}
