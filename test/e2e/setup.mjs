// What the e2e run and `npm start` share: the test helper extension (a chat model that
// proxies to the world's scripted LLM, so the Chat view can send) and the settings that
// point Secure MCP at the world.
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
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
 * Settings for the language model.
 * - `openAiKey` given: OpenAI itself (provider `openai`, default base URL).
 * - otherwise: the chat view's model (provider `vscode`), which is the helper's
 *   `secure-mcp-test/scripted` model streaming from the world's scripted LLM.
 */
export function llmSettings({ openAiKey } = {}) {
  return openAiKey
    ? { 'secureMcp.llm.provider': 'openai', 'secureMcp.llm.openai.baseUrl': '', 'secureMcp.llm.openai.model': 'gpt-4.1' }
    : { 'secureMcp.llm.provider': 'vscode' };
}

/** Extension host environment for the helper model: where the scripted LLM listens. */
export function helperEnv(world) {
  return { SECURE_MCP_TEST_LLM_URL: world.urls.llmOpenAiBaseUrl };
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
