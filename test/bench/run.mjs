// Prints activation cost and bundle sizes, each as a ratio against a baseline measured
// in this same run, with a null test (activation against a second, independent set of
// activation samples) so a reader sees what the run can resolve. Never fails on a
// number; it fails only when it cannot measure.
//   npm run bench:activation   (builds the production bundle and the VSIX first)
//   SAMPLES=31 npm run bench:activation
//   node test/bench/run.mjs --baseline <other dist/>   also times another build's activation
//     in the same run (for example a production build of an earlier commit)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const samples = Number(process.env.SAMPLES ?? 15);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

if (!process.argv.includes('--no-build')) {
  run('npm', ['run', '-s', 'package']);
}
const dist = path.join(root, 'dist');
const baselineAt = process.argv.indexOf('--baseline');
const baselineDist = baselineAt > 0 ? path.resolve(process.argv[baselineAt + 1]) : undefined;
const vsix = path.join(root, 'out', 'secure-mcp.vsix');

/** Samples of each mode, interleaved so drift on a noisy machine hits all modes alike. */
function measure(modes) {
  const out = Object.fromEntries(modes.map(m => [m, []]));
  for (let i = 0; i < samples; i++) {
    for (const mode of modes) {
      const child = mode === 'activate-null' || mode === 'baseline' ? 'activate' : mode;
      const from = mode === 'baseline' ? baselineDist : dist;
      out[mode].push(JSON.parse(run(process.execPath, [path.join(root, 'test/bench/activate-child.cjs'), from, child])));
    }
  }
  return out;
}
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 2) => n.toFixed(d);

const m = measure(['activate', 'activate-null', 'eager', 'runtime', ...(baselineDist ? ['baseline'] : [])]);
if (m.activate.some(s => s.runtimeLoaded)) {
  throw new Error('activate() loaded dist/runtime.js: the runtime is no longer deferred');
}
const ms = mode => median(m[mode].map(s => s.ms));
const heap = mode => median(m[mode].map(s => s.heapKiB));
const size = f => fs.statSync(f).size;
const kib = n => `${(n / 1024).toFixed(1)} KiB`;
const bundles = ['extension.js', 'runtime.js', 'media/approval.js', 'media/elicitation.js'].map(f => [f, size(path.join(dist, f))]);
const hostBytes = bundles[0][1] + bundles[1][1];
const jsBytes = dir => fs.readdirSync(dir).filter(f => f.endsWith('.js')).reduce((sum, f) => sum + size(path.join(dir, f)), 0);
const vsixBytes = fs.existsSync(vsix) ? size(vsix) : NaN;

const rows = [
  ['null test: activation vs activation', `${fmt(ms('activate'))} ms`, `${fmt(ms('activate-null'))} ms`, ms('activate') / ms('activate-null')],
  ['activation (require extension.js + activate)', `${fmt(ms('activate'))} ms`, `eager ${fmt(ms('eager'))} ms`, ms('activate') / ms('eager')],
  ...(baselineDist ? [['activation vs the baseline build', `${fmt(ms('activate'))} ms`, `${fmt(ms('baseline'))} ms`, ms('activate') / ms('baseline')]] : []),
  ['activation heap growth', `${heap('activate')} KiB`, `eager ${heap('eager')} KiB`, heap('activate') / heap('eager')],
  ['runtime.js require alone (deferred)', `${fmt(ms('runtime'))} ms`, `eager ${fmt(ms('eager'))} ms`, ms('runtime') / ms('eager')],
  ...bundles.map(([f, b]) => [`dist/${f}`, kib(b), `host bundles ${kib(hostBytes)}`, b / hostBytes]),
  ...(baselineDist ? [['host bundles vs the baseline build', kib(hostBytes), `${kib(jsBytes(baselineDist))} (${fs.readdirSync(baselineDist).filter(f => f.endsWith('.js')).join(', ')})`, hostBytes / jsBytes(baselineDist)]] : []),
  ['VSIX', kib(vsixBytes), `host bundles ${kib(hostBytes)}`, vsixBytes / hostBytes]
];
console.log(`secure-mcp bench: node ${process.version}, ${samples} samples per mode (interleaved), medians`);
for (const [name, value, baseline, ratio] of rows) {
  console.log(`${name.padEnd(46)} ${value.padStart(12)}   vs ${baseline.padEnd(26)} ratio ${Number.isNaN(ratio) ? '-' : fmt(ratio, 3)}`);
}
console.log(`target: activation <= 10 ms -> ${ms('activate') <= 10 ? 'met' : 'NOT met'}`);
