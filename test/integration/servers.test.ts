import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CommandResult } from '../../src/vscode/commands/command';
import { signInHeadless, startIdp, startSecureMcpServer, startWorld, steps, weatherFor, type Idp, type SecureMcpServer, type World } from '../world';
import type { HelperApi } from './helper-extension/src/extension';
import { api, chatTurn, decideNext, grantTestProvider, helper, RecordingStream, renderedPanels, setSetting, waitFor, withTimeout } from './util';

/** The API id of the second identity provider: another API than the world's, so another scope. */
const FABRIKAM_API = '7f3c2a10-5b6d-4e8f-9a0b-1c2d3e4f5a6b';

/**
 * Several servers (docs/servers.md) in code-server: the world's server behind its identity
 * provider, configured by the single-server settings, and a second server behind a second,
 * independent identity provider (its own issuer, keys and API). Each server logs the issuer
 * of every token it was sent, so "tokens never cross servers" (A3) is what they saw.
 */
suite('Several MCP servers, two identity providers', function () {
  this.timeout(120_000);
  let world: World;
  let idpB: Idp;
  let serverB: SecureMcpServer;
  let h: HelperApi;
  const restores: (() => Promise<void>)[] = [];
  const run = (id: string, ...args: unknown[]) => Promise.resolve(vscode.commands.executeCommand<CommandResult>(id, ...args));

  suiteSetup(async () => {
    world = await startWorld();
    idpB = await startIdp({ apiClientId: FABRIKAM_API, tenantId: '0b5e7c3d-2f1a-4c6e-8d9b-aa11bb22cc33' });
    serverB = await startSecureMcpServer({ issuer: idpB.issuer, jwksUri: idpB.jwksUri, audience: idpB.apiClientId, requiredScope: idpB.scope, tenantId: idpB.tenantId });
    h = await helper();
    // One test provider; the scope asked for says which API, and so which identity provider signs.
    h.useTokenSupplier({
      signIn: async (scopes: readonly string[]) => {
        const b = scopes.includes(idpB.fullScope);
        const idp = b ? idpB : world.idp;
        const user = idp.users[0]!;
        return { ...await signInHeadless(idp, { username: user.username, password: user.password, scope: b ? idpB.fullScope : world.fullScope }), account: `${user.username}@${b ? 'fabrikam' : 'contoso'}` };
      },
      refresh: () => Promise.reject(new Error('no refresh in this suite'))
    });
    h.reissue();
    for (const [key, value] of [
      ['secureMcp.serverUrl', world.urls.mcp],
      ['secureMcp.auth.providerId', h.providerId],
      ['secureMcp.auth.scopes', [world.fullScope]],
      ['secureMcp.llm.provider', 'openai'],
      ['secureMcp.llm.openai.baseUrl', world.urls.llmOpenAiBaseUrl],
      ['secureMcp.llm.openai.model', 'scripted']
    ] as const) {
      restores.push(await setSetting(key, value));
    }
    // The migration writes secureMcp.servers and clears the single-server keys: put all of them back afterwards.
    restores.push(await setSetting('secureMcp.servers', undefined));
    const a = await api();
    a.approval().panels.onDidRender(id => renderedPanels.add(id));
    await waitFor(() => a.settings.current.settings.serverUrl === world.urls.mcp, 'settings');
    await grantTestProvider(h.providerId, h.providerLabel, [world.fullScope]);
    assert.equal((await run('secureMcp.setApiKey', { provider: 'openai', key: 'scripted-test-key' })).done, true);
    const signIn = await run('secureMcp.signIn');
    assert.equal(signIn.done, true, signIn.message);
  });

  suiteTeardown(async () => {
    await run('secureMcp.setApiKey', { provider: 'openai', key: '' });
    for (const restore of restores.splice(0).reverse()) {
      await restore();
    }
    h.useTokenSupplier(undefined);
    h.clearSessions();
    await serverB.close();
    await idpB.close();
    await world.close();
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Add Server moves the single-server settings into secureMcp.servers: same name, URL and sign-in, still signed in, no new sign-in', async () => {
    const a = await api();
    await a.connection.listTools();
    const creates = h.stats.creates;
    const added = await run('secureMcp.addServer', { url: serverB.url, name: 'fabrikam' });
    assert.equal(added.done, true, added.message);
    assert.match(added.message, /moved from secureMcp\.serverUrl into secureMcp\.servers as "127_0_0_1"/);
    const config = vscode.workspace.getConfiguration('secureMcp');
    const entries = config.inspect<{ name: string; url: string; auth?: { providerId?: string; scopes?: string[] } }[]>('servers')?.globalValue ?? [];
    assert.deepEqual(entries[0], { name: '127_0_0_1', url: world.urls.mcp, auth: { providerId: h.providerId, scopes: [world.fullScope] } });
    assert.equal(entries[1]?.name, 'fabrikam');
    assert.equal(entries[1]?.url, serverB.url);
    assert.equal(entries[1]?.auth?.providerId, 'secure-mcp-oauth', 'the probe found an OAuth server that is not Entra');
    assert.equal(config.inspect('serverUrl')?.globalValue, undefined, 'the single-server keys are cleared');
    assert.equal(config.inspect('auth.scopes')?.globalValue, undefined);
    // The administrator's choice for fabrikam in this suite: the test provider, with its own API's scope.
    await config.update('servers', [entries[0], { ...entries[1], auth: { providerId: h.providerId, scopes: [idpB.fullScope] } }], vscode.ConfigurationTarget.Global);
    await waitFor(() => a.connections.all.length === 2 && a.connections.get('fabrikam')?.settings.auth.scopes[0] === idpB.fullScope, 'two servers');
    const first = a.connections.get('127_0_0_1');
    assert.ok(first);
    const tools = await first.listTools();
    assert.equal(tools.length, 8, 'the migrated server connects with the session it had');
    assert.equal(h.stats.creates, creates, 'no new sign-in for it');
  });

  test('both servers connected, each signed in at its own identity provider; one status item; Show Servers lists both', async () => {
    const a = await api();
    const b = a.connections.get('fabrikam');
    assert.ok(b);
    // VS Code asks the user once per provider and scope set (the Accounts-menu grant), as for any provider.
    await grantTestProvider(h.providerId, h.providerLabel, [idpB.fullScope]);
    const signIn = await run('secureMcp.signIn', 'fabrikam');
    assert.equal(signIn.done, true, signIn.message);
    await Promise.all(a.connections.all.map(c => c.listTools()));
    assert.equal(a.statusBar.view.text, '$(shield) MCP: 2/2 servers · 16 tools');
    assert.equal(a.statusBar.view.command, 'secureMcp.showServers');
    const listed = await run('secureMcp.showServers');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.match(listed.message, /^127_0_0_1: Connected to .* as alice@contoso: 8 tools/m);
    assert.match(listed.message, /^fabrikam: Connected to .* as alice@fabrikam: 8 tools/m);
  });

  test('a change to one server\'s settings reconnects that server only; the other keeps its session untouched', async () => {
    const a = await api();
    const config = vscode.workspace.getConfiguration('secureMcp');
    const entries = config.inspect<{ name: string; protocol?: string }[]>('servers')?.globalValue ?? [];
    const before = world.mcp.requests.length;
    const states: string[] = [];
    const sub = a.connections.get('127_0_0_1')!.onDidChangeState(st => states.push(st.kind));
    try {
      await config.update('servers', entries.map(e => e.name === 'fabrikam' ? { ...e, protocol: '2025-11-25' } : e), vscode.ConfigurationTarget.Global);
      await waitFor(() => a.connections.get('fabrikam')?.protocolVersion === '2025-11-25', 'fabrikam reconnected with its new protocol pin');
      await config.update('llm.openai.model', 'scripted-2', vscode.ConfigurationTarget.Global);
      await new Promise(r => setTimeout(r, 500));
      assert.deepEqual(states, [], 'the first server\'s state never moved');
      assert.equal(world.mcp.requests.length, before, 'and it sent nothing: its session was kept');
      assert.equal(a.connections.get('127_0_0_1')?.state.kind, 'connected');
    } finally {
      sub.dispose();
      await config.update('llm.openai.model', 'scripted', vscode.ConfigurationTarget.Global);
      await config.update('servers', entries, vscode.ConfigurationTarget.Global);
    }
    await waitFor(() => a.connections.get('fabrikam')?.protocolVersion !== '2025-11-25', 'fabrikam back on auto');
  });

  test('one chat turn uses tools of both servers; the approval names each server; each server saw only its own issuer\'s tokens (A3)', async () => {
    const callsA = world.mcp.calls.length;
    const callsB = serverB.calls.length;
    world.llm.enqueue(
      steps.toolCalls({ name: '127_0_0_1__get_weather', arguments: { city: 'Zurich' } }, { name: 'fabrikam__get_weather', arguments: { city: 'Oslo' } }),
      steps.text('Zurich from contoso, Oslo from fabrikam.')
    );
    const pending = chatTurn('Weather in Zurich and Oslo?');
    const shown = [await decideNext('approve'), await decideNext('approve')];
    const reply = await withTimeout(pending, 30_000, 'the answer');
    assert.match(reply.text, /Zurich from contoso, Oslo from fabrikam/);
    assert.match(reply.text, /Tools of the same name on several servers: .*127_0_0_1\/get_weather = fabrikam\/get_weather/, 'E2: the same names are flagged');
    assert.ok(shown.some(t => t.includes('127.0.0.1') && t.includes('Zurich')), shown.join('\n---\n'));
    assert.ok(shown.some(t => t.includes('fabrikam (') && t.includes('Oslo')), 'the approval names the server');
    assert.deepEqual(world.mcp.calls.slice(callsA).map(c => c.args.city), ['Zurich']);
    assert.deepEqual(serverB.calls.slice(callsB).map(c => c.args.city), ['Oslo']);
    const issuers = (s: { requests: readonly { issuer?: string }[] }) => [...new Set(s.requests.map(r => r.issuer).filter(i => i !== undefined))];
    assert.deepEqual(issuers(world.mcp), [world.idp.issuer], 'the world server only ever got tokens of its own identity provider');
    assert.deepEqual(issuers(serverB), [idpB.issuer], 'server B only ever got tokens of its own identity provider');
    const audit = await (await api()).approval().audit.readAll();
    assert.deepEqual(audit.slice(-2).map(r => r.server).sort(), [serverB.url, world.urls.mcp].map(u => new URL(u).href).sort());
  });

  test('/call <server>/<tool> calls that server; a bare name that two servers have asks which', async () => {
    const a = await api();
    const ambiguous = new RecordingStream();
    const cts = new vscode.CancellationTokenSource();
    await a.handleChat({ prompt: 'get_date {}', command: 'call', references: [], toolReferences: [] } as unknown as vscode.ChatRequest, { history: [] }, ambiguous.asStream(), cts.token);
    assert.match(ambiguous.text, /get_date\W+is a tool of several servers; name one:\W+127_0_0_1\/get_date\W+fabrikam\/get_date/);
    const callsB = serverB.calls.length;
    const direct = new RecordingStream();
    const pending = a.handleChat({ prompt: 'fabrikam/get_weather {"city": "Bergen"}', command: 'call', references: [], toolReferences: [] } as unknown as vscode.ChatRequest, { history: [] }, direct.asStream(), cts.token);
    await decideNext('approve');
    await withTimeout(Promise.resolve(pending), 30_000, '/call');
    cts.dispose();
    assert.match(direct.text, new RegExp(weatherFor('Bergen').condition));
    assert.deepEqual(serverB.calls.slice(callsB).map(c => c.args.city), ['Bergen']);
  });

  test('the organisation\'s MCP policy (chat.mcp.access "none") blocks every server: the reply says why and by what, and neither server hears of it', async () => {
    const a = await api();
    const before = [world.mcp.requests.length, serverB.requests.length];
    const restore = await setSetting('chat.mcp.access', 'none');
    try {
      await waitFor(() => a.connections.all.every(c => c.state.kind === 'blockedByPolicy'), 'both blocked');
      assert.match(a.statusBar.view.text, /MCP: 0\/2 servers · 0 tools/);
      const reply = await chatTurn('Weather in Zurich?');
      assert.match(reply.text, /chat\.mcp\.access is "none"/, reply.text);
      await run('secureMcp.reconnect', 'fabrikam');
      await run('secureMcp.diagnose', '127_0_0_1');
      assert.deepEqual([world.mcp.requests.length, serverB.requests.length], before, 'not one request reached either server');
    } finally {
      await restore();
    }
    await waitFor(() => a.connections.all.every(c => c.state.kind !== 'blockedByPolicy'), 'the policy lifted');
  });

  test('a server the organisation\'s policy denies (chat.mcp.deniedServers) is never contacted, with the reason; the other server keeps working', async () => {
    const a = await api();
    const deny = [{ serverUrl: serverB.url }];
    const before = serverB.requests.length;
    // code-server loads no OS policy, so the test stands in for one: the values VS Code reports when a policy sets the list.
    a.settings.simulatePolicy({ denied: { value: deny, policyValue: deny, everyLevel: [undefined, undefined, undefined, deny] } });
    try {
      await waitFor(() => a.connections.get('fabrikam')?.state.kind === 'blockedByPolicy', 'fabrikam blocked');
      // A policy change reconnects the servers it still allows.
      await waitFor(() => a.connections.get('127_0_0_1')?.state.kind === 'connected', 'the allowed server connected');
      assert.match(a.statusBar.view.text, /MCP: 1\/2 servers · 8 tools/);
      const calls = world.mcp.calls.length;
      world.llm.enqueue(steps.toolCalls({ name: '127_0_0_1__get_weather', arguments: { city: 'Lugano' } }), steps.text('Lugano, from the allowed server.'));
      const pending = chatTurn('Weather in Lugano?');
      await decideNext('approve');
      const reply = await withTimeout(pending, 30_000, 'the answer');
      assert.match(reply.text, new RegExp(`fabrikam \\(127\\.0\\.0\\.1:\\d+\\): Your organization's policy denies ${serverB.url.replace(/[.]/g, '\\.')} \\(it matches .* in chat\\.mcp\\.deniedServers\\)`), reply.text);
      assert.match(reply.text, /Lugano, from the allowed server/);
      assert.equal(world.mcp.calls.length, calls + 1);
      await run('secureMcp.signIn', 'fabrikam');
      await run('secureMcp.reconnect', 'fabrikam');
      await run('secureMcp.diagnose', 'fabrikam');
      await run('secureMcp.showTools', 'fabrikam/get_date');
      assert.equal(serverB.requests.length, before, 'not one request reached the denied server');
    } finally {
      a.settings.simulatePolicy(undefined);
    }
    await waitFor(() => a.connections.get('fabrikam')?.state.kind !== 'blockedByPolicy', 'the policy lifted');
  });

  test('one server down: the other keeps working in the same turn, and the reply says which is out and why', async () => {
    const a = await api();
    await serverB.close();
    await a.connections.get('fabrikam')!.reconnect().catch(() => undefined);
    await waitFor(() => a.connections.get('fabrikam')?.state.kind === 'unreachable', 'fabrikam unreachable');
    assert.match(a.statusBar.view.text, /MCP: 1\/2 servers · 8 tools/);
    const calls = world.mcp.calls.length;
    world.llm.enqueue(steps.toolCalls({ name: '127_0_0_1__get_weather', arguments: { city: 'Zurich' } }), steps.text('Zurich, from the server that is up.'));
    const pending = chatTurn('Weather in Zurich?');
    await decideNext('approve');
    const reply = await withTimeout(pending, 30_000, 'the answer');
    assert.match(reply.text, /fabrikam \(127\.0\.0\.1:\d+\): Cannot reach the MCP server .* Its tools are not offered in this turn\./);
    assert.ok(reply.buttons.some(b => b.command === 'secureMcp.diagnose' && JSON.stringify(b.arguments) === '["fabrikam"]'), JSON.stringify(reply.buttons));
    assert.match(reply.text, /Zurich, from the server that is up/);
    assert.equal(world.mcp.calls.length, calls + 1);
    const offered = world.llm.requests.at(-1)?.tools?.map(t => t.function.name) ?? [];
    assert.ok(offered.length > 0 && offered.every(n => n.startsWith('127_0_0_1__')), offered.join(', '));
  });

  test('Remove Server takes the server out: its entry and connection go, the status is the one server\'s again', async () => {
    const a = await api();
    const removed = await run('secureMcp.removeServer', 'fabrikam');
    assert.equal(removed.done, true, removed.message);
    await waitFor(() => a.connections.all.length === 1, 'one connection');
    const entries = vscode.workspace.getConfiguration('secureMcp').inspect<{ name: string }[]>('servers')?.globalValue ?? [];
    assert.deepEqual(entries.map(e => e.name), ['127_0_0_1']);
    await a.connections.primary.listTools();
    assert.equal(a.statusBar.view.text, '$(shield) MCP: 8 tools');
    const unknown = await run('secureMcp.signIn', 'fabrikam');
    assert.equal(unknown.done, false);
    assert.match(unknown.message, /There is no MCP server named fabrikam\. The servers: 127_0_0_1\./);
  });
});
