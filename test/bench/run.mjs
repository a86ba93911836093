// Prints activation cost, bundle and VSIX sizes, each as a ratio against a baseline
// measured in this same run. Never fails the suite on a number; it fails only when it
// cannot measure.
//   npm run bench            (builds the production bundle and the VSIX first)
//   SAMPLES=31 npm run bench
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
const vsix = path.join(root, 'out', 'secure-mcp.vsix');

function measure(mode) {
  const out = [];
  for (let i = 0; i < samples; i++) {
    out.push(JSON.parse(run(process.execPath, [path.join(root, 'test/bench/activate-child.cjs'), dist, mode])));
  }
  return out;
}
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n, d = 2) => n.toFixed(d);

const activate = measure('activate');
const eager = measure('eager');
const sdk = measure('sdk');
if (activate.some(s => s.runtimeLoaded)) {
  throw new Error('activate() loaded dist/runtime.js: the heavy modules are no longer deferred');
}

const act = median(activate.map(s => s.ms));
const eag = median(eager.map(s => s.ms));
const sdkMs = median(sdk.map(s => s.ms));
const size = f => fs.statSync(f).size;
const extBytes = size(path.join(dist, 'extension.js'));
const runtimeBytes = size(path.join(dist, 'runtime.js'));
const vsixBytes = fs.existsSync(vsix) ? size(vsix) : NaN;

const rows = [
  ['activation (require bundle + activate)', `${fmt(act)} ms`, `eager baseline ${fmt(eag)} ms`, act / eag],
  ['activation heap growth', `${median(activate.map(s => s.heapKiB))} KiB`, `eager ${median(eager.map(s => s.heapKiB))} KiB`, median(activate.map(s => s.heapKiB)) / median(eager.map(s => s.heapKiB))],
  ['deferred runtime load (MCP SDK + openai)', `${fmt(sdkMs)} ms`, 'paid on first use', NaN],
  ['extension bundle', `${(extBytes / 1024).toFixed(1)} KiB`, `runtime bundle ${(runtimeBytes / 1024).toFixed(1)} KiB`, extBytes / runtimeBytes],
  ['VSIX', `${(vsixBytes / 1024).toFixed(1)} KiB`, `bundles ${((extBytes + runtimeBytes) / 1024).toFixed(1)} KiB`, vsixBytes / (extBytes + runtimeBytes)]
];
console.log(`secure-mcp bench: node ${process.version}, ${samples} samples per mode, medians`);
for (const [name, value, baseline, ratio] of rows) {
  console.log(`${name.padEnd(42)} ${value.padStart(12)}   vs ${baseline.padEnd(28)} ratio ${Number.isNaN(ratio) ? '-' : fmt(ratio, 3)}`);
}
console.log(`target: activation <= 10 ms -> ${act <= 10 ? 'met' : 'NOT met'}`);
