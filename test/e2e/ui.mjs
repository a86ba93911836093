// Playwright helpers for driving the VS Code web workbench (code-server) the way a
// person does: the Command Palette, the status bar, the Chat view and webview panels.
// See docs/testing.md: webviews live four iframes deep, modal dialogs are refused in
// smoke-test mode.

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
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

export async function closeQuickInput(page) {
  const widget = page.locator('.quick-input-widget');
  if (await widget.isVisible().catch(() => false)) {
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

/** Opens the Chat view (Ctrl+Alt+I) and waits for its input. */
export async function openChat(page) {
  const input = page.locator(CHAT_INPUT).first();
  if (!await input.isVisible().catch(() => false)) {
    await runCommand(page, 'Chat: Open Chat');
  }
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  return input;
}

/** How many responses the Chat view shows. */
export async function responseCount(page) {
  return page.locator(RESPONSES).count();
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
 * Waits until response number `index` (0-based) exists and its text matches `re`;
 * returns the text.
 */
export async function waitForResponse(page, index, re, timeoutMs = 45_000) {
  let text = '';
  try {
    await waitFor(async () => {
      const all = page.locator(RESPONSES);
      if (await all.count() <= index) {
        return false;
      }
      text = (await all.nth(index).innerText({ timeout: 2_000 })).trim();
      return re.test(text);
    }, `chat response #${index + 1} to match ${re}`, timeoutMs, 300);
  } catch (e) {
    throw new Error(`${e.message}; it reads: ${JSON.stringify(text.slice(0, 600))}`, { cause: e });
  }
  return text;
}
