// Two ways into code-server's extensions dir: copying an unpacked folder (the test
// helper; the payload names only one development extension) and the CLI a user runs
// for a VSIX.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './cleanup.mjs';
import { isolatedEnv } from './codeServerProcess.mjs';
import { provision } from './provision.mjs';

/**
 * Installs an unpacked extension (a folder with package.json) by copying it to
 * `<extensionsDir>/<publisher>.<name>-<version>`, which VS Code scans at start.
 * @param {string} folder
 * @param {string} extensionsDir
 * @param {{ include?: string[] }} [options] top-level entries to copy (default: all)
 * @returns {string} the extension id
 */
export function installUnpacked(folder, extensionsDir, { include } = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
  const id = `${manifest.publisher}.${manifest.name}`;
  const target = path.join(extensionsDir, `${id}-${manifest.version}`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  for (const entry of include ?? fs.readdirSync(folder)) {
    fs.cpSync(path.join(folder, entry), path.join(target, entry), { recursive: true });
  }
  registerInManifest(extensionsDir, id, manifest.version, target);
  return id;
}

/**
 * Once a VSIX was installed, `<extensionsDir>/extensions.json` lists what is installed
 * and VS Code marks any other folder there as removed at start ("Marked extension as
 * removed"). An unpacked extension copied next to a VSIX is therefore added to it.
 */
function registerInManifest(extensionsDir, id, version, folder) {
  const file = path.join(extensionsDir, 'extensions.json');
  if (!fs.existsSync(file)) {
    return; // no manifest: VS Code scans the folder
  }
  const entries = JSON.parse(fs.readFileSync(file, 'utf8')).filter(e => e?.identifier?.id?.toLowerCase() !== id.toLowerCase());
  entries.push({
    identifier: { id },
    version,
    location: { $mid: 1, fsPath: folder, external: `file://${folder}`, path: folder, scheme: 'file' },
    relativeLocation: path.basename(folder),
    metadata: { installedTimestamp: Date.now(), source: 'resource' }
  });
  fs.writeFileSync(file, JSON.stringify(entries));
}

/**
 * Installs a VSIX the way a user would, with code-server's CLI.
 * @param {string} vsix
 * @param {string} extensionsDir
 */
export async function installVsix(vsix, extensionsDir, { paths } = {}) {
  const p = paths ?? await provision();
  const scratch = tempDir('install');
  try {
    const r = spawnSync(p.node24, [fs.realpathSync(p.codeServer),
      '--install-extension', path.resolve(vsix),
      '--force',
      '--extensions-dir', extensionsDir,
      '--user-data-dir', path.join(scratch, 'user-data'),
      '--config', path.join(scratch, 'config.yaml')
    ], { encoding: 'utf8', env: isolatedEnv(scratch), timeout: 120_000 });
    if (r.status !== 0) {
      throw new Error(`installing ${vsix} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}\n${r.stderr}`);
    }
    return r.stdout.trim();
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
