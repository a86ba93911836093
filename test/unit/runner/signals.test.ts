import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/** Processes whose environment carries `marker` (how we find a script's whole tree, however deep). */
function processesMarked(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`SECURE_MCP_SIGNAL_TEST=${marker}`)) {
        found.push(Number(entry));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

async function until(predicate: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) {
      return true;
    }
    await new Promise(r => setTimeout(r, 200));
  }
  return predicate();
}

describe('npm scripts and signals', function () {
  this.timeout(60_000);

  // `npm start` once left code-server and the world running after SIGTERM: npm signals
  // the shell it runs the script in, and the shell does not pass it on. `npm run world`
  // is the same mechanism without code-server.
  it('SIGTERM to `npm run world` stops the whole tree, not only npm', async function () {
    if (process.platform !== 'linux') {
      this.skip();
    }
    const marker = randomUUID();
    const child = spawn('npm', ['run', '-s', 'world'], { cwd: root, env: { ...process.env, SECURE_MCP_SIGNAL_TEST: marker }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      assert.ok(await until(() => /MCP server/.test(out), 45_000), `the world started: ${out.slice(-500)}`);
      const before = processesMarked(marker);
      assert.ok(before.length >= 2, `npm and the world run (${before.length} processes)`);
      child.kill('SIGTERM');
      assert.ok(await until(() => processesMarked(marker).length === 0, 10_000), `left running after SIGTERM: ${processesMarked(marker).join(', ')}`);
    } finally {
      for (const pid of processesMarked(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});
