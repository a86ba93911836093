import { SecureMcpError } from '../errors';

/**
 * Failures of the language model service. Each subclass has a message a user can act
 * on; callers branch with `instanceof`.
 */
export class LlmError extends SecureMcpError {
  override readonly name: string = 'LlmError';
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** 401/403: the key or the sign-in is wrong, expired, or lacks access to the model. */
export class LlmAuthError extends LlmError {
  override readonly name: string = 'LlmAuthError';
}

/** 429 that outlasted the bounded retries (or asked for a longer wait than we allow). */
export class LlmRateLimitError extends LlmError {
  override readonly name: string = 'LlmRateLimitError';
  constructor(message: string, readonly retryAfterMs: number | undefined, options?: { cause?: unknown }) {
    super(message, 429, options);
  }
}

/** 5xx that outlasted the bounded retries. */
export class LlmServerError extends LlmError {
  override readonly name: string = 'LlmServerError';
}

/** The conversation (history, tool results, tool list) is longer than the model accepts. */
export class LlmContextLengthError extends LlmError {
  override readonly name: string = 'LlmContextLengthError';
}

/** The service could not be reached, or timed out. */
export class LlmUnavailableError extends LlmError {
  override readonly name: string = 'LlmUnavailableError';
}

/** Any other refusal: unknown model or deployment, bad request, content filter. */
export class LlmRequestError extends LlmError {
  override readonly name: string = 'LlmRequestError';
}

/** The caller aborted the request. Not a failure to report, just a stop. */
export class LlmCancelledError extends LlmError {
  override readonly name: string = 'LlmCancelledError';
}
