// Five MCP servers of 200 tools each, set against one: (1) activation to all connected,
// from nothing to N McpSessions (real auth fetch with a fixed token, protocol `auto` as
// the product defaults to) that have connected and listed their tools, all at once, in
// wall time and process CPU; (2) the per-turn tool conversion (prepareTurn: catalog,
// relevance narrowing to OpenAI's 128, function specs) over the tools those sessions
// listed, with new tool objects (first turn) and the same ones (later turns); (3) heap
// the connected sessions keep. The servers are real MCP SDK servers (stateless Streamable
// HTTP, no auth) on 127.0.0.1 in this process, started once. Modes take turns within every
// round; the null test is a second, independent set of 1-server samples. Prints medians
// and ratios against the 1-server baseline. Never fails on a number; it fails only when
// it cannot measure (a server unreachable, a list short of its tools).
//   npx tsx test/bench/servers.ts
//   SAMPLES=41 HEAP_SAMPLES=9 npx tsx test/bench/servers.ts
import type { Tool } from '@modelcontextprotocol/client';
import { prepareTurn } from '../../src/common/chat/turn';
import { OPENAI_MAX_TOOLS } from '../../src/common/llm/types';
import { startListServer } from '../support/listServer';
import { silentLogger as silent } from '../support/logger';
import { FixedToken, testSession } from '../support/session';
import { findGc, makeTools, median, OPENAI_MODEL, TURN_PROMPT } from './shared';

const SAMPLES = Number(process.env.SAMPLES ?? 21);
/** Heap figures vary little between samples but each costs two full collections. */
const HEAP_SAMPLES = Number(process.env.HEAP_SAMPLES ?? Math.max(3, Math.ceil(SAMPLES / 3)));
const WARMUP = 3;
const SERVERS = 5;
const TOOLS = 200;
const NAMES = ['contoso', 'fabrikam', 'northwind', 'tailspin', 'woodgrove'];
const SCOPE = 'api://bench/mcp:tools';

interface Mode {
  readonly label: string;
  /** How many of the servers it uses, from the first. */
  readonly servers: number;
}

const BASELINE: Mode = { label: '1 server × 200 (baseline)', servers: 1 };
const NULL_TEST: Mode = { label: '1 server × 200 again (null test)', servers: 1 };
const FIVE: Mode = { label: `${SERVERS} servers × ${TOOLS}`, servers: SERVERS };
const MODES = [BASELINE, NULL_TEST, FIVE];

/**
 * `rounds` samples of every mode after `WARMUP` unrecorded rounds; within a round the modes
 * take turns in an order that rotates, so load from elsewhere lands on all of them alike.
 */
async function interleaved(rounds: number, sample: (mode: Mode) => Promise<number> | number): Promise<Map<Mode, number[]>> {
  const out = new Map<Mode, number[]>(MODES.map(m => [m, []]));
  for (let r = -WARMUP; r < rounds; r++) {
    const k = ((r % MODES.length) + MODES.length) % MODES.length;
    for (const mode of [...MODES.slice(k), ...MODES.slice(0, k)]) {
      const value = await sample(mode);
      if (!Number.isFinite(value)) {
        throw new Error(`${mode.label}: measured ${value}`);
      }
      if (r >= 0) {
        out.get(mode)!.push(value);
      }
    }
  }
  return out;
}

/** Closed sockets are released in later ticks; they should not land in the next sample. */
const settle = () => new Promise(resolve => setTimeout(resolve, 20));

interface Connected {
  readonly ms: number;
  /** Process CPU (user + system), client and servers together: less moved by other load on the machine than wall time. */
  readonly cpuMs: number;
  readonly lists: (readonly Tool[])[];
  readonly wire: string;
  close(): Promise<void>;
}

/** From nothing to `urls.length` sessions, each connected with its tools listed, all at once. */
async function connectAll(urls: readonly string[], between?: () => void): Promise<Connected> {
  const tokens = new FixedToken('bench');
  const cpu = process.cpuUsage();
  const start = performance.now();
  const sessions = urls.map(serverUrl => testSession({ serverUrl, tokens, scope: SCOPE, logger: silent }));
  const lists = await Promise.all(sessions.map(async s => {
    await s.connect();
    return s.listTools();
  }));
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  between?.();
  lists.forEach((tools, i) => {
    if (tools.length !== TOOLS) {
      throw new Error(`${urls[i]} listed ${tools.length} tools, not ${TOOLS}`);
    }
  });
  const wire = [...new Set(sessions.map(s => `${s.connection?.protocolVersion ?? '?'} ${s.connection?.transport ?? '?'}`))].join(', ');
  return { ms, cpuMs: (used.user + used.system) / 1000, lists, wire, close: async () => { await Promise.all(sessions.map(s => s.close())); } };
}

function turn(servers: readonly { name: string; tools: readonly Tool[] }[]): number {
  const start = performance.now();
  const p = prepareTurn(OPENAI_MODEL, servers, TURN_PROMPT);
  const ms = performance.now() - start;
  const total = servers.reduce((n, s) => n + s.tools.length, 0);
  if (p.catalog.total !== total || p.specs.length !== Math.min(total, OPENAI_MAX_TOOLS)) {
    throw new Error(`prepareTurn offered ${p.specs.length} of ${p.catalog.total} tools for ${total}`);
  }
  return ms;
}

interface Measurement {
  readonly name: string;
  readonly unit: 'ms' | 'KiB';
  readonly samples: Map<Mode, number[]>;
}

function printTable(measurements: readonly Measurement[]): void {
  const rows = [['measurement', 'mode', 'median', 'vs baseline']];
  for (const m of measurements) {
    const base = median(m.samples.get(BASELINE)!);
    for (const mode of MODES) {
      const value = median(m.samples.get(mode)!);
      rows.push([mode === BASELINE ? m.name : '', mode.label, `${value.toFixed(m.unit === 'ms' ? 2 : 0)} ${m.unit}`, base > 0 ? `${(value / base).toFixed(3)}×` : '–']);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map(r => r[c]!.length)));
  for (const r of rows) {
    console.log(r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('   '));
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const { gc, how } = findGc();
  const servers = await Promise.all(Array.from({ length: SERVERS }, (_, k) => {
    const tools = makeTools(TOOLS, k * TOOLS);
    return startListServer({ tools: TOOLS, tool: i => tools[i]! });
  }));
  try {
    const urls = (mode: Mode) => servers.slice(0, mode.servers).map(s => s.url);
    const requests = () => servers.reduce((n, s) => n + [...s.requests.values()].reduce((a, b) => a + b, 0), 0);

    // 1. Activation to all connected.
    let wire = '';
    const requestsBefore = requests();
    let connects = 0;
    const activationCpu = new Map<Mode, number[]>(MODES.map(m => [m, []]));
    const activation = await interleaved(SAMPLES, async mode => {
      const c = await connectAll(urls(mode));
      wire = c.wire;
      connects += mode.servers;
      activationCpu.get(mode)!.push(c.cpuMs);
      await c.close();
      await settle();
      return c.ms;
    });
    // Drop the warm-up rounds' CPU figures, as interleaved() drops their times.
    for (const xs of activationCpu.values()) {
      xs.splice(0, WARMUP);
    }
    const requestsPerSession = (requests() - requestsBefore) / connects;

    // 2. Per-turn tool conversion over the tools the sessions listed.
    const c = await connectAll(urls(FIVE));
    const listed = c.lists;
    await c.close();
    const catalogOf = (mode: Mode, lists: readonly (readonly Tool[])[]) => lists.slice(0, mode.servers).map((tools, k) => ({ name: NAMES[k]!, tools }));
    // New objects as a fresh listing gives them; collected first so the clones' garbage is not timed.
    const cold = await interleaved(SAMPLES, mode => {
      const fresh = catalogOf(mode, structuredClone(listed));
      gc();
      return turn(fresh);
    });
    const warm = await interleaved(SAMPLES, mode => turn(catalogOf(mode, listed)));

    // 3. Heap the connected sessions keep, garbage collected before and after.
    const heap = await interleaved(HEAP_SAMPLES, async mode => {
      await settle();
      gc();
      const before = process.memoryUsage().heapUsed;
      let kept = 0;
      const connected = await connectAll(urls(mode), () => {
        gc();
        kept = process.memoryUsage().heapUsed - before;
      });
      await connected.close();
      return kept / 1024;
    });

    console.log(`secure-mcp servers bench: node ${process.version}, ${SERVERS} real MCP SDK servers × ${TOOLS} tools on 127.0.0.1 (in this process), McpSession + auth fetch (${wire}), prompt-ranked to ${OPENAI_MAX_TOOLS} tools, median of ${SAMPLES} interleaved samples per mode`);
    printTable([
      { name: 'activation to all connected', unit: 'ms', samples: activation },
      { name: 'activation, process CPU', unit: 'ms', samples: activationCpu },
      { name: 'per-turn conversion, new tool objects', unit: 'ms', samples: cold },
      { name: 'per-turn conversion, same tool objects', unit: 'ms', samples: warm },
      { name: `heap kept, connected (${HEAP_SAMPLES} samples)`, unit: 'KiB', samples: heap }
    ]);
    console.log(`activation: ${SERVERS}× is one after another; client and servers share this process's one thread, so only waiting overlaps, not CPU work.`);
    console.log(`HTTP requests per session (connect + list): ${requestsPerSession.toFixed(1)}; gc via ${how}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await Promise.allSettled(servers.map(s => s.close()));
  }
}

main().catch((e: unknown) => {
  console.error(`servers bench could not measure: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exitCode = 1;
});
