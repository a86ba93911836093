/** The chat model both providers build over an OpenAI SDK client, and what they share. */
import type OpenAI from 'openai';
import type { FetchLike } from '../auth/authFetch';
import { ConfigurationError, type SecureMcpError } from '../../common/errors';
import { scoped, type Logger } from '../../common/log';
import { checkSecureUrl } from '../../common/settings';
import { LlmCancelledError, LlmError, LlmRateLimitError, LlmServerError, LlmUnavailableError } from '../../common/llm/errors';
import { toOpenAiRequest } from '../../common/llm/openaiRequest';
import { accumulate } from '../../common/llm/openaiStream';
import { OPENAI_MAX_TOOLS, OPENAI_TOOL_NAME_RULES, type ChatModel, type LlmRequest, type LlmResponse } from '../../common/llm/types';
import { translateError } from './openaiErrors';

/** Bounded retries of one LLM request; the loop's tool calls are never part of them. */
export interface LlmRetryPolicy {
  /** Total attempts including the first. Default 3. */
  readonly maxAttempts: number;
  /** Backoff when the service gives no `Retry-After`. Default 1000 ms, doubled per attempt. */
  readonly initialDelayMs: number;
  /** A longer `Retry-After` than this is not waited for; the error is reported instead. Default 30 s. */
  readonly maxDelayMs: number;
}

export interface CommonLlmOptions {
  readonly logger: Logger;
  /** For tests and proxies; default the global fetch. */
  readonly fetch?: FetchLike;
  /** Per request, until the first byte of the answer. Default 120 s. */
  readonly timeoutMs?: number;
  readonly retry?: Partial<LlmRetryPolicy>;
  /** Injected so tests do not wait in real time; must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Overrides the provider's function limit (default 128). */
  readonly maxTools?: number;
}

/** The SDK client options both providers set the same way. */
export function clientCommon(options: CommonLlmOptions) {
  return {
    // Our own retry loop below honours Retry-After within a bound, reports each retry and
    // never retries once text has streamed; the client's own retries would do none of that.
    maxRetries: 0,
    timeout: options.timeoutMs ?? 120_000,
    logLevel: 'off' as const,
    ...(options.fetch ? { fetch: options.fetch } : {})
  };
}

export function requireSecureUrl(key: string, value: string): void {
  const why = checkSecureUrl(value);
  if (why) {
    throw new ConfigurationError(`${key} ${why}.`, [{ key, message: why }]);
  }
}

export class OpenAiChatModel implements ChatModel {
  readonly id: string;
  readonly label: string;
  readonly maxTools: number;
  readonly toolNameRules = OPENAI_TOOL_NAME_RULES;
  private readonly model: string;
  private readonly log: Logger;
  private readonly retry: LlmRetryPolicy;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly client: OpenAI, options: CommonLlmOptions, names: { id: string; label: string; model: string }) {
    this.id = names.id;
    this.label = names.label;
    this.model = names.model;
    this.maxTools = options.maxTools ?? OPENAI_MAX_TOOLS;
    this.log = scoped(options.logger, 'llm');
    this.retry = { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 30_000, ...options.retry };
    this.sleep = options.sleep ?? abortableSleep;
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const body = toOpenAiRequest(this.model, request);
    const max = Math.max(1, this.retry.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      let streamedText = false;
      try {
        const stream = await this.client.chat.completions.create(body, request.signal ? { signal: request.signal } : {});
        return await accumulate(stream, request, () => { streamedText = true; });
      } catch (e) {
        const error = translateError(e, request.signal, this.label);
        const delay = retryDelay(error, attempt, this.retry);
        // Once text reached the user a retry would repeat it; the turn fails instead.
        if (streamedText || attempt >= max || delay === undefined) {
          if (!(error instanceof LlmCancelledError)) {
            this.log.warn(`${this.id}: ${error.message}`);
          }
          throw error;
        }
        if (delay > this.retry.maxDelayMs) {
          this.log.warn(`${this.id}: asked to wait ${delay} ms, more than the ${this.retry.maxDelayMs} ms allowed`);
          throw error;
        }
        const status = error instanceof LlmError ? error.status : undefined;
        this.log.info(`${this.id}: ${status ?? 'network error'}; retrying in ${delay} ms (attempt ${attempt + 1}/${max})`);
        request.onRetry?.({ attempt, maxAttempts: max, delayMs: delay, status });
        try {
          await this.sleep(delay, request.signal);
        } catch (sleepError) {
          throw new LlmCancelledError('The request to the language model was cancelled.', undefined, { cause: sleepError });
        }
      }
    }
  }
}

/** Delay before the next attempt, or undefined when the error is not worth retrying. */
function retryDelay(error: SecureMcpError, attempt: number, policy: LlmRetryPolicy): number | undefined {
  const backoff = policy.initialDelayMs * 2 ** (attempt - 1);
  if (error instanceof LlmRateLimitError) {
    return error.retryAfterMs ?? backoff;
  }
  if (error instanceof LlmServerError || error instanceof LlmUnavailableError) {
    return Math.min(backoff, policy.maxDelayMs);
  }
  return undefined;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
