// Clean-ups that must run even when a runner is interrupted: otherwise code-server's
// process group, Chromium and the temp dirs outlive it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cleanups = new Set();
let exitHooksInstalled = false;

/**
 * Registers a synchronous clean-up (kill a process group, remove a temp dir) that runs
 * if the runner exits or is interrupted before the owner cleans up normally.
 * @param {() => void} fn
 * @returns {() => void} unregister, for the normal path
 */
export function registerCleanup(fn) {
  installExitHooks();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function runCleanups() {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort while exiting
    }
  }
}

function installExitHooks() {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  process.on('exit', runCleanups);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      runCleanups();
      process.exit(128 + (os.constants.signals[signal] ?? 1));
    });
  }
}

/** A temp dir that is removed on exit unless the owner removes it first. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `secure-mcp-${prefix}-`));
  registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
