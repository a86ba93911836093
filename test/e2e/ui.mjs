// Playwright helpers for driving the VS Code web workbench (code-server) the way a
// person does: the Command Palette, the status bar, the Chat view and webview panels.
// See docs/testing.md: webviews live four iframes deep, modal dialogs are refused in
// smoke-test mode.
import fs from 'node:fs';
import path from 'node:path';

/**
 * How long a webview page may take to boot. The first one of a session waits for VS Code's
 * webview service worker; in headless Chromium against code-server that was seen to take
 * over 110 s, with nothing lost on the way (the page's host had not made its frame yet,
 * and reloading the content did not help), so it gets this long.
 */
export const WEBVIEW_BOOT_MS = 210_000;

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor(fn, what, timeoutMs = 30_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) {
        return value;
      }
    } catch (e) {
      last = e;
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
}

/** The Secure MCP status bar item. */
export function statusItem(page) {
  return page.locator('.statusbar-item', { hasText: 'MCP:' }).first();
}

export async function statusText(page) {
  return (await statusItem(page).innerText({ timeout: 5_000 })).trim();
}

/** Waits until the status bar item's text matches `re`; returns the text. */
export async function waitForStatus(page, re, timeoutMs = 30_000) {
  let text = '';
  try {
    await waitFor(async () => re.test(text = await statusText(page)), `the status bar to show ${re}`, timeoutMs);
  } catch (e) {
    throw new Error(`${e.message}; it shows "${text}"`, { cause: e });
  }
  return text;
}

/** Waits for the workbench to be usable: the status bar item of Secure MCP is up. */
export async function waitForWorkbench(page, timeoutMs = 60_000) {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await statusItem(page).waitFor({ timeout: timeoutMs });
}

/**
 * Runs a command from the Command Palette (F1) by its title, e.g. "Secure MCP: Sign In".
 * The palette is fuzzy; the row whose label matches the title exactly is picked.
 */
export async function runCommand(page, title) {
  await closeQuickInput(page);
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // A webview that just took the focus (a preview opening) may swallow the key: try again,
  // with the focus back on the workbench (a click on the active tab changes nothing).
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    if (await input.waitFor({ state: 'visible', timeout: 4_000 }).then(() => true, () => false)) {
      break;
    }
    if (attempt === 3) {
      throw new Error(`the command palette did not open for "${title}"`);
    }
    await page.locator('.part.editor .tab.active').first().click({ timeout: 2_000 }).catch(() => undefined);
  }
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

/**
 * Closes an open quick input with Escape, but only while it has the focus: a widget still
 * fading out leaves the focus in the editor, and an Escape there would reach a webview
 * panel, where it means Decline or Cancel.
 */
export async function closeQuickInput(page) {
  const widget = page.locator('.quick-input-widget');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  if (!await widget.isVisible().catch(() => false)) {
    return;
  }
  const focused = await input.evaluate(el => el === el.ownerDocument.activeElement, undefined, { timeout: 1_000 }).catch(() => false);
  if (focused) {
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
  }
}

/** Types into the open input box (showInputBox) and presses Enter. */
export async function answerInputBox(page, value) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(value);
  await page.keyboard.press('Enter');
}

/**
 * The first frame (at any depth) that has `selector`. Webview panels are
 * index.html → fake.html iframes inside the workbench page.
 */
export async function findFrame(page, selector, timeoutMs = 30_000) {
  return waitFor(async () => {
    for (const frame of page.frames()) {
      if (frame.isDetached()) {
        continue;
      }
      try {
        if (await frame.locator(selector).count()) {
          return frame;
        }
      } catch {
        // navigating or detached
      }
    }
    return undefined;
  }, `a frame with ${selector}`, timeoutMs, 250);
}

/** Clicks `selector` in whichever frame has it; returns that frame. */
export async function clickInFrame(page, selector, timeoutMs = 30_000) {
  const frame = await findFrame(page, selector, timeoutMs);
  await frame.locator(selector).first().click({ timeout: 10_000 });
  return frame;
}

/** No frame has `selector` any more (a webview panel closed after its decision). */
export async function waitForNoFrame(page, selector, timeoutMs = 15_000) {
  await waitFor(async () => {
    for (const frame of page.frames()) {
      if (!frame.isDetached() && await frame.locator(selector).count().catch(() => 0)) {
        return false;
      }
    }
    return true;
  }, `no frame with ${selector}`, timeoutMs, 250);
}

const CHAT_INPUT = '.interactive-input-part .monaco-editor';
const RESPONSES = '.interactive-item-container.interactive-response';

/** The helper extension's chat model, which streams from the world's scripted LLM. */
export const TEST_MODEL_LABEL = 'Secure MCP Test Model';

/** Opens the Chat view and waits for its input and, when given, for that model to be picked. */
export async function openChat(page, modelLabel = TEST_MODEL_LABEL) {
  const input = page.locator(CHAT_INPUT).first();
  if (!await input.isVisible().catch(() => false)) {
    await runCommand(page, 'Chat: Open Chat');
  }
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  if (modelLabel) {
    await pickModel(page, modelLabel);
  }
  await dismissChatNotices(page);
  return input;
}

/**
 * Gives the Chat view room, for readable screenshots: closes the primary side bar and
 * drags the sash between the editor area and the Chat view to the left.
 */
export async function widenChat(page, width = 520) {
  await runCommand(page, 'View: Close Primary Side Bar').catch(() => undefined);
  const part = page.locator('.part.auxiliarybar').first();
  const box = await part.boundingBox().catch(() => null);
  if (!box || box.width >= width) {
    return;
  }
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x - 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x - (width - box.width), y, { steps: 8 });
  await page.mouse.up();
}

/** Closes notices docked on the Chat input (e.g. "Set BYOK utility models"): they cover the last response. */
export async function dismissChatNotices(page) {
  const notices = page.locator('.chat-input-notification-widget');
  for (let i = 0; i < 3 && await notices.first().isVisible().catch(() => false); i++) {
    await notices.first().getByRole('button', { name: /close|dismiss/i }).first().click({ timeout: 2_000 })
      .catch(() => notices.first().locator('.codicon-close').first().click({ timeout: 2_000 }))
      .catch(async () => console.log(`   (could not dismiss the chat notice: ${(await notices.first().innerHTML().catch(() => '')).slice(0, 1500)})`));
    await new Promise(r => setTimeout(r, 200));
  }
}

/**
 * Picks the chat model in the Chat view's model picker, as a person does; until a model
 * is picked, a request fails with "Language model unavailable".
 */
export async function pickModel(page, modelLabel, timeoutMs = 45_000) {
  const picked = page.locator(`.interactive-input-part .model-picker-item [aria-label*="${modelLabel}"]`).first();
  if (await picked.isVisible().catch(() => false)) {
    return;
  }
  // VS Code asks an extension's model provider for its models lazily (on a request, or
  // when models are listed); the Language Models editor lists them, as a person would.
  await runCommand(page, 'Manage Language Models');
  const modal = page.locator('.modal-editor-resizable').first();
  await modal.getByText(modelLabel).first().waitFor({ timeout: 15_000 }).catch(() => undefined);
  // It opens as a modal editor: Escape closes it.
  for (let i = 0; i < 5 && await modal.isVisible().catch(() => false); i++) {
    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
  }
  await waitFor(async () => {
    if (await picked.isVisible().catch(() => false)) {
      return true;
    }
    await page.locator('.interactive-input-part .model-picker-item .model-picker-name').first().click({ timeout: 5_000 });
    const entry = page.locator('.action-widget .monaco-list-row, .quick-input-widget .monaco-list-row, .monaco-menu .action-item', { hasText: modelLabel }).first();
    try {
      await entry.click({ timeout: 3_000 });
    } catch {
      await page.keyboard.press('Escape');
    }
    return picked.isVisible().catch(() => false);
  }, `the chat model "${modelLabel}" to be picked`, timeoutMs, 1_000);
}

/** Types a request into the Chat input and sends it with Enter. */
export async function sendChat(page, text) {
  const input = await openChat(page);
  await input.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text, { delay: 5 });
  // The participant/command completion widget may be open; it must not swallow Enter.
  await page.keyboard.press('Escape');
  await input.click();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
}

/** The last response's element. */
export function lastResponse(page) {
  return page.locator(RESPONSES).last();
}

/**
 * Waits until the Chat view's last request contains `promptFragment` and the response
 * that follows it matches `re`; returns the response text. (The chat list is virtualized:
 * older items leave the DOM, so responses cannot be counted.)
 */
export async function waitForAnswer(page, promptFragment, re, timeoutMs = 45_000) {
  let text = '';
  try {
    await waitFor(async () => {
      text = await page.evaluate(fragment => {
        // List rows are absolutely positioned and inserted in any order: use their index.
        /* global document */
        const indexed = selector => [...document.querySelectorAll(selector)]
          .map(el => ({ el, index: Number(el.closest('.monaco-list-row')?.getAttribute('data-index') ?? -1) }))
          .sort((a, b) => a.index - b.index);
        const request = indexed('.interactive-item-container.interactive-request').at(-1);
        if (!request || !request.el.innerText.includes(fragment)) {
          return '';
        }
        const response = indexed('.interactive-item-container.interactive-response').at(-1);
        if (!response || response.index < request.index) {
          return '';
        }
        return response.el.innerText.trim();
      }, promptFragment);
      return re.test(text);
    }, `the answer to "${promptFragment}" to match ${re}`, timeoutMs, 300);
  } catch (e) {
    throw new Error(`${e.message}; it reads: ${JSON.stringify(text.slice(0, 600))}`, { cause: e });
  }
  return text;
}

/**
 * Clicks through workbench dialogs (`.monaco-dialog-box`) whose message matches, until
 * stopped: `[[/message/, 'Button label'], …]`. Logs what it answered.
 */
export function answerDialogs(ctx, answers) {
  let stopped = false;
  const done = (async () => {
    const box = ctx.page.locator('.monaco-dialog-box');
    while (!stopped) {
      if (await box.isVisible().catch(() => false)) {
        const message = (await box.innerText({ timeout: 2_000 }).catch(() => '')).replace(/\s+/g, ' ').trim();
        const answer = answers.find(([re]) => re.test(message));
        if (answer) {
          ctx.log(`dialog "${message}" → ${answer[1]}`);
          await ctx.shot(`dialog-${answer[1].toLowerCase()}`).catch(() => undefined);
          await box.locator('.dialog-buttons .monaco-button', { hasText: answer[1] }).first().click({ timeout: 5_000 }).catch(e => ctx.log(`could not click ${answer[1]}: ${e.message}`));
        }
      }
      await new Promise(r => setTimeout(r, 200));
    }
  })();
  return { stop: () => { stopped = true; return done; } };
}

/**
 * Waits for a notification toast whose message matches `re`; returns its message and button
 * labels. Toasts show only without the smoke-test driver (npm start's configuration).
 */
export async function waitForToast(page, re, timeoutMs = 30_000) {
  const toasts = page.locator('.notifications-toasts .notification-toast');
  let seen = [];
  try {
    return await waitFor(async () => {
      seen = [];
      for (const toast of await toasts.all()) {
        const message = (await toast.locator('.notification-list-item-message').innerText({ timeout: 1_000 }).catch(() => '')).replace(/\s+/g, ' ').trim();
        seen.push(message);
        if (re.test(message)) {
          const buttons = (await toast.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts()).map(b => b.trim()).filter(Boolean);
          return { message, buttons, toast };
        }
      }
      return undefined;
    }, `a notification matching ${re}`, timeoutMs, 250);
  } catch (e) {
    throw new Error(`${e.message}; toasts: ${JSON.stringify(seen)}`, { cause: e });
  }
}

/**
 * Signs in at the world's login page that `trigger` opens, as a person does: VS Code's
 * dialogs answered, the form filled, consent given, the loopback page closed.
 */
export async function signInThroughBrowser(ctx, trigger) {
  const { page, context, world } = ctx;
  const popup = context.waitForEvent('page', { timeout: 45_000 });
  await trigger();
  // VS Code asks before an extension signs in with a provider, and may ask before it
  // opens an external website: a person clicks through those dialogs, so do we.
  const dialogs = answerDialogs(ctx, [[/wants to sign in/, 'Allow'], [/open the external website|open external/i, 'Open']]);
  const login = await popup.finally(() => dialogs.stop());
  ctx.log(`the sign-in page opened: ${login.url().replace(/\?.*/, '?…')}`);
  await login.waitForLoadState('domcontentloaded');
  // With a session at the identity provider already (an earlier sign-in), it asks only for consent.
  const form = await Promise.race([
    login.locator('#username').waitFor({ timeout: 15_000 }).then(() => 'login'),
    login.locator('#consent-form #accept').waitFor({ timeout: 15_000 }).then(() => 'consent')
  ]).catch(() => 'unknown');
  ctx.log(`the identity provider shows: ${form}`);
  if (form === 'login') {
    await login.locator('#username').fill(world.demoUser.username);
    await login.locator('#password').fill(world.demoUser.password);
    await ctx.shot('sign-in-page', undefined, login);
    await login.locator('#sign-in').click();
  }
  // A dynamically registered client is not pre-authorized: the IdP asks for consent.
  const consentOrDone = await Promise.race([
    login.locator('#consent-form #accept').waitFor({ timeout: 15_000 }).then(() => 'consent'),
    login.waitForURL(u => u.hostname === '127.0.0.1' && u.pathname.startsWith('/callback'), { timeout: 15_000 }).then(() => 'callback'),
    login.waitForEvent('close', { timeout: 15_000 }).then(() => 'closed')
  ]).catch(() => 'unknown');
  ctx.log(`after the login form: ${consentOrDone}`);
  if (consentOrDone === 'consent') {
    await login.locator('#consent-form #accept').click();
  }
  if (!login.isClosed()) {
    await login.waitForURL(u => u.pathname.startsWith('/callback'), { timeout: 15_000 }).catch(() => undefined);
    ctx.log(`the loopback page says: ${(await login.locator('body').innerText().catch(() => '')).slice(0, 200)}`);
    await ctx.shot('sign-in-done', undefined, login);
    await login.close();
  }
  await page.bringToFront();
}

/** The user's settings.json, parsed. */
export function userSettings(userDataDir) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  // settings.json is JSONC; the workbench writes it without comments.
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
