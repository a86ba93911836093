// Installs what a fresh machine of our kind lacks before anything else runs: the
// Debian packages (Chromium for the browser, Kerberos headers for code-server's native
// module) and the npm dependencies. Only Node built-ins here: node_modules may be absent.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const DEBIAN_PACKAGES = [
  { name: 'chromium', present: () => fs.existsSync('/usr/bin/chromium') },
  { name: 'libkrb5-dev', present: () => spawnSync('dpkg', ['-s', 'libkrb5-dev'], { stdio: 'ignore' }).status === 0 },
  // Chat shows ✅/🚫 per tool call; without a colour emoji font they render as boxes in screenshots.
  { name: 'fonts-noto-color-emoji', present: () => spawnSync('dpkg', ['-s', 'fonts-noto-color-emoji'], { stdio: 'ignore' }).status === 0 }
];

function sh(cmd, args, options = {}) {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: root, ...options });
}

export function ensureDebianPackages() {
  const missing = DEBIAN_PACKAGES.filter(p => !p.present()).map(p => p.name);
  if (!missing.length) {
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing Debian packages: ${missing.join(' ')}. Run: sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`);
  }
  console.log(`[prereqs] installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  sh('apt-get', ['update', '-qq'], { env });
  sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

/** `npm ci` when node_modules is missing or older than the lock file. */
export function ensureNodeModules() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs) {
    return;
  }
  console.log('[prereqs] installing npm dependencies (npm ci)');
  sh('npm', ['ci', '--no-audit', '--no-fund']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureDebianPackages();
  ensureNodeModules();
}
