// `npm start`: from a fresh clone to Secure MCP running against the local world.
// Brings up the world (the Entra emulator, the MCP server in Entra mode, a scripted LLM),
// builds and installs the VSIX into code-server, writes settings for the world, and
// prints the URL and how to open it.
//   npm start                 run until Ctrl-C (or SIGTERM): sign in with VS Code's own Microsoft account provider
//   npm start -- --generic    the generic OAuth world instead (oidc-provider, the extension's own provider)
//   npm start -- --smoke      start everything, go through the journey in a real browser, stop (used by npm test)
// Environment: SECURE_MCP_PORT (code-server port, default a free one); SECURE_MCP_PROXY_PORT
// (the Entra emulator's proxy, default a free one); SECURE_MCP_IDENTITY=entra|generic (as
// --generic); OPENAI_API_KEY (OPENAI_BASE_URL, OPENAI_MODEL) to use OpenAI, or
// AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT (AZURE_OPENAI_API_KEY,
// AZURE_OPENAI_API_VERSION) to use Azure OpenAI; without them the Chat view's model, the
// test helper's scripted model, answers from the world's scripted LLM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages, ensureNodeModules, root } from './prereqs.mjs';

ensureDebianPackages();
ensureNodeModules();

const smoke = process.argv.includes('--smoke');
const identity = process.argv.includes('--generic') ? 'generic' : (process.env.SECURE_MCP_IDENTITY || 'entra');
if (!['entra', 'generic'].includes(identity)) {
  throw new Error(`SECURE_MCP_IDENTITY must be entra or generic, got ${identity}`);
}
const entra = identity === 'entra';
const { provision } = await import('./provision.mjs');
const { installUnpacked, installVsix, launchBrowser, saveFailureArtifacts, startCodeServer, registerCleanup, tempDir } = await import('./codeServer.mjs');
const { microsoftSteps, REMOTE_HOST, remoteUserArgs } = await import('../e2e/microsoft.mjs');
const { bundleHelperExtension, copyExtensionLogs, helperEnv, llmChoice, startLoopbackRedirector } = await import('../e2e/setup.mjs');
const { tsImport } = await import('tsx/esm/api');

const paths = await provision();
console.log('[start] building the VSIX');
const built = spawnSync('npm', ['run', '-s', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (built.status !== 0) {
  throw new Error('npm run package failed');
}

/** @type {import('../world/index.ts')} */
const worldModule = await tsImport('../world/index.ts', import.meta.url);
// The Entra emulator's "vscode.dev/redirect" repairs the one hop code-server needs (docs/entra.md#code-server-sign-in).
const world = await worldModule.startWorld(entra
  ? { entraEmulator: { redirectStandIn: 'repairing', proxyPort: Number(process.env.SECURE_MCP_PROXY_PORT) || 0 } }
  : {});
registerCleanup(() => void world.close());
const emulator = world.entraEmulator;

// State lives under .vscode-test/demo so a sign-in survives restarts; the VSIX is reinstalled each time.
const demo = path.join(root, '.vscode-test', 'demo');
const extensionsDir = path.join(demo, 'extensions');
// The smoke run starts signed out in a user-data dir of its own, and leaves the demo's alone.
const userDataDir = smoke ? path.join(tempDir('start-smoke'), 'user-data') : path.join(demo, 'user-data');
const workspace = path.join(demo, 'workspace');
fs.mkdirSync(workspace, { recursive: true });
await installVsix(path.join(root, 'out', 'secure-mcp.vsix'), extensionsDir, { paths });

const llm = llmChoice(process.env);
// No language model in code-server without Copilot, and the Chat view sends nothing
// without one: the test helper registers "Secure MCP Test Model", which streams from the
// world's scripted LLM. With OpenAI or Azure configured it only carries the request;
// secureMcp.llm.provider sends the turn to the real LLM.
installUnpacked(await bundleHelperExtension(), extensionsDir, { include: ['package.json', 'dist'] });
const settings = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'secureMcp.serverUrl': world.urls.mcp,
  ...(emulator
    ? {
      // The seed's settings: VS Code's Microsoft provider, the API's scope, the tenant; code-server reaches the emulator through its proxy.
      'secureMcp.auth.providerId': 'microsoft',
      'secureMcp.auth.scopes': [world.fullScope],
      'secureMcp.auth.tenant': world.tenantId,
      ...emulator.clientSettings.settings
    }
    : {
      'secureMcp.auth.providerId': 'secure-mcp-oauth',
      // What "Configure Server…" discovers from this server (and what the e2e run signs in with).
      'secureMcp.auth.scopes': [world.idp.scope]
    }),
  ...llm.settings
};
// Sign-in opens the identity provider's loopback URL as is (code-server would route it through its port proxy).
const redirector = await startLoopbackRedirector();
registerCleanup(() => void redirector.close());
const port = Number(process.env.SECURE_MCP_PORT) || undefined;
const server = await startCodeServer({
  paths,
  // The product as a user sees it: real notifications and dialogs, no test driver.
  smokeTestDriver: false,
  userDataDir,
  extensionsDir,
  settings,
  ...(port ? { port } : {}),
  ...(emulator ? { args: emulator.clientSettings.codeServerArgs } : {}),
  env: {
    ...(emulator ? emulator.clientSettings.env : {}),
    ...redirector.env,
    ...helperEnv(world),
    ...llm.env
  }
});
registerCleanup(() => server.close({ keepFiles: true }));
const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;

const user = world.demoUser;
const pickHint = ', pick the model "Secure MCP Test Model" (if the picker shows none,\n     run "Manage Language Models" once)';
const viaModel = llm.description ? ' (it only carries the request to the LLM above)' : '';
const model = llm.description
  || `the local world's scripted LLM at ${world.urls.llmOpenAiBaseUrl}, as the Chat view model
                      "Secure MCP Test Model" (set OPENAI_API_KEY, or AZURE_OPENAI_ENDPOINT and
                      AZURE_OPENAI_DEPLOYMENT, to use a real LLM instead)`;
const browserDir = path.join(demo, 'browser');
const shellQuote = arg => /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
const chromiumCommand = emulator
  ? ['chromium', `--user-data-dir=${browserDir}`, ...emulator.clientSettings.chromiumArgs, url].map(shellQuote).join(' ')
  : '';
console.log(emulator
  ? `
Secure MCP is running against the local world, signing in with VS Code's own Microsoft
account provider at a local Entra emulator (no cloud account needed).

  Open VS Code in a browser that reaches the emulator through its proxy, for example:
    ${chromiumCommand}
  (the proxy answers only for login.microsoftonline.com and vscode.dev, with this run's test
  certificate, which --ignore-certificate-errors-spki-list trusts and nothing else; any other
  browser: proxy ${emulator.proxyUrl} for those two hosts and trust ${emulator.caFile}).
  Without such a browser, stop and run "npm start -- --generic": the generic OAuth world.

  MCP server          ${world.urls.mcp}   (validates Entra tokens: iss, aud, scp mcp:tools, delegated)
  Entra emulator      ${emulator.authority}   (tenant ${world.tenantId}, user ${emulator.user.preferredUsername})
  Language model      ${model}

Try it in VS Code:
  1. Click "MCP: signed out" in the status bar (or run "Secure MCP: Sign In") and click Allow.
     The Microsoft sign-in page opens and completes by itself (the emulator's user is signed
     in); the status bar then shows "MCP: ${world.mcp.toolNames.length} tools".
  2. Open the Chat view${pickHint}${viaModel} and ask:
       @secure-mcp What's the weather in Zurich?
     Approve the tool call in the panel that opens; the answer quotes the tool's result.
Press Ctrl+C here to stop.
`
  : `
Secure MCP is running against the local world.

  Open VS Code in your browser:  ${url}

  MCP server          ${world.urls.mcp}
  Identity provider   ${world.urls.issuer}
  Demo sign-in        ${user.username} / ${user.password}
  Language model      ${model}

Try it in VS Code:
  1. Click "MCP: signed out" in the status bar (or run "Secure MCP: Sign In"), click Allow,
     and sign in on the identity provider's page as ${user.username} / ${user.password}.
     The status bar then shows "MCP: ${world.mcp.toolNames.length} tools".
  2. Open the Chat view${pickHint}${viaModel} and ask:
       @secure-mcp What's the weather in Zurich?
     Approve the tool call in the panel that opens; the answer quotes the tool's result.
Press Ctrl+C here to stop.
`);

if (smoke) {
  process.exit(await runSmoke() ? 0 : 1);
}

await new Promise(() => { /* until a signal; cleanup hooks stop everything */ });

/**
 * The product, not just the server, as a user runs it (no test driver): the installed
 * extension activates in the real workbench, configured for the world; with the Entra
 * emulator the whole Microsoft journey runs (test/e2e/microsoft.mjs), in a browser set up
 * with exactly the arguments printed above; in the generic world the status bar's sign-in
 * shows VS Code's dialog.
 */
async function runSmoke() {
  const resultsDir = path.join(root, 'test-results', 'start');
  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const codeServerPort = new URL(server.url).port;
  const { browser, close } = await launchBrowser({ paths, args: emulator ? [...emulator.clientSettings.chromiumArgs, ...remoteUserArgs(codeServerPort)] : [] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  let shotNo = 0;
  const ctx = {
    page,
    context,
    world,
    userDataDir,
    weatherFor: worldModule.weatherFor,
    log: line => console.log(`[start]    ${line}`),
    /** The same workbench in a fresh browser profile, reached as a remote user reaches it (not by loopback). */
    async openRemote() {
      const remoteContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await remoteContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://${REMOTE_HOST}:${codeServerPort}` });
      const remotePage = await remoteContext.newPage();
      await remotePage.goto(url.replace(/^http:\/\/127\.0\.0\.1:/, `http://${REMOTE_HOST}:`));
      return { context: remoteContext, page: remotePage };
    },
    shot: (name, target, onPage = page) => (target ?? onPage).screenshot({ path: path.join(resultsDir, `${String(++shotNo).padStart(2, '0')}-${name}.png`), timeout: 10_000 })
  };
  let failed = false;
  try {
    await page.goto(url);
    const item = page.locator('.statusbar-item', { hasText: 'MCP:' }).first();
    await item.waitFor({ timeout: 60_000 });
    const prm = await fetch(world.urls.resourceMetadata);
    assert.ok(prm.ok, `the world's resource metadata answers (${prm.status})`);
    if (emulator) {
      // SECURE_MCP_SMOKE_STEPS=a,b runs only those steps (while working on one; they build on each other).
      const only = (process.env.SECURE_MCP_SMOKE_STEPS || '').split(',').filter(Boolean);
      for (const step of microsoftSteps.filter(s => !only.length || only.includes(s.name))) {
        const t = Date.now();
        console.log(`[start] smoke: ${step.name}`);
        await step.run(ctx);
        await ctx.shot(step.name).catch(() => undefined);
        console.log(`[start]    ok (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      }
    } else {
      const text = (await item.innerText()).trim();
      assert.match(text, /MCP: signed out/);
      await item.click();
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'Secure MCP' }).first();
      await dialog.waitFor({ timeout: 30_000 });
      const asked = (await dialog.innerText()).replace(/\s+/g, ' ').trim();
      await page.keyboard.press('Escape');
      console.log(`[start] smoke: status bar "${text}", sign-in dialog "${asked.slice(0, 120)}"`);
    }
  } catch (e) {
    failed = true;
    console.error(`[start] smoke failed: ${e instanceof Error ? e.stack : String(e)}`);
    for (const p of context.pages()) {
      await saveFailureArtifacts(p, `start-smoke-page${context.pages().indexOf(p)}`).catch(() => undefined);
      for (const frame of p.frames().filter(f => f !== p.mainFrame() && !f.isDetached())) {
        const html = await frame.content().catch(() => '(unavailable)');
        fs.appendFileSync(path.join(resultsDir, 'frames.html'), `<!-- frame ${frame.url().slice(0, 300)} -->\n${html}\n`);
      }
    }
    for (const f of copyExtensionLogs(userDataDir, path.join(resultsDir, 'extension'))) {
      console.error(`[start] saved ${path.relative(root, f)}`);
    }
  } finally {
    await close();
    await server.close({ keepFiles: true });
    await world.close();
    await redirector.close();
  }
  console.log(`[start] smoke ${failed ? 'FAILED' : 'passed'}; screenshots in ${path.relative(root, resultsDir)}/`);
  return !failed;
}
