/**
 * The small set of failures the product distinguishes, checked with `instanceof` and
 * mapped to user-facing text in one place. Each class names itself, so the name
 * survives minification (the audit records it).
 */
export class SecureMcpError extends Error {
  override readonly name: string = 'SecureMcpError';
}

/** `e` and what caused it, outermost first, bounded so a cyclic chain cannot loop. */
export function* causeChain(e: unknown, maxDepth = 8): Generator<object> {
  for (let cause = e, depth = 0; cause && typeof cause === 'object' && depth < maxDepth; cause = (cause as { cause?: unknown }).cause, depth++) {
    yield cause;
  }
}

/** The first system error code (ECONNREFUSED…) down `e`'s cause chain. */
export function systemErrorCode(e: unknown): string | undefined {
  for (const cause of causeChain(e)) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') {
      return code;
    }
  }
  return undefined;
}

/** A thrown value as an `Error`; anything else becomes a `SecureMcpError` with its text. */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new SecureMcpError(String(e));
}

/** No usable session: the user has to sign in (or sign in again). */
export class AuthRequiredError extends SecureMcpError {
  override readonly name: string = 'AuthRequiredError';
}

/** The server wants a scope the token does not carry (403 insufficient_scope). */
export class InsufficientScopeError extends SecureMcpError {
  override readonly name: string = 'InsufficientScopeError';
  constructor(message: string, readonly scope: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server could not be reached or kept failing after bounded retries. */
export class ServerUnreachableError extends SecureMcpError {
  override readonly name: string = 'ServerUnreachableError';
}

/**
 * The identity provider could not give a token (it failed, refused the connection, or did
 * not answer in time): the MCP server itself may be fine, so this is never reported as
 * the server being unreachable.
 */
export class IdentityProviderError extends SecureMcpError {
  override readonly name: string = 'IdentityProviderError';
}

/** The peer answered, but not in a way the protocol allows. */
export class ProtocolError extends SecureMcpError {
  override readonly name: string = 'ProtocolError';
}

/**
 * The URL answers, but not as an MCP endpoint (HTTP 404 to an MCP request): the fix is the
 * server URL, never a sign-in or a setting that weakens security.
 */
export class NotMcpEndpointError extends ProtocolError {
  override readonly name: string = 'NotMcpEndpointError';
}

/**
 * The organisation's MCP policy (VS Code's chat.mcp.* settings) excludes the server: it is
 * not contacted at all. `setting` decided; `managed` says an administrator's policy set it.
 */
export class PolicyBlockedError extends SecureMcpError {
  override readonly name: string = 'PolicyBlockedError';
  constructor(message: string, readonly server: string, readonly setting: string, readonly managed: boolean) {
    super(message);
  }
}

/** The user stopped the request; never a fault of the server. */
export class CancelledError extends SecureMcpError {
  override readonly name: string = 'CancelledError';
}

/** The user said no (or let the approval time out). */
export class DeclinedByUserError extends SecureMcpError {
  override readonly name: string = 'DeclinedByUserError';
}

/** Settings are missing or invalid; `problems` says which and why. */
export class ConfigurationError extends SecureMcpError {
  override readonly name: string = 'ConfigurationError';
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
  override readonly name: string = 'LlmConfigurationError';
  constructor(message: string, readonly fix: LlmConfigurationFix, problems: readonly SettingProblem[] = []) {
    super(message, problems);
  }
}

/** A capability that a later release delivers; the message says which one. */
export class NotAvailableYetError extends SecureMcpError {
  override readonly name: string = 'NotAvailableYetError';
}

export interface SettingProblem {
  readonly key: string;
  readonly message: string;
  /** The server (its name) whose entry in secureMcp.servers has the problem; only that server's connection stops. */
  readonly server?: string;
}
