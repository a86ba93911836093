// Tool-call overhead of the product path (McpSession + createAuthFetch + byte cap) against
// the bare MCP SDK client with a static bearer header, both talking to one world MCP
// server in this process. Sequential and concurrent calls in alternating A/B blocks; prints
// medians, wall and process CPU per call, ratios A/B (also as the median over neighbouring
// block pairs, the steadiest on a busy machine), how often the token source and the IdP were
// contacted after sign-in, and heap before/after. Never fails on a number; it fails only
// when it cannot measure (sign-in impossible, a call failing, calls not reaching the server).
//   npx tsx test/bench/session.ts
//   CALLS=1000 ROUNDS=2 BLOCK=100 CONCURRENCY=10 WARMUP=50 npx tsx test/bench/session.ts
//   WIRE=2026-07-28 npx tsx test/bench/session.ts   (the wire both speak; default 2025-11-25)
//   NULL_TEST=1 npx tsx test/bench/session.ts      (A against A: how far apart equals look here)
import * as diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { Client, StreamableHTTPClientTransport, type CallToolResult } from '@modelcontextprotocol/client';
import { createAuthFetch } from '../../src/node/auth/authFetch';
import type { AccessToken, TokenRequest, TokenSource } from '../../src/common/auth/tokenSource';
import { silentLogger as silent } from '../support/logger';
import { limitResponseBytes } from '../../src/node/mcp/limits';
import { negotiationMode, type ProtocolVersion } from '../../src/node/mcp/protocol';
import { McpSession } from '../../src/node/mcp/session';
import { refreshHeadless, signInHeadless, startWorld, type HeadlessTokens, type Idp, type World } from '../world';
import { findGc, median } from './shared';

const CALLS = Number(process.env.CALLS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const BLOCK = Number(process.env.BLOCK ?? 100);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 50);
/** New clients per contender for the cold start: connect and first call. */
const COLD = Number(process.env.COLD ?? 15);
const TARGET_RATIO = 1.05;
const TOOL = 'get_date';
/** The MCP revision both contenders speak to the (dual) world server. */
const WIRE = (process.env.WIRE ?? '2025-11-25') as ProtocolVersion;
/** B becomes a second copy of A, so the ratios show the noise floor of this machine. */
const NULL_TEST = process.env.NULL_TEST === '1';

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

interface Contender {
  readonly label: string;
  /** The tool list, as a client that offers tools to a model reads it before its first call. */
  list(): Promise<unknown>;
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
    protocol: WIRE,
    connectTimeoutMs: 5000,
    callTimeoutMs: 10_000,
    callMaxTimeoutMs: 30_000,
    maxResultBytes: 1_048_576,
    reconnect: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 }
  });
  await session.connect();
  return { label: 'A McpSession+authFetch', list: () => session.listTools(), call: () => session.callTool(TOOL, {}), close: () => session.close() };
}

async function bareSdk(world: World, token: string): Promise<Contender> {
  const client = new Client({ name: 'secure-mcp-bench-raw', version: '0.0.0' }, { capabilities: {}, versionNegotiation: { mode: negotiationMode(WIRE) } });
  const transport = new StreamableHTTPClientTransport(new URL(world.urls.mcp), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  await client.connect(transport, { timeout: 5000 });
  return {
    label: 'B raw SDK, static bearer',
    list: () => client.listTools(),
    call: () => client.callTool({ name: TOOL, arguments: {} }, { timeout: 10_000 }),
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
  /** Process CPU (user + system), µs: client and server together, less disturbed than wall time by other load on the machine. */
  cpuUs: number;
}

async function sequential(c: Contender, n: number): Promise<Run> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    check(await c.call());
    latencies.push((performance.now() - t) * 1000);
  }
  return { latencies, totalMs: performance.now() - start, cpuUs: cpuSince(cpu) };
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
  const cpu = process.cpuUsage();
  const start = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  return { latencies, totalMs: performance.now() - start, cpuUs: cpuSince(cpu) };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

/**
 * The SDK transport hands one long-lived AbortSignal to every fetch; undici adds an abort
 * listener per request and drops it only when that request is garbage-collected, so past
 * 1,500 live ones Node warns once per request. Counted here instead of flooding stderr.
 */
class Warnings {
  readonly listenerWarnings = new Map<string, number>();
  current = '-';
  constructor() {
    process.removeAllListeners('warning');
    process.on('warning', w => {
      if (w.name === 'MaxListenersExceededWarning') {
        this.listenerWarnings.set(this.current, (this.listenerWarnings.get(this.current) ?? 0) + 1);
      } else {
        process.stderr.write(`${w.name}: ${w.message}\n`);
      }
    });
  }
  count(label: string): number {
    return this.listenerWarnings.get(label) ?? 0;
  }
}

interface Tally {
  seq: Run;
  conc: Run;
  /** Each block on its own, in order, so A's i-th block can be set against B's i-th (its neighbour in time). */
  blocks: { seq: Run[]; conc: Run[] };
  mcpRequests: number;
}

function merge(into: Run, from: Run): void {
  into.latencies.push(...from.latencies);
  into.totalMs += from.totalMs;
  into.cpuUs += from.cpuUs;
}

/**
 * What A adds on the client alone: createAuthFetch + limitResponseBytes around a fetch that
 * answers at once with a canned SSE response, against that fetch on its own. No sockets, no
 * server, so the load on the machine hardly moves it.
 */
async function wrapperCost(world: World, n: number): Promise<{ plainUs: number; wrappedUs: number }> {
  const serverUrl = new URL(world.urls.mcp);
  const sse = 'event: message\ndata: {"result":{"content":[{"type":"text","text":"2026-01-01T00:00:00.000Z"}]},"jsonrpc":"2.0","id":7}\n\n';
  const stub = async () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream', 'mcp-session-id': 'bench' } });
  const tokens: TokenSource = { getToken: async r => ({ token: 'stub', scopes: r.scopes, expiresAt: Date.now() + 3_600_000 }) };
  const wrapped = limitResponseBytes(createAuthFetch({ serverUrl, tokens, scopes: [world.fullScope], allowedScopes: [world.fullScope], logger: silent, fetch: stub }), { maxBytes: 1_048_576 });
  const ac = new AbortController();
  const init = (): RequestInit => ({
    method: 'POST',
    headers: new Headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'bench', 'mcp-protocol-version': '2025-06-18' }),
    body: '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_date","arguments":{}}}',
    signal: ac.signal
  });
  const time = async (f: typeof stub | typeof wrapped) => {
    const batches: number[] = [];
    for (let b = 0; b < 10; b++) {
      const t = performance.now();
      for (let i = 0; i < n / 10; i++) {
        await (await f(serverUrl, init())).text();
      }
      batches.push((performance.now() - t) * 1000 / (n / 10));
    }
    return median(batches);
  };
  await time(stub);
  await time(wrapped);
  const plain: number[] = [];
  const wrappedRuns: number[] = [];
  for (let r = 0; r < 3; r++) {
    plain.push(await time(stub));
    wrappedRuns.push(await time(wrapped));
  }
  return { plainUs: median(plain), wrappedUs: median(wrappedRuns) };
}

async function main(): Promise<void> {
  const { gc, how } = findGc();
  const warnings = new Warnings();
  const counter = new RequestCounter();
  const world = await startWorld();
  const contenders: Contender[] = [];
  try {
    const signedIn = await signInHeadless(world.idp, { username: world.demoUser.username, password: world.demoUser.password, scope: world.fullScope });
    const tokens = new SignedInTokens(world.idp, signedIn);
    const idpAfterSignIn = counter.total(world.idp.url);
    const tokenEndpointAfterSignIn = counter.total(world.idp.url, '/token');

    const a = await productPath(world, tokens);
    const b = NULL_TEST ? { ...await productPath(world, tokens), label: 'A again (null test)' } : await bareSdk(world, signedIn.accessToken);
    contenders.push(a, b);
    const serverCalls = world.mcp.calls;
    const expectCalls = async <T>(expected: number, what: () => Promise<T>): Promise<T> => {
      serverCalls.length = 0;
      const result = await what();
      // Emptied after every block so the server's call log does not grow the heap being measured.
      const reached = serverCalls.filter(r => r.tool === TOOL && r.outcome === 'ok').length;
      serverCalls.length = 0;
      if (reached !== expected) {
        throw new Error(`${expected} calls were made but ${reached} reached the server`);
      }
      return result;
    };
    const block = async (c: Contender, mode: 'seq' | 'conc', n: number): Promise<Run> => {
      warnings.current = c.label;
      const run = await expectCalls(n, () => (mode === 'seq' ? sequential(c, n) : concurrent(c, n, CONCURRENCY)));
      warnings.current = '-';
      return run;
    };

    for (const c of contenders) {
      await block(c, 'seq', WARMUP);
      await block(c, 'conc', WARMUP);
    }
    const tokenCallsAfterWarmup = tokens.calls;
    const idpAfterWarmup = counter.total(world.idp.url);
    const jwksAfterWarmup = world.mcp.jwksFetches;

    // Blocks of BLOCK calls, A and B taking turns (ABBA…), so load from elsewhere on the
    // machine lands on both alike instead of on whichever ran during the spike.
    const tally = new Map<Contender, Tally>(contenders.map(c => [c, { seq: { latencies: [], totalMs: 0, cpuUs: 0 }, conc: { latencies: [], totalMs: 0, cpuUs: 0 }, blocks: { seq: [], conc: [] }, mcpRequests: 0 }]));
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['seq', 'conc'] as const) {
        for (let i = 0; i < CALLS / BLOCK; i++) {
          for (const c of i % 2 ? [...contenders].reverse() : contenders) {
            const t = tally.get(c)!;
            const mcpBefore = counter.total(world.urls.mcp, '/mcp');
            const run = await block(c, mode, BLOCK);
            merge(t[mode], run);
            t.blocks[mode].push(run);
            t.mcpRequests += counter.total(world.urls.mcp, '/mcp') - mcpBefore;
          }
        }
      }
    }
    const measuredMs = performance.now() - started;

    // The steady-state counts end here: each cold start below is a new sign-in context of its own.
    const tokenCallsInRun = tokens.calls - tokenCallsAfterWarmup;
    const idpInRun = counter.total(world.idp.url) - idpAfterWarmup;

    // Cold start: a new client connects (probe or initialize), lists the tools as a client that
    // offers them to a model must, and makes its first call; A and B taking turns.
    const cold = new Map<Contender, number[]>(contenders.map(c => [c, []]));
    const makers = new Map<Contender, () => Promise<Contender>>([[a, () => productPath(world, tokens)], [b, NULL_TEST ? () => productPath(world, tokens) : () => bareSdk(world, signedIn.accessToken)]]);
    for (let i = 0; i < COLD; i++) {
      for (const c of i % 2 ? [...contenders].reverse() : contenders) {
        const start = performance.now();
        const fresh = await makers.get(c)!();
        await fresh.list();
        check(await fresh.call());
        cold.get(c)!.push(performance.now() - start);
        await fresh.close();
      }
    }
    const mcpPerCold = async (c: Contender) => {
      const before = counter.total(world.urls.mcp, '/mcp');
      const fresh = await makers.get(c)!();
      await fresh.list();
      await fresh.call();
      await fresh.close();
      return counter.total(world.urls.mcp, '/mcp') - before;
    };
    const coldRequests = new Map<Contender, number>([[a, await mcpPerCold(a)], [b, await mcpPerCold(b)]]);

    // Heap: each client alone, CALLS sequential then CALLS concurrent, collected before and after.
    const heap = new Map<Contender, { before: number; after: number }>();
    for (const c of contenders) {
      gc();
      const before = process.memoryUsage().heapUsed;
      await block(c, 'seq', CALLS);
      await block(c, 'conc', CALLS);
      gc();
      heap.set(c, { before, after: process.memoryUsage().heapUsed });
    }
    const idpDuringRun = idpInRun;
    const wrapper = await wrapperCost(world, 5000);

    const ta = tally.get(a)!;
    const tb = tally.get(b)!;
    const calls = CALLS * ROUNDS;
    const fmt = (n: number, d = 1) => n.toFixed(d);
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    const heapOf = (c: Contender) => {
      const h = heap.get(c)!;
      return `${kib(h.before)} → ${kib(h.after)} (Δ ${kib(h.after - h.before)})`;
    };
    const ratio = (x: number, y: number) => `${fmt(x / y, 3)}×${x / y <= TARGET_RATIO ? '' : ' (over target)'}`;
    const row = (name: string, av: string, bv: string, r: string) => console.log(`${name.padEnd(36)} ${av.padStart(30)} ${bv.padStart(30)}   ${r}`);
    const seqUs = (t: Tally) => median(t.seq.latencies);
    const perRound = (ms: number) => ms / ROUNDS;
    // Median over neighbouring block pairs of A/B: drift and bursts from elsewhere cancel within a pair.
    const paired = (mode: 'seq' | 'conc', of: (r: Run) => number) => median(ta.blocks[mode].map((r, i) => of(r) / of(tb.blocks[mode][i]!)));
    const pairs = ta.blocks.seq.length;

    console.log(`secure-mcp session bench: node ${process.version}, MCP ${WIRE}, ${calls} calls of ${TOOL} per client and mode, A/B alternating in blocks of ${BLOCK}, concurrency ${CONCURRENCY}`);
    row('', a.label, b.label, 'ratio A/B');
    row('sequential: median per call', `${fmt(seqUs(ta))} µs`, `${fmt(seqUs(tb))} µs`, ratio(seqUs(ta), seqUs(tb)));
    row('sequential: p90 per call', `${fmt(percentile(ta.seq.latencies, 0.9))} µs`, `${fmt(percentile(tb.seq.latencies, 0.9))} µs`, ratio(percentile(ta.seq.latencies, 0.9), percentile(tb.seq.latencies, 0.9)));
    row(`sequential: total per ${CALLS} calls`, `${fmt(perRound(ta.seq.totalMs))} ms`, `${fmt(perRound(tb.seq.totalMs))} ms`, ratio(ta.seq.totalMs, tb.seq.totalMs));
    row('sequential: CPU per call', `${fmt(ta.seq.cpuUs / calls)} µs`, `${fmt(tb.seq.cpuUs / calls)} µs`, ratio(ta.seq.cpuUs, tb.seq.cpuUs));
    row(`concurrent ×${CONCURRENCY}: median latency`, `${fmt(median(ta.conc.latencies))} µs`, `${fmt(median(tb.conc.latencies))} µs`, ratio(median(ta.conc.latencies), median(tb.conc.latencies)));
    row(`concurrent ×${CONCURRENCY}: total per ${CALLS} calls`, `${fmt(perRound(ta.conc.totalMs))} ms`, `${fmt(perRound(tb.conc.totalMs))} ms`, ratio(ta.conc.totalMs, tb.conc.totalMs));
    row(`concurrent ×${CONCURRENCY}: wall per call (total/n)`, `${fmt(ta.conc.totalMs * 1000 / calls)} µs`, `${fmt(tb.conc.totalMs * 1000 / calls)} µs`, ratio(ta.conc.totalMs, tb.conc.totalMs));
    row(`concurrent ×${CONCURRENCY}: CPU per call`, `${fmt(ta.conc.cpuUs / calls)} µs`, `${fmt(tb.conc.cpuUs / calls)} µs`, ratio(ta.conc.cpuUs, tb.conc.cpuUs));
    row(`paired blocks (median of ${pairs}): wall`, `seq ${ratio(paired('seq', r => r.totalMs), 1)}`, `conc ${ratio(paired('conc', r => r.totalMs), 1)}`, '');
    row(`paired blocks (median of ${pairs}): CPU`, `seq ${ratio(paired('seq', r => r.cpuUs), 1)}`, `conc ${ratio(paired('conc', r => r.cpuUs), 1)}`, '');
    row('wrapper JS alone (stub fetch)', `${fmt(wrapper.wrappedUs)} µs`, `${fmt(wrapper.plainUs)} µs`, `+${fmt(wrapper.wrappedUs - wrapper.plainUs)} µs per call`);
    row('HTTP requests to /mcp per call', fmt(ta.mcpRequests / (2 * calls), 3), fmt(tb.mcpRequests / (2 * calls), 3), '');
    row(`heap, ${CALLS} seq + ${CALLS} conc (gc'd)`, heapOf(a), heapOf(b), `gc via ${how}`);
    const coldMs = (c: Contender) => median(cold.get(c)!);
    row('cold start to first result, median', `${fmt(coldMs(a))} ms`, `${fmt(coldMs(b))} ms`, ratio(coldMs(a), coldMs(b)));
    row('cold start: HTTP requests to /mcp', String(coldRequests.get(a)), String(coldRequests.get(b)), 'connect, list, first call (+ close)');
    row('abort-listener warnings (undici)', String(warnings.count(a.label)), String(warnings.count(b.label)), 'transport signal, freed only by GC');
    console.log(`token source calls: ${tokenCallsAfterWarmup} through warm-up (connect + first call), ${tokenCallsInRun} in the measured run, ${tokens.refreshes} refreshes (target 0)`);
    console.log(`IdP requests: ${idpAfterSignIn} for sign-in (token endpoint ${tokenEndpointAfterSignIn}), ${idpAfterWarmup - idpAfterSignIn} during warm-up, ${idpDuringRun} after it (target 0); token endpoint in total ${counter.total(world.idp.url, '/token')}`);
    console.log(`MCP server JWKS fetches: ${jwksAfterWarmup} after warm-up, ${world.mcp.jwksFetches} at the end${world.mcp.jwksFetches === jwksAfterWarmup ? ' (unchanged)' : ' (CHANGED)'}; interleaved phase ${fmt(measuredMs / 1000)} s`);
    const quiet = idpDuringRun === 0 && tokenCallsInRun === 0;
    const verdict = (r: number) => `${fmt(r, 3)}× ${r <= TARGET_RATIO ? 'met' : 'NOT met'}`;
    console.log(`target: A/B ≤ ${TARGET_RATIO}× (paired wall) -> sequential ${verdict(paired('seq', r => r.totalMs))}, concurrent ${verdict(paired('conc', r => r.totalMs))}; no IdP/token-source contact after sign-in -> ${quiet ? 'met' : 'NOT met'}`);
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
