import * as assert from 'node:assert/strict';
import type { OAuthClientInformationMixed } from '@modelcontextprotocol/client';
import { clientKey, OAuthClient, type BrowserOpener } from '../../../../src/node/oauth';
import { createHeadlessBrowser } from '../../../world/headless';
import { startIdp, type Idp } from '../../../world/idp';
import { startSecureMcpServer, type SecureMcpServer } from '../../../world/mcp-server';
import { startFakeAs, type FakeAs } from '../../../support/fakeAs';
import { MemorySecretStore, recordingFetch, testLogger, type RecordedRequest } from '../../../support/fakes';

/**
 * Issue 15, item 7: a dynamically registered client is one per authorization server, kept
 * across sign-ins and sign-outs, so the user consents once. It is registered again only
 * when the authorization server refuses it (`invalid_client`) or when it does not cover
 * the redirect URI in use (a loopback port alone does not count, RFC 8252 section 7.3).
 */
describe('OAuth dynamic client registration is reused', function () {
  this.timeout(20_000);

  describe('against the world identity provider', () => {
    let idp: Idp;
    let server: SecureMcpServer;
    let requests: RecordedRequest[];
    let browser: BrowserOpener;
    const registrations = () => requests.filter(r => r.url.href === idp.registrationEndpoint && r.method === 'POST');

    before(async () => {
      idp = await startIdp();
      server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: 'mcp:tools', tenantId: idp.tenantId });
    });
    after(async () => {
      await server.close();
      await idp.close();
    });
    beforeEach(() => {
      requests = [];
      // One browser for the test, as one person has one: the identity provider's session cookie stays.
      browser = createHeadlessBrowser({ credentials: { username: 'alice', password: 'alice-demo-pw' } });
    });

    const client = (secrets: MemorySecretStore) => new OAuthClient({ secrets, logger: testLogger, openBrowser: browser, fetch: recordingFetch(requests) });
    const stored = (secrets: MemorySecretStore) => JSON.parse(secrets.data.get(clientKey(idp.issuer)) ?? 'null') as OAuthClientInformationMixed & { redirect_uris?: string[] } | null;

    // The consent an authorization server remembers is per client, so the same client id is
    // what spares the user a second consent. (oidc-provider itself shows its consent step to
    // every native client each time, so the world cannot show that part.)
    it('signing out and in again, in a new window, registers once and signs in as the same client', async () => {
      const secrets = new MemorySecretStore();
      const serverUrl = new URL(server.url);
      const first = await client(secrets).signIn(serverUrl);
      const registered = stored(secrets);
      assert.ok(registered?.client_id);
      // oidc-provider refuses the resource scope in a registration: one refusal, then the registration.
      const registering = registrations().length;
      assert.ok(registering > 0);
      await client(secrets).signOut(first);
      assert.deepEqual(await client(secrets).listGrants(), [], 'signed out: no grant left');
      assert.ok(![...secrets.data.values()].some(v => v.includes(first.accessToken) || (first.refreshToken !== undefined && v.includes(first.refreshToken))), 'no token left');
      assert.equal(stored(secrets)?.client_id, registered.client_id, 'the registration is kept');

      const second = await client(secrets).signIn(serverUrl);
      assert.equal(second.account.label, 'alice@contoso.example');
      assert.equal(registrations().length, registering, 'no registration at the second sign-in');
      const authorizations = requests.filter(r => r.url.href === idp.tokenEndpoint && new URLSearchParams(r.body).get('grant_type') === 'authorization_code');
      const redirects = authorizations.map(r => new URL(new URLSearchParams(r.body).get('redirect_uri') ?? ''));
      assert.equal(redirects.length, 2);
      assert.notEqual(redirects[0]?.port, redirects[1]?.port, 'a new loopback port each time does not mean a new registration');
      assert.deepEqual(authorizations.map(r => new URLSearchParams(r.body).get('client_id')), [registered.client_id, registered.client_id]);
    });

    it('a stored registration for another redirect URI is replaced by a new one', async () => {
      const secrets = new MemorySecretStore();
      const serverUrl = new URL(server.url);
      await client(secrets).signIn(serverUrl);
      const old = stored(secrets);
      assert.ok(old);
      const registering = registrations().length;
      secrets.data.set(clientKey(idp.issuer), JSON.stringify({ ...old, redirect_uris: ['http://localhost/elsewhere'] }));
      await client(secrets).signIn(serverUrl);
      assert.equal(registrations().length, 2 * registering, 'registered again');
      assert.notEqual(stored(secrets)?.client_id, old.client_id);
      assert.match(stored(secrets)?.redirect_uris?.[0] ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    });
  });

  describe('when the authorization server refuses the client (invalid_client)', () => {
    let fake: FakeAs;
    afterEach(async () => fake?.close());

    /** The fake AS, with its token endpoint answering invalid_client for the grant types in `refuse`. */
    async function setup(refuse: Set<string>) {
      let now = 1_000_000;
      fake = await startFakeAs();
      const secrets = new MemorySecretStore();
      const client = new OAuthClient({
        secrets,
        logger: testLogger,
        openBrowser: createHeadlessBrowser(),
        now: () => now,
        fetch: async (input, init) => {
          const url = new URL(input instanceof Request ? input.url : input.toString());
          const grant = new URLSearchParams(typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : '').get('grant_type');
          if (url.pathname === '/as/token' && grant && refuse.has(grant)) {
            return new Response(JSON.stringify({ error: 'invalid_client', error_description: 'unknown client' }), { status: 401, headers: { 'content-type': 'application/json' } });
          }
          return fetch(input, init);
        }
      });
      return { client, secrets, serverUrl: new URL(fake.serverUrl), later: () => { now += 3_600_000; } };
    }

    it('a refresh refused with invalid_client drops the registration without registering during the refresh; the next sign-in registers anew', async () => {
      const refuse = new Set<string>();
      const { client, secrets, serverUrl, later } = await setup(refuse);
      await client.signIn(serverUrl);
      assert.equal(fake.count('/as/register'), 1);
      refuse.add('refresh_token');
      later();
      assert.equal(await client.getToken(serverUrl), undefined, 'sign-in needed');
      assert.equal(fake.count('/as/register'), 1, 'no registration during a refresh');
      assert.equal(secrets.data.has(clientKey(`${fake.origin}/as`)), false, 'the refused registration is gone');
      refuse.clear();
      await client.signIn(serverUrl);
      assert.equal(fake.count('/as/register'), 2, 'registered again at the next sign-in');
    });

    it('a code redemption refused with invalid_client fails saying so, and the next sign-in registers anew', async () => {
      const refuse = new Set(['authorization_code']);
      const { client, secrets, serverUrl } = await setup(refuse);
      await assert.rejects(client.signIn(serverUrl), (e: unknown) => e instanceof Error && /no longer accepts/.test(e.message) && /[Ss]ign in again/.test(e.message));
      assert.equal(secrets.data.has(clientKey(`${fake.origin}/as`)), false);
      refuse.clear();
      await client.signIn(serverUrl);
      assert.equal(fake.count('/as/register'), 2);
    });
  });
});
