// The conformance harness (test/conformance/client.ts) as one prebuilt file: the suites start
// it once per scenario, many at a time, and compiling TypeScript in each of those processes
// is what made slow scenarios time out on a busy 2-core machine.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..', '..');

/** Builds the harness under .vscode-test/ (so its packages resolve from node_modules) and returns its path. */
export async function buildHarness() {
  const dir = join(root, '.vscode-test', 'conformance');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'harness.cjs');
  await build({
    entryPoints: [join(root, 'test/conformance/client.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning'
  });
  return outfile;
}
