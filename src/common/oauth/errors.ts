import { ProtocolError } from '../errors';

/** Why a sign-in was refused; tests and the UI branch on this, never on the message. */
export type OAuthRefusal =
  | 'no-pkce'
  | 'no-metadata'
  | 'resource-mismatch'
  | 'issuer-mismatch'
  | 'no-authorization-server'
  | 'unsafe-url'
  | 'state-mismatch'
  | 'iss-mismatch'
  | 'callback-error'
  | 'timeout';

/**
 * The authorization server or the browser round trip broke a rule of the MCP
 * authorization spec or security.md (A4–A10, B2–B3); nothing further was sent.
 */
export class OAuthRefusedError extends ProtocolError {
  static override readonly kind: string = 'OAuthRefusedError';
  constructor(readonly refusal: OAuthRefusal, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
