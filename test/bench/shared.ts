// Helpers the bench scripts share: medians, a garbage collector to call, and the synthetic
// tool lists and prompt the tool-loop benches feed the product.
import type { Tool } from '@modelcontextprotocol/client';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { OPENAI_MAX_TOOLS, OPENAI_TOOL_NAME_RULES, type ChatModel } from '../../src/common/llm/types';

/** The middle value (the upper one of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** `global.gc` when node runs with --expose-gc, else the same function fetched through V8 flags. */
export function findGc(): { gc: () => void; how: string } {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) {
    return { gc: exposed, how: '--expose-gc' };
  }
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    return { gc, how: 'v8.setFlagsFromString' };
  } catch {
    return { gc: () => undefined, how: 'unavailable (numbers include garbage)' };
  }
}

const VERBS = ['get', 'list', 'create', 'update', 'delete', 'search', 'export', 'sync'];
const NOUNS = ['invoice', 'customer', 'order', 'ticket', 'weather', 'report', 'user', 'project', 'build', 'alert', 'metric', 'document'];

/**
 * `n` tools shaped like a real server's (title, a few sentences, a small nested schema,
 * some names the provider's rules must sanitise), numbered from `from`.
 */
export function makeTools(n: number, from = 0): Tool[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const verb = VERBS[i % VERBS.length]!;
    const noun = NOUNS[Math.floor(i / VERBS.length) % NOUNS.length]!;
    return {
      name: `${verb}_${noun}${i % 3 === 0 ? '.v2' : ''}_${i}`,
      title: `${verb} ${noun} ${i}`,
      description: `${verb[0]!.toUpperCase()}${verb.slice(1)}s ${noun} records in the ${noun} service (variant ${i}). Use it when the user asks about a ${noun}; returns JSON with the ${noun} fields, paging tokens and audit details.`,
      inputSchema: {
        type: 'object',
        properties: {
          id: { type: 'string', description: `Id of the ${noun}` },
          limit: { type: 'integer', minimum: 1, maximum: 100, description: 'Page size' },
          filter: { type: 'object', properties: { status: { type: 'string', enum: ['open', 'closed'] } } }
        },
        required: ['id']
      },
      annotations: { readOnlyHint: verb !== 'delete' }
    } as Tool;
  });
}

/** What `prepareTurn` reads of an OpenAI model: its tool-name rules and the 128-tool cap. */
export const OPENAI_MODEL = { toolNameRules: OPENAI_TOOL_NAME_RULES, maxTools: OPENAI_MAX_TOOLS } as Pick<ChatModel, 'toolNameRules' | 'maxTools'> as ChatModel;

/** The user's prompt of the benched turn; it ranks the tools when there are more than the cap. */
export const TURN_PROMPT = 'Show me the open tickets for customer 42 and the weather report for Zurich';
