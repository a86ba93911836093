// `npm test`: everything, in order, stopping at the first failure. Works on a fresh
// clone: prerequisites are installed first.
import { spawnSync } from 'node:child_process';
import { ensureDebianPackages, ensureNodeModules, root } from './prereqs.mjs';

ensureDebianPackages();
ensureNodeModules();

const steps = [
  ['lint', ['run', '-s', 'lint']],
  ['typecheck', ['run', '-s', 'typecheck']],
  ['unit', ['run', '-s', 'test:unit']],
  // @modelcontextprotocol/conformance client scenarios against a headless client built on src/common.
  ['conformance', ['run', '-s', 'test:conformance']],
  ['integration', ['run', '-s', 'test:integration']],
  // The whole journey in a real browser, with the extension installed from the VSIX.
  ['e2e', ['run', '-s', 'test:e2e']],
  // The README's first command, end to end: world up, VSIX installed, the extension live in the browser.
  ['start', ['start', '-s', '--', '--smoke']]
];
const only = process.argv.slice(2);
const timings = [];
for (const [name, args] of steps) {
  if (only.length && !only.includes(name)) {
    continue;
  }
  console.log(`\n=== ${name} ===`);
  const t0 = Date.now();
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (r.status !== 0) {
    console.error(`\n${name} failed (exit ${r.status ?? r.signal}). ${timings.join(', ')}`);
    process.exit(r.status ?? 1);
  }
}
console.log(`\nAll steps passed: ${timings.join(', ')}`);
