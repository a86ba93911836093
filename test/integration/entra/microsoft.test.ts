import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { decodeClaims } from '../../../src/common/auth/claims';
import type { CommandResult } from '../../../src/vscode/commands/command';
import { startSecureMcpServer, type SecureMcpServer } from '../../world';
import { startEntraEmulator, VSCODE_CLIENT_ID, type RunningEntraEmulator } from '../../world/entra';
import { api, requestUi, setSettings, waitFor } from '../util';

/**
 * The headline path for real: VS Code's built-in `microsoft` provider (msal-node in the
 * code-server extension host) gets a delegated token from the Entra emulator, reached through
 * the emulator's CONNECT proxy (code-server's http.proxy) with the per-run test CA
 * (SSL_CERT_FILE); Chromium opens /authorize through the same proxy. The runner made the CA
 * and chose the proxy port (SECURE_MCP_TEST_ENTRA); the emulator runs here, in this process.
 */
suite('the built-in microsoft provider against the Entra emulator', function () {
  this.timeout(180_000);
  let emu: RunningEntraEmulator;
  let mcp: SecureMcpServer;
  let restore: () => Promise<void>;
  const run = (id: string) => Promise.resolve(vscode.commands.executeCommand<CommandResult>(id));
  const providerScopes = () => [emu.scope, `VSCODE_TENANT:${emu.tenantId}`];

  suiteSetup(async () => {
    const { caDir, proxyPort } = JSON.parse(process.env.SECURE_MCP_TEST_ENTRA ?? '{}') as { caDir?: string; proxyPort?: number };
    assert.ok(caDir && proxyPort, 'the runner passes the test CA and the proxy port (SECURE_MCP_TEST_ENTRA)');
    // The one hop a real vscode.dev/redirect would have to get right for code-server is repaired here;
    // docs/entra.md#code-server-sign-in says what the faithful stand-in shows.
    // Lifetimes under VS Code's five-minute margin: every silent request refreshes, so the
    // hourly refresh path where other clients lose their scopes runs in seconds.
    emu = await startEntraEmulator({ caDir, proxyPort, redirectStandIn: 'repairing', accessTokenLifetimeSeconds: 240 });
    mcp = await startSecureMcpServer({ entraTenantId: emu.tenantId, entraClientId: emu.apiClientId, jwksUri: emu.jwksUri, requiredScope: 'mcp:tools' });
    restore = await setSettings([
      ['secureMcp.serverUrl', mcp.url],
      ['secureMcp.auth.providerId', 'microsoft'],
      ['secureMcp.auth.scopes', [emu.scope]],
      ['secureMcp.auth.tenant', emu.tenantId]
    ]);
    const a = await api();
    await waitFor(() => a.settings.current.settings.serverUrl === mcp.url, 'the server URL setting');
  });

  suiteTeardown(async () => {
    await restore?.();
    await mcp?.close();
    await emu?.close();
  });

  /** A silent getSession may wait on a sign-in in progress, so each try is bounded; the emulator's log says how far the flow got. */
  async function sessionWithin(ms: number, seen: () => string): Promise<vscode.AuthenticationSession> {
    const until = Date.now() + ms;
    let next = Date.now();
    while (Date.now() < until) {
      const s = await Promise.race([
        Promise.resolve(vscode.authentication.getSession('microsoft', providerScopes(), { silent: true })).catch(() => undefined),
        new Promise<undefined>(r => setTimeout(() => r(undefined), 3000))
      ]);
      if (s) {
        return s;
      }
      if (Date.now() >= next) {
        console.log(`[entra] waiting for the session: ${seen()}`);
        next = Date.now() + 15_000;
      }
    }
    throw new Error(`no session from the microsoft provider within ${ms / 1000} s; ${seen()}`);
  }

  test('Accounts menu → Microsoft sign-in at the emulator → a delegated token for the API → a tool call with it', async () => {
    // Smoke-test mode refuses the consent dialog; the Accounts-menu entry is how a user grants it without one.
    await vscode.authentication.getSession('microsoft', providerScopes(), {});
    requestUi({ op: 'accountsMenu', label: 'Sign in with Microsoft' });
    const seen = () => `emulator saw: ${emu.log.entries.map(e => `${e.method} ${e.host}${e.path} ${e.status ?? '…'}${e.aadsts ? ` AADSTS${e.aadsts}` : ''}`).join('; ') || 'nothing'}; proxy tunnels ${JSON.stringify(emu.proxy.tunnels)}, refused ${JSON.stringify(emu.proxy.refused)}`;
    const session = await sessionWithin(90_000, seen);
    assert.equal(session.account.label, emu.user.preferredUsername);

    const claims = decodeClaims(session.accessToken) ?? {};
    assert.equal(claims.aud, emu.apiClientId, 'aud is the API');
    assert.equal(claims.tid, emu.tenantId);
    assert.equal(claims.azp, VSCODE_CLIENT_ID, 'VS Code\'s own client asked for it');
    assert.ok(String(claims.scp).split(' ').includes('mcp:tools'), `scp ${String(claims.scp)}`);

    const [authorize] = emu.log.of('authorize');
    assert.ok(authorize, 'the browser reached the emulator\'s /authorize through the proxy');
    assert.ok(authorize.path.startsWith(`/${emu.tenantId}/`), `tenant in the authority: ${authorize.path}`);
    assert.equal(authorize.query.client_id, VSCODE_CLIENT_ID);
    assert.deepEqual(emu.log.withParam('resource'), [], 'no resource parameter was ever sent to Entra');

    const signedIn = await run('secureMcp.signIn');
    assert.equal(signedIn.done, true, signedIn.message);
    const a = await api();
    const result = await a.connection.callTool('get_date', {});
    assert.equal(result.isError ?? false, false);
    assert.equal(mcp.calls.at(-1)?.oid, emu.user.oid, 'the server saw the signed-in user');
    assert.equal(a.connection.state.kind, 'connected');
  });

  test('the hourly path in seconds: silent refresh asks for the same scopes, calls keep working, no prompt', async () => {
    const a = await api();
    const authorizes = emu.log.of('authorize').length;
    const refreshesBefore = emu.log.of('token', 'refresh_token').length;
    const first = (await vscode.authentication.getSession('microsoft', providerScopes(), { silent: true }))?.accessToken;
    const second = (await vscode.authentication.getSession('microsoft', providerScopes(), { silent: true }))?.accessToken;
    assert.ok(first && second);
    const refreshes = emu.log.of('token', 'refresh_token').slice(refreshesBefore);
    assert.ok(refreshes.length >= 1, 'the provider refreshed silently');
    for (const r of refreshes) {
      assert.ok((r.form.scope ?? '').split(' ').includes(emu.scope), `refresh asked for ${r.form.scope}`);
      assert.equal(r.status, 200);
    }
    // The server forgets the token in hand: the product asks the provider again, silently.
    mcp.revokeTokensSeenSoFar();
    const result = await a.connection.callTool('get_date', {});
    assert.equal(result.isError ?? false, false);
    assert.equal(emu.log.of('authorize').length, authorizes, 'no interactive sign-in');
    assert.deepEqual(emu.log.withParam('resource'), []);
  });

  test('refresh token expired (AADSTS700082): the call fails once with "sign in again", no loop, no dialog', async () => {
    const a = await api();
    const authorizes = emu.log.of('authorize').length;
    emu.faults.push({ on: 'token', grant: 'refresh_token', error: 700082 }, { on: 'token', grant: 'refresh_token', error: 700082 }, { on: 'token', grant: 'refresh_token', error: 700082 });
    mcp.revokeTokensSeenSoFar();
    const calls = mcp.calls.length;
    await assert.rejects(a.connection.callTool('get_date', {}), (e: unknown) => e instanceof a.errors.AuthRequiredError);
    assert.equal(mcp.calls.length, calls, 'nothing ran on the server');
    assert.equal(a.connection.state.kind, 'signedOut');
    assert.equal(emu.log.of('authorize').length, authorizes, 'no interactive sign-in started by itself');
    assert.ok(emu.log.of('token', 'refresh_token').some(r => r.aadsts === 700082), 'the emulator answered AADSTS700082');
  });
});
