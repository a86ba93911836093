import * as assert from 'node:assert/strict';
import { BlockedUrlError } from '../../../../src/node/discovery/safeFetch';
import { checkAuthorizationUrl, OAuthClient, OAuthRefusedError, startLoopbackListener, type BrowserOpener } from '../../../../src/node/oauth';
import { createHeadlessBrowser } from '../../../world/headless';
import { startFakeAs, type FakeAs, type FakeConfig } from '../../../support/fakeAs';
import { MemorySecretStore, testLogger } from '../../../support/fakes';

describe('OAuth client refusals', function () {
  this.timeout(10_000);
  let fake: FakeAs;
  let opened: URL[];
  let fetched: string[];

  async function setup(config: FakeConfig = {}, browser?: BrowserOpener): Promise<OAuthClient> {
    fake = await startFakeAs(config);
    opened = [];
    fetched = [];
    const headless = browser ?? createHeadlessBrowser();
    return new OAuthClient({
      secrets: new MemorySecretStore(),
      logger: testLogger,
      fetch: (input, init) => {
        fetched.push(input instanceof Request ? input.url : input.toString());
        return fetch(input, init);
      },
      // Host names in these tests must not reach DNS; the literal addresses are what is checked.
      lookup: async () => [],
      openBrowser: async (url, signal) => {
        opened.push(url);
        await headless(url, signal);
      },
      authorizationTimeoutMs: 3000
    });
  }
  afterEach(async () => fake?.close());

  const refusal = (kind: string) => (e: unknown) => e instanceof OAuthRefusedError && e.refusal === kind;

  it('signs in against a well-behaved server (control case)', async () => {
    const client = await setup();
    const record = await client.signIn(new URL(fake.serverUrl));
    assert.match(record.accessToken, /^at-/);
    assert.equal(fake.count('/as/token'), 1);
  });

  it('refuses an authorization server that does not advertise PKCE S256, before any authorization request', async () => {
    const client = await setup({ metadata: () => ({ code_challenge_methods_supported: ['plain'] }) });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('no-pkce'));
    assert.equal(opened.length, 0);
    assert.equal(fake.count('/as/authorize'), 0);
    assert.equal(fake.count('/as/register'), 0);
  });

  it('refuses metadata that omits code_challenge_methods_supported', async () => {
    const client = await setup({ metadata: () => ({ code_challenge_methods_supported: undefined }) });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('no-pkce'));
    assert.equal(opened.length, 0);
  });

  it('refuses Protected Resource Metadata for another resource', async () => {
    const client = await setup({ prmResource: () => 'https://evil.example.com/mcp' });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('resource-mismatch'));
    assert.equal(opened.length, 0);
    assert.equal(fake.count('/.well-known/oauth-authorization-server/as'), 0);
  });

  it('refuses authorization server metadata whose issuer differs from the discovered one', async () => {
    const client = await setup({ issuer: o => `${o}/other` });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('issuer-mismatch'));
    assert.equal(opened.length, 0);
    assert.equal(fake.count('/as/authorize'), 0);
  });

  // The SDK's metadata schema lets these through, so only our own check (A10) stands between them and the browser.
  for (const [name, endpoint] of [
    ['file:', 'file:///etc/passwd'],
    ['command:', 'command:workbench.action.terminal.new'],
    ['vscode:', 'vscode://ms-vscode.x/y'],
    ['remote http:', 'http://evil.example/authorize']
  ] as const) {
    it(`refuses a ${name} authorization endpoint itself (unsafe-url), before registering or opening anything`, async () => {
      const client = await setup({ metadata: () => ({ authorization_endpoint: endpoint }) });
      await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('unsafe-url'));
      assert.equal(opened.length, 0);
      assert.equal(fake.count('/as/register'), 0);
      assert.equal(fake.count('/as/token'), 0);
    });
  }

  // The SDK's metadata schema refuses these schemes before our check runs; the direct
  // checkAuthorizationUrl tests below prove ours refuses them too, should the SDK stop.
  // The SDK's metadata schema refuses these first; that must surface as our typed refusal, naming the field.
  const refusedBySdkSchema = (e: unknown) => refusal('invalid-metadata')(e) && /authorization_endpoint/.test((e as Error).message);
  for (const [name, endpoint] of [['javascript:', 'javascript:alert(document.cookie)'], ['data:', 'data:text/html,<script>alert(1)</script>']] as const) {
    it(`never opens a ${name} authorization endpoint: a typed refusal that names the field`, async () => {
      const client = await setup({ metadata: () => ({ authorization_endpoint: endpoint }) });
      await assert.rejects(client.signIn(new URL(fake.serverUrl)), (e: unknown) => refusal('unsafe-url')(e) || refusedBySdkSchema(e));
      assert.equal(opened.length, 0);
      assert.equal(fake.count('/as/register'), 0);
    });
  }

  it('never fetches metadata from link-local or private addresses', async () => {
    for (const target of ['https://169.254.169.254/latest/meta-data', 'https://10.0.0.5/as', 'https://192.168.1.10/as', 'https://[fe80::1]/as']) {
      const client = await setup({ authorizationServers: () => [target] });
      await assert.rejects(client.signIn(new URL(fake.serverUrl)), (e: unknown) => e instanceof BlockedUrlError, target);
      assert.ok(!fetched.some(u => new URL(u).hostname === new URL(target).hostname), `${target} was fetched`);
      assert.equal(opened.length, 0);
      await fake.close();
    }
  });

  it('refuses a resource_metadata challenge that points at the cloud metadata address', async () => {
    const client = await setup();
    await assert.rejects(
      client.signIn(new URL(fake.serverUrl), { challenge: { resourceMetadata: 'http://169.254.169.254/latest/meta-data/iam' } }),
      (e: unknown) => e instanceof BlockedUrlError
    );
    assert.ok(!fetched.some(u => u.includes('169.254.169.254')));
  });

  it('never redeems a code that comes back with the wrong state', async () => {
    const client = await setup({ redirectParams: () => ({ code: 'stolen', state: 'attacker-state' }) });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('state-mismatch'));
    assert.equal(opened.length, 1);
    assert.equal(fake.count('/as/token'), 0);
  });

  it('never redeems a code that comes back without state', async () => {
    const client = await setup({ redirectParams: () => ({ code: 'stolen' }) });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('state-mismatch'));
    assert.equal(fake.count('/as/token'), 0);
  });

  it('never redeems a replayed response (state of an earlier flow)', async () => {
    let captured: URLSearchParams | undefined;
    let replay = false;
    const headless = createHeadlessBrowser();
    const client = await setup({}, async (url, signal) => {
      if (!replay) {
        captured = new URL(url).searchParams;
        await headless(url, signal);
        return;
      }
      // Deliver the first flow's response (its code and state) to the second flow's listener.
      const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
      const firstAuthorize = fake.requests.find(r => r.path === '/as/authorize');
      redirect.searchParams.set('code', 'code-replayed');
      redirect.searchParams.set('state', firstAuthorize?.query.get('state') ?? '');
      await fetch(redirect);
    });
    await client.signIn(new URL(fake.serverUrl));
    assert.ok(captured);
    assert.equal(fake.count('/as/token'), 1);
    replay = true;
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('state-mismatch'));
    assert.equal(fake.count('/as/token'), 1);
  });

  it('checks the RFC 9207 iss parameter when the server advertises it', async () => {
    const client = await setup({
      metadata: () => ({ authorization_response_iss_parameter_supported: true }),
      redirectParams: q => ({ code: 'c', state: q.get('state') ?? undefined, iss: 'https://evil.example.com' })
    });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('iss-mismatch'));
    assert.equal(fake.count('/as/token'), 0);
  });

  it('requires iss when the server advertises RFC 9207 support, and accepts the right one', async () => {
    const missing = await setup({ metadata: () => ({ authorization_response_iss_parameter_supported: true }) });
    await assert.rejects(missing.signIn(new URL(fake.serverUrl)), refusal('iss-mismatch'));
    await fake.close();
    const right = await setup({
      metadata: () => ({ authorization_response_iss_parameter_supported: true }),
      redirectParams: q => ({ code: 'c', state: q.get('state') ?? undefined, iss: `${fake.origin}/as` })
    });
    const record = await right.signIn(new URL(fake.serverUrl));
    assert.match(record.accessToken, /^at-/);
  });

  it('compares iss exactly (A11): a trailing-slash variant of the issuer is refused, advertised or not', async () => {
    for (const advertised of [true, false]) {
      const client = await setup({
        ...(advertised ? { metadata: () => ({ authorization_response_iss_parameter_supported: true }) } : {}),
        redirectParams: q => ({ code: 'c', state: q.get('state') ?? undefined, iss: `${fake.origin}/as/` })
      });
      await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('iss-mismatch'), `advertised: ${advertised}`);
      assert.equal(fake.count('/as/token'), 0, 'the code was never redeemed');
      await fake.close();
    }
  });

  it('refuses metadata whose issuer differs from the discovered one only by a trailing slash (B3, RFC 8414 identical)', async () => {
    const client = await setup({ issuer: o => `${o}/as/` });
    await assert.rejects(client.signIn(new URL(fake.serverUrl)), refusal('issuer-mismatch'));
    assert.equal(opened.length, 0);
  });

  it('sends the same resource in the authorization, token and refresh requests', async () => {
    let now = 1_000_000;
    fake = await startFakeAs();
    const headless = createHeadlessBrowser();
    const client = new OAuthClient({ secrets: new MemorySecretStore(), logger: testLogger, openBrowser: headless, now: () => now });
    const record = await client.signIn(new URL(fake.serverUrl));
    now += 3600_000;
    const refreshed = await client.getToken(new URL(fake.serverUrl));
    assert.ok(refreshed && refreshed.accessToken !== record.accessToken);
    const authorize = fake.requests.find(r => r.path === '/as/authorize');
    const tokens = fake.requests.filter(r => r.path === '/as/token').map(r => new URLSearchParams(r.body));
    assert.equal(tokens.length, 2);
    assert.equal(tokens[0]?.get('grant_type'), 'authorization_code');
    assert.equal(tokens[1]?.get('grant_type'), 'refresh_token');
    const expected = fake.serverUrl;
    assert.equal(authorize?.query.get('resource'), expected);
    assert.equal(tokens[0]?.get('resource'), expected);
    assert.equal(tokens[1]?.get('resource'), expected);
  });
});

describe('loopback redirect listener', () => {
  it('listens on 127.0.0.1 with an ephemeral port and takes exactly one callback', async () => {
    const listener = await startLoopbackListener({ timeoutMs: 5000 });
    try {
      assert.match(listener.redirectUrl, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const first = await fetch(`${listener.redirectUrl}?code=one&state=s1`);
      assert.equal(first.status, 200);
      const second = await fetch(`${listener.redirectUrl}?code=two&state=s2`);
      assert.equal(second.status, 400);
      assert.deepEqual(await listener.response, { code: 'one', state: 's1' });
    } finally {
      await listener.close();
    }
  });

  it('does not reflect anything from the query into its page', async () => {
    const listener = await startLoopbackListener({ timeoutMs: 5000 });
    try {
      const page = await (await fetch(`${listener.redirectUrl}?error=%3Cscript%3Ealert(1)%3C/script%3E&error_description=%3Cimg%20src=x%3E`)).text();
      assert.ok(!page.includes('<script>') && !page.includes('<img'));
      assert.equal((await listener.response).error, '<script>alert(1)</script>');
    } finally {
      await listener.close();
    }
  });

  it('times out', async () => {
    const listener = await startLoopbackListener({ timeoutMs: 50 });
    await assert.rejects(listener.response, (e: unknown) => e instanceof OAuthRefusedError && e.refusal === 'timeout');
    await listener.close();
  });
});

describe('authorization URL check (A10)', () => {
  for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'command:workbench.action.terminal.new', 'vscode://ms-vscode.x/y', 'http://example.com/authorize', 'http://evil.example/authorize', 'http://10.0.0.5/authorize', 'https://user:pw@example.com/authorize', 'not a url']) {
    it(`refuses ${bad}`, () => {
      assert.throws(() => checkAuthorizationUrl(bad), (e: unknown) => e instanceof OAuthRefusedError && e.refusal === 'unsafe-url');
    });
  }
  for (const good of ['https://login.example.com/authorize?x=1', 'http://127.0.0.1:8080/authorize', 'http://localhost/authorize', 'http://[::1]:9/authorize']) {
    it(`allows ${good}`, () => {
      assert.equal(checkAuthorizationUrl(good).href, new URL(good).href);
    });
  }
});
