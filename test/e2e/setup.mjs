// What the e2e run and `npm start` share: the test helper extension (a chat model that
// proxies to the world's scripted LLM, so the Chat view can send) and the settings that
// point Secure MCP at the world.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { registerCleanup } from '../runner/codeServer.mjs';
import { repoRoot } from '../runner/provision.mjs';

const helperSrc = path.join(repoRoot, 'test', 'integration', 'helper-extension');

/**
 * Bundles test/integration/helper-extension into `outDir` (package.json + dist/), an
 * unpacked extension ready for installUnpacked(). Same build as integration.mjs's.
 * @returns {Promise<string>} outDir
 */
export async function bundleHelperExtension(outDir = path.join(repoRoot, 'out', 'e2e', 'helper-extension')) {
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(helperSrc, 'src', 'extension.ts')],
    outdir: path.join(outDir, 'dist'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
    external: ['vscode']
  });
  fs.copyFileSync(path.join(helperSrc, 'package.json'), path.join(outDir, 'package.json'));
  return outDir;
}

/**
 * The language model `npm start` uses, from the environment:
 * - `AZURE_OPENAI_ENDPOINT` and `AZURE_OPENAI_DEPLOYMENT`: Azure OpenAI, with
 *   `AZURE_OPENAI_API_KEY` when set (else keyless Entra), `AZURE_OPENAI_API_VERSION` optional;
 * - `OPENAI_API_KEY`: OpenAI (`OPENAI_BASE_URL` and `OPENAI_MODEL` optional);
 * - otherwise the chat view's model (provider `vscode`): the helper's "Secure MCP Test
 *   Model", streaming from the world's scripted LLM.
 * The helper model is installed in every case: the Chat view sends nothing without a
 * model, and code-server has none of its own.
 * Returns the settings, the environment code-server passes on, and a line for the user.
 */
export function llmChoice(env = {}) {
  if (env.AZURE_OPENAI_ENDPOINT && env.AZURE_OPENAI_DEPLOYMENT) {
    const keyed = Boolean(env.AZURE_OPENAI_API_KEY);
    return {
      settings: {
        'secureMcp.llm.provider': 'azureOpenAI',
        'secureMcp.llm.azure.endpoint': env.AZURE_OPENAI_ENDPOINT,
        'secureMcp.llm.azure.deployment': env.AZURE_OPENAI_DEPLOYMENT,
        'secureMcp.llm.azure.auth': keyed ? 'apiKey' : 'entra',
        ...(env.AZURE_OPENAI_API_VERSION ? { 'secureMcp.llm.azure.apiVersion': env.AZURE_OPENAI_API_VERSION } : {})
      },
      env: keyed ? { AZURE_OPENAI_API_KEY: env.AZURE_OPENAI_API_KEY } : {},
      description: `Azure OpenAI ${env.AZURE_OPENAI_DEPLOYMENT} at ${env.AZURE_OPENAI_ENDPOINT} (${keyed ? 'AZURE_OPENAI_API_KEY' : 'keyless: sign in with Microsoft when asked'})`
    };
  }
  if (env.OPENAI_API_KEY) {
    const model = env.OPENAI_MODEL || 'gpt-4.1';
    return {
      settings: { 'secureMcp.llm.provider': 'openai', 'secureMcp.llm.openai.baseUrl': env.OPENAI_BASE_URL || '', 'secureMcp.llm.openai.model': model },
      env: { OPENAI_API_KEY: env.OPENAI_API_KEY },
      description: `OpenAI ${model}${env.OPENAI_BASE_URL ? ` at ${env.OPENAI_BASE_URL}` : ''} (OPENAI_API_KEY is set)`
    };
  }
  return { settings: { 'secureMcp.llm.provider': 'vscode' }, env: {}, description: '' };
}

/** Settings for the e2e run: always the chat view's model (the helper's scripted one). */
export function llmSettings() {
  return llmChoice({}).settings;
}

/** Extension host environment for the helper model: where the scripted LLM listens. */
export function helperEnv(world) {
  return { SECURE_MCP_TEST_LLM_URL: world.urls.llmOpenAiBaseUrl };
}

/**
 * Makes `vscode.env.openExternal` of a loopback URL open that URL itself, as desktop VS
 * Code does, for a browser on the same machine as code-server.
 *
 * Why: code-server rewrites every loopback URL an extension opens to its port proxy
 * (`http://<code-server>/proxy/<port>/…`, template from VSCODE_PROXY_URI). Behind that
 * path prefix the identity provider's interaction cookie (path `/interaction/<uid>`) is
 * never sent back, and sign-in fails with "interaction session id cookie not found".
 * The template must parse as a URL before `{{port}}` is substituted, so it cannot be
 * `http://127.0.0.1:{{port}}/`; instead it points at this tiny redirector, which answers
 * `/<port>/<rest>` with a 302 to `http://127.0.0.1:<port>/<rest>`.
 * @returns {Promise<{ env: Record<string,string>, close(): Promise<void> }>} env for startCodeServer
 */
export async function startLoopbackRedirector() {
  const server = http.createServer((req, res) => {
    const m = /^\/(\d{1,5})(\/.*)?$/.exec(req.url ?? '');
    const port = Number(m?.[1]);
    if (!m || port < 1 || port > 65535) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(302, { location: `http://127.0.0.1:${port}${m[2] ?? '/'}`, 'cache-control': 'no-store' }).end();
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const unregister = registerCleanup(() => server.close());
  return {
    env: { VSCODE_PROXY_URI: `http://127.0.0.1:${port}/{{port}}/` },
    close: () => new Promise(resolve => {
      unregister();
      server.closeAllConnections?.();
      server.close(() => resolve());
    })
  };
}

/**
 * Copies the extension's log files (Output channel "Secure MCP") from a code-server
 * user-data dir to `destBase-*.log`; returns the files written.
 */
export function copyExtensionLogs(userDataDir, destBase) {
  const logs = path.join(userDataDir, 'logs');
  if (!fs.existsSync(logs)) {
    return [];
  }
  const written = [];
  for (const entry of fs.readdirSync(logs, { recursive: true, withFileTypes: true })) {
    const dir = entry.parentPath ?? entry.path;
    if (entry.isFile() && (/Secure MCP/i.test(entry.name) || /secure-mcp\.secure-mcp/.test(dir)) && entry.name.endsWith('.log')) {
      const dest = `${destBase}-${entry.name.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
      fs.copyFileSync(path.join(dir, entry.name), dest);
      written.push(dest);
    }
  }
  return written;
}
