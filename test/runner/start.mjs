// `npm start`: from a fresh clone to Secure MCP running against the local world.
// Brings up the world (identity provider, MCP server, scripted LLM), builds and
// installs the VSIX into code-server, writes settings for the world, and prints the URL.
//   npm start                 run until Ctrl-C
//   npm start -- --smoke      start everything, check it answers, stop (used by npm test)
// Environment: SECURE_MCP_PORT (code-server port, default a free one), OPENAI_API_KEY.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages, ensureNodeModules, root } from './prereqs.mjs';

ensureDebianPackages();
ensureNodeModules();

const smoke = process.argv.includes('--smoke');
const { provision } = await import('./provision.mjs');
const { installVsix, launchBrowser, saveFailureArtifacts, startCodeServer, registerCleanup } = await import('./codeServer.mjs');
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
const settings = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'secureMcp.serverUrl': world.urls.mcp,
  'secureMcp.auth.providerId': 'secure-mcp-oauth',
  'secureMcp.auth.scopes': [world.fullScope],
  'secureMcp.llm.provider': 'openai',
  'secureMcp.llm.openai.baseUrl': useOpenAi ? '' : world.urls.llmOpenAiBaseUrl,
  'secureMcp.llm.openai.model': useOpenAi ? 'gpt-4.1' : 'scripted'
};
const port = Number(process.env.SECURE_MCP_PORT) || undefined;
const server = await startCodeServer({
  paths,
  userDataDir,
  extensionsDir,
  settings,
  ...(port ? { port } : {}),
  // The extension falls back to OPENAI_API_KEY when no key is stored; the scripted LLM takes any key.
  env: { OPENAI_API_KEY: process.env.OPENAI_API_KEY || 'scripted-demo-key' }
});
registerCleanup(() => server.close({ keepFiles: true }));
const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;

const user = world.demoUser;
console.log(`
Secure MCP is running against the local world.

  Open VS Code in your browser:  ${url}

  MCP server          ${world.urls.mcp}
  Identity provider   ${world.urls.issuer}
  Demo sign-in        ${user.username} / ${user.password}
  Language model      ${useOpenAi ? 'OpenAI (OPENAI_API_KEY)' : `the scripted LLM at ${world.urls.llmOpenAiBaseUrl} (set OPENAI_API_KEY to use OpenAI)`}

In VS Code: the status bar shows "MCP", the Command Palette has "Secure MCP: …" commands,
and the Chat view answers "@secure-mcp /status". Press Ctrl+C here to stop.
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
  }
  process.exit(ok ? 0 : 1);
}
await new Promise(() => { /* until a signal; cleanup hooks stop everything */ });
