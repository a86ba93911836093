// `npm start`: from a fresh clone to Secure MCP running against the local world.
// Brings up the world (identity provider, MCP server, scripted LLM), builds and
// installs the VSIX into code-server, writes settings for the world, and prints the URL.
//   npm start                 run until Ctrl-C
//   npm start -- --smoke      start everything, check it answers, stop (used by npm test)
// Environment: SECURE_MCP_PORT (code-server port, default a free one); OPENAI_API_KEY
// (OPENAI_BASE_URL, OPENAI_MODEL) to use OpenAI, or AZURE_OPENAI_ENDPOINT and
// AZURE_OPENAI_DEPLOYMENT (AZURE_OPENAI_API_KEY, AZURE_OPENAI_API_VERSION) to use Azure
// OpenAI; without them the Chat view's model, the test helper's scripted model, answers
// from the world's scripted LLM.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages, ensureNodeModules, root } from './prereqs.mjs';

ensureDebianPackages();
ensureNodeModules();

const smoke = process.argv.includes('--smoke');
const { provision } = await import('./provision.mjs');
const { installUnpacked, installVsix, launchBrowser, saveFailureArtifacts, startCodeServer, registerCleanup } = await import('./codeServer.mjs');
const { bundleHelperExtension, helperEnv, llmChoice, startLoopbackRedirector } = await import('../e2e/setup.mjs');
const { tsImport } = await import('tsx/esm/api');

const paths = await provision();
console.log('[start] building the VSIX');
const built = spawnSync('npm', ['run', '-s', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (built.status !== 0) {
  throw new Error('npm run package failed');
}

/** @type {import('../world/index.ts')} */
const worldModule = await tsImport('../world/index.ts', import.meta.url);
const world = await worldModule.startWorld({});
registerCleanup(() => world.close());

// State lives under .vscode-test/demo so a sign-in survives restarts; the VSIX is reinstalled each time.
const demo = path.join(root, '.vscode-test', 'demo');
const extensionsDir = path.join(demo, 'extensions');
const userDataDir = path.join(demo, 'user-data');
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
  'secureMcp.auth.providerId': 'secure-mcp-oauth',
  // What "Configure Server…" discovers from this server (and what the e2e run signs in with).
  'secureMcp.auth.scopes': [world.idp.scope],
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
  env: {
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
console.log(`
Secure MCP is running against the local world.

  Open VS Code in your browser:  ${url}

  MCP server          ${world.urls.mcp}
  Identity provider   ${world.urls.issuer}
  Demo sign-in        ${user.username} / ${user.password}
  Language model      ${llm.description
    || `the local world's scripted LLM at ${world.urls.llmOpenAiBaseUrl}, as the Chat view model
                      "Secure MCP Test Model" (set OPENAI_API_KEY, or AZURE_OPENAI_ENDPOINT and
                      AZURE_OPENAI_DEPLOYMENT, to use a real LLM instead)`}

Try it in VS Code:
  1. Click "MCP: signed out" in the status bar (or run "Secure MCP: Sign In"), click Allow,
     and sign in on the identity provider's page as ${user.username} / ${user.password}.
     The status bar then shows "MCP: 8 tools".
  2. Open the Chat view${pickHint}${viaModel} and ask:
       @secure-mcp What's the weather in Zurich?
     Approve the tool call in the panel that opens; the answer quotes the tool's result.
Press Ctrl+C here to stop.
`);

if (smoke) {
  // The product, not just the server: the installed extension must activate in the real
  // workbench and put its status bar item up, configured for the world.
  const { browser, close } = await launchBrowser({ paths });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  let ok = false;
  try {
    await page.goto(url);
    const item = page.locator('.statusbar-item', { hasText: 'MCP:' }).first();
    await item.waitFor({ timeout: 60_000 });
    const text = (await item.innerText()).trim();
    const prm = await fetch(world.urls.resourceMetadata);
    // Without the test driver, VS Code shows its dialogs: the status bar's sign-in asks to allow it.
    await item.click();
    const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'Secure MCP' }).first();
    await dialog.waitFor({ timeout: 30_000 });
    const asked = (await dialog.innerText()).replace(/\s+/g, ' ').trim();
    await page.keyboard.press('Escape');
    ok = /MCP: signed out/.test(text) && prm.ok;
    console.log(`[start] smoke: status bar "${text}", world metadata ${prm.status}, sign-in dialog "${asked.slice(0, 120)}" → ${ok ? 'ok' : 'FAILED'}`);
  } catch (e) {
    console.error(`[start] smoke failed: ${e instanceof Error ? e.message : String(e)}`);
    await saveFailureArtifacts(page, 'start-smoke').catch(() => undefined);
  } finally {
    await close();
    await server.close({ keepFiles: true });
    await world.close();
    await redirector.close();
  }
  process.exit(ok ? 0 : 1);
}

await new Promise(() => { /* until a signal; cleanup hooks stop everything */ });
