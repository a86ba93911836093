// Tool-loop overhead per round, without LLM or tool time: tool catalog (sanitising,
// namespacing, relevance selection), function specs and history, for a server with
// 1,000 tools. Prints medians and ratios against baselines measured in this same run.
// Never fails on a number; it fails only when it cannot measure.
//   npx tsx test/bench/loop.ts            SAMPLES=51 npx tsx test/bench/loop.ts
import type { Tool } from '@modelcontextprotocol/client';
import type { HistoryTurn } from '../../src/common/chat/history';
import { prepareTurn } from '../../src/common/chat/turn';
import { OPENAI_MAX_TOOLS } from '../../src/common/llm/types';
import { makeTools, median, OPENAI_MODEL as model, TURN_PROMPT as prompt } from './shared';

const samples = Number(process.env.SAMPLES ?? 31);
const TARGET_MS = 50;

const history: HistoryTurn[] = Array.from({ length: 20 }, (_, i): HistoryTurn => i % 2
  ? { role: 'assistant', text: `Answer ${i}: `.padEnd(600, 'x'), toolCalls: [{ server: 'contoso', tool: `get_weather_${i}`, outcome: 'ok' }] }
  : { role: 'user', text: `Question ${i} about the weather report and invoices` });

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
  const p = prepareTurn(model, [{ name: 'contoso mcp', tools }], prompt, history);
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
