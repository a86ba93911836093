const KINDS = Symbol.for('secure-mcp/error-kinds');

type ErrorClass = { readonly kind: string } & (abstract new (...args: never[]) => unknown);

/**
 * The small set of failures the product distinguishes, checked with `instanceof`.
 * dist/extension.js and dist/runtime.js each carry a copy of these classes, so
 * `instanceof` compares declared kinds (which survive minification), not prototypes.
 */
export class SecureMcpError extends Error {
  static readonly kind: string = 'SecureMcpError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && 'kind' in c; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'kind')) {
        kinds.push((c as ErrorClass).kind);
      }
    }
    this.name = kinds[0] ?? 'SecureMcpError';
    Object.defineProperty(this, KINDS, { value: kinds, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (!Object.hasOwn(this, 'kind')) {
      // A subclass without its own kind: only the prototype chain can tell.
      return Function.prototype[Symbol.hasInstance].call(this, value);
    }
    const kinds = value !== null && typeof value === 'object' ? (value as { [KINDS]?: unknown })[KINDS] : undefined;
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }
}

/** No usable session: the user has to sign in (or sign in again). */
export class AuthRequiredError extends SecureMcpError {
  static override readonly kind: string = 'AuthRequiredError';
}

/** The server wants a scope the token does not carry (403 insufficient_scope). */
export class InsufficientScopeError extends SecureMcpError {
  static override readonly kind: string = 'InsufficientScopeError';
  constructor(message: string, readonly scope: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server could not be reached or kept failing after bounded retries. */
export class ServerUnreachableError extends SecureMcpError {
  static override readonly kind: string = 'ServerUnreachableError';
}

/** The peer answered, but not in a way the protocol allows. */
export class ProtocolError extends SecureMcpError {
  static override readonly kind: string = 'ProtocolError';
}

/** The user said no (or let the approval time out). */
export class DeclinedByUserError extends SecureMcpError {
  static override readonly kind: string = 'DeclinedByUserError';
}

/** Settings are missing or invalid; `problems` says which and why. */
export class ConfigurationError extends SecureMcpError {
  static override readonly kind: string = 'ConfigurationError';
  constructor(message: string, readonly problems: readonly SettingProblem[] = []) {
    super(message);
  }
}

/** What fixes an {@link LlmConfigurationError}: each maps to one action in the reply. */
export type LlmConfigurationFix =
  /** An OpenAI or Azure OpenAI API key is missing: "Set LLM API Key…". */
  | 'setApiKey'
  /** secureMcp.llm.* settings are missing or invalid (Azure endpoint, deployment, base URL). */
  | 'openSettings'
  /** No model from the chat view: pick one there, or configure OpenAI or Azure OpenAI. */
  | 'pickChatModel';

/** No language model can be used as configured; unlike the server's settings, `fix` says which action helps. */
export class LlmConfigurationError extends ConfigurationError {
  static override readonly kind: string = 'LlmConfigurationError';
  constructor(message: string, readonly fix: LlmConfigurationFix, problems: readonly SettingProblem[] = []) {
    super(message, problems);
  }
}

/** A capability that a later release delivers; the message says which one. */
export class NotAvailableYetError extends SecureMcpError {
  static override readonly kind: string = 'NotAvailableYetError';
}

export interface SettingProblem {
  readonly key: string;
  readonly message: string;
}
