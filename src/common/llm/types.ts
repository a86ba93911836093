/**
 * A provider-neutral chat model, small enough that an adapter over the `openai`
 * package and one over `vscode.lm` can both implement it. The tool loop only talks to
 * this interface.
 */

/** A function call the model asked for, exactly as it streamed it. */
export interface LlmToolCall {
  /** The provider's call id; tool results must quote it back. */
  readonly id: string;
  /** The exposed (sanitised, namespaced) tool name, not the MCP tool name. */
  readonly name: string;
  /** The raw JSON text of the arguments. May be malformed; the loop checks it. */
  readonly arguments: string;
}

/**
 * One message of the conversation. `system` is only ever our own prompt: text from
 * servers (descriptions, results) travels in `tool` messages (docs/security.md E3).
 */
export type LlmMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly LlmToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly name: string; readonly content: string };

/** A function the model may call. `parameters` is a JSON Schema object. */
export interface LlmToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

export type LlmFinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'other';

/** Told before the adapter waits and sends the same LLM request again. */
export interface LlmRetryInfo {
  /** 1 for the first retry. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly delayMs: number;
  /** HTTP status that caused the retry, when there was one. */
  readonly status: number | undefined;
}

export interface LlmRequest {
  readonly messages: readonly LlmMessage[];
  readonly tools: readonly LlmToolSpec[];
  /** Aborting stops the stream (or the wait before a retry) and rejects with `LlmCancelledError`. */
  readonly signal?: AbortSignal;
  /** Each streamed piece of text, in order, as soon as it arrives. */
  readonly onText?: (delta: string) => void;
  readonly onRetry?: (info: LlmRetryInfo) => void;
}

export interface LlmUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** What one completed (fully streamed) model turn produced. */
export interface LlmResponse {
  /** All streamed text, concatenated. */
  readonly text: string;
  /** Every tool call of the turn, in the order the model numbered them (parallel calls included). */
  readonly toolCalls: readonly LlmToolCall[];
  readonly finishReason: LlmFinishReason;
  readonly usage?: LlmUsage;
}

/** What names a provider accepts for functions. */
export interface ToolNameRules {
  readonly maxLength: number;
  /** Matches one character the provider refuses; must have the `g` flag. */
  readonly disallowed: RegExp;
}

/** OpenAI (and Azure OpenAI): `^[a-zA-Z0-9_-]{1,64}$`. VS Code's language model tools accept the same. */
export const OPENAI_TOOL_NAME_RULES: ToolNameRules = { maxLength: 64, disallowed: /[^a-zA-Z0-9_-]/g };

/** OpenAI refuses more than 128 functions in one request. */
export const OPENAI_MAX_TOOLS = 128;

export interface ChatModel {
  /** Stable id for logs and metadata, e.g. `openai:gpt-4.1`, `azure:my-deployment`, `vscode:copilot/gpt-4o`. */
  readonly id: string;
  /** What the user sees as "the model in use", e.g. `Azure OpenAI (my-deployment)`. */
  readonly label: string;
  /** The most functions one request may carry; the loop offers at most this many. */
  readonly maxTools: number;
  readonly toolNameRules: ToolNameRules;
  /**
   * Sends the conversation and streams the answer. Resolves once the turn is complete;
   * tool calls are returned only then, so nothing acts on a half-streamed turn. An
   * adapter may retry the request itself (rate limits, 5xx) but only before any text
   * was delivered; it never runs tools.
   */
  complete(request: LlmRequest): Promise<LlmResponse>;
}
