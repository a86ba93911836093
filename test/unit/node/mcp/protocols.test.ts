import assert from 'node:assert/strict';
import { CancelledError, ProtocolError } from '../../../../src/common/errors';
import type { McpSessionOptions, Tool } from '../../../../src/node/mcp/session';
import { startIdp, startSecureMcpServer, type Idp, type ProtocolMode, type SecureMcpServer } from '../../../world';
import { acceptDefaults } from '../../../support/elicitation';
import { recordingLogger } from '../../../support/logger';
import { IdpTokens, testSession } from '../../../support/session';

/** Which revision the client ends up speaking to each world mode when it asks (`auto`). */
const NEGOTIATED: Record<ProtocolMode, string> = { 'dual': '2026-07-28', '2026-07-28': '2026-07-28', '2025-11-25': '2025-11-25' };

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await new Promise(r => setTimeout(r, 20));
  }
}

/** docs/security.md B13: the revision is negotiated, or pinned and refused with both sides named. */
describe('both MCP generations against the world server in each of its modes', function () {
  this.timeout(30_000);
  let idp: Idp;
  before(async () => { idp = await startIdp(); });
  after(async () => { await idp.close(); });

  for (const mode of Object.keys(NEGOTIATED) as ProtocolMode[]) {
    describe(`world speaking ${mode}`, () => {
      let server: SecureMcpServer;
      beforeEach(async () => { server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, tenantId: idp.tenantId, slowTaskTickMs: 50, protocol: mode }); });
      afterEach(async () => { await server.close(); });
      const session = (extra: Partial<McpSessionOptions> = {}) => testSession({ serverUrl: server.url, tokens: new IdpTokens(idp), scope: idp.fullScope, logger: recordingLogger(), ...extra });

      it(`negotiates ${NEGOTIATED[mode]}, lists, calls and says which revision it speaks`, async () => {
        const s = session();
        const tools = await s.listTools();
        assert.deepEqual(tools.map(t => t.name).sort(), [...server.toolNames].sort());
        assert.equal(s.connection?.protocolVersion, NEGOTIATED[mode]);
        const result = await s.callTool('get_weather', { city: 'Oslo' });
        assert.equal(result.isError ?? false, false);
        assert.equal(server.calls.at(-1)?.transport, NEGOTIATED[mode] === '2026-07-28' ? 'streamable-http-2026' : 'streamable-http');
        await s.close();
      });

      it('answers the server\'s elicitation through the handler, one call on the server', async () => {
        const s = session({ elicitation: acceptDefaults });
        const result = await s.callTool('confirm_action', { action: 'restart the cluster' });
        const text = result.content.map(c => c.type === 'text' ? c.text : '').join('');
        assert.match(text, /^accepted: .*"reason":"Routine maintenance"/);
        assert.equal(server.calls.filter(c => c.tool === 'confirm_action').length, 1);
        await s.close();
      });

      it('stops a running call when the user cancels: cancelled by you, and cancelled on the server', async () => {
        const s = session();
        const stop = new AbortController();
        const call = s.callTool('slow_task', { seconds: 100 }, { signal: stop.signal, onProgress: () => stop.abort() });
        await assert.rejects(call, (e: unknown) => e instanceof CancelledError);
        await until(() => server.calls.at(-1)?.outcome === 'cancelled');
        assert.equal(server.calls.at(-1)?.outcome, 'cancelled');
        await s.close();
      });

      it('hears of a changed tool list and lists again', async () => {
        const changed: (readonly Tool[])[] = [];
        const s = session({ onToolsChanged: t => changed.push(t) });
        await s.listTools();
        server.changeToolDefinition('get_weather', 'Changed at runtime.');
        await until(() => changed.length > 0);
        assert.equal(changed[0]?.find(t => t.name === 'get_weather')?.description, 'Changed at runtime.');
        await s.close();
      });
    });
  }

  describe('a pinned revision the server does not speak', () => {
    it('2025-11-25 against a 2026-07-28-only server: an error naming both sides, no legacy SSE attempt', async () => {
      const server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, tenantId: idp.tenantId, protocol: '2026-07-28' });
      const logger = recordingLogger();
      const s = testSession({ serverUrl: server.url, tokens: new IdpTokens(idp), scope: idp.fullScope, logger, protocol: '2025-11-25' });
      try {
        await assert.rejects(s.listTools(), (e: unknown) => e instanceof ProtocolError && /2026-07-28/.test(e.message) && /2025-11-25/.test(e.message) && /secureMcp\.protocol\.version/.test(e.message));
        assert.ok(!logger.lines.some(l => /legacy SSE/.test(l)), 'no fallback to the legacy transport');
      } finally {
        await s.close();
        await server.close();
      }
    });

    it('2026-07-28 against a 2025-11-25-only server: could not agree, and the setting to change', async () => {
      const server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, tenantId: idp.tenantId, protocol: '2025-11-25' });
      const s = testSession({ serverUrl: server.url, tokens: new IdpTokens(idp), scope: idp.fullScope, logger: recordingLogger(), protocol: '2026-07-28' });
      try {
        await assert.rejects(s.listTools(), (e: unknown) => e instanceof ProtocolError && /2026-07-28/.test(e.message) && /secureMcp\.protocol\.version/.test(e.message));
      } finally {
        await s.close();
        await server.close();
      }
    });
  });

  it('honours ttlMs on 2026-07-28 (the SDK server sends 0: list again each time) while a call uses the listed definitions', async () => {
    const server = await startSecureMcpServer({ issuer: idp.issuer, audience: idp.apiClientId, requiredScope: idp.scope, tenantId: idp.tenantId, protocol: '2026-07-28' });
    const s = testSession({ serverUrl: server.url, tokens: new IdpTokens(idp), scope: idp.fullScope, logger: recordingLogger() });
    try {
      const first = await s.listTools();
      assert.notEqual(await s.listTools(), first, 'a list with ttlMs 0 is not served from the cache');
      const cached = await s.listTools();
      await s.callTool('get_date', {});
      assert.equal(await s.listTools() !== cached, true);
    } finally {
      await s.close();
      await server.close();
    }
  });
});
