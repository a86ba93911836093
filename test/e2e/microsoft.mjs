// The seed's journey with VS Code's built-in Microsoft provider, in npm start's own
// configuration (no smoke-test driver: real dialogs and notifications): the status bar's
// Sign In, VS Code's "Allow", the provider's sign-in page at the Entra emulator (through
// its proxy), a tool call with the emulator's token. Run by `npm start -- --smoke`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  answerDialogs, findFrame, openChat, runCommand, sendChat, statusItem, waitFor, waitForAnswer, waitForStatus, waitForToast, waitForWorkbench, WEBVIEW_BOOT_MS
} from './ui.mjs';

/** A host name for code-server that VS Code does not count as local: how a remote user reaches it. */
export const REMOTE_HOST = 'code.example';

/**
 * Chromium arguments that let this machine's browser play a remote user: `REMOTE_HOST`
 * resolves to loopback, bypasses the emulator's proxy, and counts as a secure context (as
 * HTTPS would) so webviews work.
 */
export function remoteUserArgs(codeServerPort) {
  return [
    `--host-resolver-rules=MAP ${REMOTE_HOST} 127.0.0.1`,
    `--proxy-bypass-list=${REMOTE_HOST}`,
    `--unsafely-treat-insecure-origin-as-secure=http://${REMOTE_HOST}:${codeServerPort}`
  ];
}

/** The Entra errors at sign-in that clients trip on, and the words of the fix the user must be shown. */
const AADSTS_FIXES = [
  [9010010, /Remove the resource parameter/],
  [65001, /Pre-authorize the client \(aebc6443-996d-45c2-90f0-388ff96faa56/],
  [90009, /GUID form: <client-id>\/mcp:tools/],
  [70011, /do not mix \.default with named scopes/],
  [500011, /Check the Application ID URI in the scope/],
  [700016, /Check secureMcp\.auth\.clientId and secureMcp\.auth\.tenant/]
];

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

/** The one-time code in VS Code's device-code dialog ("Your Code: …"), once it shows. */
function deviceCodeShown(page) {
  return waitFor(async () => /Your Code: ?(\S+)/.exec(await page.locator('.monaco-dialog-box').innerText({ timeout: 1_000 }).catch(() => ''))?.[1], 'the device code dialog', 60_000, 100);
}

/** Enters `code` at the emulator's code form (where microsoft.com/devicelogin leads), as a user does; closes the page. */
async function enterDeviceCode(form, code) {
  await form.locator('#otc').fill(code);
  await form.locator('#idSIButton9').click();
  await form.locator('#done').waitFor({ timeout: 15_000 });
  await form.close();
}

/** Signs the emulator's user out where VS Code keeps accounts, the Accounts menu; the product must follow. */
export async function signOutFromAccountsMenu(ctx, page) {
  const account = ctx.world.entraEmulator.user.preferredUsername;
  const accounts = page.locator('.activitybar .action-item').filter({ has: page.locator('.codicon-accounts-view-bar-icon') }).first();
  const entry = page.locator('.monaco-menu .action-item, .context-view .action-item');
  await accounts.click({ timeout: 10_000 });
  await entry.filter({ hasText: account }).first().hover({ timeout: 10_000 });
  const dialogs = answerDialogs({ ...ctx, page }, [[/sign out|has been used by/i, 'Sign Out']]);
  try {
    const signOut = entry.filter({ hasText: /^\s*Sign Out\s*$/ }).first();
    await signOut.click({ timeout: 10_000 });
    // A click while the submenu is still settling can be lost (the item stays focused): Enter then.
    await new Promise(r => setTimeout(r, 1_000));
    if (await signOut.isVisible().catch(() => false)) {
      await page.keyboard.press('Enter');
    }
    await waitForStatus(page, /MCP: signed out/, 30_000);
  } finally {
    await dialogs.stop();
  }
}

/** @type {{ name: string, run: (ctx: any) => Promise<void> }[]} */
export const microsoftSteps = [
  {
    // Entra refuses the sign-in, in each of the ways clients trip on: the user reads the
    // code, what it means and the fix, in the toast the product shows, and can sign in again.
    name: 'microsoft-aadsts',
    async run(ctx) {
      const { page, world } = ctx;
      const emu = world.entraEmulator;
      await waitForStatus(page, /MCP: signed out/, 60_000);
      for (const [code, fix] of AADSTS_FIXES) {
        emu.faults.push({ on: 'authorize', error: code });
        const login = await startSignIn(ctx);
        const toast = await waitForToast(page, new RegExp(`AADSTS${code}\\b`), 60_000);
        ctx.log(`AADSTS${code}: "${toast.message}" [${toast.buttons.join(', ')}]`);
        ctx.seen?.push({ code, message: toast.message, buttons: toast.buttons });
        assert.match(toast.message, fix, `the fix for AADSTS${code}`);
        assert.deepEqual(toast.buttons, ['Sign In']);
        assert.ok(emu.log.of('authorize').some(e => e.aadsts === code), `the emulator answered AADSTS${code}`);
        await ctx.shot(`microsoft-aadsts${code}`);
        await login?.close().catch(() => undefined);
        await page.bringToFront();
        await toast.toast.hover().catch(() => undefined);
        await toast.toast.locator('.codicon-notifications-clear, .codicon-close').first().click({ timeout: 3_000 }).catch(() => page.keyboard.press('Escape'));
        await waitForStatus(page, /MCP: signed out/, 10_000);
      }
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
  },
  {
    // Sign-out where VS Code keeps accounts: the Accounts menu. The product follows it.
    name: 'microsoft-sign-out',
    async run(ctx) {
      await signOutFromAccountsMenu(ctx, ctx.page);
    }
  },
  {
    // A user who reaches code-server on loopback (a forwarded port) gets VS Code's
    // protocol-handler flow, whose vscode.dev/redirect hop cannot find its way back to
    // code-server: the sign-in waits. Cancelling it offers the device code, which works.
    name: 'loopback-stall-then-device-code',
    async run(ctx) {
      const { page, world } = ctx;
      const emu = world.entraEmulator;
      await waitForStatus(page, /MCP: signed out/, 10_000);
      emu.setRedirectStandIn('faithful');
      try {
        const login = await startSignIn(ctx);
        assert.ok(login, 'the provider opened its sign-in page');
        await waitFor(() => emu.log.entries.some(e => e.endpoint === 'redirect'), 'the browser to reach vscode.dev/redirect', 30_000);
        await new Promise(r => setTimeout(r, 3_000));
        assert.match((await statusItem(page).innerText()).trim(), /MCP: signing in/, 'the sign-in is stuck after the redirect');
        await login.close().catch(() => undefined);
        await page.bringToFront();
        const signingIn = await waitForToast(page, /Signing in to Microsoft/i, 15_000);
        await ctx.shot('loopback-stalled');
        await signingIn.toast.hover().catch(() => undefined);
        const popup = ctx.context.waitForEvent('page', { timeout: 60_000 });
        await signingIn.toast.locator('.monaco-button', { hasText: 'Cancel' }).first().click({ timeout: 5_000 });
        const trouble = await waitForToast(page, /Having trouble logging in/i, 15_000);
        ctx.log(`then: "${trouble.message}" [${trouble.buttons.join(', ')}]`);
        const dialogs = answerDialogs(ctx, [[/Your Code/i, 'Copy & Continue to Microsoft'], [/open the external website|open external/i, 'Open']]);
        try {
          await trouble.toast.locator('.monaco-button', { hasText: 'Yes' }).first().click({ timeout: 5_000 });
          const code = await deviceCodeShown(page);
          const form = await popup;
          await form.waitForLoadState('domcontentloaded');
          await enterDeviceCode(form, code);
        } finally {
          await dialogs.stop();
        }
        await page.bringToFront();
        await waitForStatus(page, /MCP: \d+ tools/, 60_000);
      } finally {
        emu.setRedirectStandIn('repairing');
      }
    }
  },
  {
    // A user whose browser reaches code-server by a name that is not loopback (a remote
    // machine, Codespaces): the provider signs in with a device code only, since the
    // vscode.dev/redirect hop cannot come back to such a host.
    name: 'remote-device-code',
    async run(ctx) {
      const { world } = ctx;
      const emu = world.entraEmulator;
      const remote = await ctx.openRemote();
      const page = remote.page;
      const rctx = { ...ctx, page, context: remote.context };
      await waitForWorkbench(page, 90_000);
      await waitForStatus(page, /MCP: signed out/, 60_000);
      const authorizes = emu.log.of('authorize').length;
      const popup = remote.context.waitForEvent('page', { timeout: 60_000 });
      await statusItem(page).click();
      const dialogs = answerDialogs(rctx, [[/wants to sign in/, 'Allow'], [/Your Code/i, 'Copy & Continue to Microsoft'], [/open the external website|open external/i, 'Open']]);
      try {
        const code = await deviceCodeShown(page);
        ctx.log(`device code shown: ${code}`);
        await ctx.shot('remote-device-code', undefined, page);
        const login = await popup;
        await login.waitForLoadState('domcontentloaded');
        ctx.log(`the provider opened ${login.url()}`);
        assert.equal(new URL(login.url()).host, 'login.microsoftonline.com', 'microsoft.com/devicelogin sent the browser to the code form');
        await enterDeviceCode(login, code);
      } finally {
        await dialogs.stop();
      }
      await page.bringToFront();
      await waitForStatus(page, /MCP: \d+ tools/, 60_000).catch(async e => {
        await ctx.shot('remote-device-code-failed', undefined, page).catch(() => undefined);
        const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
        throw new Error(`${e.message}; toasts ${JSON.stringify(toasts)}; the emulator saw: ${emu.log.entries.slice(-8).map(r => `${r.method} ${r.host}${r.path} ${r.grantType ?? ''} ${r.status ?? '…'}${r.aadsts ? ` AADSTS${r.aadsts}` : ''}`).join('; ')}`, { cause: e });
      });
      assert.equal(emu.log.of('authorize').length, authorizes, 'no /authorize: the device code flow only');
      assert.ok(emu.log.of('devicecode').length >= 1);
      assert.ok(emu.log.of('token').some(e => /^(urn:ietf:params:oauth:grant-type:)?device_code$/.test(e.grantType ?? '') && e.status === 200), 'the provider redeemed the device code');
      const calls = world.mcp.calls.length;
      await sendChat(page, "@secure-mcp What's the weather in Lyon?");
      const frame = await findFrame(page, '#approve', WEBVIEW_BOOT_MS);
      await frame.locator('#approve').click();
      await waitForAnswer(page, 'Lyon', new RegExp(`${ctx.weatherFor('Lyon').condition}[\\s\\S]*Model:`), 60_000);
      await waitFor(() => world.mcp.calls.length === calls + 1, 'the call to reach the server', 5_000);
      assert.equal(world.mcp.calls.at(-1).oid, emu.user.oid);
    }
  },
  {
    // A second account: after Secure MCP's own Sign Out, the next sign-in lets the user pick
    // another account, and the server then sees that user.
    name: 'second-account',
    async run(ctx) {
      const { page, world } = ctx;
      const emu = world.entraEmulator;
      await page.bringToFront();
      await waitForStatus(page, /MCP: \d+ tools/, 30_000);
      const first = emu.user.preferredUsername;
      const second = emu.signIn('bob@contoso.example');
      await runCommand(page, 'Secure MCP: Sign Out');
      await waitForStatus(page, /MCP: signed out/, 20_000);
      const popup = ctx.context.waitForEvent('page', { timeout: 60_000 });
      await statusItem(page).click();
      const dialogs = answerDialogs(ctx, [[/wants to sign in/, 'Allow']]);
      try {
        const pick = page.locator('.quick-input-widget .monaco-list-row');
        await pick.first().waitFor({ timeout: 30_000 });
        const rows = (await pick.allInnerTexts()).map(t => t.replace(/\s+/g, ' ').trim());
        ctx.log(`accounts offered: ${JSON.stringify(rows)}`);
        assert.ok(rows.some(r => r.includes(first)), `the first account is offered: ${JSON.stringify(rows)}`);
        await ctx.shot('second-account-pick');
        await pick.filter({ hasText: /another account/i }).first().click({ timeout: 10_000 });
        const login = await popup;
        await login.waitForEvent('close', { timeout: 30_000 }).catch(() => login.close());
      } finally {
        await dialogs.stop();
      }
      await page.bringToFront();
      await waitForStatus(page, /MCP: \d+ tools/, 60_000);
      const calls = world.mcp.calls.length;
      await sendChat(page, "@secure-mcp What's the weather in Basel?");
      const frame = await findFrame(page, '#approve', WEBVIEW_BOOT_MS);
      await frame.locator('#approve').click();
      await waitForAnswer(page, 'Basel', new RegExp(`${ctx.weatherFor('Basel').condition}[\\s\\S]*Model:`), 60_000);
      await waitFor(() => world.mcp.calls.length === calls + 1, 'the call to reach the server', 5_000);
      assert.equal(world.mcp.calls.at(-1).oid, second.oid, 'the server saw the second account');
    }
  },
  {
    // An organisation's own client registration (secureMcp.auth.clientId): the provider signs
    // in with it (VSCODE_CLIENT_ID), and Entra sees that client at /authorize and /token.
    name: 'own-client-id',
    async run(ctx) {
      const { page, world } = ctx;
      const emu = world.entraEmulator;
      const clientId = world.extensionClientId;
      // As a user does: the Settings editor, searched by the setting's id.
      await runCommand(page, 'Preferences: Open User Settings');
      const search = page.locator('.settings-editor .suggest-input-container .monaco-editor textarea, .settings-editor .search-container textarea').first();
      await search.waitFor({ timeout: 20_000 });
      const input = page.locator('.settings-editor .setting-item-contents').filter({ hasText: /Client Id/i }).locator('input').first();
      // The editor may still be setting itself up and drop what was typed: type it again, up to three times.
      for (let attempt = 1; ; attempt++) {
        // Clicking the box's editor surface gives it the focus as a person's click does.
        await page.locator('.settings-editor .search-container .monaco-editor .view-lines').first().click();
        await page.keyboard.press('Control+A');
        await page.keyboard.type('secureMcp.auth.clientId', { delay: 5 });
        if (await input.waitFor({ timeout: 8_000 }).then(() => true, () => false)) {
          break;
        }
        await ctx.shot('own-client-id-search');
        if (attempt === 3) {
          throw new Error('the Settings editor did not show secureMcp.auth.clientId');
        }
      }
      await input.fill(clientId);
      await input.press('Enter');
      await waitFor(() => JSON.parse(fs.readFileSync(path.join(ctx.userDataDir, 'User', 'settings.json'), 'utf8'))['secureMcp.auth.clientId'] === clientId, 'the client id in settings.json', 15_000);
      await ctx.shot('own-client-id-setting');
      // The Settings editor opens as a modal editor over the workbench: Escape closes it.
      const modal = page.locator('.modal-editor-resizable').first();
      for (let i = 0; i < 5 && await modal.isVisible().catch(() => false); i++) {
        await page.keyboard.press('Escape');
        await modal.waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
      }
      // No session for that client yet: the product says so.
      await waitForStatus(page, /MCP: (signed out|not connected)/, 30_000);
      const authorizes = emu.log.of('authorize').length;
      const login = await startSignIn(ctx);
      assert.ok(login, 'the provider opened its sign-in page');
      await waitForStatus(page, /MCP: \d+ tools/, 60_000);
      const authorize = emu.log.of('authorize').slice(authorizes);
      assert.deepEqual(authorize.map(e => e.query.client_id), [clientId], 'the configured client signed in');
      const redeemed = emu.log.of('token', 'authorization_code').at(-1);
      assert.equal(redeemed.form.client_id, clientId);
      assert.equal(redeemed.status, 200);
      await login.close().catch(() => undefined);
    }
  }
];
