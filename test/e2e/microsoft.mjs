// The seed's journey with VS Code's built-in Microsoft provider, in npm start's own
// configuration (no smoke-test driver: real dialogs and notifications): the status bar's
// Sign In, VS Code's "Allow", the provider's sign-in page at the Entra emulator (through
// its proxy), a tool call with the emulator's token. Run by `npm start -- --smoke`.
import assert from 'node:assert/strict';
import {
  answerDialogs, findFrame, openChat, sendChat, statusItem, waitFor, waitForAnswer, waitForStatus, waitForToast
} from './ui.mjs';

const WEBVIEW_BOOT_MS = 120_000;

/**
 * Clicks the status bar item and allows the sign-in; resolves with the provider's sign-in
 * page (the popup), or undefined when none opened within `popupMs`.
 */
async function startSignIn(ctx, popupMs = 30_000) {
  const { page, context } = ctx;
  const popup = context.waitForEvent('page', { timeout: popupMs }).catch(() => undefined);
  await statusItem(page).click();
  const dialogs = answerDialogs(ctx, [[/wants to sign in/, 'Allow'], [/open the external website|open external/i, 'Open']]);
  const login = await popup.finally(() => dialogs.stop());
  if (login) {
    ctx.log(`the provider opened ${login.url().replace(/\?.*/, '?…')}`);
  }
  return login;
}

/** @type {{ name: string, run: (ctx: any) => Promise<void> }[]} */
export const microsoftSteps = [
  {
    // Entra refuses (VS Code's client not pre-authorized for the API): the user reads the code, what it means and the fix.
    name: 'microsoft-aadsts65001',
    async run(ctx) {
      const { page, world } = ctx;
      const emu = world.entraEmulator;
      await waitForStatus(page, /MCP: signed out/, 60_000);
      emu.faults.push({ on: 'authorize', error: 65001 });
      const login = await startSignIn(ctx);
      const toast = await waitForToast(page, /AADSTS65001/, 60_000);
      ctx.log(`toast: "${toast.message}" [${toast.buttons.join(', ')}]`);
      assert.match(toast.message, /Pre-authorize the client \(aebc6443-996d-45c2-90f0-388ff96faa56/, 'the fix names VS Code\'s client id');
      assert.ok(emu.log.of('authorize').some(e => e.aadsts === 65001), 'the emulator answered AADSTS65001');
      await ctx.shot('microsoft-aadsts65001');
      await login?.close().catch(() => undefined);
      await page.bringToFront();
      await toast.toast.locator('.codicon-notifications-clear, .codicon-close').first().click({ timeout: 3_000 }).catch(() => page.keyboard.press('Escape'));
      assert.match((await statusItem(page).innerText()).trim(), /MCP: (signed out|error)/);
    }
  },
  {
    name: 'microsoft-sign-in',
    async run(ctx) {
      const { page, world } = ctx;
      const emu = world.entraEmulator;
      const tokensBefore = emu.log.of('token', 'authorization_code').length;
      const login = await startSignIn(ctx);
      assert.ok(login, 'the provider opened its sign-in page');
      const text = await waitForStatus(page, /MCP: \d+ tools/, 60_000);
      assert.match(text, new RegExp(`MCP: ${world.mcp.toolNames.length} tools`));
      const [authorize] = emu.log.of('authorize').slice(-1);
      assert.equal(authorize.query.client_id, 'aebc6443-996d-45c2-90f0-388ff96faa56', 'VS Code\'s own client signed in');
      assert.ok(authorize.path.startsWith(`/${emu.tenantId}/`), `the configured tenant: ${authorize.path}`);
      assert.equal(emu.log.of('token', 'authorization_code').length, tokensBefore + 1);
      assert.deepEqual(emu.log.withParam('resource'), [], 'no resource parameter ever reached Entra');
      if (!login.isClosed()) {
        await login.close().catch(() => undefined);
      }
      await page.bringToFront();
    }
  },
  {
    name: 'microsoft-tool-call',
    async run(ctx) {
      const { page, world } = ctx;
      const calls = world.mcp.calls.length;
      await openChat(page);
      await sendChat(page, "@secure-mcp What's the weather in Zurich?");
      const frame = await findFrame(page, '#approve', WEBVIEW_BOOT_MS);
      await frame.locator('#approve').click();
      const expected = ctx.weatherFor('Zurich').condition;
      await waitForAnswer(page, 'Zurich', new RegExp(`${expected}[\\s\\S]*Model:`), 60_000);
      await waitFor(() => world.mcp.calls.length === calls + 1, 'the call to reach the server', 5_000);
      const call = world.mcp.calls.at(-1);
      assert.equal(call.oid, world.entraEmulator.user.oid, 'the server saw the emulator\'s user in the token');
      assert.deepEqual(call.args, { city: 'Zurich' });
    }
  }
];
