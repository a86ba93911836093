/** The OpenAI SDK's failures as our typed LLM errors, with the service's words masked. */
import OpenAI from 'openai';
import { SecureMcpError } from '../../common/errors';
import { mask } from '../../common/log';
import { LlmAuthError, LlmCancelledError, LlmContextLengthError, LlmRateLimitError, LlmRequestError, LlmServerError, LlmUnavailableError } from '../../common/llm/errors';
import { retryAfterMs } from '../../common/retryAfter';

/** What a failed request to the model `label` means for the user; `signal` tells a cancel from a failure. */
export function translateError(e: unknown, signal: AbortSignal | undefined, label: string): SecureMcpError {
  if (signal?.aborted || e instanceof OpenAI.APIUserAbortError) {
    return new LlmCancelledError('The request to the language model was cancelled.', undefined, { cause: e });
  }
  // A failure of our own token function (e.g. "sign in required") keeps its own type.
  const own = findCause(e, c => c instanceof SecureMcpError);
  if (own instanceof SecureMcpError) {
    return own;
  }
  if (e instanceof OpenAI.APIConnectionTimeoutError) {
    return new LlmUnavailableError(`${label} did not answer in time.`, undefined, { cause: e });
  }
  if (e instanceof OpenAI.APIConnectionError) {
    return new LlmUnavailableError(`Cannot reach ${label} (${mask(describeCause(e))}). Check the endpoint and your network.`, undefined, { cause: e });
  }
  if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
    const status = e.status;
    const said = serviceMessage(e);
    if (status === 401 || status === 403) {
      return new LlmAuthError(`${label} refused the credentials (HTTP ${status}): check your key or sign-in.${said}`, status, { cause: e });
    }
    if (status === 429) {
      return new LlmRateLimitError(`${label} is rate limiting requests (HTTP 429); try again later.${said}`, retryAfterMs(e.headers), { cause: e });
    }
    if (status >= 500) {
      return new LlmServerError(`${label} had a server error (HTTP ${status}); try again later.${said}`, status, { cause: e });
    }
    if (e.code === 'context_length_exceeded' || /maximum context length|context_length_exceeded/i.test(e.message)) {
      return new LlmContextLengthError(`The conversation is too long for ${label}. Start a new chat, or ask for less at once.`, status, { cause: e });
    }
    if (status === 404) {
      return new LlmRequestError(`${label} was not found (HTTP 404): check the model or deployment name and the endpoint.${said}`, status, { cause: e });
    }
    if (status === 408) {
      return new LlmUnavailableError(`${label} timed out (HTTP 408).`, status, { cause: e });
    }
    return new LlmRequestError(`${label} refused the request (HTTP ${status}).${said}`, status, { cause: e });
  }
  if (e instanceof SyntaxError || e instanceof OpenAI.OpenAIError) {
    return new LlmRequestError(`${label} sent an answer that could not be read: ${mask(e.message).slice(0, 300)}`, undefined, { cause: e });
  }
  if (e instanceof Error) {
    return new LlmUnavailableError(`Cannot use ${label}: ${mask(e.message).slice(0, 300)}`, undefined, { cause: e });
  }
  return new LlmUnavailableError(`Cannot use ${label}: ${String(e)}`);
}

/** The service's own explanation, masked (it can echo part of a key) and kept short. */
function serviceMessage(e: InstanceType<typeof OpenAI.APIError>): string {
  const body = e.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : '';
  return text ? ` The service said: ${mask(text).replace(/\s+/g, ' ').slice(0, 300)}` : '';
}

function describeCause(e: Error): string {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${cause.message}${typeof code === 'string' ? ` ${code}` : ''}`;
  }
  return e.message;
}

function findCause(e: unknown, test: (c: unknown) => boolean): unknown {
  let current = e;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (test(current)) {
      return current;
    }
    current = current instanceof Error ? (current as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}
