import OpenAI, { AzureOpenAI } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { FetchLike } from '../auth/authFetch';
import { ConfigurationError, SecureMcpError } from '../../common/errors';
import { mask, scoped, type Logger } from '../../common/log';
import { checkSecureUrl } from '../../common/settings';
import {
  LlmAuthError,
  LlmCancelledError,
  LlmContextLengthError,
  LlmError,
  LlmRateLimitError,
  LlmRequestError,
  LlmServerError,
  LlmUnavailableError
} from '../../common/llm/errors';
import {
  OPENAI_MAX_TOOLS,
  OPENAI_TOOL_NAME_RULES,
  type ChatModel,
  type LlmFinishReason,
  type LlmMessage,
  type LlmRequest,
  type LlmResponse,
  type LlmToolCall,
  type LlmToolSpec,
  type LlmUsage
} from '../../common/llm/types';

/** The Entra scope a token for Azure OpenAI must be requested for (keyless auth). */
export const AZURE_COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

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

export interface OpenAiModelOptions extends CommonLlmOptions {
  readonly apiKey: string;
  readonly model: string;
  /** Any OpenAI-compatible endpoint (gateway, local server); default https://api.openai.com/v1. */
  readonly baseUrl?: string;
}

export type AzureAuthOptions =
  /** Keyless: an Entra access token for `AZURE_COGNITIVE_SERVICES_SCOPE`, fetched by the caller on every request. */
  | { readonly kind: 'entra'; readonly getToken: () => Promise<string> }
  | { readonly kind: 'apiKey'; readonly apiKey: string };

export interface AzureOpenAiModelOptions extends CommonLlmOptions {
  /** `https://<resource>.openai.azure.com` */
  readonly endpoint: string;
  readonly deployment: string;
  readonly apiVersion: string;
  readonly auth: AzureAuthOptions;
}

/** A chat model over OpenAI or any OpenAI-compatible Chat Completions endpoint. */
export function createOpenAiChatModel(options: OpenAiModelOptions): ChatModel {
  const baseURL = options.baseUrl || DEFAULT_OPENAI_BASE_URL;
  requireSecureUrl('secureMcp.llm.openai.baseUrl', baseURL);
  if (!options.apiKey) {
    throw new ConfigurationError('No OpenAI API key is set. Run "Secure MCP: Set API Key".');
  }
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL,
    // Explicit nulls keep OPENAI_* environment variables from adding credentials or headers.
    organization: null,
    project: null,
    adminAPIKey: null,
    ...clientCommon(options)
  });
  const custom = options.baseUrl && options.baseUrl !== DEFAULT_OPENAI_BASE_URL;
  return new OpenAiChatModel(client, options, {
    id: `openai:${options.model}`,
    label: custom ? `${options.model} at ${new URL(baseURL).host}` : `OpenAI ${options.model}`,
    model: options.model
  });
}

/** A chat model over Azure OpenAI, keyless through Entra or with an `api-key`. */
export function createAzureOpenAiChatModel(options: AzureOpenAiModelOptions): ChatModel {
  requireSecureUrl('secureMcp.llm.azure.endpoint', options.endpoint);
  if (!options.deployment) {
    throw new ConfigurationError('secureMcp.llm.azure.deployment is not set.');
  }
  const auth = options.auth;
  if (auth.kind === 'apiKey' && !auth.apiKey) {
    throw new ConfigurationError('No Azure OpenAI API key is set. Run "Secure MCP: Set API Key", or use Entra sign-in.');
  }
  const client = new AzureOpenAI({
    endpoint: options.endpoint,
    // null rather than undefined: undefined would fall back to OPENAI_BASE_URL / AZURE_OPENAI_API_KEY.
    baseURL: null,
    deployment: options.deployment,
    apiVersion: options.apiVersion,
    ...(auth.kind === 'entra' ? { azureADTokenProvider: auth.getToken, apiKey: '' } : { apiKey: auth.apiKey }),
    organization: null,
    project: null,
    ...clientCommon(options)
  });
  return new OpenAiChatModel(client, options, {
    id: `azure:${options.deployment}`,
    label: `Azure OpenAI ${options.deployment}`,
    model: options.deployment
  });
}

function clientCommon(options: CommonLlmOptions) {
  return {
    // Our own retry loop below honours Retry-After within a bound, reports each retry and
    // never retries once text has streamed; the client's own retries would do none of that.
    maxRetries: 0,
    timeout: options.timeoutMs ?? 120_000,
    logLevel: 'off' as const,
    ...(options.fetch ? { fetch: options.fetch } : {})
  };
}

function requireSecureUrl(key: string, value: string): void {
  const why = checkSecureUrl(value);
  if (why) {
    throw new ConfigurationError(`${key} ${why}.`, [{ key, message: why }]);
  }
}

class OpenAiChatModel implements ChatModel {
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
    const body: ChatCompletionCreateParamsStreaming = {
      model: this.model,
      messages: request.messages.map(toOpenAiMessage),
      stream: true,
      ...(request.tools.length ? { tools: request.tools.map(toOpenAiTool) } : {})
    };
    const max = Math.max(1, this.retry.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      let streamedText = false;
      try {
        const stream = await this.client.chat.completions.create(body, request.signal ? { signal: request.signal } : {});
        return await accumulate(stream, request, () => { streamedText = true; });
      } catch (e) {
        const error = this.translate(e, request.signal);
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

  private translate(e: unknown, signal: AbortSignal | undefined): SecureMcpError {
    if (signal?.aborted || e instanceof OpenAI.APIUserAbortError) {
      return new LlmCancelledError('The request to the language model was cancelled.', undefined, { cause: e });
    }
    // A failure of our own token function (e.g. "sign in required") keeps its own type.
    const own = findCause(e, c => c instanceof SecureMcpError);
    if (own instanceof SecureMcpError) {
      return own;
    }
    if (e instanceof OpenAI.APIConnectionTimeoutError) {
      return new LlmUnavailableError(`${this.label} did not answer in time.`, undefined, { cause: e });
    }
    if (e instanceof OpenAI.APIConnectionError) {
      return new LlmUnavailableError(`Cannot reach ${this.label} (${mask(describeCause(e))}). Check the endpoint and your network.`, undefined, { cause: e });
    }
    if (e instanceof OpenAI.APIError && typeof e.status === 'number') {
      const status = e.status;
      const said = serviceMessage(e);
      if (status === 401 || status === 403) {
        return new LlmAuthError(`${this.label} refused the credentials (HTTP ${status}): check your key or sign-in.${said}`, status, { cause: e });
      }
      if (status === 429) {
        return new LlmRateLimitError(`${this.label} is rate limiting requests (HTTP 429); try again later.${said}`, retryAfterMs(e.headers), { cause: e });
      }
      if (status >= 500) {
        return new LlmServerError(`${this.label} had a server error (HTTP ${status}); try again later.${said}`, status, { cause: e });
      }
      if (e.code === 'context_length_exceeded' || /maximum context length|context_length_exceeded/i.test(e.message)) {
        return new LlmContextLengthError(`The conversation is too long for ${this.label}. Start a new chat, or ask for less at once.`, status, { cause: e });
      }
      if (status === 404) {
        return new LlmRequestError(`${this.label} was not found (HTTP 404): check the model or deployment name and the endpoint.${said}`, status, { cause: e });
      }
      if (status === 408) {
        return new LlmUnavailableError(`${this.label} timed out (HTTP 408).`, status, { cause: e });
      }
      return new LlmRequestError(`${this.label} refused the request (HTTP ${status}).${said}`, status, { cause: e });
    }
    if (e instanceof SyntaxError || e instanceof OpenAI.OpenAIError) {
      return new LlmRequestError(`${this.label} sent an answer that could not be read: ${mask(e.message).slice(0, 300)}`, undefined, { cause: e });
    }
    if (e instanceof Error) {
      return new LlmUnavailableError(`Cannot use ${this.label}: ${mask(e.message).slice(0, 300)}`, undefined, { cause: e });
    }
    return new LlmUnavailableError(`Cannot use ${this.label}: ${String(e)}`);
  }
}

/** Reads a stream into one response; tool-call fragments are joined by their index. */
async function accumulate(stream: AsyncIterable<ChatCompletionChunk>, request: LlmRequest, onFirstText: () => void): Promise<LlmResponse> {
  let text = '';
  let finish: string | null = null;
  let usage: LlmUsage | undefined;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for await (const chunk of stream) {
    // Chunks already buffered keep coming after an abort; stop reading them (leaving the
    // loop cancels the response body too).
    if (request.signal?.aborted) {
      throw new LlmCancelledError('The request to the language model was cancelled.');
    }
    if (chunk.usage) {
      usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
    }
    // Azure opens with a choice-less content-filter chunk; other providers may send usage-only chunks.
    const choice = chunk.choices?.[0];
    if (!choice) {
      continue;
    }
    const delta = choice.delta;
    if (delta?.content) {
      text += delta.content;
      onFirstText();
      request.onText?.(delta.content);
    }
    for (const part of delta?.tool_calls ?? []) {
      // Some compatible servers omit the index and send each call whole.
      const index = typeof part.index === 'number' ? part.index : calls.size;
      let call = calls.get(index);
      if (!call) {
        call = { id: '', name: '', arguments: '' };
        calls.set(index, call);
      }
      if (part.id) {
        call.id = part.id;
      }
      if (part.function?.name) {
        call.name = part.function.name;
      }
      if (part.function?.arguments) {
        call.arguments += part.function.arguments;
      }
    }
    if (choice.finish_reason) {
      finish = choice.finish_reason;
    }
  }
  const toolCalls: LlmToolCall[] = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, c]) => ({ id: c.id || `call_${index}`, name: c.name, arguments: c.arguments }));
  return { text, toolCalls, finishReason: finishReason(finish, toolCalls.length), ...(usage ? { usage } : {}) };
}

function finishReason(raw: string | null, calls: number): LlmFinishReason {
  switch (raw) {
    case 'stop': return calls ? 'tool_calls' : 'stop';
    case 'tool_calls':
    case 'function_call': return 'tool_calls';
    case 'length': return 'length';
    case 'content_filter': return 'content_filter';
    case null: return calls ? 'tool_calls' : 'stop';
    default: return 'other';
  }
}

function toOpenAiMessage(m: LlmMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'system': return { role: 'system', content: m.content };
    case 'user': return { role: 'user', content: m.content };
    case 'tool': return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    case 'assistant':
      if (m.toolCalls?.length) {
        return {
          role: 'assistant',
          content: m.content || null,
          tool_calls: m.toolCalls.map(c => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }))
        };
      }
      return { role: 'assistant', content: m.content };
  }
}

function toOpenAiTool(t: LlmToolSpec): ChatCompletionTool {
  return { type: 'function', function: { name: t.name, description: t.description, parameters: { ...t.parameters } } };
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

/** `retry-after-ms` (OpenAI), then `Retry-After` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) {
    return Math.ceil(ms);
  }
  const raw = headers?.get('retry-after');
  if (!raw) {
    return undefined;
  }
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return Math.ceil(seconds * 1000);
  }
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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
