import * as assert from 'node:assert/strict';
import { IdentityProviderError } from '../../../../src/common/errors';
import { OAuthClient } from '../../../../src/node/oauth';
import { createHeadlessBrowser } from '../../../world/headless';
import { startFakeAs, type FakeAs } from '../../../support/fakeAs';
import { MemorySecretStore, testLogger } from '../../../support/fakes';

type TokenEndpoint = 'up' | 'hangs' | 'answers503';

describe('OAuth token source while the identity provider fails (F8)', function () {
  this.timeout(10_000);
  let fake: FakeAs;
  afterEach(async () => fake?.close());

  /** Signed in, with the access token expired so the next token request refreshes; the token endpoint does as `endpoint.state` says. */
  async function expiredGrant() {
    let now = 1_000_000;
    const endpoint: { state: TokenEndpoint; signals: AbortSignal[] } = { state: 'up', signals: [] };
    fake = await startFakeAs();
    const client = new OAuthClient({
      secrets: new MemorySecretStore(),
      logger: testLogger,
      openBrowser: createHeadlessBrowser(),
      now: () => now,
      fetch: (input, init) => {
        const url = new URL(input instanceof Request ? input.url : input.toString());
        if (endpoint.state === 'up' || url.pathname !== '/as/token') {
          return fetch(input, init);
        }
        if (endpoint.state === 'answers503') {
          // What a load balancer in front of a stopped identity provider answers.
          return Promise.resolve(new Response('<html><body>503 Service Unavailable</body></html>', { status: 503, headers: { 'content-type': 'text/html' } }));
        }
        // Hangs until the request's signal aborts.
        const signal = init?.signal ?? new AbortController().signal;
        endpoint.signals.push(signal);
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
      }
    });
    const serverUrl = new URL(fake.serverUrl);
    await client.signIn(serverUrl);
    now += 3_600_000;
    return { client, serverUrl, endpoint };
  }

  it('a refresh hanging at the token endpoint stops when the token request is aborted, and the grant is kept', async () => {
    const { client, serverUrl, endpoint } = await expiredGrant();
    endpoint.state = 'hangs';
    const request = new AbortController();
    const token = client.tokenSource(serverUrl).getToken({ scopes: [], signal: request.signal });
    for (let i = 0; i < 200 && !endpoint.signals.length; i++) {
      await new Promise(r => setTimeout(r, 10));
    }
    assert.equal(endpoint.signals.length, 1, 'the refresh reached the token endpoint');
    const started = Date.now();
    request.abort();
    await assert.rejects(token);
    assert.ok(Date.now() - started < 1_000, `the refresh stopped ${Date.now() - started} ms after the abort`);
    assert.equal(endpoint.signals[0]?.aborted, true);
    assert.equal((await client.listGrants()).length, 1, 'an aborted refresh does not cost the grant');
  });

  it('a token endpoint answering 503 fails the refresh as the identity provider\'s, keeps the grant, and the next refresh works', async () => {
    const { client, serverUrl, endpoint } = await expiredGrant();
    const source = client.tokenSource(serverUrl);
    endpoint.state = 'answers503';
    await assert.rejects(source.getToken({ scopes: [] }), (e: unknown) => e instanceof IdentityProviderError && /identity provider/i.test(e.message));
    assert.equal((await client.listGrants()).length, 1, 'the grant is kept for when the identity provider is back');
    endpoint.state = 'up';
    const token = await source.getToken({ scopes: [] });
    assert.match(token?.token ?? '', /^at-/);
  });
});
