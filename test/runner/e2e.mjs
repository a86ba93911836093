// `npm run test:e2e`: the whole journey in a real browser. Debian's Chromium (through
// playwright-core) drives the VS Code web UI (code-server 4.139) with Secure MCP
// installed from the built VSIX, against the local world (identity provider with a real
// login page, secure MCP server, scripted LLM). Steps: test/e2e/steps.mjs.
//
//   npm run test:e2e
//   npm run test:e2e -- --update-screenshots   also refresh media/screenshots/*.png (README)
//   npm run test:e2e -- --headed               watch it (needs a display)
//
// Screenshots of every step go to test-results/e2e/ (git-ignored); a failing step also
// saves the page HTML, the extension's log and code-server's log there.
// Environment: SECURE_MCP_E2E_STEPS=name,name (run only up to the last named step),
// SECURE_MCP_E2E_KEEP=1 (keep code-server's temp dirs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages, ensureNodeModules } from './prereqs.mjs';

ensureDebianPackages();
ensureNodeModules();

const { provision, repoRoot } = await import('./provision.mjs');
const { installUnpacked, installVsix, launchBrowser, registerCleanup, startCodeServer, tempDir, TEST_SETTINGS, NOISE } = await import('./codeServer.mjs');
const { bundleHelperExtension, copyExtensionLogs, helperEnv, llmSettings, startLoopbackRedirector } = await import('../e2e/setup.mjs');
const { steps } = await import('../e2e/steps.mjs');
const { waitForWorkbench } = await import('../e2e/ui.mjs');
const { tsImport } = await import('tsx/esm/api');

const started = Date.now();
const updateScreenshots = process.argv.includes('--update-screenshots');
const headed = process.argv.includes('--headed');
const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
// Above WEBVIEW_BOOT_MS (test/e2e/ui.mjs): a step may wait that long for its first panel.
const STEP_TIMEOUT_MS = 240_000;
const timings = [];

const secs = from => `${((Date.now() - from) / 1000).toFixed(1)} s`;
const log = line => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)} ${line}`);

async function phase(name, fn) {
  const t = Date.now();
  log(`== ${name}`);
  const result = await fn();
  timings.push([name, secs(t)]);
  return result;
}

function npm(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', code => code === 0 ? resolve() : reject(new Error(`npm ${args.join(' ')} failed with exit code ${code}`)));
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms);
    })
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const paths = await phase('provision', () => provision());
  await phase('npm run package', () => npm(['run', '-s', 'package']));
  const helperDir = await phase('bundle the helper extension (chat model)', () => bundleHelperExtension());

  /** @type {typeof import('../world/index.ts')} */
  const worldModule = await tsImport('../world/index.ts', import.meta.url);
  const world = await phase('start the world', () => worldModule.startWorld({}));
  registerCleanup(() => void world.close());

  const scratch = tempDir('e2e');
  const extensionsDir = path.join(scratch, 'extensions');
  const userDataDir = path.join(scratch, 'user-data');
  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  await phase('install the VSIX and the helper', async () => {
    log(await installVsix(path.join(repoRoot, 'out', 'secure-mcp.vsix'), extensionsDir, { paths }));
    installUnpacked(helperDir, extensionsDir, { include: ['package.json', 'dist'] });
  });

  const redirector = await startLoopbackRedirector();
  let server;
  let browser;
  let page;
  let failed;
  const results = [];
  try {
    server = await phase('start code-server', () => startCodeServer({
      paths,
      // As a user runs it: real notifications and dialogs (the test driver hides notifications).
      smokeTestDriver: false,
      userDataDir,
      extensionsDir,
      settings: {
        ...TEST_SETTINGS,
        'security.workspace.trust.enabled': false,
        // Configured by the first step, through the command.
        'secureMcp.auth.providerId': 'secure-mcp-oauth',
        ...llmSettings()
      },
      env: { ...redirector.env, ...helperEnv(world) }
    }));
    browser = await launchBrowser({ paths, headless: !headed });
    const context = await browser.browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('console', msg => {
      const text = msg.text();
      if (msg.type() === 'error' && !NOISE.some(re => re.test(text)) && process.env.SECURE_MCP_E2E_VERBOSE) {
        log(`[browser] ${text}`);
      }
    });
    await phase('open the workbench', async () => {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
      await waitForWorkbench(page, 90_000);
    });

    let shotNo = 0;
    const ctx = {
      page,
      context,
      world,
      weatherFor: worldModule.weatherFor,
      userDataDir,
      log: line => log(`   ${line}`),
      async shot(name, target, onPage = page) {
        const file = path.join(resultsDir, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
        await (target ?? onPage).screenshot({ path: file, timeout: 10_000 });
        return file;
      },
      async readmeShot(name, target) {
        const file = path.join(resultsDir, `readme-${name}.png`);
        await (target ?? page).screenshot({ path: file, timeout: 10_000 });
        if (updateScreenshots) {
          const dest = path.join(repoRoot, 'media', 'screenshots', `${name}.png`);
          fs.mkdirSync(path.dirname(dest), { recursive: true });
          fs.copyFileSync(file, dest);
          log(`   updated ${path.relative(repoRoot, dest)} (${Math.round(fs.statSync(dest).size / 1024)} KB)`);
        }
      }
    };

    const only = (process.env.SECURE_MCP_E2E_STEPS || '').split(',').filter(Boolean);
    const last = only.length ? Math.max(...only.map(n => steps.findIndex(s => s.name === n))) : steps.length - 1;
    for (const step of steps.slice(0, last + 1)) {
      const t = Date.now();
      log(`-- step ${step.name}`);
      try {
        await withTimeout(step.run(ctx), STEP_TIMEOUT_MS, `step ${step.name}`);
        await ctx.shot(step.name).catch(() => undefined);
        results.push({ name: step.name, ok: true, seconds: (Date.now() - t) / 1000 });
        log(`   ok (${secs(t)})`);
      } catch (e) {
        results.push({ name: step.name, ok: false, seconds: (Date.now() - t) / 1000, error: e });
        log(`   FAILED (${secs(t)}): ${e instanceof Error ? e.stack : e}`);
        failed = step.name;
        await saveFailure(step.name, page, server, userDataDir);
        break;
      }
    }
  } catch (e) {
    failed ??= 'setup';
    log(`FAILED during setup: ${e instanceof Error ? e.stack : e}`);
    await saveFailure('setup', page, server, userDataDir);
  } finally {
    await browser?.close();
    await server?.close({ keepFiles: Boolean(process.env.SECURE_MCP_E2E_KEEP) });
    await world.close();
    await redirector.close();
  }

  console.log('\n== summary');
  for (const r of results) {
    console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name.padEnd(20)} ${r.seconds.toFixed(1).padStart(6)} s${r.ok ? '' : `  ${r.error?.message?.split('\n')[0] ?? r.error}`}`);
  }
  const skipped = steps.filter(s => !results.some(r => r.name === s.name));
  if (failed && skipped.length) {
    console.log(`not run: ${skipped.map(s => s.name).join(', ')}`);
  }
  for (const [name, time] of timings) {
    console.log(`  ${time.padStart(8)}  ${name}`);
  }
  console.log(`screenshots: ${path.relative(repoRoot, resultsDir)}/`);
  console.log(`total ${secs(started)}: ${failed ? `FAILED at ${failed}` : `${results.length} steps passed`}`);
  return failed ? 1 : 0;
}

async function saveFailure(name, page, server, userDataDir) {
  const base = path.join(resultsDir, `FAILED-${name}`);
  const written = [];
  if (page) {
    try {
      await page.screenshot({ path: `${base}.png`, timeout: 10_000 });
      written.push(`${base}.png`);
    } catch {
      // page gone
    }
    try {
      const frames = [];
      for (const frame of page.frames()) {
        if (frame !== page.mainFrame() && !frame.isDetached()) {
          frames.push(`<!-- frame ${frame.url().slice(0, 200)} -->\n${await frame.content().catch(() => '(unavailable)')}`);
        }
      }
      fs.writeFileSync(`${base}.html`, `${await page.content()}\n<!-- ${frames.length} frames follow -->\n${frames.join('\n')}`);
      written.push(`${base}.html`);
    } catch {
      // page gone
    }
  }
  written.push(...copyExtensionLogs(userDataDir, `${base}-extension`));
  if (server) {
    try {
      fs.copyFileSync(server.logFile, `${base}-code-server.log`);
      written.push(`${base}-code-server.log`);
    } catch {
      // no log
    }
  }
  for (const f of written) {
    log(`   saved ${path.relative(repoRoot, f)}`);
  }
}

main().then(code => {
  process.exitCode = code;
}, e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
}).finally(() => {
  // Stray handles (world sockets) must not keep the runner alive.
  setTimeout(() => process.exit(process.exitCode ?? 1), 500).unref();
});
