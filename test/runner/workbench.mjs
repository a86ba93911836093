// The VS Code web workbench in Chromium (Debian's, through playwright-core): its URL
// with the extension-development payload, the hooks the smoke-test driver reports a
// test run through, the UI actions tests inside the extension host ask for, and what
// to save when a run fails. See /docs/testing.md.
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { chromium } from 'playwright-core';
import { registerCleanup } from './cleanup.mjs';
import { provision, repoRoot } from './provision.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

/**
 * Workbench console lines that say nothing about the code under test: built-in
 * extensions' telemetry and gallery calls fail offline (docs/testing.md), and the
 * agent host and chat model picker log every lookup. Shown with `verbose`.
 */
export const NOISE = [
  /^\[AgentHost\] No signed-in session resolved/,
  /^\[ChatModelSelection\] /,
  /An unknown error occurred/,
  /ENOTFOUND/,
  // Built-in chat agents waiting for a GitHub sign-in that never comes offline.
  /\[AgentHost\] Authentication provider is not ready/
];

/** A line an extension-host test logs to ask the runner for a UI action (see handleUiRequest). */
export const UI_REQUEST_PREFIX = '[secure-mcp-ui] ';

/** `vscode-remote://127.0.0.1:PORT/<abs path>`: a path on the code-server side. */
export function remoteUri(server, absPath) {
  const p = path.resolve(absPath).split(path.sep).map(encodeURIComponent).join('/');
  return `vscode-remote://127.0.0.1:${server.port}${p.startsWith('/') ? p : `/${p}`}`;
}

/**
 * The workbench URL, with the extension-development payload when given.
 * @param {{ port: number, url: string }} server
 * @param {{ folder?: string, extensionDevelopmentPath?: string, extensionTestsPath?: string, extensionEnvironment?: Record<string,string>, skipWelcome?: boolean }} [options]
 */
export function workbenchUrl(server, options = {}) {
  const url = new URL(`${server.url}/`);
  if (options.folder) {
    url.searchParams.set('folder', path.resolve(options.folder));
  }
  const payload = [];
  if (options.extensionDevelopmentPath) {
    payload.push(['extensionDevelopmentPath', remoteUri(server, options.extensionDevelopmentPath)]);
  }
  if (options.extensionTestsPath) {
    payload.push(['extensionTestsPath', remoteUri(server, options.extensionTestsPath)]);
  }
  if (options.extensionEnvironment) {
    payload.push(['extensionEnvironment', JSON.stringify(options.extensionEnvironment)]);
  }
  if (options.skipWelcome ?? true) {
    payload.push(['skipWelcome', 'true']);
  }
  if (payload.length) {
    url.searchParams.set('payload', JSON.stringify(payload));
  }
  return url.toString();
}

/**
 * Headless Chromium (Debian's) through playwright-core. `proxy`: an HTTP proxy for every
 * host but loopback (the Entra emulator's), whose test CA the pages then trust. `args`:
 * more Chromium arguments (e.g. the emulator's own proxy and SPKI pin, as a user would pass them).
 */
export async function launchBrowser({ headless = true, paths, proxy, args: extra = [] } = {}) {
  const p = paths ?? await provision();
  const args = [...CHROMIUM_ARGS, ...(proxy ? [`--proxy-server=${proxy}`, '--ignore-certificate-errors'] : []), ...extra];
  const browser = await chromium.launch({ executablePath: p.chromium, headless, args });
  const pid = browser.process?.()?.pid;
  const killNow = () => {
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const unregister = registerCleanup(killNow);
  return {
    browser,
    async close() {
      unregister();
      await Promise.race([browser.close().catch(() => undefined), new Promise(r => setTimeout(r, 5000))]);
      killNow();
    }
  };
}

/**
 * Exposes `codeAutomationLog` and `codeAutomationExit`, through which the smoke-test
 * driver reports an extension test run; call before navigating. Logged lines are
 * formatted with `util.format` for mocha's `%s` placeholders; UI requests among them
 * run one after another.
 * @param {import('playwright-core').Page} page
 * @param {{ log: (line: string) => void, verbose?: boolean }} options `verbose` also logs NOISE
 * @returns {Promise<{ exit: Promise<{ code: number, reason?: string }>, fail: (reason: string) => void, firstOutputAt: () => number | undefined }>}
 *   `exit` settles once, with the first of the run's exit, a page crash or `fail`
 */
export async function watchTestRun(page, { log, verbose }) {
  let settle;
  const exit = new Promise(resolve => {
    settle = resolve;
  });
  let uiQueue = Promise.resolve();
  let firstOutput;
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = util.format(...(Array.isArray(args) ? args : [args]));
    firstOutput ??= /^vscode\.version /.test(line) ? Date.now() : undefined;
    if (line.startsWith(UI_REQUEST_PREFIX)) {
      const request = JSON.parse(line.slice(UI_REQUEST_PREFIX.length));
      uiQueue = uiQueue.then(() => handleUiRequest(page, request, log)).catch(e => log(`[ui] failed: ${e.message}`));
      return;
    }
    if (!verbose && NOISE.some(re => re.test(line))) {
      return;
    }
    log(type === 'error' ? `[${type}] ${line}` : line);
  });
  await page.exposeFunction('codeAutomationExit', code => settle({ code: Number(code) }));
  page.on('crash', () => settle({ code: 1, reason: 'the page crashed' }));
  return { exit, fail: reason => settle({ code: 1, reason }), firstOutputAt: () => firstOutput };
}

/**
 * Actions a test inside the extension host can ask for by logging
 * `UI_REQUEST_PREFIX + JSON`: things only a user (here: Playwright) can do.
 * - `{ op: 'accountsMenu', label }` opens the Accounts menu and clicks the entry whose
 *   text contains `label` (how another extension's auth provider grants access when
 *   modal consent dialogs are refused in smoke-test mode).
 * - `{ op: 'click', selector }`, `{ op: 'press', key }`
 */
export async function handleUiRequest(page, request, log = console.log) {
  log(`[ui] ${JSON.stringify(request)}`);
  switch (request.op) {
    case 'accountsMenu': {
      // The list item, not its label: the "sign in requested" badge covers the label.
      const accounts = page.locator('.activitybar .action-item').filter({ has: page.locator('.codicon-accounts-view-bar-icon') }).first();
      const entry = page.locator('.monaco-menu .action-item, .context-view .action-item').filter({ hasText: request.label });
      for (let attempt = 0; attempt < 20; attempt++) {
        await accounts.click({ timeout: 10_000 });
        try {
          await entry.first().click({ timeout: 1500 });
          return;
        } catch {
          // The entry appears once the request reached the workbench; retry.
          await page.keyboard.press('Escape');
          await new Promise(r => setTimeout(r, 300));
        }
      }
      throw new Error(`no Accounts menu entry containing "${request.label}"`);
    }
    case 'click':
      await page.locator(request.selector).first().click({ timeout: 10_000 });
      return;
    case 'press':
      await page.keyboard.press(request.key);
      return;
    default:
      throw new Error(`unknown UI request ${JSON.stringify(request)}`);
  }
}

/** `test-results/<name>-<time>`, the common stem of one failure's files. */
export function artifactBase(name) {
  const dir = path.join(repoRoot, 'test-results');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
}

/**
 * Saves a screenshot and the page's HTML under test-results/ (git-ignored).
 * @returns {Promise<string[]>} the files written
 */
export async function saveFailureArtifacts(page, name, base = artifactBase(name)) {
  const written = [];
  try {
    await page.screenshot({ path: `${base}.png`, timeout: 10_000 });
    written.push(`${base}.png`);
  } catch {
    // page gone
  }
  try {
    fs.writeFileSync(`${base}.html`, await page.content());
    written.push(`${base}.html`);
  } catch {
    // page gone
  }
  return written;
}
