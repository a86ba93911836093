import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Tool } from '@modelcontextprotocol/client';
import type { ApprovalDecision, PendingToolCall } from '../../src/common/approval/gate';
import { MementoPinStore } from '../../src/common/approval/pins';
import { createAuthFetch } from '../../src/node/auth/authFetch';
import { ApprovalPolicy } from '../../src/node/approval/policy';
import { PolicyGate } from '../../src/node/approval/policyGate';
import { McpSession } from '../../src/node/mcp/session';
import type { ProbeReport } from '../../src/common/testHooks';
import { ApprovalPanels } from '../../src/vscode/approval/approvalPanels';
import type { IgnoredMessage } from '../../src/vscode/panels/panelHost';
import { recordingLogger } from '../support/logger';
import { MemoryMemento } from '../support/memento';
import { signInHeadless, startWorld, type World } from '../world';
import { api, extension, testDriver, waitFor, withTimeout } from './util';

const WARNING = 'This tool says it may delete or change data. Check the arguments before you approve.';

/**
 * A destructive call (docs/security.md E9) with the world's own `delete_item`, as its MCP
 * server lists it: the approval panel warns in words at the top, offers no grant beyond
 * the call, approves only after the user confirms the arguments, and no message can get
 * a session grant for it.
 */
suite('approval webview: destructive calls (the world\'s delete_item)', function () {
  this.timeout(60_000);
  let world: World;
  let session: McpSession;
  let deleteItem: Tool;
  let panels: ApprovalPanels;
  let gate: PolicyGate;
  const ignored: IgnoredMessage[] = [];
  const rendered = new Set<string>();
  const logger = recordingLogger();
  let seq = 0;

  suiteSetup(async () => {
    await api();
    world = await startWorld();
    const { accessToken } = await signInHeadless(world.idp, { username: world.demoUser.username, password: world.demoUser.password, scope: world.fullScope });
    const serverUrl = new URL(world.urls.mcp);
    session = new McpSession({
      serverUrl,
      fetch: createAuthFetch({ serverUrl, tokens: { getToken: async r => ({ token: accessToken, scopes: r.scopes }) }, scopes: [], allowedScopes: [], logger }),
      logger,
      clientInfo: { name: 'secure-mcp-destructive-test', version: '0' },
      connectTimeoutMs: 10_000,
      callTimeoutMs: 10_000,
      callMaxTimeoutMs: 10_000,
      maxResultBytes: 1 << 20
    });
    const listed = (await session.listTools()).find(t => t.name === 'delete_item');
    assert.ok(listed, 'the world lists delete_item');
    deleteItem = listed;
    panels = new ApprovalPanels({ extensionUri: extension().extensionUri, logger, timeoutSeconds: () => 60, testHooks: true });
    panels.onDidIgnoreMessage(m => ignored.push(m));
    panels.onDidRender(id => rendered.add(id));
    // rememberAcrossSessions on, so "always approve" would be offered to any other tool.
    const policy = new ApprovalPolicy(new MementoPinStore(new MemoryMemento()), () => ({ rememberAcrossSessions: true, trustedServers: [], allowReadOnlyFromTrustedServers: false }));
    gate = new PolicyGate({ policy, ask: panels.ask, audit: { decided() {} }, logger, rememberAcrossSessions: () => true });
  });

  suiteTeardown(async () => {
    panels?.dispose();
    await session?.close();
    await world?.close();
  });

  teardown(async () => {
    ignored.length = 0;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  function call(args: Record<string, unknown>): PendingToolCall {
    return { id: `destructive-${Date.now().toString(36)}-${++seq}`, context: { serverUrl: world.urls.mcp, serverLabel: 'world', account: { label: world.demoUser.email } }, tool: deleteItem, args, origin: 'llm' };
  }

  async function shown(id: string): Promise<ProbeReport> {
    const pending = await waitFor(() => panels.webviewFor(id), `the approval panel of ${id}`);
    pending.panel.reveal(undefined, false);
    await waitFor(() => rendered.has(id), `the approval page of ${id} to load`, 15_000);
    return testDriver(panels, id).run({ op: 'probe' });
  }

  const disabled = (report: ProbeReport, id: string) => new RegExp(`<button[^>]*id="${id}"[^>]*disabled`).test(report.html);

  test('the warning at the top in words, no session grant, and Approve only after the arguments are confirmed', async () => {
    const c = call({ id: 'item-7' });
    const decision = gate.decide(c);
    const report = await shown(c.id);
    const driver = testDriver(panels, c.id);
    assert.ok(report.visibleText.trimStart().startsWith('Approve this tool call?'), report.visibleText.slice(0, 200));
    assert.ok(report.visibleText.indexOf(WARNING) < report.visibleText.indexOf('Server'), 'the warning comes before everything about the call');
    assert.ok(report.text.includes('Tools that may delete or change data are never approved for a whole session.'));
    assert.ok(report.html.includes('id="destructive-warning"') && report.html.includes('id="confirm-destructive"'));
    assert.ok(report.text.includes('May delete or overwrite data'), 'the annotation in words');
    assert.ok(!report.text.includes('destructiveHint'), 'no raw hint name');
    assert.ok(!report.text.includes('Approve for this session') && !report.text.includes('Always approve'), 'no grant beyond this call is offered');
    assert.equal(report.activeElementId, 'decline', 'Enter on the untouched panel declines');
    assert.ok(disabled(report, 'approve'), 'Approve is disabled until the arguments are confirmed');

    await driver.send({ op: 'click', target: 'approve' });
    await new Promise(r => setTimeout(r, 300));
    assert.deepEqual(panels.pendingIds(), [c.id], 'a click on the disabled Approve decides nothing');

    const confirmed = await driver.run({ op: 'click', target: 'confirm-destructive' });
    assert.ok(!disabled(confirmed, 'approve'), 'ticking the box enables Approve');
    await driver.send({ op: 'click', target: 'approve' });
    assert.deepEqual(await withTimeout(decision, 5000, 'the decision'), { kind: 'approved', how: 'once' });

    const calls = world.mcp.calls.length;
    const result = await session.callTool('delete_item', { id: 'item-7' });
    assert.equal(result.isError ?? false, false);
    assert.deepEqual(world.mcp.calls.slice(calls).map(r => [r.tool, r.args.id]), [['delete_item', 'item-7']]);

    const next = call({ id: 'item-8' });
    const again = gate.decide(next);
    await shown(next.id);
    await testDriver(panels, next.id).send({ op: 'click', target: 'decline' });
    assert.deepEqual(await withTimeout(again, 5000, 'the next decision'), { kind: 'declined', how: 'user' }, 'the next call asks again');
  });

  test('a forged "approve for this session" or "always approve" message is ignored, and the call stays pending', async () => {
    const c = call({ id: 'item-9' });
    const decision: Promise<ApprovalDecision> = gate.decide(c);
    await shown(c.id);
    const driver = testDriver(panels, c.id);
    driver.inject({ type: 'decision', callId: c.id, choice: 'approveSession' });
    driver.inject({ type: 'decision', callId: c.id, choice: 'approvePersistent' });
    assert.deepEqual(ignored.map(i => i.reason), ['forged', 'forged']);
    assert.deepEqual(panels.pendingIds(), [c.id]);
    await driver.send({ op: 'click', target: 'decline' });
    assert.deepEqual(await withTimeout(decision, 5000, 'the decision'), { kind: 'declined', how: 'user' });
  });
});
