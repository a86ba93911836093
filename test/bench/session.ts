// Tool-call overhead of the product path (McpSession + createAuthFetch + byte cap) against
// the bare MCP SDK client with a static bearer header, both talking to one world MCP
// server in this process. Sequential and concurrent calls, alternating A/B order over a
// few rounds; prints medians, ratios A/B, how often the token source and the IdP were
// contacted after sign-in, and heap before/after. Never fails on a number; it fails only
// when it cannot measure (sign-in impossible, a call failing, calls not reaching the server).
//   npx tsx test/bench/session.ts
//   CALLS=1000 ROUNDS=3 CONCURRENCY=10 WARMUP=50 npx tsx test/bench/session.ts
import * as diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createAuthFetch } from '../../src/common/auth/authFetch';
import type { AccessToken, TokenRequest, TokenSource } from '../../src/common/auth/tokenSource';
import type { Logger } from '../../src/common/log';
import { McpSession } from '../../src/common/mcp/session';
import { refreshHeadless, signInHeadless, startWorld, type HeadlessTokens, type Idp, type World } from '../world';

const CALLS = Number(process.env.CALLS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 50);
const TARGET_RATIO = 1.05;
const TOOL = 'get_date';

/** The signed-in account as a token source: serves the token it has, refreshes only when the server rejects it. */
class SignedInTokens implements TokenSource {
  calls = 0;
  refreshes = 0;
  constructor(private readonly idp: Idp, private tokens: HeadlessTokens) {}
  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    this.calls++;
    if (request.rejected === this.tokens.accessToken && this.tokens.refreshToken) {
      this.refreshes++;
      this.tokens = await refreshHeadless(this.idp, this.tokens.refreshToken);
    }
    return { token: this.tokens.accessToken, expiresAt: this.tokens.expiresAt, scopes: request.scopes };
  }
}

/** Counts HTTP requests each in-process server receives, by path, without touching the world. */
class RequestCounter {
  private readonly counts = new Map<string, number>();
  private readonly onRequest = (message: unknown) => {
    const request = (message as { request: IncomingMessage }).request;
    const key = `${request.headers.host ?? '?'} ${request.method ?? '?'} ${(request.url ?? '').split('?')[0]}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  };
  constructor() {
    diagnostics.subscribe('http.server.request.start', this.onRequest);
  }
  /** Requests to `origin` so far, optionally only those whose path contains `pathPart`. */
  total(origin: string, pathPart = ''): number {
    const host = new URL(origin).host;
    let n = 0;
    for (const [key, count] of this.counts) {
      const [h, , path = ''] = key.split(' ');
      if (h === host && path.includes(pathPart)) {
        n += count;
      }
    }
    return n;
  }
  dispose(): void {
    diagnostics.unsubscribe('http.server.request.start', this.onRequest);
  }
}

const silent: Logger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface Contender {
  readonly label: string;
  call(): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function productPath(world: World, tokens: TokenSource): Promise<Contender> {
  const serverUrl = new URL(world.urls.mcp);
  const session = new McpSession({
    serverUrl,
    fetch: createAuthFetch({ serverUrl, tokens, scopes: [world.fullScope], allowedScopes: [world.fullScope], logger: silent }),
    logger: silent,
    clientInfo: { name: 'secure-mcp-bench', version: '0.0.0' },
    connectTimeoutMs: 5000,
    callTimeoutMs: 10_000,
    callMaxTimeoutMs: 30_000,
    maxResultBytes: 1_048_576,
    reconnect: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 }
  });
  await session.connect();
  return { label: 'A McpSession+authFetch', call: () => session.callTool(TOOL, {}), close: () => session.close() };
}

async function bareSdk(world: World, token: string): Promise<Contender> {
  const client = new Client({ name: 'secure-mcp-bench-raw', version: '0.0.0' }, { capabilities: {} });
  const transport = new StreamableHTTPClientTransport(new URL(world.urls.mcp), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport, { timeout: 5000 });
  return {
    label: 'B raw SDK, static bearer',
    call: () => client.callTool({ name: TOOL, arguments: {} }, CallToolResultSchema, { timeout: 10_000 }) as Promise<CallToolResult>,
    close: () => client.close()
  };
}

function check(result: CallToolResult): void {
  const first = result.content[0];
  if (result.isError || first?.type !== 'text' || Number.isNaN(Date.parse(first.text))) {
    throw new Error(`${TOOL} returned something unexpected: ${JSON.stringify(result).slice(0, 200)}`);
  }
}

interface Run {
  /** Per-call latency, µs. */
  latencies: number[];
  totalMs: number;
}

async function sequential(c: Contender, n: number): Promise<Run> {
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    check(await c.call());
    latencies.push((performance.now() - t) * 1000);
  }
  return { latencies, totalMs: performance.now() - start };
}

async function concurrent(c: Contender, n: number, workers: number): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const t = performance.now();
      check(await c.call());
      latencies.push((performance.now() - t) * 1000);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  return { latencies, totalMs: performance.now() - start };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

/** `global.gc` when node runs with --expose-gc, else the same function fetched through V8 flags. */
function findGc(): { gc: () => void; how: string } {
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

interface Tally {
  seq: Run[];
  conc: Run[];
  heap: { before: number; after: number }[];
  mcpRequests: number;
}

async function main(): Promise<void> {
  const { gc, how } = findGc();
  const counter = new RequestCounter();
  const world = await startWorld();
  const contenders: Contender[] = [];
  try {
    const signedIn = await signInHeadless(world.idp, { username: world.demoUser.username, password: world.demoUser.password, scope: world.fullScope });
    const tokens = new SignedInTokens(world.idp, signedIn);
    const idpAfterSignIn = counter.total(world.idp.url);
    const tokenEndpointAfterSignIn = counter.total(world.idp.url, '/token');

    const a = await productPath(world, tokens);
    const b = await bareSdk(world, signedIn.accessToken);
    contenders.push(a, b);
    const serverCalls = world.mcp.calls;
    const expectCalls = async (expected: number, what: () => Promise<unknown>) => {
      serverCalls.length = 0;
      await what();
      // Truncated after each phase so the server's call log does not grow the heap under the next measurement.
      const reached = serverCalls.filter(r => r.tool === TOOL && r.outcome === 'ok').length;
      serverCalls.length = 0;
      if (reached !== expected) {
        throw new Error(`${expected} calls were made but ${reached} reached the server`);
      }
    };

    for (const c of contenders) {
      await expectCalls(WARMUP, () => sequential(c, WARMUP));
      await expectCalls(WARMUP, () => concurrent(c, WARMUP, CONCURRENCY));
    }
    const tokenCallsAfterWarmup = tokens.calls;
    const idpAfterWarmup = counter.total(world.idp.url);
    const jwksAfterWarmup = world.mcp.jwksFetches;

    const tally = new Map<Contender, Tally>(contenders.map(c => [c, { seq: [], conc: [], heap: [], mcpRequests: 0 }]));
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of round % 2 ? [...contenders].reverse() : contenders) {
        const t = tally.get(c)!;
        gc();
        const before = process.memoryUsage().heapUsed;
        const mcpBefore = counter.total(world.urls.mcp, '/mcp');
        await expectCalls(CALLS, async () => { t.seq.push(await sequential(c, CALLS)); });
        await expectCalls(CALLS, async () => { t.conc.push(await concurrent(c, CALLS, CONCURRENCY)); });
        t.mcpRequests += counter.total(world.urls.mcp, '/mcp') - mcpBefore;
        gc();
        t.heap.push({ before, after: process.memoryUsage().heapUsed });
      }
    }
    const measuredMs = performance.now() - started;

    const ta = tally.get(a)!;
    const tb = tally.get(b)!;
    const seqUs = (t: Tally) => median(t.seq.map(r => median(r.latencies)));
    const seqMs = (t: Tally) => median(t.seq.map(r => r.totalMs));
    const concUs = (t: Tally) => median(t.conc.map(r => median(r.latencies)));
    const concP99 = (t: Tally) => median(t.conc.map(r => percentile(r.latencies, 0.99)));
    const concMs = (t: Tally) => median(t.conc.map(r => r.totalMs));
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    const heapOf = (t: Tally) => {
      const deltas = t.heap.map(h => h.after - h.before);
      const mid = t.heap[deltas.indexOf(median(deltas))]!;
      return `${kib(mid.before)} → ${kib(mid.after)} (Δ ${kib(mid.after - mid.before)})`;
    };
    const fmt = (n: number, d = 1) => n.toFixed(d);
    const ratio = (x: number, y: number) => `${fmt(x / y, 3)}×${x / y <= TARGET_RATIO ? '' : ' (over target)'}`;
    const idpDuringRun = counter.total(world.idp.url) - idpAfterWarmup;

    console.log(`secure-mcp session bench: node ${process.version}, ${ROUNDS} rounds × ${CALLS} calls of ${TOOL} per mode (A/B order alternates), concurrency ${CONCURRENCY}, medians over rounds`);
    const row = (name: string, av: string, bv: string, r: string) => console.log(`${name.padEnd(34)} ${av.padStart(26)} ${bv.padStart(26)}   ${r}`);
    row('', a.label, b.label, 'ratio A/B');
    row('sequential: median per call', `${fmt(seqUs(ta))} µs`, `${fmt(seqUs(tb))} µs`, ratio(seqUs(ta), seqUs(tb)));
    row(`sequential: total ${CALLS} calls`, `${fmt(seqMs(ta))} ms`, `${fmt(seqMs(tb))} ms`, ratio(seqMs(ta), seqMs(tb)));
    row(`concurrent ×${CONCURRENCY}: median latency`, `${fmt(concUs(ta))} µs`, `${fmt(concUs(tb))} µs`, ratio(concUs(ta), concUs(tb)));
    row(`concurrent ×${CONCURRENCY}: p99 latency`, `${fmt(concP99(ta))} µs`, `${fmt(concP99(tb))} µs`, ratio(concP99(ta), concP99(tb)));
    row(`concurrent ×${CONCURRENCY}: total ${CALLS} calls`, `${fmt(concMs(ta))} ms`, `${fmt(concMs(tb))} ms`, ratio(concMs(ta), concMs(tb)));
    row('HTTP requests to /mcp per call', fmt(ta.mcpRequests / (2 * CALLS * ROUNDS), 3), fmt(tb.mcpRequests / (2 * CALLS * ROUNDS), 3), '');
    row(`heap, ${2 * CALLS} calls (after gc)`, heapOf(ta), heapOf(tb), `gc via ${how}`);
    console.log(`token source calls: ${tokenCallsAfterWarmup} through warm-up (connect + first call), ${tokens.calls - tokenCallsAfterWarmup} during the measured run, ${tokens.refreshes} refreshes (target 0)`);
    console.log(`IdP requests: ${idpAfterSignIn} for sign-in (token endpoint ${tokenEndpointAfterSignIn}), ${idpAfterWarmup - idpAfterSignIn} during warm-up, ${idpDuringRun} during the measured run (target 0); token endpoint total ${counter.total(world.idp.url, '/token')}`);
    console.log(`MCP server JWKS fetches: ${jwksAfterWarmup} after warm-up, ${world.mcp.jwksFetches} at the end${world.mcp.jwksFetches === jwksAfterWarmup ? ' (unchanged)' : ' (CHANGED)'}; measured phase ${fmt(measuredMs / 1000, 1)} s`);
    const seqR = seqUs(ta) / seqUs(tb);
    const concR = concMs(ta) / concMs(tb);
    console.log(`target: A/B ≤ ${TARGET_RATIO}× -> sequential ${seqR <= TARGET_RATIO ? 'met' : 'NOT met'}, concurrent ${concR <= TARGET_RATIO ? 'met' : 'NOT met'}; IdP contacts after sign-in ${idpDuringRun === 0 && tokens.calls === tokenCallsAfterWarmup ? 'none (met)' : 'SOME (NOT met)'}`);
  } finally {
    await Promise.allSettled(contenders.map(c => c.close()));
    await world.close();
    counter.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(`session bench could not measure: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exitCode = 1;
});
