import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { createAuthFetch } from '../../src/node/auth/authFetch';
import type { Logger } from '../../src/common/log';
import { McpSession } from '../../src/node/mcp/session';
import { SecureMcpOAuthProvider } from '../../src/vscode/auth/oauthProvider';
import { createHeadlessBrowser, startWorld, type World } from '../world';

/** VS Code's SecretStorage, in memory, so the test can see every key the provider keeps. */
class MemorySecrets implements vscode.SecretStorage {
  readonly data = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.SecretStorageChangeEvent>();
  readonly onDidChange = this.changed.event;
  async get(key: string): Promise<string | undefined> { return this.data.get(key); }
  async keys(): Promise<string[]> { return [...this.data.keys()]; }
  async store(key: string, value: string): Promise<void> { this.data.set(key, value); this.changed.fire({ key }); }
  async delete(key: string): Promise<void> { this.data.delete(key); this.changed.fire({ key }); }
}

const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * Secure MCP's own authentication provider (the VS Code layer over the OAuth client), in
 * the extension host against the world: the login page completed by the headless browser
 * (the e2e run completes it in Chromium), a tool call with the session's token, refresh
 * of an expired token, and sign-out removing the session and its tokens while the client
 * registration stays for the next sign-in.
 */
suite('Secure MCP (OAuth) provider against the world', function () {
  this.timeout(60_000);
  let world: World;

  suiteSetup(async () => {
    world = await startWorld({ idp: { accessTokenTtlSeconds: 2 }, mcp: { clockToleranceSeconds: 0 } });
  });
  suiteTeardown(async () => {
    await world.close();
  });

  async function callWith(token: string): Promise<string | undefined> {
    const serverUrl = new URL(world.urls.mcp);
    const session = new McpSession({
      serverUrl,
      fetch: createAuthFetch({ serverUrl, tokens: { getToken: async r => ({ token, scopes: r.scopes }) }, scopes: [], allowedScopes: [], logger: quiet }),
      logger: quiet,
      clientInfo: { name: 'secure-mcp-provider-test', version: '0' },
      connectTimeoutMs: 5000,
      callTimeoutMs: 5000,
      callMaxTimeoutMs: 5000,
      maxResultBytes: 1 << 20,
      reconnect: { attempts: 1, initialDelayMs: 10, maxDelayMs: 10 }
    });
    try {
      await session.callTool('get_date', {});
      return world.mcp.calls.at(-1)?.oid;
    } finally {
      await session.close();
    }
  }

  test('sign in on the login page, call a tool, refresh after expiry, sign out removes the session and its tokens, sign in again as the same client', async () => {
    const secrets = new MemorySecrets();
    const provider = new SecureMcpOAuthProvider(secrets, {
      logger: quiet,
      getServerUrl: () => world.urls.mcp,
      openBrowser: createHeadlessBrowser({ credentials: { username: world.demoUser.username, password: world.demoUser.password } })
    });
    const events: vscode.AuthenticationProviderAuthenticationSessionsChangeEvent[] = [];
    const sub = provider.onDidChangeSessions(e => events.push(e));
    try {
      const session = await provider.createSession([]);
      assert.equal(session.account.label, world.demoUser.email);
      assert.deepEqual(events.map(e => [e.added?.length, e.removed?.length]), [[1, 0]]);
      assert.ok(secrets.data.size >= 2, `the grant and the client registration are kept (${[...secrets.data.keys()].join(', ')})`);
      for (const value of secrets.data.values()) {
        assert.ok(!value.includes(world.demoUser.password), 'the password is never stored');
      }
      assert.equal(await callWith(session.accessToken), world.demoUser.oid, 'the session\'s token calls a tool as the user');

      // The access token lives 2 s here: past that the server refuses it, and the provider
      // hands out a refreshed one, from the refresh token, without the browser.
      await new Promise(r => setTimeout(r, 2_500));
      await assert.rejects(callWith(session.accessToken));
      const [fresh] = await provider.getSessions([]);
      assert.ok(fresh, 'the session is still listed');
      assert.notEqual(fresh.accessToken, session.accessToken, 'a new access token');
      assert.equal(fresh.id, session.id, 'the same session');
      assert.equal(await callWith(fresh.accessToken), world.demoUser.oid);

      const registration = [...secrets.data.entries()].filter(([key]) => key.startsWith('secure-mcp.oauth.client/'));
      assert.equal(registration.length, 1, 'one client registration, under the issuer');
      await provider.removeSession(session.id);
      assert.deepEqual(await provider.getSessions([]), [], 'signed out: no session');
      assert.deepEqual([...secrets.data.entries()], registration, 'signed out: no token, no refresh token; only the client registration stays');
      for (const value of secrets.data.values()) {
        assert.ok(!value.includes(session.accessToken) && !value.includes(fresh.accessToken), 'no access token left');
      }
      assert.equal(events.at(-1)?.removed?.[0]?.id, session.id);

      // Signing in again is the same client: no new registration, so no new consent to give.
      const again = await provider.createSession([]);
      assert.equal(again.account.label, world.demoUser.email);
      assert.deepEqual([...secrets.data.entries()].filter(([key]) => key.startsWith('secure-mcp.oauth.client/')), registration, 'the same registration');
      await provider.removeSession(again.id);
    } finally {
      sub.dispose();
      provider.dispose();
    }
  });
});
