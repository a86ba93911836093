import * as vscode from 'vscode';
import { LlmAuthError, LlmCancelledError, LlmContextLengthError, LlmRateLimitError, LlmRequestError, LlmUnavailableError } from '../../common/llm/errors';
import { OPENAI_MAX_TOOLS, OPENAI_TOOL_NAME_RULES, type ChatModel, type LlmMessage, type LlmRequest, type LlmResponse, type LlmToolCall } from '../../common/llm/types';

/**
 * The model the user picked in the chat view, as a ChatModel for the tool loop. VS Code
 * runs the tools' approval through us, not through its own tool UI: the tools are only
 * described to the model and every call comes back to the loop.
 */
export class VsCodeChatModel implements ChatModel {
  readonly maxTools = OPENAI_MAX_TOOLS;
  readonly toolNameRules = OPENAI_TOOL_NAME_RULES;

  constructor(private readonly model: vscode.LanguageModelChat) {}

  get id(): string {
    return this.model.id;
  }

  get label(): string {
    return `${this.model.name} (VS Code)`;
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const cts = new vscode.CancellationTokenSource();
    const abort = () => cts.cancel();
    request.signal?.addEventListener('abort', abort, { once: true });
    try {
      if (request.signal?.aborted) {
        throw new LlmCancelledError('The request was cancelled.');
      }
      const tools: vscode.LanguageModelChatTool[] = request.tools.map(t => ({ name: t.name, description: t.description, inputSchema: t.parameters }));
      let response: vscode.LanguageModelChatResponse;
      try {
        response = await this.model.sendRequest(toVsCodeMessages(request.messages), {
          tools,
          toolMode: vscode.LanguageModelChatToolMode.Auto,
          justification: vscode.l10n.t('Secure MCP answers your question with the tools of your MCP server.')
        }, cts.token);
      } catch (e) {
        throw mapError(e);
      }
      let text = '';
      const toolCalls: LlmToolCall[] = [];
      try {
        for await (const part of response.stream) {
          if (part instanceof vscode.LanguageModelTextPart) {
            text += part.value;
            request.onText?.(part.value);
          } else if (part instanceof vscode.LanguageModelToolCallPart) {
            toolCalls.push({ id: part.callId, name: part.name, arguments: JSON.stringify(part.input ?? {}) });
          }
        }
      } catch (e) {
        throw request.signal?.aborted ? new LlmCancelledError('The request was cancelled.') : mapError(e);
      }
      if (request.signal?.aborted) {
        throw new LlmCancelledError('The request was cancelled.');
      }
      return { text, toolCalls, finishReason: toolCalls.length ? 'tool_calls' : 'stop' };
    } finally {
      request.signal?.removeEventListener('abort', abort);
      cts.dispose();
    }
  }
}

/** VS Code has no system role: our system prompt goes first as a user message. */
function toVsCodeMessages(messages: readonly LlmMessage[]): vscode.LanguageModelChatMessage[] {
  return messages.map(m => {
    switch (m.role) {
      case 'system':
      case 'user':
        return vscode.LanguageModelChatMessage.User(m.content);
      case 'assistant': {
        const parts: (vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart)[] = [];
        if (m.content) {
          parts.push(new vscode.LanguageModelTextPart(m.content));
        }
        for (const c of m.toolCalls ?? []) {
          parts.push(new vscode.LanguageModelToolCallPart(c.id, c.name, parseObject(c.arguments)));
        }
        return vscode.LanguageModelChatMessage.Assistant(parts);
      }
      case 'tool':
        return vscode.LanguageModelChatMessage.User([new vscode.LanguageModelToolResultPart(m.toolCallId, [new vscode.LanguageModelTextPart(m.content)])]);
    }
  });
}

function parseObject(text: string): object {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

function mapError(e: unknown): Error {
  if (e instanceof vscode.LanguageModelError) {
    if (e.code === vscode.LanguageModelError.NoPermissions.name) {
      return new LlmAuthError(vscode.l10n.t('VS Code did not allow Secure MCP to use this language model. Allow it when asked, or choose another model.'));
    }
    if (e.code === vscode.LanguageModelError.NotFound.name) {
      return new LlmUnavailableError(vscode.l10n.t('The chosen language model is not available. Pick another model in the chat view.'));
    }
    if (e.code === vscode.LanguageModelError.Blocked.name) {
      return new LlmRequestError(vscode.l10n.t('The language model refused the request (blocked or over quota).'));
    }
  }
  // Providers report these in their own words; the usual ones are recognisable.
  const text = e instanceof Error ? e.message : String(e);
  if (/\b429\b|rate.?limit|too many requests/i.test(text)) {
    return new LlmRateLimitError(vscode.l10n.t('The language model is rate-limited right now. Wait a moment and ask again, or pick another model.'), undefined, { cause: e });
  }
  if (/context.?length|maximum context|too many tokens|prompt is too long/i.test(text)) {
    return new LlmContextLengthError(vscode.l10n.t('The conversation is too long for this model. Start a new chat, or pick a model with a larger context.'), undefined, { cause: e });
  }
  return new LlmUnavailableError(vscode.l10n.t('The language model failed: {0}', text), undefined, { cause: e });
}
