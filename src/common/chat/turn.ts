import type { Tool } from '@modelcontextprotocol/client';
import type { ChatModel, LlmMessage, LlmToolSpec } from '../llm/types';
import { historyMessages, SYSTEM_PROMPT, type HistoryTurn } from './history';
import { buildToolCatalog, toolKey, toToolSpec, type ToolCatalog } from './tools';

/** Everything the model is sent for one turn, before the first round. */
export interface PreparedTurn {
  readonly catalog: ToolCatalog;
  readonly specs: readonly LlmToolSpec[];
  readonly messages: LlmMessage[];
}

/**
 * The pure part of a turn: tool catalog, function specs and starting messages. Split
 * out so its cost can be measured (test/bench/loop.ts) and kept small.
 */
export function prepareTurn(model: ChatModel, servers: readonly { name: string; tools: readonly Tool[] }[], prompt: string, history: readonly HistoryTurn[] = [], maxHistoryChars?: number): PreparedTurn {
  const recentlyUsed = new Set<string>();
  for (const turn of history) {
    if (turn.role === 'assistant') {
      for (const c of turn.toolCalls ?? []) {
        recentlyUsed.add(toolKey(c.server, c.tool));
      }
    }
  }
  const catalog = buildToolCatalog(servers, { rules: model.toolNameRules, maxTools: model.maxTools, prompt, recentlyUsed });
  const specs = catalog.entries.map(e => toToolSpec(e));
  const messages: LlmMessage[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    ...historyMessages(history, maxHistoryChars),
    { role: 'user', content: prompt }
  ];
  return { catalog, specs, messages };
}
