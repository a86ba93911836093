import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthFetch, resolveChallengedScopes, type AuthFetchOptions } from '../../../../src/node/auth/authFetch';
import type { AccessToken, TokenRequest, TokenSource } from '../../../../src/common/auth/tokenSource';
import { AuthRequiredError, InsufficientScopeError, ProtocolError } from '../../../../src/common/errors';
import type { Logger } from '../../../../src/common/log';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface Peer {
  readonly url: URL;
  readonly seen: { path: string; authorization: string | undefined; method: string }[];
  handler: Handler;
  close(): Promise<void>;
}

async function peer(handler: Handler): Promise<Peer> {
  const seen: Peer['seen'] = [];
  const state = { handler };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += String(c); });
    req.on('end', () => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization, method: req.method ?? '' });
      state.handler(req, res, body);
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    seen,
    get handler() { return state.handler; },
    set handler(h: Handler) { state.handler = h; },
    close: () => new Promise<void>(r => { server.closeAllConnections(); server.close(() => r()); })
  };
}

/** A token source that issues tok-1, tok-2, … and records every request. */
class CountingTokens implements TokenSource {
  readonly requests: TokenRequest[] = [];
  private n = 0;
  constructor(private readonly canRefresh = true, private readonly delayMs = 20) {}
  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    this.requests.push(request);
    await new Promise(r => setTimeout(r, this.delayMs));
    if (request.rejected !== undefined && !this.canRefresh) {
      return { token: request.rejected, scopes: request.scopes };
    }
    this.n++;
    return { token: `tok-${this.n}`, scopes: request.scopes, expiresAt: Date.now() + 3_600_000 };
  }
}

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function make(server: Peer, tokens: TokenSource, extra: Partial<AuthFetchOptions> = {}) {
  return createAuthFetch({ serverUrl: server.url, tokens, scopes: ['api://srv/mcp:tools'], allowedScopes: ['api://srv/mcp:tools', 'api://srv/mcp:admin'], logger: quiet, ...extra });
}

const ok: Handler = (_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'); };

/** 403 `insufficient_scope` for `scope()` to the first token (tok-1), success to any other. */
function narrowFirstToken(scope: () => string): Handler {
  return (req, res, body) => {
    if (req.headers.authorization === 'Bearer tok-1') {
      res.writeHead(403, { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope()}"` }).end();
    } else {
      ok(req, res, body);
    }
  };
}
const post = (body = '{"jsonrpc":"2.0"}'): RequestInit => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } });

describe('auth fetch middleware', () => {
  let server: Peer;
  let other: Peer;
  beforeEach(async () => { server = await peer(ok); other = await peer(ok); });
  afterEach(async () => { await server.close(); await other.close(); });

  it('attaches a bearer to requests for the server and reuses it while fresh', async () => {
    const tokens = new CountingTokens();
    const f = make(server, tokens);
    for (let i = 0; i < 3; i++) {
      assert.equal((await f(server.url, post())).status, 200);
    }
    assert.deepEqual(server.seen.map(s => s.authorization), ['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
    assert.equal(tokens.requests.length, 1);
    assert.deepEqual(tokens.requests[0]?.scopes, ['api://srv/mcp:tools']);
  });

  it('never sends the token to another origin, and strips one a caller added', async () => {
    const f = make(server, new CountingTokens());
    await f(server.url, post());
    await f(other.url, { headers: { Authorization: 'Bearer tok-1' } });
    assert.equal(other.seen.length, 1);
    assert.equal(other.seen[0]?.authorization, undefined);
  });

  it('does not follow a 307 to another origin: that origin sees nothing', async () => {
    server.handler = (_req, res) => { res.writeHead(307, { location: new URL('/steal', other.url).href }).end(); };
    const f = make(server, new CountingTokens());
    await assert.rejects(f(server.url, post()), (e: unknown) => e instanceof ProtocolError && /only to http:\/\/127\.0\.0\.1/.test(e.message));
    assert.equal(other.seen.length, 0);
  });

  it('follows a same-origin 307 with the token and the body', async () => {
    server.handler = (req, res, body) => {
      if (req.url === '/mcp') {
        res.writeHead(307, { location: '/mcp2' }).end();
      } else {
        res.writeHead(200).end(body);
      }
    };
    const f = make(server, new CountingTokens());
    const r = await f(server.url, post('{"x":1}'));
    assert.equal(await r.text(), '{"x":1}');
    assert.deepEqual(server.seen.map(s => [s.path, s.method, s.authorization]), [['/mcp', 'POST', 'Bearer tok-1'], ['/mcp2', 'POST', 'Bearer tok-1']]);
  });

  it('stops a redirect loop within the origin', async () => {
    server.handler = (_req, res) => { res.writeHead(302, { location: '/mcp' }).end(); };
    const f = make(server, new CountingTokens(), { maxRedirects: 2 });
    await assert.rejects(f(server.url, { method: 'GET' }), ProtocolError);
    assert.equal(server.seen.length, 3);
  });

  it('without a session, makes no request and says to sign in', async () => {
    const required: AuthRequiredError[] = [];
    const f = make(server, { getToken: async () => undefined }, { onAuthRequired: e => required.push(e) });
    await assert.rejects(f(server.url, post()), AuthRequiredError);
    await assert.rejects(f(server.url, post()), AuthRequiredError);
    assert.equal(server.seen.length, 0);
    assert.equal(required.length, 1);
  });

  it('401 on five concurrent calls → exactly one shared silent refresh, one retry each', async () => {
    const revoked = new Set<string>();
    server.handler = (req, res) => {
      if (revoked.has(req.headers.authorization ?? '')) {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token", resource_metadata="http://x/prm"' }).end();
      } else {
        ok(req, res, '');
      }
    };
    const tokens = new CountingTokens(true, 50);
    const f = make(server, tokens);
    assert.equal((await f(server.url, post())).status, 200);
    revoked.add('Bearer tok-1');
    server.seen.length = 0;
    tokens.requests.length = 0;
    const results = await Promise.all(Array.from({ length: 5 }, () => f(server.url, post())));
    assert.deepEqual(results.map(r => r.status), [200, 200, 200, 200, 200]);
    assert.equal(tokens.requests.length, 1);
    assert.equal(tokens.requests[0]?.rejected, 'tok-1');
    assert.equal(server.seen.filter(s => s.authorization === 'Bearer tok-1').length, 5);
    assert.equal(server.seen.filter(s => s.authorization === 'Bearer tok-2').length, 5);
    assert.equal(f.lastChallenge()?.resourceMetadata, 'http://x/prm');
  });

  it('a second 401 asks the user once and does not loop', async () => {
    server.handler = (_req, res) => { res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end(); };
    const required: AuthRequiredError[] = [];
    const tokens = new CountingTokens();
    const f = make(server, tokens, { onAuthRequired: e => required.push(e) });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => f(server.url, post())));
    assert.ok(results.every(r => r.status === 'rejected' && r.reason instanceof AuthRequiredError));
    assert.ok(server.seen.length <= 10, `${server.seen.length} requests`);
    assert.ok(tokens.requests.length <= 2, `${tokens.requests.length} token requests`);
    assert.equal(required.length, 1);
  });

  it('a source that cannot refresh silently → sign in again, no retry', async () => {
    server.handler = (_req, res) => { res.writeHead(401).end(); };
    const f = make(server, new CountingTokens(false));
    await assert.rejects(f(server.url, post()), /Sign in again/);
    assert.equal(server.seen.length, 1);
  });

  it('403 insufficient_scope for an allowed scope → step-up with that scope, then success', async () => {
    server.handler = narrowFirstToken(() => 'mcp:admin');
    const tokens = new CountingTokens();
    const f = make(server, tokens);
    assert.equal((await f(server.url, post())).status, 200);
    assert.deepEqual(tokens.requests[1]?.scopes, ['api://srv/mcp:tools', 'api://srv/mcp:admin']);
    assert.deepEqual(f.currentScopes(), ['api://srv/mcp:tools', 'api://srv/mcp:admin']);
  });

  it('step-up keeps the scopes the token was granted (A13): no configured scopes, granted mcp:profile, challenged mcp:write', async () => {
    server.handler = narrowFirstToken(() => 'mcp:write');
    const requests: TokenRequest[] = [];
    const granted: TokenSource = {
      getToken: async request => {
        requests.push(request);
        // The authorization server chose the first grant's scope itself (from scopes_supported).
        return requests.length === 1 ? { token: 'tok-1', scopes: ['mcp:profile'] } : { token: 'tok-2', scopes: request.scopes };
      }
    };
    const f = createAuthFetch({ serverUrl: server.url, tokens: granted, scopes: [], allowedScopes: ['mcp:write'], logger: quiet });
    assert.equal((await f(server.url, post())).status, 200);
    assert.deepEqual(requests[1]?.scopes, ['mcp:profile', 'mcp:write'], 'the step-up asks for the union, not the challenged scope alone');
  });

  it('anonymousUntilChallenged: no token yet → the request goes without one; a 401 then brings a sign-in for the challenged scope, and one retry', async () => {
    let challenged = false;
    server.handler = (req, res, body) => {
      if (!req.headers.authorization && JSON.parse(body || '{}').method === 'initialize') {
        ok(req, res, body);
      } else if (!req.headers.authorization) {
        challenged = true;
        res.writeHead(401, { 'www-authenticate': 'Bearer scope="mcp:basic"' }).end();
      } else {
        ok(req, res, body);
      }
    };
    const requests: TokenRequest[] = [];
    const f: ReturnType<typeof createAuthFetch> = createAuthFetch({
      serverUrl: server.url,
      // A source that signs in only once the server has said what it wants.
      tokens: { getToken: async request => { requests.push(request); return f.lastChallenge() ? { token: 'tok-basic', scopes: ['mcp:basic'] } : undefined; } },
      scopes: [],
      allowedScopes: [],
      anonymousUntilChallenged: true,
      logger: quiet
    });
    assert.equal((await f(server.url, post('{"jsonrpc":"2.0","id":0,"method":"initialize"}'))).status, 200);
    assert.equal(server.seen[0]?.authorization, undefined, 'initialize went without a token');
    assert.equal((await f(server.url, post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}'))).status, 200);
    assert.ok(challenged);
    assert.deepEqual(server.seen.map(r => r.authorization), [undefined, undefined, 'Bearer tok-basic']);
    assert.equal(f.lastChallenge()?.scope, 'mcp:basic');
  });

  it('without anonymousUntilChallenged, no token means no request at all (the product default)', async () => {
    const f = createAuthFetch({ serverUrl: server.url, tokens: { getToken: async () => undefined }, scopes: [], allowedScopes: [], logger: quiet });
    await assert.rejects(f(server.url, post()), AuthRequiredError);
    assert.equal(server.seen.length, 0);
  });

  it('403 for a scope that is not allowed → refused without asking for a token', async () => {
    server.handler = (_req, res) => { res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="https://graph.microsoft.com/.default"' }).end(); };
    const tokens = new CountingTokens();
    const f = make(server, tokens);
    await assert.rejects(f(server.url, post()), InsufficientScopeError);
    assert.equal(tokens.requests.length, 1);
  });

  it('step-up is limited, so a server cannot loop the client', async () => {
    server.handler = (_req, res) => { res.writeHead(403, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="mcp:admin"' }).end(); };
    const f = make(server, new CountingTokens(), { maxStepUps: 1 });
    const r = await f(server.url, post());
    assert.equal(r.status, 403);
    await assert.rejects(f(server.url, post()), /keeps asking/);
    assert.equal(server.seen.length, 3);
  });

  it('a step-up that needs consent: one "sign in again" offer with the wider scopes, silent requests keep the old ones', async () => {
    server.handler = narrowFirstToken(() => 'mcp:tools mcp:admin');
    const required: unknown[] = [];
    // The provider has only the narrow token; the wider scope needs the user.
    const asked: (readonly string[])[] = [];
    const tokens: TokenSource = {
      getToken: async r => {
        asked.push(r.scopes);
        return r.scopes.length > 1 ? undefined : { token: 'tok-1', scopes: r.scopes, expiresAt: Date.now() + 3_600_000 };
      }
    };
    const f = make(server, tokens, { onAuthRequired: e => required.push(e) });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(f(server.url, post()), (e: unknown) => e instanceof InsufficientScopeError && /api:\/\/srv\/mcp:admin/.test(e.message) && /Sign in again/.test(e.message));
    }
    assert.equal(required.length, 1, 'offered once, not per request');
    assert.ok(required[0] instanceof InsufficientScopeError);
    assert.deepEqual(f.currentScopes(), ['api://srv/mcp:tools']);
    assert.deepEqual(f.signInScopes(), ['api://srv/mcp:tools', 'api://srv/mcp:admin']);
    assert.deepEqual(asked.map(x => x.length), [1, 2, 1, 2], 'each request tries the silent step-up once, then the narrow token serves the rest');
  });

  it('step-up within the API: more of the same API is asked for; another API, or .default, never', async () => {
    let challenge = 'mcp:tools.write';
    server.handler = narrowFirstToken(() => challenge);
    const tokens = new CountingTokens();
    const f = make(server, tokens, { stepUpWithinApi: true });
    assert.equal((await f(server.url, post())).status, 200);
    assert.deepEqual(tokens.requests[1]?.scopes, ['api://srv/mcp:tools', 'api://srv/mcp:tools.write']);
    for (challenge of ['https://graph.microsoft.com/Mail.Read', 'api://srv/.default', 'api://other/mcp:tools']) {
      const t = new CountingTokens();
      const g = make(server, t, { stepUpWithinApi: true });
      await assert.rejects(g(server.url, post()), InsufficientScopeError, challenge);
      assert.equal(t.requests.length, 1, `no token asked for ${challenge}`);
    }
  });

  it('forgetToken: the next request asks the source again, silently, and not as a rejection', async () => {
    server.handler = ok;
    const tokens = new CountingTokens();
    const f = make(server, tokens);
    await f(server.url, post());
    await f(server.url, post());
    assert.equal(tokens.requests.length, 1, 'the token in hand is reused');
    f.forgetToken();
    await f(server.url, post());
    assert.equal(tokens.requests.length, 2);
    assert.equal(tokens.requests[1]?.rejected, undefined);
    assert.deepEqual(server.seen.map(x => x.authorization), ['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('maps challenged scopes within the configured API only when asked to', () => {
    const allowed = ['api://a/mcp:tools'];
    assert.deepEqual(resolveChallengedScopes('mcp:admin', allowed), []);
    assert.deepEqual(resolveChallengedScopes('mcp:admin', allowed, true), ['api://a/mcp:admin']);
    assert.deepEqual(resolveChallengedScopes('mcp:tools api://a/mcp:admin', allowed, true), ['api://a/mcp:tools', 'api://a/mcp:admin']);
    assert.deepEqual(resolveChallengedScopes('api://b/mcp:admin', allowed, true), []);
    assert.deepEqual(resolveChallengedScopes('mcp:admin', [...allowed, 'api://b/x'], true), [], 'two APIs: a bare scope is ambiguous');
    assert.deepEqual(resolveChallengedScopes('mcp:admin', ['mcp:tools'], true), [], 'bare configuration: exact only');
    assert.deepEqual(resolveChallengedScopes('.default', allowed, true), []);
  });

  it('maps challenged bare scopes onto configured full ones, all or nothing', () => {
    const allowed = ['api://a/mcp:tools', 'api://a/mcp:admin'];
    assert.deepEqual(resolveChallengedScopes('mcp:tools', allowed), ['api://a/mcp:tools']);
    assert.deepEqual(resolveChallengedScopes('api://a/mcp:admin', allowed), ['api://a/mcp:admin']);
    assert.deepEqual(resolveChallengedScopes('mcp:tools evil', allowed), []);
    assert.deepEqual(resolveChallengedScopes(undefined, allowed), []);
    assert.deepEqual(resolveChallengedScopes('tools', allowed), []);
  });
});
