// Provisions what the integration and e2e tests need to run VS Code here: Node 24
// (code-server requires it) and code-server itself, cached under .vscode-test/ the way
// @vscode/test-electron caches its download. Idempotent: an intact cache costs one
// short Node 24 process. Works unattended (CI=true, no stdin).
//
//   node test/runner/provision.mjs      prints the paths as JSON
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cacheRoot = process.env.SECURE_MCP_TEST_CACHE
  ? path.resolve(process.env.SECURE_MCP_TEST_CACHE)
  : path.join(repoRoot, '.vscode-test');

const LOCK_STALE_MS = 15 * 60_000;

/**
 * Ensures Node 24 and code-server are installed and intact.
 * @returns {Promise<{ node24: string, nodeDir: string, codeServer: string, codeServerDir: string, chromium: string }>}
 */
function shown(p) {
  const rel = path.relative(repoRoot, p);
  return rel.startsWith('..') ? p : rel;
}

export async function provision({ log = msg => console.log(`[provision] ${msg}`) } = {}) {
  const paths = layout();
  if (problems(paths).length) {
    await withLock(async () => {
      if (nodeProblems(paths).length) {
        log(`installing Node ${NODE_VERSION} into ${shown(paths.node24Root)}`);
        await installNode(paths);
        const left = nodeProblems(paths);
        if (left.length) {
          throw new Error(`Node ${NODE_VERSION} is incomplete after install: ${left.join('; ')}`);
        }
      }
      if (codeServerProblems(paths).length) {
        log(`installing code-server ${CODE_SERVER_VERSION} into ${shown(paths.codeServerDir)} (about 100 s, ~620 MB; needs libkrb5-dev)`);
        await installCodeServer(paths);
        const left = codeServerProblems(paths);
        if (left.length) {
          throw new Error(`code-server is incomplete after install: ${left.join('; ')}. ` +
            'Its native modules need build tools and libkrb5-dev (apt-get install -y build-essential python3 libkrb5-dev).');
        }
      }
    });
  }
  if (!fs.existsSync(paths.chromium)) {
    throw new Error(`Chromium not found at ${paths.chromium}: apt-get install -y chromium, or set SECURE_MCP_CHROMIUM.`);
  }
  return {
    node24: paths.node24,
    nodeDir: paths.nodeDir,
    codeServer: paths.codeServer,
    codeServerDir: paths.codeServerDir,
    chromium: paths.chromium
  };
}

function layout() {
  const node24Root = path.join(cacheRoot, 'node24');
  const platformPackage = `node-${process.platform}-${process.arch}`;
  const nodeDir = path.join(node24Root, 'node_modules', 'node', 'node_modules', platformPackage);
  const codeServerDir = path.join(cacheRoot, `code-server-${CODE_SERVER_VERSION}`);
  const codeServerPackage = path.join(codeServerDir, 'node_modules', 'code-server');
  return {
    node24Root,
    nodeDir,
    node24: path.join(nodeDir, 'bin', 'node'),
    codeServerDir,
    codeServerPackage,
    codeServer: path.join(codeServerDir, 'node_modules', '.bin', 'code-server'),
    chromium: process.env.SECURE_MCP_CHROMIUM || '/usr/bin/chromium'
  };
}

function problems(paths) {
  return [...nodeProblems(paths), ...codeServerProblems(paths)];
}

function nodeProblems(paths) {
  const out = [];
  if (!fs.existsSync(paths.node24)) {
    return [`${paths.node24} is missing`];
  }
  if (!fs.existsSync(path.join(paths.nodeDir, 'include', 'node', 'node_api.h'))) {
    out.push('Node 24 headers are missing');
  }
  const version = spawnSync(paths.node24, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (version !== `v${NODE_VERSION}`) {
    out.push(`${paths.node24} reports ${version || 'nothing'}, expected v${NODE_VERSION}`);
  }
  return out;
}

function codeServerProblems(paths) {
  if (!fs.existsSync(paths.codeServer)) {
    return [`${paths.codeServer} is missing`];
  }
  const vscode = path.join(paths.codeServerPackage, 'lib', 'vscode');
  // Files that only code-server's postinstall (npm install inside lib/vscode and its
  // extensions, then the remote-cli symlink) creates.
  const expected = [
    path.join(vscode, 'node_modules', '@vscode', 'spdlog', 'build', 'Release', 'spdlog.node'),
    path.join(vscode, 'node_modules', 'node-pty', 'package.json'),
    path.join(vscode, 'extensions', 'node_modules'),
    path.join(vscode, 'bin', 'remote-cli', 'code-server')
  ];
  const missing = expected.filter(f => !fs.existsSync(f)).map(f => `${path.relative(paths.codeServerDir, f)} is missing (postinstall did not run)`);
  if (missing.length) {
    return missing;
  }
  // Loading the native modules with Node 24 proves the install scripts ran and built
  // for the right ABI (argon2 via its prebuild or node-gyp, spdlog via node-gyp).
  const probe = [
    `require(${JSON.stringify(path.join(paths.codeServerDir, 'node_modules', 'argon2'))});`,
    `require(${JSON.stringify(path.join(vscode, 'node_modules', '@vscode', 'spdlog'))});`
  ].join('');
  const r = spawnSync(paths.node24, ['-e', probe], { encoding: 'utf8', cwd: paths.codeServerDir });
  return r.status === 0 ? [] : [`native modules do not load with Node 24: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 6).join(' | ')}`];
}

async function installNode(paths) {
  fs.mkdirSync(paths.node24Root, { recursive: true });
  writePrivatePackage(paths.node24Root);
  // The `node` package's install script fetches the platform package with the binary and headers.
  await run('npm', ['install', '--no-audit', '--no-fund', `node@${NODE_VERSION}`], { cwd: paths.node24Root });
}

async function installCodeServer(paths) {
  fs.mkdirSync(paths.codeServerDir, { recursive: true });
  // A half-finished install is redone from scratch rather than patched.
  fs.rmSync(path.join(paths.codeServerDir, 'node_modules'), { recursive: true, force: true });
  fs.rmSync(path.join(paths.codeServerDir, 'package-lock.json'), { force: true });
  writePrivatePackage(paths.codeServerDir);
  await run('npm', ['install', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: paths.codeServerDir,
    env: {
      // npm runs on the first `node` in PATH, so code-server's postinstall sees Node 24
      // and node-gyp builds against Node 24's headers, not the system Node's.
      PATH: `${path.dirname(paths.node24)}${path.delimiter}${process.env.PATH ?? ''}`,
      npm_config_nodedir: paths.nodeDir
    }
  });
}

function writePrivatePackage(dir) {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, '{"private":true}\n');
  }
}

function run(command, args, { cwd, env = {} }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...outsideNpm(process.env), CI: 'true', npm_config_yes: 'true', npm_config_update_notifier: 'false', ...env },
      stdio: ['ignore', 'inherit', 'inherit']
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => code === 0
      ? resolve()
      : reject(new Error(`${command} ${args.join(' ')} in ${cwd} failed with ${signal ?? `exit code ${code}`}`)));
  });
}

/**
 * The environment without what an enclosing `npm run` adds (npm_*, NODE): under
 * `npm test`, npm_node_execpath would make the nested install run code-server's
 * postinstall with the system Node 20 instead of Node 24.
 */
function outsideNpm(env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE'));
}

/** Serializes provisioning between concurrent runners (integration, e2e, npm start). */
async function withLock(fn) {
  fs.mkdirSync(cacheRoot, { recursive: true });
  const lock = path.join(cacheRoot, '.provision.lock');
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') {
        throw e;
      }
      const age = Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
      if (age > LOCK_STALE_MS) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise(r => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  provision().then(paths => console.log(JSON.stringify(paths, null, 2)), e => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
