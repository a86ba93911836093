// Tool-loop overhead per round, without LLM or tool time: tool catalog (sanitising,
// namespacing, relevance selection), function specs and history, for a server with
// 1,000 tools. Prints medians and ratios against baselines measured in this same run.
// Never fails on a number; it fails only when it cannot measure.
//   npx tsx test/bench/loop.ts            SAMPLES=51 npx tsx test/bench/loop.ts
import type { Tool } from '@modelcontextprotocol/client';
import type { HistoryTurn } from '../../src/common/chat/history';
import { prepareTurn } from '../../src/common/chat/turn';
import { OPENAI_MAX_TOOLS, OPENAI_TOOL_NAME_RULES, type ChatModel } from '../../src/common/llm/types';

const samples = Number(process.env.SAMPLES ?? 31);
const TARGET_MS = 50;

const VERBS = ['get', 'list', 'create', 'update', 'delete', 'search', 'export', 'sync'];
const NOUNS = ['invoice', 'customer', 'order', 'ticket', 'weather', 'report', 'user', 'project', 'build', 'alert', 'metric', 'document'];

function makeTools(n: number): Tool[] {
  return Array.from({ length: n }, (_, i) => {
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

const model: Pick<ChatModel, 'toolNameRules' | 'maxTools'> = { toolNameRules: OPENAI_TOOL_NAME_RULES, maxTools: OPENAI_MAX_TOOLS };
const history: HistoryTurn[] = Array.from({ length: 20 }, (_, i): HistoryTurn => i % 2
  ? { role: 'assistant', text: `Answer ${i}: `.padEnd(600, 'x'), toolCalls: [{ server: 'contoso', tool: `get_weather_${i}`, outcome: 'ok' }] }
  : { role: 'user', text: `Question ${i} about the weather report and invoices` });
const prompt = 'Show me the open tickets for customer 42 and the weather report for Zurich';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown): number[] {
  for (let i = 0; i < 3; i++) {
    fn();
  }
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return out;
}

// Fresh Tool objects per sample, so no cache from an earlier turn helps ("cold").
const coldLists = Array.from({ length: samples + 3 }, () => makeTools(1000));
let next = 0;
const shared = makeTools(1000);
const ten = makeTools(10);

const turn = (tools: readonly Tool[]) => {
  const p = prepareTurn(model as ChatModel, [{ name: 'contoso mcp', tools }], prompt, history);
  if (p.specs.length > OPENAI_MAX_TOOLS || p.messages.length < 2) {
    throw new Error('prepareTurn produced an impossible turn');
  }
  return p;
};

const cold = median(time(() => turn(coldLists[next++ % coldLists.length]!)));
const warm = median(time(() => turn(shared)));
const small = median(time(() => turn(ten)));
const stringify = median(time(() => JSON.stringify(shared)));

const offered = turn(shared).specs.length;
const fmt = (n: number) => n.toFixed(2);
console.log(`tool loop overhead per round, 1,000 tools → ${offered} offered, 20 history turns (median of ${samples})`);
console.log(`  cold (new tool objects):          ${fmt(cold)} ms   target ≤ ${TARGET_MS} ms ${cold <= TARGET_MS ? '(met)' : '(MISSED)'}`);
console.log(`  warm (tool list cached):          ${fmt(warm)} ms`);
console.log(`  baseline: same work, 10 tools:    ${fmt(small)} ms   ratio cold/10-tools ${fmt(cold / small)}×`);
console.log(`  baseline: JSON.stringify(1,000):  ${fmt(stringify)} ms   ratio cold/stringify ${fmt(cold / stringify)}×`);
