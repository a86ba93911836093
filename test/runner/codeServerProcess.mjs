// The code-server process: started on a free loopback port with fresh, isolated
// directories, healthy once /healthz answers, stopped with its whole process group.
// See /docs/testing.md for why each flag is here.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { registerCleanup, tempDir } from './cleanup.mjs';
import { provision, repoRoot } from './provision.mjs';

/** User settings for test runs: no gallery calls, no update checks, no startup editor. */
export const TEST_SETTINGS = {
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Writes `<userDataDir>/User/settings.json`; call before the server starts. */
export function writeUserSettings(userDataDir, settings) {
  const dir = path.join(userDataDir, 'User');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

/** Keeps code-server from writing to ~/.config and ~/.local. */
export function isolatedEnv(scratch, extra = {}) {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'),
    XDG_DATA_HOME: path.join(scratch, 'xdg-data'),
    XDG_CACHE_HOME: path.join(scratch, 'xdg-cache'),
    ...extra
  };
}

/**
 * Starts code-server on a free loopback port and waits for /healthz.
 * @param {object} [options]
 * @param {string} [options.userDataDir]    default: a fresh temp dir (removed on close)
 * @param {string} [options.extensionsDir]  default: a fresh temp dir (removed on close)
 * @param {object} [options.settings]       user settings.json, written before start
 * @param {Record<string,string>} [options.env] extra environment for the server and its extension host
 * @param {string[]} [options.args]         extra code-server arguments
 * @param {boolean} [options.verbose]       echo the server's output
 * @param {number} [options.port]
 * @param {boolean} [options.smokeTestDriver] default true: what extension tests need
 */
export async function startCodeServer(options = {}) {
  try {
    return await startOnce(options);
  } catch (e) {
    // A free port can be taken between freePort() and code-server's listen(); one retry.
    if (options.port || !/EADDRINUSE|exited during start/.test(String(e?.message))) {
      throw e;
    }
    process.stderr.write(`code-server did not start, retrying once: ${e.message}\n`);
    return startOnce(options);
  }
}

async function startOnce(options) {
  const paths = options.paths ?? await provision();
  const scratch = tempDir('code-server');
  const userDataDir = options.userDataDir ?? path.join(scratch, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(scratch, 'extensions');
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  if (options.settings) {
    writeUserSettings(userDataDir, options.settings);
  }
  const port = options.port ?? await freePort();
  const logFile = path.join(scratch, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  const args = [
    fs.realpathSync(paths.codeServer),
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--config', path.join(scratch, 'config.yaml'),
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    // Without it the built workbench ignores the extension-development payload; it also
    // hides notifications and refuses dialogs, so a demo (npm start) goes without it.
    ...(options.smokeTestDriver ?? true ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...(options.args ?? [])
  ];
  const child = spawn(paths.node24, args, {
    cwd: repoRoot,
    detached: true, // its own process group, so close() reaches the extension host too
    stdio: ['ignore', options.verbose ? 'pipe' : out, options.verbose ? 'pipe' : out],
    env: isolatedEnv(scratch, options.env)
  });
  if (options.verbose) {
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', d => {
        fs.appendFileSync(logFile, d);
        process.stdout.write(String(d).replace(/^/gm, '[code-server] '));
      });
    }
  }
  fs.closeSync(out);
  let exited = false;
  const exitPromise = new Promise(resolve => child.on('exit', (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));
  const killGroup = signal => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const handle = {
    port,
    url: `http://127.0.0.1:${port}`,
    userDataDir,
    extensionsDir,
    logFile,
    pid: child.pid,
    /** Stops the whole process group; removes the temp dirs it created. */
    async close({ keepFiles = false } = {}) {
      unregisterKill();
      if (!exited) {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
        await exitPromise;
        clearTimeout(timer);
      }
      // Helpers spawned by the server (extension host, file watcher) share the group.
      killGroup('SIGKILL');
      if (!keepFiles) {
        fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
      }
    },
    /** The last lines the server wrote, for error messages. */
    logTail(lines = 40) {
      try {
        return fs.readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    }
  };
  const unregisterKill = registerCleanup(() => killGroup('SIGKILL'));
  try {
    await waitForHealth(handle, () => exited, 60_000);
  } catch (e) {
    const tail = handle.logTail();
    await handle.close();
    throw new Error(`${e.message}\n${tail}`, { cause: e });
  }
  return handle;
}

async function waitForHealth(server, hasExited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited()) {
      throw new Error('code-server exited during start');
    }
    try {
      const r = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(`code-server did not answer ${server.url}/healthz within ${timeoutMs / 1000} s`);
}
