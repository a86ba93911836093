// Builds the extension host bundles and one bundle per webview under media/.
//   node esbuild.mjs               development build with sourcemaps
//   node esbuild.mjs --production  minified build for the VSIX
//   node esbuild.mjs --watch
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: production,
  sourcemap: true,
  sourcesContent: !production,
  legalComments: production ? 'none' : 'inline',
  logLevel: 'warning'
};

/**
 * The extension bundle stays small so activation is cheap; everything that pulls in
 * the MCP SDK or openai lives in runtime.js, which src/vscode/lazy.ts requires on
 * first use.
 */
const host = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', './runtime.js', './features.js'],
  outdir: 'dist',
  entryPoints: { extension: 'src/extension.ts', runtime: 'src/node/runtime.ts', features: 'src/vscode/features.ts' },
  metafile: true
};

// One bundle per page: src/webview/<name>/main.ts becomes dist/media/<name>.js (+ .css).
const WEBVIEWS = 'src/webview';
const webviewEntries = Object.fromEntries(fs.readdirSync(WEBVIEWS, { withFileTypes: true })
  .filter(d => d.isDirectory() && fs.existsSync(path.join(WEBVIEWS, d.name, 'main.ts')))
  .map(d => [d.name, path.join(WEBVIEWS, d.name, 'main.ts')]));

const webviews = {
  ...common,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  outdir: 'dist/media',
  entryPoints: webviewEntries,
  loader: { '.css': 'css' }
};

const builds = [host, ...(Object.keys(webviewEntries).length ? [webviews] : [])];

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
} else {
  fs.rmSync('dist', { recursive: true, force: true });
  if (production) {
    // vsce writes the VSIX to out/, which a fresh clone does not have.
    fs.mkdirSync('out', { recursive: true });
  }
  const results = await Promise.all(builds.map(options => esbuild.build(options)));
  const meta = results[0].metafile;
  if (meta) {
    fs.writeFileSync('dist/meta.json', JSON.stringify(meta));
  }
}
