// Runs the real VS Code (code-server 4.139, Node 24) on loopback and drives its web
// workbench with Chromium. Used by the integration tests, the e2e tests and `npm start`.
// See /docs/testing.md for why each flag is here.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { chromium } from 'playwright-core';
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

/** User settings for test runs: no gallery calls, no update checks, no startup editor. */
export const TEST_SETTINGS = {
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false
};

/** A line an extension-host test logs to ask the runner for a UI action (see handleUiRequest). */
export const UI_REQUEST_PREFIX = '[secure-mcp-ui] ';

const cleanups = new Set();
let exitHooksInstalled = false;

/**
 * Registers a synchronous clean-up (kill a process group, remove a temp dir) that runs
 * if the runner exits or is interrupted before the owner cleans up normally.
 * @param {() => void} fn
 * @returns {() => void} unregister, for the normal path
 */
export function registerCleanup(fn) {
  installExitHooks();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups() {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort while exiting
    }
  }
}

function installExitHooks() {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  process.on('exit', runCleanups);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      runCleanups();
      process.exit(128 + (os.constants.signals[signal] ?? 1));
    });
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A temp dir that is removed on exit unless the owner removes it first. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `secure-mcp-${prefix}-`));
  registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `<userDataDir>/User/settings.json`; call before the server starts. */
export function writeUserSettings(userDataDir, settings) {
  const dir = path.join(userDataDir, 'User');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

/**
 * Installs an unpacked extension (a folder with package.json) by copying it to
 * `<extensionsDir>/<publisher>.<name>-<version>`, which VS Code scans at start.
 * @param {string} folder
 * @param {string} extensionsDir
 * @param {{ include?: string[] }} [options] top-level entries to copy (default: all)
 * @returns {string} the extension id
 */
export function installUnpacked(folder, extensionsDir, { include } = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
  const id = `${manifest.publisher}.${manifest.name}`;
  const target = path.join(extensionsDir, `${id}-${manifest.version}`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  for (const entry of include ?? fs.readdirSync(folder)) {
    fs.cpSync(path.join(folder, entry), path.join(target, entry), { recursive: true });
  }
  registerInManifest(extensionsDir, id, manifest.version, target);
  return id;
}

/**
 * Once a VSIX was installed, `<extensionsDir>/extensions.json` lists what is installed
 * and VS Code marks any other folder there as removed at start ("Marked extension as
 * removed"). An unpacked extension copied next to a VSIX is therefore added to it.
 */
function registerInManifest(extensionsDir, id, version, folder) {
  const file = path.join(extensionsDir, 'extensions.json');
  if (!fs.existsSync(file)) {
    return; // no manifest: VS Code scans the folder
  }
  const entries = JSON.parse(fs.readFileSync(file, 'utf8')).filter(e => e?.identifier?.id?.toLowerCase() !== id.toLowerCase());
  entries.push({
    identifier: { id },
    version,
    location: { $mid: 1, fsPath: folder, external: `file://${folder}`, path: folder, scheme: 'file' },
    relativeLocation: path.basename(folder),
    metadata: { installedTimestamp: Date.now(), source: 'resource' }
  });
  fs.writeFileSync(file, JSON.stringify(entries));
}

/**
 * Installs a VSIX the way a user would, with code-server's CLI.
 * @param {string} vsix
 * @param {string} extensionsDir
 */
export async function installVsix(vsix, extensionsDir, { paths } = {}) {
  const p = paths ?? await provision();
  const scratch = tempDir('install');
  try {
    const r = spawnSync(p.node24, [fs.realpathSync(p.codeServer),
      '--install-extension', path.resolve(vsix),
      '--force',
      '--extensions-dir', extensionsDir,
      '--user-data-dir', path.join(scratch, 'user-data'),
      '--config', path.join(scratch, 'config.yaml')
    ], { encoding: 'utf8', env: isolatedEnv(scratch), timeout: 120_000 });
    if (r.status !== 0) {
      throw new Error(`installing ${vsix} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
    }
    return r.stdout.trim();
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Keeps code-server from writing to ~/.config and ~/.local. */
function isolatedEnv(scratch, extra = {}) {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
    XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
    XDG_CACHE_HOME: path.join(scratch, 'xdg-cache'),
    ...extra
  };
}

/**
 * Starts code-server on a free loopback port and waits for /healthz.
 * @param {object} [options]
 * @param {string} [options.userDataDir]    default: a fresh temp dir (removed on close)
 * @param {string} [options.extensionsDir]  default: a fresh temp dir (removed on close)
 * @param {object} [options.settings]       user settings.json, written before start
 * @param {Record<string,string>} [options.env] extra environment for the server and its extension host
 * @param {string[]} [options.args]         extra code-server arguments
 * @param {boolean} [options.verbose]       echo the server's output
 * @param {number} [options.port]
 */
export async function startCodeServer(options = {}) {
  try {
    return await startOnce(options);
  } catch (e) {
    // A free port can be taken between freePort() and code-server's listen(); one retry.
    if (options.port || !/EADDRINUSE|exited during start/.test(String(e?.message))) {
      throw e;
    }
    process.stderr.write(`code-server did not start, retrying once: ${e.message}\n`);
    return startOnce(options);
  }
}

async function startOnce(options) {
  const paths = options.paths ?? await provision();
  const scratch = tempDir('code-server');
  const userDataDir = options.userDataDir ?? path.join(scratch, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(scratch, 'extensions');
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  if (options.settings) {
    writeUserSettings(userDataDir, options.settings);
  }
  const port = options.port ?? await freePort();
  const logFile = path.join(scratch, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  const args = [
    fs.realpathSync(paths.codeServer),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--config', path.join(scratch, 'config.yaml'),
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    // Without it the built workbench ignores the extension-development payload.
    '--vscode-option', 'enable-smoke-test-driver',
    ...(options.args ?? [])
  ];
  const child = spawn(paths.node24, args, {
    cwd: repoRoot,
    detached: true, // its own process group, so close() reaches the extension host too
    stdio: ['ignore', options.verbose ? 'pipe' : out, options.verbose ? 'pipe' : out],
    env: isolatedEnv(scratch, options.env)
  });
  if (options.verbose) {
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', d => {
        fs.appendFileSync(logFile, d);
        process.stdout.write(String(d).replace(/^/gm, '[code-server] '));
      });
    }
  }
  fs.closeSync(out);
  let exited = false;
  const exitPromise = new Promise(resolve => child.on('exit', (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));
  const killGroup = signal => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const handle = {
    port,
    url: `http://127.0.0.1:${port}`,
    userDataDir,
    extensionsDir,
    logFile,
    pid: child.pid,
    /** Stops the whole process group; removes the temp dirs it created. */
    async close({ keepFiles = false } = {}) {
      unregisterKill();
      if (!exited) {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
        await exitPromise;
        clearTimeout(timer);
      }
      // Helpers spawned by the server (extension host, file watcher) share the group.
      killGroup('SIGKILL');
      if (!keepFiles) {
        fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    /** The last lines the server wrote, for error messages. */
    logTail(lines = 40) {
      try {
        return fs.readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    }
  };
  const unregisterKill = registerCleanup(() => killGroup('SIGKILL'));
  try {
    await waitForHealth(handle, () => exited, 60_000);
  } catch (e) {
    const tail = handle.logTail();
    await handle.close();
    throw new Error(`${e.message}\n${tail}`, { cause: e });
  }
  return handle;
}

async function waitForHealth(server, hasExited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) {
      throw new Error('code-server exited during start');
    }
    try {
      const r = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`code-server did not answer ${server.url}/healthz within ${timeoutMs / 1000} s`);
}

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

/** Headless Chromium (Debian's) through playwright-core. */
export async function launchBrowser({ headless = true, paths } = {}) {
  const p = paths ?? await provision();
  const browser = await chromium.launch({ executablePath: p.chromium, headless, args: CHROMIUM_ARGS });
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

function artifactBase(name) {
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

/**
 * Runs an extension test suite in code-server + Chromium and resolves with its exit code.
 * @param {object} options
 * @param {string} options.name                 for logs and artifacts
 * @param {string} options.extensionDevelopmentPath
 * @param {string} options.extensionTestsPath   a module exporting run()
 * @param {Record<string,string>} [options.extensionEnvironment]
 * @param {string} [options.folder]             workspace folder to open
 * @param {object} [options.settings]           user settings
 * @param {string[]} [options.serverArgs]       extra code-server arguments
 * @param {Record<string,string>} [options.env] environment of code-server and its extension host
 * @param {string} [options.extensionsDir]      reuse (e.g. with VSIXs installed)
 * @param {(extensionsDir: string) => Promise<void>|void} [options.prepareExtensions]
 * @param {number} [options.timeoutMs]          whole run, start to exit (default 180 s)
 * @param {(line: string) => void} [options.log]
 */
export async function runExtensionTests(options) {
  const started = Date.now();
  const print = options.log ?? (line => process.stdout.write(`${line}\n`));
  // SECURE_MCP_TEST_TIMESTAMPS=1 prefixes each line with the seconds since start.
  const log = process.env.SECURE_MCP_TEST_TIMESTAMPS
    ? line => print(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} ${line}`)
    : print;
  const timeoutMs = options.timeoutMs ?? 180_000;
  const extensionsDir = options.extensionsDir ?? tempDir('extensions');
  const ownsExtensionsDir = !options.extensionsDir;
  let server;
  let browser;
  let page;
  let timer;
  try {
    await options.prepareExtensions?.(extensionsDir);
    server = await startCodeServer({
      extensionsDir,
      settings: { ...TEST_SETTINGS, ...options.settings },
      env: options.env,
      args: options.serverArgs,
      verbose: options.verbose,
      paths: options.paths
    });
    const serverReady = Date.now();
    browser = await launchBrowser({ paths: options.paths });
    page = await browser.browser.newPage();
    let settle;
    const exitCode = new Promise(resolve => {
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
      if (!options.verbose && NOISE.some(re => re.test(line))) {
        return;
      }
      log(type === 'error' ? `[${type}] ${line}` : line);
    });
    await page.exposeFunction('codeAutomationExit', code => settle({ code: Number(code) }));
    page.on('crash', () => settle({ code: 1, reason: 'the page crashed' }));
    timer = setTimeout(() => settle({ code: 1, reason: `timed out after ${timeoutMs / 1000} s` }), timeoutMs - (Date.now() - started));
    await page.goto(workbenchUrl(server, {
      folder: options.folder,
      extensionDevelopmentPath: options.extensionDevelopmentPath,
      extensionTestsPath: options.extensionTestsPath,
      extensionEnvironment: options.extensionEnvironment
    }));
    const result = await exitCode;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.code !== 0) {
      log(`[${options.name}] failed${result.reason ? `: ${result.reason}` : ''} (exit code ${result.code}, ${seconds} s)`);
      await reportFailure(page, server, options.name, log);
    } else {
      const at = t => t ? `${((t - started) / 1000).toFixed(1)} s` : '?';
      log(`[${options.name}] passed in ${seconds} s from code-server start to test exit (server healthy at ${at(serverReady)}, tests started at ${at(firstOutput)})`);
    }
    return { code: result.code, seconds: Number(seconds) };
  } catch (e) {
    log(`[${options.name}] could not run: ${e instanceof Error ? e.stack : e}`);
    await reportFailure(page, server, options.name, log);
    return { code: 1, seconds: (Date.now() - started) / 1000 };
  } finally {
    clearTimeout(timer);
    await browser?.close();
    await server?.close();
    if (ownsExtensionsDir) {
      fs.rmSync(extensionsDir, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}

async function reportFailure(page, server, name, log) {
  const base = artifactBase(name);
  if (page) {
    for (const file of await saveFailureArtifacts(page, name, base)) {
      log(`[${name}] saved ${path.relative(repoRoot, file)}`);
    }
  }
  if (server) {
    const file = `${base}-code-server.log`;
    try {
      fs.copyFileSync(server.logFile, file);
      log(`[${name}] saved ${path.relative(repoRoot, file)}`);
    } catch {
      // no log
    }
  }
}
