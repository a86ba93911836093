// Builds the two extension host bundles and one bundle per webview page.
//   node esbuild.mjs               development build with sourcemaps and test hooks
//   node esbuild.mjs --production  minified build for the VSIX, test hooks compiled out
//   node esbuild.mjs --watch
// test/unit/bundles.test.ts imports buildOptions() to check what goes where.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));
const WEBVIEWS = path.join(root, 'src', 'webview');

/** @returns {import('esbuild').BuildOptions[]} the host build first, then the webviews */
export function buildOptions({ production }) {
  /** @type {import('esbuild').BuildOptions} */
  const common = {
    absWorkingDir: root,
    bundle: true,
    minify: production,
    sourcemap: true,
    sourcesContent: !production,
    legalComments: production ? 'none' : 'inline',
    logLevel: 'warning',
    // Test hooks (the integration-test API, the webview probes) exist only outside production.
    define: { SECURE_MCP_TEST_BUILD: String(!production) },
    metafile: true
  };
  // Two bundles with no module in common: extension.js registers the contributions
  // (src/extension.ts alone), runtime.js is everything else, required on first use.
  const host = {
    ...common,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    outdir: 'dist',
    entryPoints: { extension: 'src/extension.ts', runtime: 'src/vscode/runtime.ts' }
  };
  // One bundle per page: src/webview/<name>/main.ts becomes dist/media/<name>.js (+ .css).
  const webviews = {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outdir: 'dist/media',
    entryPoints: Object.fromEntries(fs.readdirSync(WEBVIEWS, { withFileTypes: true })
      .filter(d => d.isDirectory() && fs.existsSync(path.join(WEBVIEWS, d.name, 'main.ts')))
      .map(d => [d.name, path.join('src', 'webview', d.name, 'main.ts')])),
    loader: { '.css': 'css' }
  };
  return [host, webviews];
}

async function main() {
  const production = process.argv.includes('--production');
  const builds = buildOptions({ production });
  if (process.argv.includes('--watch')) {
    for (const options of builds) {
      const ctx = await esbuild.context(options);
      await ctx.watch();
    }
    return;
  }
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  if (production) {
    // vsce writes the VSIX to out/, which a fresh clone does not have.
    fs.mkdirSync(path.join(root, 'out'), { recursive: true });
  }
  const results = await Promise.all(builds.map(options => esbuild.build(options)));
  fs.writeFileSync(path.join(root, 'dist', 'meta.json'), JSON.stringify(results[0].metafile));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch(e => {
    console.error(e);
    process.exit(1);
  });
}
