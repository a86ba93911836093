/** Our messages and tools in the Chat Completions format that OpenAI, Azure OpenAI and compatible servers read. */
import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { LlmMessage, LlmRequest, LlmToolSpec } from './types';

/** The streaming request body for one completion. */
export function toOpenAiRequest(model: string, request: LlmRequest): ChatCompletionCreateParamsStreaming {
  return {
    model,
    messages: request.messages.map(toOpenAiMessage),
    stream: true,
    ...(request.tools.length ? { tools: request.tools.map(toOpenAiTool) } : {})
  };
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
