import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenSource } from '../../../../src/common/auth/tokenSource';
import { AuthRequiredError, ProtocolError, ServerUnreachableError } from '../../../../src/common/errors';
import type { McpSessionOptions, Tool } from '../../../../src/node/mcp/session';
import { startIdp, startSecureMcpServer, weatherFor, type Idp, type SecureMcpServer } from '../../../world';
import { recordingLogger } from '../../../support/logger';
import { IdpTokens, testSession } from '../../../support/session';

describe('MCP session against the world server', function () {
  this.timeout(30_000);
  let idp: Idp;
  let server: SecureMcpServer;

  before(async () => { idp = await startIdp(); });
  after(async () => { await idp.close(); });
  beforeEach(async () => { server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, tenantId: idp.tenantId, slowTaskTickMs: 50 }); });
  afterEach(async () => { await server.close(); });

  function session(extra: Partial<McpSessionOptions> = {}, tokens: TokenSource = new IdpTokens(idp), url = server.url) {
    const logger = recordingLogger();
    const s = testSession({ serverUrl: url, tokens, scope: idp.fullScope, logger, reconnect: { attempts: 3, initialDelayMs: 10, maxDelayMs: 40 }, ...extra });
    return { s, logger };
  }

  it('connects, lists the tools and calls one', async () => {
    const { s } = session();
    const tools = await s.listTools();
    assert.deepEqual(tools.map(t => t.name).sort(), [...server.toolNames].sort());
    const result = await s.callTool('get_weather', { city: 'Zurich' });
    const text = result.content.map(c => (c.type === 'text' ? c.text : '')).join('');
    const expected = weatherFor('Zurich');
    assert.match(text, new RegExp(expected.condition));
    assert.equal(server.calls.at(-1)?.tool, 'get_weather');
    assert.equal(s.transportKind, 'streamable-http');
    await s.close();
  });

  it('caches the tool list (2025-11-25: no ttlMs) and refreshes it on tools/list_changed', async () => {
    const changed: (readonly Tool[])[] = [];
    const { s } = session({ onToolsChanged: t => changed.push(t), protocol: '2025-11-25' });
    const first = await s.listTools();
    assert.equal(await s.listTools(), first);
    server.changeToolDefinition('get_weather', 'Changed: now also exfiltrates your files.');
    for (let i = 0; i < 100 && !changed.length; i++) {
      await new Promise(r => setTimeout(r, 20));
    }
    assert.equal(changed.length, 1);
    assert.equal(changed[0]?.find(t => t.name === 'get_weather')?.description, 'Changed: now also exfiltrates your files.');
    assert.notEqual(await s.listTools(), first);
    await s.close();
  });

  it('reports progress, and progress extends the timeout', async () => {
    const { s } = session({ callTimeoutMs: 200 });
    const progress: number[] = [];
    const result = await s.callTool('slow_task', { seconds: 8 }, { onProgress: p => progress.push(p.progress) });
    assert.equal(result.isError ?? false, false);
    assert.ok(progress.length >= 7, `progress ${progress.join(',')}`);
    await s.close();
  });

  it('stops at the hard maximum even with progress, and the server hears the cancellation', async () => {
    const { s } = session({ callTimeoutMs: 200, callMaxTimeoutMs: 300 });
    await assert.rejects(s.callTool('slow_task', { seconds: 40 }), ServerUnreachableError);
    await waitFor(() => server.calls.at(-1)?.outcome === 'cancelled');
    await s.close();
  });

  it('cancels through an AbortSignal (notifications/cancelled reaches the server)', async () => {
    const { s } = session();
    const ac = new AbortController();
    const call = s.callTool('slow_task', { seconds: 40 }, { signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(call);
    await waitFor(() => server.calls.at(-1)?.outcome === 'cancelled');
    await s.close();
  });

  it('refuses a result larger than the byte cap, accepts one below it', async () => {
    const { s } = session({ maxResultBytes: 64 * 1024 });
    const small = await s.callTool('big_result', { bytes: 10_000 });
    assert.equal(small.content.length, 1);
    await assert.rejects(s.callTool('big_result', { bytes: 200_000 }), (e: unknown) => e instanceof Error && /limit/.test(e.message));
    await s.close();
  });

  it('accepts structured content that matches the tool\'s outputSchema (E5, control case)', async () => {
    const { s } = session();
    assert.ok((await s.listTools()).find(t => t.name === 'get_forecast')?.outputSchema, 'get_forecast advertises an outputSchema');
    const result = await s.callTool('get_forecast', { city: 'Oslo', days: 2 });
    const forecast = result.structuredContent as { city: string; days: { condition: string }[] };
    assert.equal(forecast.city, 'Oslo');
    assert.equal(forecast.days.length, 2);
    assert.equal(forecast.days[0]?.condition, weatherFor('Oslo', 0).condition);
    await s.close();
  });

  it('refuses structured content that violates the tool\'s outputSchema with a ProtocolError that says so (E5)', async () => {
    const { s } = session();
    await s.listTools();
    server.breakStructuredOutput(true);
    await assert.rejects(s.callTool('get_forecast', { city: 'Oslo', days: 2 }), (e: unknown) => {
      assert.ok(e instanceof ProtocolError, `not a ProtocolError: ${String(e)}`);
      assert.match(e.message, /The result of get_forecast does not match the tool's output schema/);
      assert.match(e.message, /city must be string/, 'says what is wrong');
      return true;
    });
    assert.equal(server.calls.at(-1)?.tool, 'get_forecast', 'the call reached the server; its answer was refused');
    const other = await s.callTool('get_weather', { city: 'Oslo' });
    assert.equal(other.isError, undefined, 'a tool without an outputSchema is not affected');
    server.breakStructuredOutput(false);
    const again = await s.callTool('get_forecast', { city: 'Oslo', days: 1 });
    assert.equal((again.structuredContent as { city: string }).city, 'Oslo', 'the next conforming result is accepted');
    assert.deepEqual((await s.listTools()).map(t => t.name).sort(), [...server.toolNames].sort(), 'the tool list did not change');
    await s.close();
  });

  it('checks structured content even when a tool is called before the tool list was read (E5)', async () => {
    const { s } = session();
    server.breakStructuredOutput(true);
    try {
      await assert.rejects(s.callTool('get_forecast', { city: 'Oslo', days: 2 }), (e: unknown) => e instanceof ProtocolError && /does not match the tool's output schema/.test(e.message));
    } finally {
      server.breakStructuredOutput(false);
      await s.close();
    }
  });

  it('advertises form and URL elicitation: both kinds reach the handler and their answers the tool', async () => {
    const asked: { mode?: string; url?: string; message: string }[] = [];
    const { s } = session({
      elicitation: async params => {
        asked.push({ message: params.message, ...('mode' in params && params.mode ? { mode: params.mode } : {}), ...('url' in params ? { url: String(params.url) } : {}) });
        return 'url' in params ? { action: 'accept' } : { action: 'decline' };
      }
    });
    const byUrl = await s.callTool('confirm_action', { action: 'rotate the key', via: 'url' });
    assert.match(byUrl.content.map(c => (c.type === 'text' ? c.text : '')).join(''), /^accepted/);
    const byForm = await s.callTool('confirm_action', { action: 'rotate the key' });
    assert.match(byForm.content.map(c => (c.type === 'text' ? c.text : '')).join(''), /^declined/);
    assert.equal(asked[0]?.mode, 'url');
    assert.equal(asked[0]?.url, `${server.origin}/confirm?action=rotate%20the%20key`);
    assert.equal(asked[1]?.mode ?? 'form', 'form');
    await s.close();
  });

  it('re-initializes once, without asking for a new token, when the server forgot the session', async () => {
    const tokens = new IdpTokens(idp);
    const { s } = session({}, tokens);
    await s.listTools();
    const port = new URL(server.url).port;
    await server.close();
    server = await startSecureMcpServer({ port: Number(port), issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, slowTaskTickMs: 50 });
    await new Promise(r => setTimeout(r, 300));
    const asked = tokens.requests.length;
    const result = await s.callTool('get_date', {});
    assert.equal(result.isError ?? false, false);
    assert.equal(server.calls.length, 1, 'the call ran exactly once on the new server');
    assert.equal(tokens.requests.length, asked, 'no token request, so no sign-in prompt');
    await s.close();
  });

  it('caps results over the legacy SSE transport too: an oversized event fails its call, quickly, naming the limit', async () => {
    const { s } = session({ maxResultBytes: 64 * 1024 }, new IdpTokens(idp), server.sseUrl);
    const small = await s.callTool('big_result', { bytes: 10_000 });
    assert.equal(s.transportKind, 'sse');
    assert.equal(small.content.length, 1);
    const started = Date.now();
    await assert.rejects(s.callTool('big_result', { bytes: 400_000 }), (e: unknown) => e instanceof Error && /limit/.test(e.message));
    assert.ok(Date.now() - started < 3000, `failed after ${Date.now() - started} ms, not at the call timeout`);
    await s.close();
  });

  it('falls back to the legacy SSE transport when the initialize POST gets 404', async () => {
    const { s } = session({}, new IdpTokens(idp), server.sseUrl);
    const result = await s.callTool('get_weather', { city: 'Oslo' });
    assert.equal(s.transportKind, 'sse');
    assert.equal(result.isError ?? false, false);
    assert.equal(server.calls.at(-1)?.transport, 'sse');
    await s.close();
  });

  for (const status of [400, 405]) {
    it(`falls back to the legacy SSE transport when the initialize POST gets ${status}`, async () => {
      // In front of the world's legacy endpoint: POSTs to it are refused with `status`;
      // everything else (the GET event stream, the message POSTs) passes through.
      const front = await frontOf(server, (req, res) => {
        if (req.method === 'POST' && req.url?.startsWith('/sse')) {
          res.writeHead(status, { 'content-type': 'text/plain' }).end('no');
          return true;
        }
        return false;
      });
      try {
        const { s } = session({}, new IdpTokens(idp), `${front.origin}/sse`);
        const result = await s.callTool('get_date', {});
        assert.equal(s.transportKind, 'sse');
        assert.equal(result.isError ?? false, false);
        assert.equal(server.calls.at(-1)?.transport, 'sse');
        await s.close();
      } finally {
        await front.close();
      }
    });
  }

  it('a server that answers JSON-RPC with a 200 HTML page: a protocol error that says so', async () => {
    const front = await frontOf(server, (req, res) => {
      if (req.method === 'POST') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><h1>Sign in to the corporate proxy</h1></body></html>');
        return true;
      }
      return false;
    });
    try {
      const { s } = session({ reconnect: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 } }, new IdpTokens(idp), `${front.origin}/mcp`);
      await assert.rejects(s.listTools(), (e: unknown) => e instanceof ProtocolError && /html/i.test(e.message));
    } finally {
      await front.close();
    }
  });

  it('logging notifications from the server go to the log', async () => {
    const { s, logger } = session();
    await s.callTool('slow_task', { seconds: 2 });
    assert.ok(logger.lines.some(l => l.includes('server/slow_task: step 2/2')), logger.lines.join('\n'));
    await s.close();
  });

  it('server down → bounded retries with backoff, then a clear error and no token prompt', async () => {
    const url = server.url;
    await server.close();
    const delays: number[] = [];
    const tokens = new IdpTokens(idp);
    const { s } = session({ sleep: async ms => { delays.push(ms); }, reconnect: { attempts: 4, initialDelayMs: 100, maxDelayMs: 250 } }, tokens, url);
    await assert.rejects(s.listTools(), (e: unknown) => e instanceof ServerUnreachableError && /after 4 attempts/.test(e.message) && /reconnect/.test(e.message));
    assert.deepEqual(delays, [100, 200, 250]);
    assert.equal(s.state, 'failed');
    assert.ok(tokens.requests.every(r => r.rejected === undefined));
    server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope });
  });

  it('503 with Retry-After: the reconnect waits what the server asked, within the bound (F10)', async () => {
    let refused = 0;
    const front = await frontOf(server, (req, res) => {
      if (req.method === 'POST' && refused < 2) {
        refused++;
        res.writeHead(503, { 'retry-after': refused === 1 ? '3' : '60', 'content-type': 'text/plain' }).end('busy');
        return true;
      }
      return false;
    });
    try {
      const delays: number[] = [];
      const { s } = session({ sleep: async ms => { delays.push(ms); }, reconnect: { attempts: 4, initialDelayMs: 100, maxDelayMs: 10_000 } }, new IdpTokens(idp), `${front.origin}/mcp`);
      assert.ok((await s.listTools()).length > 0);
      assert.deepEqual(delays, [3000, 10_000], 'Retry-After 3 s is waited; 60 s is capped at the bound');
      await s.close();
    } finally {
      await front.close();
    }
  });

  it('a token the server refuses surfaces as "sign in", not as a retry loop or a server error', async () => {
    const tokens = new IdpTokens(idp, { aud: 'api://someone-else' });
    const { s } = session({}, tokens);
    await assert.rejects(s.listTools(), AuthRequiredError);
    assert.ok(tokens.requests.length <= 2, `${tokens.requests.length} token requests`);
    assert.equal(s.state, 'failed');
  });

});

/**
 * A proxy in front of the world server: `intercept` answers what it wants to (returning
 * true); everything else is forwarded, streamed both ways (event streams included).
 */
async function frontOf(target: SecureMcpServer, intercept: (req: http.IncomingMessage, res: http.ServerResponse) => boolean): Promise<{ origin: string; close(): Promise<void> }> {
  const upstream = new URL(target.origin);
  const front = http.createServer((req, res) => {
    if (intercept(req, res)) {
      req.resume();
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>(r => front.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    close: () => new Promise<void>(r => { front.closeAllConnections(); front.close(() => r()); })
  };
}

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise(r => setTimeout(r, 20));
  }
}
