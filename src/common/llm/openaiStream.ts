/** A streamed Chat Completions answer read into one `LlmResponse`. */
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { LlmCancelledError } from './errors';
import type { LlmFinishReason, LlmRequest, LlmResponse, LlmToolCall, LlmUsage } from './types';

/** Reads a stream into one response; tool-call fragments are joined by their index. */
export async function accumulate(stream: AsyncIterable<ChatCompletionChunk>, request: LlmRequest, onFirstText: () => void): Promise<LlmResponse> {
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
