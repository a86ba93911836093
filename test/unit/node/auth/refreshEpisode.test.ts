import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenRequest, TokenSource } from '../../../../src/common/auth/tokenSource';
import { IdentityProviderError, ServerUnreachableError } from '../../../../src/common/errors';
import { createAuthFetch, type AuthFetchOptions } from '../../../../src/node/auth/authFetch';
import { silentLogger } from '../../../support/logger';

/** An MCP server stand-in: 401 for a revoked bearer, 200 for any other; counts what it saw. */
async function server(): Promise<{ url: URL; revoked: Set<string>; seen: string[]; close(): Promise<void> }> {
  const revoked = new Set<string>();
  const seen: string[] = [];
  const s = http.createServer((req, res) => {
    const bearer = req.headers.authorization ?? '';
    seen.push(bearer);
    req.resume().on('end', () => {
      if (revoked.has(bearer)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    });
  });
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const url = new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`);
  return { url, revoked, seen, close: () => new Promise<void>(r => { s.closeAllConnections(); s.close(() => r()); }) };
}

/** What a real fetch to a port nobody listens on throws: TypeError("fetch failed") caused by ECONNREFUSED. */
async function connectionRefused(): Promise<unknown> {
  const s = http.createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>(r => s.close(() => r()));
  return fetch(`http://127.0.0.1:${port}/token`).then(() => assert.fail('the port answered'), (e: unknown) => e);
}

type Mode = 'issue' | 'refuse' | 'fail503' | 'hang';

/**
 * The identity provider as a token source the test switches: issue tok-1, tok-2, …; throw a
 * refused connection or a 503; or hang, ignoring its signal as VS Code's getSession does.
 */
class ScriptedIdp implements TokenSource {
  readonly requests: TokenRequest[] = [];
  mode: Mode = 'issue';
  private issued = 0;
  constructor(private readonly refused: unknown) {}
  async getToken(request: TokenRequest): Promise<AccessToken | undefined> {
    this.requests.push(request);
    // The provider's state when asked decides the answer, which comes a little later.
    const mode = this.mode;
    await new Promise(r => setTimeout(r, 20));
    switch (mode) {
      case 'refuse':
        throw this.refused;
      case 'fail503':
        throw new Error('The token endpoint answered HTTP 503 Service Unavailable');
      case 'hang':
        return new Promise<never>(() => undefined);
      case 'issue':
        this.issued++;
        return { token: `tok-${this.issued}`, scopes: request.scopes, expiresAt: Date.now() + 3_600_000 };
    }
  }
}

const post = (signal?: AbortSignal): RequestInit => ({ method: 'POST', body: '{"jsonrpc":"2.0"}', headers: { 'content-type': 'application/json' }, ...(signal ? { signal } : {}) });
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Fails the test after `ms` rather than letting a hang run into mocha's timeout. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await sleep(10);
  }
  assert.ok(condition(), what);
}

function isIdentityProviderFailure(e: unknown): boolean {
  return e instanceof IdentityProviderError && !(e instanceof ServerUnreachableError) && /identity provider/i.test(e.message);
}

describe('auth fetch: one token attempt per refresh episode (F8)', function () {
  this.timeout(10_000);
  let mcp: Awaited<ReturnType<typeof server>>;
  let refused: unknown;
  before(async () => { refused = await connectionRefused(); });
  beforeEach(async () => { mcp = await server(); });
  afterEach(async () => { await mcp.close(); });

  function make(idp: TokenSource, extra: Partial<AuthFetchOptions> = {}) {
    return createAuthFetch({ serverUrl: mcp.url, tokens: idp, scopes: ['api://srv/mcp:tools'], allowedScopes: ['api://srv/mcp:tools'], logger: silentLogger, ...extra });
  }

  /** Signs in with tok-1, then revokes it: the next requests all meet a 401 and need a new token. */
  async function signedInThenRevoked(idp: ScriptedIdp, f: ReturnType<typeof make>): Promise<void> {
    assert.equal((await f(mcp.url, post())).status, 200);
    mcp.revoked.add('Bearer tok-1');
    idp.requests.length = 0;
  }

  for (const mode of ['refuse', 'fail503'] as const) {
    it(`identity provider ${mode === 'refuse' ? 'refuses connections' : 'answers 503'}: 50 concurrent 401s share one token attempt and all fail naming the identity provider`, async () => {
      const idp = new ScriptedIdp(refused);
      const f = make(idp);
      await signedInThenRevoked(idp, f);
      idp.mode = mode;
      const results = await Promise.allSettled(Array.from({ length: 50 }, () => f(mcp.url, post())));
      assert.equal(idp.requests.length, 1, `${idp.requests.length} token requests for one episode`);
      assert.equal(idp.requests[0]?.rejected, 'tok-1');
      for (const r of results) {
        assert.ok(r.status === 'rejected' && isIdentityProviderFailure(r.reason), `${r.status === 'rejected' ? String(r.reason) : 'fulfilled'}`);
      }
    });
  }

  it('a failure is remembered for the window: requests in it fail at once without asking again; after it, a recovered identity provider is asked and the request succeeds', async () => {
    const idp = new ScriptedIdp(refused);
    const f = make(idp, { rememberTokenFailureMs: 300 });
    await signedInThenRevoked(idp, f);
    idp.mode = 'refuse';
    await assert.rejects(f(mcp.url, post()), isIdentityProviderFailure);
    const started = Date.now();
    await assert.rejects(f(mcp.url, post()), isIdentityProviderFailure);
    assert.ok(Date.now() - started < 200, `the remembered failure took ${Date.now() - started} ms`);
    assert.equal(idp.requests.length, 1, 'no second attempt within the window');

    idp.mode = 'issue';
    await sleep(350);
    const response = await f(mcp.url, post());
    assert.equal(response.status, 200);
    assert.equal(idp.requests.length, 2);
    assert.equal(mcp.seen.at(-1), 'Bearer tok-2');
  });

  it('a hanging identity provider: 50 waiting requests fail at the attempt\'s own deadline, its signal is aborted, and after the window a recovered provider is used', async () => {
    const idp = new ScriptedIdp(refused);
    const f = make(idp, { tokenDeadlineMs: 300, rememberTokenFailureMs: 200 });
    await signedInThenRevoked(idp, f);
    idp.mode = 'hang';
    const started = Date.now();
    const results = await within(3_000, Promise.allSettled(Array.from({ length: 50 }, () => f(mcp.url, post()))), 'requests waiting on a hung identity provider');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 280 && elapsed < 1_500, `failed after ${elapsed} ms; the deadline is 300 ms`);
    assert.equal(idp.requests.length, 1);
    assert.equal(idp.requests[0]?.signal?.aborted, true, 'the hung attempt is cancelled');
    for (const r of results) {
      assert.ok(r.status === 'rejected' && isIdentityProviderFailure(r.reason), `${r.status === 'rejected' ? String(r.reason) : 'fulfilled'}`);
    }

    idp.mode = 'issue';
    await sleep(250);
    assert.equal((await within(3_000, f(mcp.url, post()), 'the request after recovery')).status, 200);
    assert.equal(idp.requests.length, 2);
  });

  it('the attempt is cancelled only when every waiting request has left; each leaves at once with its own abort, and the next request starts afresh', async () => {
    const idp = new ScriptedIdp(refused);
    const f = make(idp);
    await signedInThenRevoked(idp, f);
    idp.mode = 'hang';
    const callers = Array.from({ length: 5 }, () => new AbortController());
    const pending = callers.map(c => f(mcp.url, post(c.signal)).then(() => 'fulfilled', (e: unknown) => e));
    await until(() => idp.requests.length === 1 && mcp.seen.length >= 6, 'all five requests wait on one token attempt');
    const attempt = idp.requests[0]?.signal;
    assert.ok(attempt, 'the token source is given a signal');

    callers[0]?.abort();
    const first = await within(1_000, pending[0]!, 'the aborted request');
    assert.equal((first as Error).name, 'AbortError');
    assert.equal(attempt.aborted, false, 'four requests still wait for the token');

    for (const c of callers.slice(1)) {
      c.abort();
    }
    const rest = await within(1_000, Promise.all(pending.slice(1)), 'the other aborted requests');
    assert.deepEqual(rest.map(e => (e as Error).name), ['AbortError', 'AbortError', 'AbortError', 'AbortError']);
    assert.equal(attempt.aborted, true, 'nobody waits: the attempt is cancelled');

    // A cancelled attempt is nobody's failure: nothing is remembered, the next request asks again.
    idp.mode = 'issue';
    assert.equal((await within(3_000, f(mcp.url, post()), 'the next request')).status, 200);
    assert.equal(idp.requests.length, 2);
  });
});
