// One extension test suite from start to exit code: code-server, Chromium on the
// workbench with the suite as extensionTestsPath, and on failure the screenshot, page
// and server log under test-results/.
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './cleanup.mjs';
import { startCodeServer, TEST_SETTINGS } from './codeServerProcess.mjs';
import { repoRoot } from './provision.mjs';
import { artifactBase, launchBrowser, saveFailureArtifacts, watchTestRun, workbenchUrl } from './workbench.mjs';

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
 * @param {string} [options.browserProxy]       an HTTP proxy for Chromium (all hosts but loopback)
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
    browser = await launchBrowser({ paths: options.paths, ...(options.browserProxy ? { proxy: options.browserProxy } : {}) });
    page = await browser.browser.newPage();
    const run = await watchTestRun(page, { log, verbose: options.verbose });
    timer = setTimeout(() => run.fail(`timed out after ${timeoutMs / 1000} s`), timeoutMs - (Date.now() - started));
    await page.goto(workbenchUrl(server, {
      folder: options.folder,
      extensionDevelopmentPath: options.extensionDevelopmentPath,
      extensionTestsPath: options.extensionTestsPath,
      extensionEnvironment: options.extensionEnvironment
    }));
    const result = await run.exit;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (result.code !== 0) {
      log(`[${options.name}] failed${result.reason ? `: ${result.reason}` : ''} (exit code ${result.code}, ${seconds} s)`);
      await reportFailure(page, server, options.name, log);
    } else {
      const at = t => t ? `${((t - started) / 1000).toFixed(1)} s` : '?';
      log(`[${options.name}] passed in ${seconds} s from code-server start to test exit (server healthy at ${at(serverReady)}, tests started at ${at(run.firstOutputAt())})`);
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
