import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CommandResult } from '../../src/vscode/commands/command';
import { PROTOCOL_MODES, signInHeadless, startSecureMcpServer, startWorld, weatherFor, type ProtocolMode, type SecureMcpServer, type World } from '../world';
import { api, grantTestProvider, helper, setSetting, testDriver, waitFor, withTimeout } from './util';
import type { HelperApi } from './helper-extension/src/extension';

/** What the product speaks to each world mode on its default setting (`auto`). */
const EXPECTED: Record<ProtocolMode, string> = { 'dual': '2026-07-28', '2026-07-28': '2026-07-28', '2025-11-25': '2025-11-25' };

/**
 * Both MCP generations in the extension host: the world's MCP server in each of its modes
 * (both, 2026-07-28 only, 2025-11-25 only), each reached through the product's own
 * connection, with a real sign-in: connect, list, call, elicit through the webview form,
 * and cancel.
 */
suite('protocols (the world MCP server in each mode)', function () {
  this.timeout(120_000);
  let world: World;
  let h: HelperApi;
  const restores: (() => Promise<void>)[] = [];
  const rendered = new Set<string>();
  const run = (id: string) => Promise.resolve(vscode.commands.executeCommand<CommandResult>(id));

  suiteSetup(async () => {
    world = await startWorld();
    (await api()).elicitation().onDidRender(id => rendered.add(id));
    h = await helper();
    h.useTokenSupplier({
      signIn: async () => ({ ...await signInHeadless(world.idp, { username: world.demoUser.username, password: world.demoUser.password, scope: world.fullScope }), account: world.demoUser.username }),
      refresh: async () => { throw new Error('no refresh expected'); }
    });
    h.reissue();
    restores.push(await setSetting('secureMcp.auth.providerId', h.providerId));
    restores.push(await setSetting('secureMcp.auth.scopes', [world.fullScope]));
    await grantTestProvider(h.providerId, h.providerLabel, [world.fullScope]);
  });

  suiteTeardown(async () => {
    for (const restore of restores.splice(0).reverse()) {
      await restore();
    }
    h.useTokenSupplier(undefined);
    h.clearSessions();
    await world.close();
  });

  for (const mode of PROTOCOL_MODES) {
    test(`${mode}: speaks ${EXPECTED[mode]} and says so; lists, calls, elicits and cancels`, async () => {
      const server: SecureMcpServer = await startSecureMcpServer({
        issuer: world.idp.issuer, jwksUri: world.idp.jwksUri, audience: world.apiClientId, requiredScope: world.idp.scope, tenantId: world.tenantId, slowTaskTickMs: 50, protocol: mode
      });
      const restore = await setSetting('secureMcp.serverUrl', server.url);
      try {
        const a = await api();
        await waitFor(() => a.settings.current.settings.serverUrl === server.url, 'the new server URL');
        const signedIn = await run('secureMcp.signIn');
        assert.equal(signedIn.done, true, signedIn.message);
        const tools = await a.connection.listTools();
        assert.deepEqual(tools.map(t => t.name).sort(), [...server.toolNames].sort());
        assert.equal(a.connection.protocolVersion, EXPECTED[mode]);
        await waitFor(() => a.statusBar.view.tooltip.includes(`MCP ${EXPECTED[mode]}`), 'the status bar to name the protocol');

        const weather = await a.connection.callTool('get_weather', { city: 'Geneva' });
        assert.match(weather.content.map(c => c.type === 'text' ? c.text : '').join(''), new RegExp(weatherFor('Geneva').condition));
        assert.equal(server.calls.at(-1)?.oid, world.demoUser.oid);

        // Elicitation: input_required on 2026-07-28, an elicitation/create request on 2025-11-25; the same form either way.
        const panels = a.elicitation();
        const before = new Set(panels.pendingIds());
        const confirming = a.connection.callTool('confirm_action', { action: `rotate the keys (${mode})` });
        const id = await waitFor(() => panels.pendingIds().find(p => !before.has(p)), 'the elicitation form', 20_000);
        panels.webviewFor(id)?.panel.reveal(undefined, false);
        await waitFor(() => rendered.has(id), 'the form to render', 20_000);
        const report = await testDriver(panels, id).run({ op: 'probe' }, 20_000);
        assert.match(report.text, new RegExp(`rotate the keys \\(${mode}\\)`));
        await testDriver(panels, id).send({ op: 'click', target: 'accept' });
        const confirmed = await withTimeout(confirming, 20_000, 'confirm_action');
        assert.match(confirmed.content.map(c => c.type === 'text' ? c.text : '').join(''), /^accepted: .*Routine maintenance/);
        assert.equal(server.calls.filter(c => c.tool === 'confirm_action').length, 1, 'one call on the server, however many rounds');

        const stop = new AbortController();
        const slow = a.connection.callTool('slow_task', { seconds: 100 }, { signal: stop.signal, onProgress: () => stop.abort() });
        await assert.rejects(slow, (e: unknown) => e instanceof a.errors.CancelledError);
        assert.equal(a.connection.state.kind, 'connected', 'a call the user stopped leaves the connection as it was');
        await waitFor(() => server.calls.at(-1)?.outcome === 'cancelled' ? true : undefined, 'the server to see the cancel');
      } finally {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await restore();
        await server.close();
      }
    });
  }
});
