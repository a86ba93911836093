import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProtocolError, ServerUnreachableError } from '../../../src/common/errors';
import { recordingLogger } from '../../support/logger';
import { FixedToken, testSession } from '../../support/session';

// JWT-shaped (header.payload.signature, base64url) so it looks like what Entra issues.
const JWT_CANARY = [
  Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'canary' })).toString('base64url'),
  Buffer.from(JSON.stringify({ aud: 'api://srv', scp: 'mcp:tools', canary: 'CANARY-7f3a9c' })).toString('base64url'),
  'c2lnbmF0dXJlLWNhbmFyeS03ZjNhOWM'
].join('.');
// An opaque token (generic OAuth) that no pattern recognizes: only the exact value can be masked.
const OPAQUE_CANARY = 'opq7f3a9cCANARYd41e8b2a6f0c5e9d7b3a1f4c8e2d6b0a9';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

async function listen(handler: Handler): Promise<{ url: URL; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += String(c); });
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); })
  };
}

function session(url: URL, token: string) {
  const logger = recordingLogger();
  const s = testSession({
    serverUrl: url,
    tokens: new FixedToken(token),
    scope: 'api://srv/mcp:tools',
    logger,
    callMaxTimeoutMs: 10_000,
    reconnect: { attempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
    sleep: async () => undefined
  });
  return { s, logger };
}

/** Every text an error carries to the UI: message, String(), stack, and the same down the cause chain. */
function texts(error: unknown): string[] {
  const out: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 10; depth++, e = (e as { cause?: unknown }).cause) {
    out.push(e.message, String(e), e.stack ?? '');
  }
  return out;
}

function assertNoToken(error: unknown, token: string): void {
  assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
  for (const t of texts(error)) {
    assert.ok(!t.includes(token), `the token leaked into: ${t.slice(0, 400)}`);
  }
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected a rejection');
}

describe('a server echoing the bearer token into an error (docs/security.md A2)', function () {
  this.timeout(20_000);
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => { await Promise.all(servers.splice(0).map(s => s.close())); });

  async function echoing(handler: Handler) {
    const server = await listen(handler);
    servers.push(server);
    return server;
  }

  const bare = (req: http.IncomingMessage) => (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const statusCases: readonly {
    readonly name: string;
    readonly token: string;
    readonly status: number;
    readonly type: string;
    readonly body: (req: http.IncomingMessage) => string;
    readonly expected: typeof ServerUnreachableError | typeof ProtocolError;
  }[] = [
    {
      name: '502 whose body repeats the Authorization header: the unreachable error names the status, not the token',
      token: JWT_CANARY, status: 502, type: 'text/plain', expected: ServerUnreachableError,
      body: req => `Bad gateway: upstream refused request with Authorization: ${req.headers.authorization ?? ''}`
    },
    {
      name: '500 with an HTML error page that prints the request headers: no token, status kept',
      token: JWT_CANARY, status: 500, type: 'text/html', expected: ServerUnreachableError,
      body: req => `<!doctype html><html><body><h1>500 Internal Server Error</h1><pre>POST /mcp\nauthorization: ${req.headers.authorization ?? ''}\nraw token: ${bare(req)}</pre></body></html>`
    },
    {
      name: 'a non-retryable 403 echoing the header: the protocol error and its cause carry no token',
      token: JWT_CANARY, status: 403, type: 'application/json', expected: ProtocolError,
      body: req => JSON.stringify({ error: 'forbidden', headers: { authorization: req.headers.authorization } })
    },
    {
      name: 'an opaque token echoed bare is masked too: the exact token the auth fetch sent is known',
      token: OPAQUE_CANARY, status: 502, type: 'text/plain', expected: ServerUnreachableError,
      body: req => `gateway saw token ${bare(req)} and gave up`
    }
  ];
  for (const c of statusCases) {
    it(c.name, async () => {
      const server = await echoing((req, res) => { res.writeHead(c.status, { 'content-type': c.type }).end(c.body(req)); });
      const { s, logger } = session(server.url, c.token);
      const error = await failure(s.listTools());
      assert.ok(error instanceof c.expected, String(error));
      assertNoToken(error, c.token);
      assert.match(error.message, new RegExp(`HTTP ${c.status}`), 'the status code is still there');
      assert.ok(logger.lines.every(l => !l.includes(c.token)), 'no log line carries the token');
      await s.close();
    });
  }

  for (const [label, token] of [['JWT', JWT_CANARY], ['opaque', OPAQUE_CANARY]] as const) {
    it(`a JSON-RPC error to a tool call that quotes the ${label} token: the thrown error carries no token`, async () => {
      const server = await echoing((req, res, body) => {
        if (req.method !== 'POST') {
          res.writeHead(405).end();
          return;
        }
        const msg = JSON.parse(body) as { id?: number; method: string };
        if (msg.id === undefined) {
          res.writeHead(202).end();
          return;
        }
        const reply = (payload: object) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, ...payload }));
        if (msg.method === 'initialize') {
          reply({ result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'echo', version: '1' } } });
        } else if (msg.method === 'tools/list') {
          reply({ result: { tools: [] } });
        } else if (msg.method === 'tools/call') {
          const raw = (req.headers.authorization ?? '').replace(/^Bearer /, '');
          reply({ error: { code: -32603, message: `upstream API rejected ${raw} (sent as "${req.headers.authorization ?? ''}")` } });
        } else {
          reply({ error: { code: -32601, message: 'method not found' } });
        }
      });
      const { s } = session(server.url, token);
      const error = await failure(s.callTool('get_weather', { city: 'Oslo' }));
      assertNoToken(error, token);
      assert.match((error as Error).message, /upstream API rejected/, 'the rest of the server message survives');
      await s.close();
    });
  }
});
