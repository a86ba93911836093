// Off the happy path, as a new user goes (issue 15): a destructive call, stopping a slow
// call, resetting approvals, Diagnose twice, a wrong port, a URL that is not MCP; then a
// second server added and signed in to from the status bar (issue 16). Each step
// asserts what the user sees: the status bar, the notification and its buttons, the chat
// reply. The e2e code-server runs without the test driver, so notifications are real.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import {
  answerDialogs, answerInputBox, findFrame, runCommand, sendChat, signInThroughBrowser, statusItem, statusText, userSettings, waitFor, waitForAnswer, waitForNoFrame,
  waitForStatus, waitForToast, WEBVIEW_BOOT_MS
} from './ui.mjs';

/** The audit trail's records (audit*.jsonl under the user data dir), oldest first. */
function auditRecords(userDataDir) {
  const files = fs.readdirSync(userDataDir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile() && /^audit(\.\d+)?\.jsonl$/.test(e.name))
    .map(e => path.join(e.parentPath ?? e.path, e.name));
  return files.flatMap(f => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line)));
}

/** Closes every notification toast, so the next step reads only its own. */
async function clearToasts(page) {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
}

/** Configure Server… with `url`; returns what the status bar then says. */
async function configure(page, url, status) {
  await runCommand(page, 'Secure MCP: Configure Server…');
  // With a server configured, it asks first: change that server, or add another.
  await answerInputBox(page, 'Change');
  await page.locator('.quick-input-widget', { hasText: 'URL of the MCP server endpoint' }).waitFor({ state: 'visible', timeout: 10_000 });
  await answerInputBox(page, url);
  return waitForStatus(page, status, 30_000);
}

/** Asks in chat; returns the reply and the labels of its buttons. */
async function ask(page, question, re) {
  await sendChat(page, question);
  const reply = await waitForAnswer(page, question.replace(/^@secure-mcp /, ''), re, 45_000);
  const buttons = (await page.locator('.interactive-item-container.interactive-response').last().locator('.monaco-button').allInnerTexts()).map(b => b.trim()).filter(Boolean);
  return { reply, buttons };
}

/** @type {{ name: string, run: (ctx: import('./steps.mjs').StepContext) => Promise<void> }[]} */
export const pathSteps = [
  {
    name: 'destructive-call',
    async run(ctx) {
      const { page, world } = ctx;
      const calls = world.mcp.calls.length;
      await sendChat(page, '@secure-mcp /call delete_item {"id": "build-42"}');
      const frame = await findFrame(page, '#approve', WEBVIEW_BOOT_MS);
      const warning = await frame.locator('#destructive-warning').innerText({ timeout: 10_000 });
      ctx.log(`warning: ${JSON.stringify(warning)}`);
      assert.match(warning, /may delete or change data/);
      assert.equal(await frame.locator('#approveSession').count(), 0, 'no session-wide grant for a destructive tool');
      assert.equal(await frame.locator('#approve').isDisabled(), true, 'Approve waits for the check');
      await ctx.shot('destructive-approval');
      await frame.locator('#confirm-destructive').check();
      assert.equal(await frame.locator('#approve').isDisabled(), false);
      await frame.locator('#approve').click();
      await waitForNoFrame(page, '#approve');
      await waitForAnswer(page, 'build-42', /Deleted\sitem\sbuild-42/, 45_000);
      assert.equal(world.mcp.calls.length, calls + 1);
      assert.deepEqual(world.mcp.calls.at(-1)?.args, { id: 'build-42' });
    }
  },
  {
    name: 'stop-slow-call',
    async run(ctx) {
      const { page } = ctx;
      await sendChat(page, '@secure-mcp /call slow_task {"seconds": 60}');
      const frame = await findFrame(page, '#approve', WEBVIEW_BOOT_MS);
      await frame.locator('#approve').click();
      await waitForNoFrame(page, '#approve');
      await waitFor(async () => /slow_task/.test(await page.locator('.interactive-item-container.interactive-response').last().innerText().catch(() => '')), 'the call to be under way', 20_000);
      await new Promise(r => setTimeout(r, 2_000));
      // The chat input's Stop (the send button while a request runs), or its keybinding.
      const stop = page.locator('.interactive-input-part .codicon-stop-circle, .interactive-input-part .codicon-debug-stop').first();
      if (await stop.isVisible().catch(() => false)) {
        await stop.click();
      } else {
        await runCommand(page, 'Chat: Cancel');
      }
      // VS Code drops what a participant writes after Stop, so the reply ends where it was;
      // the product's verdict is in the audit trail, and the status bar stays as it was.
      const record = await waitFor(() => auditRecords(ctx.userDataDir).filter(r => r.tool === 'slow_task').at(-1), 'the audit record of the stopped call', 20_000);
      ctx.log(`audit: ${JSON.stringify({ outcome: record.outcome, errorType: record.errorType })}`);
      assert.equal(record.outcome, 'cancelled');
      assert.equal(record.errorType, 'CancelledError', 'the user\'s stop, not a server fault');
      const reply = await page.locator('.interactive-item-container.interactive-response').last().innerText();
      assert.doesNotMatch(reply, /did not answer|unreachable|server fail/i);
      assert.match(await statusText(page), /MCP: \d+ tools/, 'a stop by the user is not a server fault');
      const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
      assert.ok(!toasts.some(t => /error|did not answer/i.test(t)), `no error notification: ${JSON.stringify(toasts)}`);
      await ctx.shot('stopped-call');
    }
  },
  {
    name: 'reset-approvals',
    async run(ctx) {
      const { page } = ctx;
      await clearToasts(page);
      await runCommand(page, 'Secure MCP: Reset Tool Approvals');
      const toast = await waitForToast(page, /Cleared \d+ tool approvals? for this session|There were no tool approvals for this session/, 15_000);
      ctx.log(`toast: "${toast.message}" [${toast.buttons.join(', ')}]`);
      await ctx.shot('reset-approvals');
    }
  },
  {
    name: 'diagnose-twice',
    async run(ctx) {
      const { page } = ctx;
      await runCommand(page, 'Secure MCP: Diagnose');
      const tab = page.locator('.tabs-container .tab', { hasText: /Diagnose|diagnose/ });
      await tab.first().waitFor({ timeout: 30_000 });
      await runCommand(page, 'Secure MCP: Diagnose');
      await new Promise(r => setTimeout(r, 3_000));
      const tabs = (await page.locator('.tabs-container .tab').allInnerTexts()).map(t => t.trim());
      ctx.log(`tabs: ${JSON.stringify(tabs)}`);
      assert.equal(tabs.filter(t => /Diagnose|diagnose/.test(t)).length, 1, 'one report, replaced by the second run');
      assert.equal(tabs.filter(t => /Untitled/.test(t)).length, 0, 'no unsaved Untitled document');
      await ctx.shot('diagnose');
      await runCommand(page, 'View: Close All Editors');
      assert.equal(await page.locator('.monaco-dialog-box').isVisible().catch(() => false), false, 'closing asks nothing about saving');
    }
  },
  {
    name: 'wrong-port',
    async run(ctx) {
      const { page } = ctx;
      await clearToasts(page);
      const status = await configure(page, 'http://127.0.0.1:9/mcp', /MCP: unreachable/);
      ctx.log(`status: ${status}`);
      const { reply, buttons } = await ask(page, "@secure-mcp What's the weather in Chur?", /Cannot reach the MCP server/);
      ctx.log(`reply: ${JSON.stringify(reply.slice(0, 200))} [${buttons.join(', ')}]`);
      assert.doesNotMatch(reply, /sign in/i, 'an unreachable server is not a sign-in problem');
      assert.ok(buttons.includes('Diagnose'), `buttons: ${buttons.join(', ')}`);
      await ctx.shot('wrong-port');
    }
  },
  {
    name: 'not-mcp-url',
    async run(ctx) {
      const { page, world } = ctx;
      await clearToasts(page);
      const url = new URL('/not-mcp', world.urls.mcp).toString();
      const status = await configure(page, url, /MCP: not an MCP endpoint/);
      ctx.log(`status: ${status}`);
      const { reply, buttons } = await ask(page, "@secure-mcp What's the weather in Sion?", /not an MCP endpoint/);
      ctx.log(`reply: ${JSON.stringify(reply.slice(0, 200))} [${buttons.join(', ')}]`);
      assert.doesNotMatch(reply, /allowLegacyEndpoints/, 'no advice to weaken security');
      assert.ok(buttons.some(b => /Configure Server/.test(b)), `buttons: ${buttons.join(', ')}`);
      await ctx.shot('not-mcp-url');
      // Back to the world's server.
      await configure(page, world.urls.mcp, /MCP: (\d+ tools|signed out|not connected)/);
    }
  },
  {
    name: 'second-server',
    async run(ctx) {
      const { page, world } = ctx;
      /** @type {typeof import('../world/index.ts')} */
      const worldModule = await tsImport('../world/index.ts', import.meta.url);
      const second = await worldModule.startSecureMcpServer({ issuer: world.idp.issuer, jwksUri: world.idp.jwksUri, audience: world.apiClientId, requiredScope: world.idp.scope, tenantId: world.idp.tenantId });
      try {
        await clearToasts(page);
        // The first server answers, so the migrated server connects as it was.
        await runCommand(page, 'Secure MCP: Reconnect');
        await waitForStatus(page, /MCP: \d+ tools/, 30_000);
        await runCommand(page, 'Secure MCP: Add Server…');
        await answerInputBox(page, second.url);
        await page.locator('.quick-input-widget', { hasText: 'Names its tools' }).waitFor({ state: 'visible', timeout: 10_000 });
        await answerInputBox(page, 'second');
        const added = await waitForToast(page, /Added the MCP server/, 30_000);
        ctx.log(`toast: ${JSON.stringify(added.message)} [${added.buttons.join(', ')}]`);
        assert.match(added.message, /moved from secureMcp\.serverUrl into secureMcp\.servers as "127_0_0_1"/);
        const status = await waitForStatus(page, /MCP: 1\/2 servers · \d+ tools/, 30_000);
        ctx.log(`status: ${status}`);
        // The status bar lists the servers; the second one is signed in to from there.
        await statusItem(page).click();
        await page.locator('.quick-input-widget', { hasText: 'second' }).waitFor({ state: 'visible', timeout: 10_000 });
        const listed = (await page.locator('.quick-input-widget .quick-input-list').innerText()).replace(/\s+/g, ' ');
        ctx.log(`servers: ${listed.slice(0, 300)}`);
        assert.match(listed, /127_0_0_1/);
        assert.match(listed, /second/);
        await ctx.shot('servers');
        await ctx.readmeShot('servers');
        await answerInputBox(page, 'second');
        await page.locator('.quick-input-widget', { hasText: 'Reconnect' }).waitFor({ state: 'visible', timeout: 10_000 });
        await signInThroughBrowser(ctx, () => answerInputBox(page, 'Sign In'));
        const both = await waitForStatus(page, new RegExp(`MCP: 2/2 servers · ${2 * world.mcp.toolNames.length} tools`), 30_000);
        ctx.log(`status: ${both}`);
        const issuers = new Set(second.requests.map(r => r.issuer).filter(Boolean));
        assert.deepEqual([...issuers], [world.idp.issuer], 'the second server was reached with the token of its own sign-in (a second login page)');
        // Removed again from the server list, after VS Code's confirmation: one server, and the status bar reads as it did.
        await statusItem(page).click();
        await page.locator('.quick-input-widget', { hasText: 'second' }).waitFor({ state: 'visible', timeout: 10_000 });
        await answerInputBox(page, 'second');
        await page.locator('.quick-input-widget', { hasText: 'Remove Server' }).waitFor({ state: 'visible', timeout: 10_000 });
        const dialogs = answerDialogs(ctx, [[/Remove the MCP server second/, 'Remove']]);
        await answerInputBox(page, 'Remove Server');
        const one = await waitForStatus(page, new RegExp(`^\\S* ?MCP: ${world.mcp.toolNames.length} tools$`), 30_000).finally(() => dialogs.stop());
        ctx.log(`after removing it: ${one}`);
        assert.deepEqual(userSettings(ctx.userDataDir)['secureMcp.servers'].map(e => e.name), ['127_0_0_1']);
      } finally {
        await second.close();
      }
    }
  }
];
