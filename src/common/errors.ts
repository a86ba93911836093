/**
 * The small set of failures the product distinguishes. Callers branch with
 * `instanceof`; src/vscode/messages.ts maps each one to user-facing text once.
 */
export class SecureMcpError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No usable session: the user has to sign in (or sign in again). */
export class AuthRequiredError extends SecureMcpError {}

/** The server wants a scope the token does not carry (403 insufficient_scope). */
export class InsufficientScopeError extends SecureMcpError {
  constructor(message: string, readonly scope: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server could not be reached or kept failing after bounded retries. */
export class ServerUnreachableError extends SecureMcpError {}

/** The peer answered, but not in a way the protocol allows. */
export class ProtocolError extends SecureMcpError {}

/** The user said no (or let the approval time out). */
export class DeclinedByUserError extends SecureMcpError {}

/** Settings are missing or invalid; `problems` says which and why. */
export class ConfigurationError extends SecureMcpError {
  constructor(message: string, readonly problems: readonly SettingProblem[] = []) {
    super(message);
  }
}

/** A capability that a later release delivers; the message says which one. */
export class NotAvailableYetError extends SecureMcpError {}

export interface SettingProblem {
  readonly key: string;
  readonly message: string;
}
