// `npm start`: from a fresh clone to Secure MCP running against the local world.
// Brings up the world (identity provider, MCP server, scripted LLM), builds and
// installs the VSIX into code-server, writes settings for the world, and prints the URL.
//   npm start                 run until Ctrl-C
//   npm start -- --smoke      start everything, check it answers, stop (used by npm test)
// Environment: SECURE_MCP_PORT (code-server port, default a free one), OPENAI_API_KEY
// (use OpenAI; without it the Chat view's model is the test helper's scripted model,
// which answers from the world's scripted LLM).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages, ensureNodeModules, root } from './prereqs.mjs';

ensureDebianPackages();
ensureNodeModules();

const smoke = process.argv.includes('--smoke');
const { provision } = await import('./provision.mjs');
const { installUnpacked, installVsix, launchBrowser, saveFailureArtifacts, startCodeServer, registerCleanup } = await import('./codeServer.mjs');
const { bundleHelperExtension, helperEnv, llmSettings, startLoopbackRedirector } = await import('../e2e/setup.mjs');
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

const useOpenAi = Boolean(process.env.OPENAI_API_KEY);
const HELPER_ID = 'secure-mcp-test.secure-mcp-test-helper';
if (useOpenAi) {
  removeInstalled(extensionsDir, HELPER_ID);
} else {
  // No language model in code-server without Copilot: the test helper registers one
  // ("Secure MCP Test Model") that streams from the world's scripted LLM.
  installUnpacked(await bundleHelperExtension(), extensionsDir, { include: ['package.json', 'dist'] });
}
const settings = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'secureMcp.serverUrl': world.urls.mcp,
  'secureMcp.auth.providerId': 'secure-mcp-oauth',
  // What "Configure Server…" discovers from this server (and what the e2e run signs in with).
  'secureMcp.auth.scopes': [world.idp.scope],
  ...llmSettings({ openAiKey: process.env.OPENAI_API_KEY })
};
// Sign-in opens the identity provider's loopback URL as is (code-server would route it through its port proxy).
const redirector = await startLoopbackRedirector();
registerCleanup(() => void redirector.close());
const port = Number(process.env.SECURE_MCP_PORT) || undefined;
const server = await startCodeServer({
  paths,
  userDataDir,
  extensionsDir,
  settings,
  ...(port ? { port } : {}),
  env: {
    ...redirector.env,
    ...(useOpenAi ? { OPENAI_API_KEY: process.env.OPENAI_API_KEY } : helperEnv(world))
  }
});
registerCleanup(() => server.close({ keepFiles: true }));
const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;

const user = world.demoUser;
const pickHint = ', pick the model "Secure MCP Test Model" (if the picker shows none,\n     run "Manage Language Models" once)';
console.log(`
Secure MCP is running against the local world.

  Open VS Code in your browser:  ${url}

  MCP server          ${world.urls.mcp}
  Identity provider   ${world.urls.issuer}
  Demo sign-in        ${user.username} / ${user.password}
  Language model      ${useOpenAi
    ? 'OpenAI gpt-4.1 (OPENAI_API_KEY is set; secureMcp.llm.provider = openai)'
    : `the local world's scripted LLM at ${world.urls.llmOpenAiBaseUrl}, as the Chat view model
                      "Secure MCP Test Model" (set OPENAI_API_KEY to use OpenAI instead)`}

Try it in VS Code:
  1. Click "MCP: signed out" in the status bar (or run "Secure MCP: Sign In"), click Allow,
     and sign in on the identity provider's page as ${user.username} / ${user.password}.
     The status bar then shows "MCP: 8 tools".
  2. Open the Chat view${useOpenAi ? '' : pickHint} and ask:
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
    ok = /MCP: signed out/.test(text) && prm.ok;
    console.log(`[start] smoke: status bar "${text}", world metadata ${prm.status} → ${ok ? 'ok' : 'FAILED'}`);
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

/** Uninstalls an unpacked extension from an earlier run: its folders and its extensions.json entry. */
function removeInstalled(dir, id) {
  for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (entry.toLowerCase().startsWith(`${id.toLowerCase()}-`)) {
      fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  const manifest = path.join(dir, 'extensions.json');
  if (fs.existsSync(manifest)) {
    const entries = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    fs.writeFileSync(manifest, JSON.stringify(entries.filter(e => e?.identifier?.id?.toLowerCase() !== id.toLowerCase())));
  }
}
await new Promise(() => { /* until a signal; cleanup hooks stop everything */ });
