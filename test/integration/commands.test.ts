import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CommandResult } from '../../src/vscode/commands/command';
import { COMMAND_IDS } from '../../src/vscode/commands/ids';
import { api, setSetting, waitFor, withTimeout } from './util';

/**
 * Runs a command; a command that waits for input (quick pick, input box) is cancelled
 * like a user pressing Escape, and must still report what happened.
 */
async function run(id: string, ...args: unknown[]): Promise<CommandResult> {
  const pending = Promise.resolve(vscode.commands.executeCommand<CommandResult>(id, ...args));
  const first = await Promise.race([pending, new Promise<'waiting'>(r => setTimeout(() => r('waiting'), 3000))]);
  if (first !== 'waiting') {
    return first;
  }
  await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  return withTimeout(pending, 5000, `${id} after cancelling its input`);
}

function assertResult(id: string, result: CommandResult | undefined): asserts result is CommandResult {
  assert.ok(result && typeof result === 'object', `${id} returns a result, not ${String(result)}`);
  assert.equal(typeof result.done, 'boolean', `${id} result.done`);
  assert.equal(typeof result.message, 'string', `${id} result.message`);
  assert.ok(result.message.trim().length > 0, `${id} says what happened`);
}

suite('commands', () => {
  suiteSetup(async () => {
    await api();
  });

  test('every command returns a result with a message', async () => {
    for (const id of COMMAND_IDS.filter(c => c !== 'secureMcp.configureServer')) {
      assertResult(id, await run(id));
    }
  });

  test('secureMcp.showLog opens the log', async () => {
    const result = await run('secureMcp.showLog');
    assertResult('secureMcp.showLog', result);
    assert.equal(result.done, true);
  });

  suite('secureMcp.configureServer with a URL argument', () => {
    let restore: (() => Promise<void>) | undefined;
    setup(async () => {
      restore = await setSetting('secureMcp.serverUrl', undefined);
    });
    teardown(async () => {
      await restore?.();
    });

    test('saves an https URL', async () => {
      const result = await run('secureMcp.configureServer', 'https://contoso.example/mcp');
      assertResult('configureServer', result);
      assert.equal(result.done, true, result.message);
      assert.equal(vscode.workspace.getConfiguration('secureMcp').get('serverUrl'), 'https://contoso.example/mcp');
      const { settings } = await api();
      await waitFor(() => settings.current.settings.serverUrl === 'https://contoso.example/mcp', 'the settings service to see the new URL');
    });

    test('saves an http URL to loopback', async () => {
      const result = await run('secureMcp.configureServer', 'http://127.0.0.1:3000/mcp');
      assert.equal(result.done, true, result.message);
      assert.equal(vscode.workspace.getConfiguration('secureMcp').get('serverUrl'), 'http://127.0.0.1:3000/mcp');
    });

    for (const bad of ['http://evil.example/mcp', 'javascript:alert(1)', 'https://user:pass@contoso.example/mcp', 'not a url']) {
      test(`refuses ${bad} and leaves the setting alone`, async () => {
        const result = await run('secureMcp.configureServer', bad);
        assertResult('configureServer', result);
        assert.equal(result.done, false);
        assert.match(result.message, /server URL/i);
        assert.equal(vscode.workspace.getConfiguration('secureMcp').inspect('serverUrl')?.globalValue, undefined);
      });
    }
  });

  test('Diagnose twice: one read-only report, replaced by the second run, and nothing asks to be saved', async () => {
    const first = await run('secureMcp.diagnose');
    assertResult('diagnose', first);
    await new Promise(r => setTimeout(r, 5));
    const second = await run('secureMcp.diagnose');
    assert.notEqual(second.message, first.message, 'each report carries its own time');
    const report = await waitFor(() => vscode.workspace.textDocuments.find(d => d.uri.scheme === 'secure-mcp-diagnose' && d.getText() === second.message), 'the report document to show the second run');
    assert.equal(vscode.workspace.textDocuments.filter(d => d.uri.scheme === 'secure-mcp-diagnose').length, 1, 'one report document');
    assert.deepEqual(vscode.workspace.textDocuments.filter(d => d.isUntitled || d.isDirty).map(d => d.uri.toString()), [], 'no Untitled or unsaved document');
    assert.ok(report.uri.path.endsWith('Secure MCP Diagnose.md'));
    const tabs = () => vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.label.includes('Secure MCP Diagnose'));
    await waitFor(() => tabs().length === 1 || undefined, 'one tab for the report');
    await new Promise(r => setTimeout(r, 500));
    assert.deepEqual(tabs().map(t => t.label), [tabs()[0]?.label], 'still one tab');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  suite('secureMcp.resetApprovals says what it did', () => {
    let restore: (() => Promise<void>) | undefined;
    setup(async () => {
      restore = await setSetting('secureMcp.approval.rememberAcrossSessions', false);
    });
    teardown(async () => {
      await restore?.();
    });

    test('none to clear: says so', async () => {
      await run('secureMcp.resetApprovals');
      const result = await run('secureMcp.resetApprovals');
      assert.deepEqual(result, { done: true, message: 'There were no tool approvals for this session to clear. Every tool call asks already.' });
    });

    test('two session approvals: says it cleared two, and they are gone', async () => {
      const { approval } = await api();
      const policy = approval().policy;
      const context = { serverUrl: 'https://contoso.example/mcp', serverLabel: 'contoso.example' };
      for (const name of ['get_weather', 'get_date']) {
        // Read-only: a destructive tool is never granted for the session.
        await policy.record({ id: name, context, tool: { name, inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } }, args: {}, origin: 'user' }, { kind: 'approved', how: 'session' });
      }
      assert.equal(policy.sessionGrantCount, 2);
      const result = await run('secureMcp.resetApprovals');
      assert.deepEqual(result, { done: true, message: 'Cleared 2 tool approvals for this session. Every tool call asks again.' });
      assert.equal(policy.sessionGrantCount, 0);
    });
  });
});
