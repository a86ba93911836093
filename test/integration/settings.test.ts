import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, setSetting, waitFor } from './util';

suite('settings', () => {
  const restores: (() => Promise<void>)[] = [];
  teardown(async () => {
    for (const restore of restores.splice(0).reverse()) {
      await restore();
    }
  });

  test('starts without problems and "not configured"', async () => {
    const { settings, statusBar } = await api();
    assert.deepEqual(settings.current.problems, []);
    assert.equal(settings.current.settings.serverUrl, '');
    assert.equal(statusBar.state.kind, 'notConfigured');
  });

  test('an http URL to a remote host is reported and not used; a loopback URL clears it', async () => {
    const { settings, statusBar } = await api();
    restores.push(await setSetting('secureMcp.serverUrl', 'http://example.com/mcp'));
    const problem = await waitFor(() => settings.current.problems.find(p => p.key === 'secureMcp.serverUrl'), 'a serverUrl problem');
    assert.match(problem.message, /https/);
    assert.equal(settings.current.settings.serverUrl, '', 'the insecure URL is not used');
    // The rejected URL must never be offered as a server to sign in to.
    assert.deepEqual(statusBar.state, { kind: 'settingsProblem', count: 1 });

    await setSetting('secureMcp.serverUrl', 'http://127.0.0.1:8080/mcp');
    await waitFor(() => settings.current.problems.length === 0, 'the problem to clear');
    assert.equal(settings.current.settings.serverUrl, 'http://127.0.0.1:8080/mcp');
    // Signed out, or signed in (an earlier suite's session) and not connected yet: either way the URL is used.
    // (Read afresh: the assertion above narrowed statusBar.state to its old kind.)
    const state = (await api()).connection.state;
    assert.ok((state.kind === 'signedOut' || state.kind === 'notConnected') && state.server === 'http://127.0.0.1:8080/mcp', JSON.stringify(state));
  });

  test('an invalid other setting shows "check settings" in the status bar', async () => {
    const { settings, statusBar } = await api();
    restores.push(await setSetting('secureMcp.serverUrl', 'https://contoso.example/mcp'));
    restores.push(await setSetting('secureMcp.auth.tenant', 'not a tenant!'));
    await waitFor(() => settings.current.problems.some(p => p.key === 'secureMcp.auth.tenant'), 'a tenant problem');
    assert.equal(settings.current.settings.auth.tenant, '', 'the default is used instead');
    assert.deepEqual(statusBar.state, { kind: 'settingsProblem', count: 1 });
  });

  test('a problem in the language model settings does not stop the connection', async () => {
    const { settings, statusBar } = await api();
    restores.push(await setSetting('secureMcp.serverUrl', 'https://contoso.example/mcp'));
    restores.push(await setSetting('secureMcp.llm.provider', 'azureOpenAI'));
    await waitFor(() => settings.current.problems.some(p => p.key === 'secureMcp.llm.provider'), 'the Azure OpenAI problem');
    // The connection goes on as for any server: signed out, or not connected yet, or (contoso.example is not on this network) unreachable.
    await waitFor(() => ['signedOut', 'notConnected', 'unreachable'].includes(statusBar.state.kind), 'signed out, not connected yet or unreachable, not "check settings"');
  });

  test('restored settings leave nothing behind', async () => {
    const { settings } = await api();
    await waitFor(() => settings.current.problems.length === 0 && settings.current.settings.serverUrl === '', 'the defaults');
    assert.equal(vscode.workspace.getConfiguration('secureMcp').inspect('serverUrl')?.globalValue, undefined);
  });
});
