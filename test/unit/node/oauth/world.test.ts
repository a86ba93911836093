import * as assert from 'node:assert/strict';
import { createAuthFetch } from '../../../../src/node/auth/authFetch';
import { McpSession } from '../../../../src/node/mcp/session';
import { clientKey, OAuthClient, type BrowserOpener } from '../../../../src/node/oauth';
import { createHeadlessBrowser } from '../../../world/headless';
import { startIdp, type Idp } from '../../../world/idp';
import { startSecureMcpServer, type SecureMcpServer } from '../../../world/mcp-server';
import { MemorySecretStore, recordingFetch, testLogger, type RecordedRequest } from '../../../support/fakes';

describe('OAuth sign-in against the world identity provider', function () {
  this.timeout(20_000);
  let idp: Idp;
  let server: SecureMcpServer;
  let visits: URL[];
  let browser: BrowserOpener;

  before(async () => {
    idp = await startIdp();
    server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: 'mcp:tools', tenantId: idp.tenantId });
  });
  after(async () => {
    await server.close();
    await idp.close();
  });
  beforeEach(() => {
    visits = [];
    browser = createHeadlessBrowser({ credentials: { username: 'alice', password: 'alice-demo-pw' }, onVisit: u => visits.push(u) });
  });

  it('signs in through the real login page with the pre-registered client and calls a tool with the token', async () => {
    const secrets = new MemorySecretStore();
    const client = new OAuthClient({ secrets, logger: testLogger, openBrowser: browser, preRegisteredClient: { clientId: idp.extensionClientId } });
    const serverUrl = new URL(server.url);
    const record = await client.signIn(serverUrl);
    assert.equal(record.issuer, idp.issuer);
    assert.equal(record.account.label, 'alice@contoso.example');
    assert.ok(record.refreshToken);
    assert.ok(visits.some(u => u.pathname.startsWith('/interaction/')), 'the login page was shown and submitted');
    assert.ok(!secrets.data.has(clientKey(idp.issuer)), 'a pre-registered client is not stored');
    for (const value of secrets.data.values()) {
      assert.ok(!value.includes('alice-demo-pw'));
    }

    const authFetch = createAuthFetch({ serverUrl, tokens: client.tokenSource(serverUrl), scopes: ['mcp:tools'], allowedScopes: ['mcp:tools'], logger: testLogger });
    const session = new McpSession({ serverUrl, fetch: authFetch, logger: testLogger, clientInfo: { name: 't', version: '1' }, connectTimeoutMs: 5000, callTimeoutMs: 5000, callMaxTimeoutMs: 5000, maxResultBytes: 1 << 20 });
    try {
      const result = await session.callTool('get_date', {});
      assert.equal(result.isError ?? false, false);
      assert.equal(server.calls.at(-1)?.oid, idp.users[0]?.oid);
    } finally {
      await session.close();
    }
  });

  it('registers dynamically when no client id is configured, keyed by issuer, and reuses the registration', async () => {
    const secrets = new MemorySecretStore();
    const client = new OAuthClient({ secrets, logger: testLogger, openBrowser: browser });
    await client.signIn(new URL(server.url));
    const stored = secrets.data.get(clientKey(idp.issuer));
    assert.ok(stored, 'registration stored under the issuer');
    await client.signIn(new URL(server.url));
    assert.equal(secrets.data.get(clientKey(idp.issuer)), stored);
  });

  it('refreshes after expiry with the same resource in authorize, token and refresh requests', async () => {
    let now = Date.now();
    const requests: RecordedRequest[] = [];
    const client = new OAuthClient({ secrets: new MemorySecretStore(), logger: testLogger, openBrowser: browser, preRegisteredClient: { clientId: idp.extensionClientId }, fetch: recordingFetch(requests), now: () => now });
    const serverUrl = new URL(server.url);
    const first = await client.signIn(serverUrl);
    assert.equal((await client.getToken(serverUrl))?.accessToken, first.accessToken, 'a valid token is reused');
    now += 2 * 3600_000;
    const second = await client.getToken(serverUrl);
    assert.ok(second && second.accessToken !== first.accessToken, 'an expired token is refreshed');

    const authorize = visits.find(u => u.pathname.endsWith('/auth'));
    const tokenBodies = requests.filter(r => r.url.href === idp.tokenEndpoint).map(r => new URLSearchParams(r.body));
    assert.deepEqual(tokenBodies.map(b => b.get('grant_type')), ['authorization_code', 'refresh_token']);
    const resource = authorize?.searchParams.get('resource');
    assert.equal(resource, server.url);
    assert.deepEqual(tokenBodies.map(b => b.get('resource')), [resource, resource]);
    assert.equal(authorize?.searchParams.get('code_challenge_method'), 'S256');

    const res = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${second.accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) });
    assert.equal(res.status, 200, 'the refreshed token is accepted by the server');
  });

  it('forgets a grant and its refresh token on sign-out', async () => {
    const secrets = new MemorySecretStore();
    const client = new OAuthClient({ secrets, logger: testLogger, openBrowser: browser });
    const record = await client.signIn(new URL(server.url));
    await client.forgetIssuer(record.issuer);
    assert.equal(await client.getToken(new URL(server.url)), undefined);
    assert.ok(![...secrets.data.values()].some(v => v.includes(record.accessToken) || (record.refreshToken && v.includes(record.refreshToken))));
    assert.ok(!secrets.data.has(clientKey(record.issuer)));
  });
});
