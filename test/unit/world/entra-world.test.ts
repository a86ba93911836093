import * as assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startWorld, VSCODE_CLIENT_ID, type World } from '../../world';
import { defaultApps } from '../../world/entra/config';
import { json, LOGIN, signInThroughRedirect, startCallback, viaProxy, type Callback } from './entra-helpers';

const DAEMON = '7a7a7a7a-1111-4222-8333-555555555555';
const DAEMON_SECRET = 'daemon-secret-value';
const OTHER_TENANT = 'aaaaaaaa-0000-4000-8000-000000000000';

const INIT_BODY = JSON.stringify({
  jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'entra-world', version: '1' } }
});

async function initialize(world: World, token: string): Promise<{ status: number; challenge: string | null }> {
  const res = await fetch(world.urls.mcp, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: INIT_BODY
  });
  await res.arrayBuffer();
  return { status: res.status, challenge: res.headers.get('www-authenticate') };
}

describe('world with the Entra emulator', function () {
  this.timeout(20_000);
  let world: World;
  let callback: Callback;
  let accessToken: string;

  before(async () => {
    world = await startWorld({
      entraEmulator: { apps: [...defaultApps(), { clientId: DAEMON, displayName: 'Daemon', clientSecret: DAEMON_SECRET }] },
      mcp: { slowTaskTickMs: 50 }
    });
    callback = await startCallback();
    const emu = world.entraEmulator!;
    const { tokens } = await signInThroughRedirect(emu, callback, { clientId: VSCODE_CLIENT_ID, scope: emu.scope });
    accessToken = String(tokens.access_token);
  });
  after(async () => {
    await callback?.close();
    await world?.close();
  });

  it('puts the MCP server in Entra mode for the emulator tenant and API', () => {
    const emu = world.entraEmulator!;
    assert.deepEqual(world.mcp.issuers, [`${LOGIN}/${emu.tenantId}/v2.0`]);
    assert.ok(world.mcp.audiences.includes(emu.apiClientId));
    assert.equal(world.fullScope, `api://${emu.apiClientId}/mcp:tools`);
    assert.equal(world.tenantId, emu.tenantId);
  });

  for (const wire of ['2025-11-25', '2026-07-28'] as const) {
    it(`accepts the emulator's delegated token on the ${wire} wire and calls a tool as the user`, async () => {
      const client = new Client({ name: 'entra-world', version: '1' }, wire === '2026-07-28' ? { versionNegotiation: { mode: 'auto' } } : {});
      await client.connect(new StreamableHTTPClientTransport(new URL(world.urls.mcp), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }));
      try {
        const before = world.mcp.calls.length;
        await client.callTool({ name: 'get_forecast', arguments: { city: 'Oslo' } });
        const call = world.mcp.calls[before]!;
        assert.equal(call.oid, world.entraEmulator!.user.oid);
        assert.equal(call.tid, world.entraEmulator!.tenantId);
        assert.equal(call.transport, wire === '2026-07-28' ? 'streamable-http-2026' : 'streamable-http');
      } finally {
        await client.close();
      }
    });
  }

  it('refuses a token for another API (aud), another tenant (iss, tid) and an app-only token', async () => {
    const emu = world.entraEmulator!;
    const wrongAud = await emu.mintAccessToken({ aud: '00000000-1111-4222-8333-444444444444' });
    assert.equal((await initialize(world, wrongAud)).status, 401);
    const otherTenant = await emu.mintAccessToken({ iss: `${LOGIN}/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT });
    assert.equal((await initialize(world, otherTenant)).status, 401);
    const tidOnly = await emu.mintAccessToken({ tid: OTHER_TENANT });
    assert.equal((await initialize(world, tidOnly)).status, 401);
    const appOnly = json(await viaProxy(emu).post(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/token`, {
      client_id: DAEMON, client_secret: DAEMON_SECRET, grant_type: 'client_credentials', scope: `api://${emu.apiClientId}/.default`
    }));
    const refused = await initialize(world, String(appOnly.access_token));
    assert.equal(refused.status, 403);
    assert.match(refused.challenge ?? '', /insufficient_scope/);
    assert.equal((await initialize(world, accessToken)).status, 200);
  });

  it('accepts a refreshed token, and the whole sign-in sent no `resource`', async () => {
    const emu = world.entraEmulator!;
    const { tokens } = await signInThroughRedirect(emu, callback, { clientId: VSCODE_CLIENT_ID, scope: emu.scope });
    const refreshed = json(await viaProxy(emu).post(`${LOGIN}/${emu.tenantId}/oauth2/v2.0/token`, {
      client_id: VSCODE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token), scope: `${emu.scope} openid profile offline_access`
    }));
    assert.equal((await initialize(world, String(refreshed.access_token))).status, 200);
    assert.deepEqual(emu.log.withParam('resource'), []);
    assert.ok(emu.log.of('keys').length >= 1, 'the MCP server fetched the emulator keys');
  });
});
