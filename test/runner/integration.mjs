// `npm run test:integration`: mocha suites inside a real VS Code extension host.
//   dev       extensionDevelopmentPath = the repository (dist/ from `npm run build`),
//             with the test helper extension installed next to it
//   packaged  Secure MCP installed from out/secure-mcp.vsix (`npm run package`); the
//             development extension is the test helper, so only the VSIX is tested
//   entra     the repository build signing in through VS Code's built-in `microsoft`
//             provider, against the Entra emulator (test/world/entra): code-server's
//             http.proxy and Chromium's proxy point at the emulator's CONNECT proxy, and
//             SSL_CERT_FILE adds the per-run test CA
// VS Code is code-server 4.139 in headless Chromium (see /docs/testing.md). With
// VSCODE_DESKTOP_PATH set to a desktop VS Code executable, the dev suite runs there
// through @vscode/test-electron instead.
//
// Environment: SECURE_MCP_TEST_GREP (mocha grep), SECURE_MCP_TEST_SUITES=dev,packaged,entra,
// SECURE_MCP_TEST_VERBOSE=1 (echo code-server's output and workbench noise),
// SECURE_MCP_TEST_TIMESTAMPS=1, SECURE_MCP_TEST_RUN_TIMEOUT_MS (per suite, default 420000),
// VSCODE_DESKTOP_PATH.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { freePort, installUnpacked, installVsix, runExtensionTests, tempDir } from './codeServer.mjs';
import { provision, repoRoot } from './provision.mjs';

const started = Date.now();
const outDir = path.join(repoRoot, 'out', 'test');
const testsOut = path.join(outDir, 'integration');
const helperOut = path.join(outDir, 'helper-extension');
const helperSrc = path.join(repoRoot, 'test', 'integration', 'helper-extension');
const suites = (process.env.SECURE_MCP_TEST_SUITES || 'dev,packaged,entra').split(',').map(s => s.trim()).filter(Boolean);
const runTimeoutMs = Number(process.env.SECURE_MCP_TEST_RUN_TIMEOUT_MS) || 420_000; // the dev suite takes ~140 s on a busy 2-core machine
const timings = [];
const summary = [];

function elapsed(from) {
  return `${((Date.now() - from) / 1000).toFixed(1)} s`;
}

async function step(name, fn) {
  const t = Date.now();
  console.log(`\n== ${name}`);
  const result = await fn();
  timings.push([name, elapsed(t)]);
  return result;
}

function npm(args, cwd = repoRoot) {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CI: process.env.CI ?? 'true' } });
    child.on('error', reject);
    child.on('exit', code => code === 0 ? resolve() : reject(new Error(`npm ${args.join(' ')} failed with exit code ${code}`)));
  });
}

function filesUnder(dir, test) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(d => d.isFile() && test(d.name))
    .map(d => path.join(d.parentPath ?? d.path, d.name));
}

/** Test bundles: out/test/integration/ (dev suite) and the helper extension with the packaged suite. */
async function bundleTests() {
  fs.rmSync(outDir, { recursive: true, force: true });
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    // mocha is ESM with dynamic requires; it is required from node_modules at run time.
    external: ['vscode', 'mocha'],
    // The suites build panels from src themselves: a test build, like `node esbuild.mjs`.
    define: { SECURE_MCP_TEST_BUILD: 'true' }
  };
  const integrationDir = path.join(repoRoot, 'test', 'integration');
  const devEntries = [
    path.join(integrationDir, 'index.ts'),
    ...filesUnder(integrationDir, n => n.endsWith('.test.ts')).filter(f => path.dirname(f) === integrationDir)
  ];
  const entraDir = path.join(integrationDir, 'entra');
  const entraEntries = [path.join(entraDir, 'index.ts'), ...filesUnder(entraDir, n => n.endsWith('.test.ts'))];
  const packagedDir = path.join(integrationDir, 'packaged');
  const packagedEntries = [path.join(packagedDir, 'index.ts'), ...filesUnder(packagedDir, n => n.endsWith('.test.ts'))];
  await Promise.all([
    esbuild.build({ ...common, entryPoints: devEntries, outdir: testsOut }),
    esbuild.build({ ...common, entryPoints: entraEntries, outdir: path.join(testsOut, 'entra') }),
    // Under the helper's folder, so `require('vscode')` there resolves to the helper's API.
    esbuild.build({ ...common, entryPoints: packagedEntries, outdir: path.join(helperOut, 'packaged') }),
    esbuild.build({ ...common, entryPoints: [path.join(helperSrc, 'src', 'extension.ts')], outdir: path.join(helperOut, 'dist'), sourcemap: true })
  ]);
  fs.copyFileSync(path.join(helperSrc, 'package.json'), path.join(helperOut, 'package.json'));
}

/**
 * `npm run package` → out/secure-mcp.vsix. vsce needs README.md and LICENSE; when the
 * repository does not have them yet, packaging happens in a scratch copy.
 */
async function packageVsix() {
  const vsix = path.join(repoRoot, 'out', 'secure-mcp.vsix');
  const missing = ['README.md', 'LICENSE'].filter(f => !fs.existsSync(path.join(repoRoot, f)));
  if (!missing.length) {
    await npm(['run', 'package']);
    return vsix;
  }
  console.log(`(${missing.join(' and ')} missing in the repository: packaging a scratch copy with placeholders)`);
  const scratch = tempDir('package');
  try {
    const skip = new Set(['node_modules', '.git', '.vscode-test', 'out', 'dist', 'test-results', 'results', '.world']);
    for (const entry of fs.readdirSync(repoRoot)) {
      if (!skip.has(entry)) {
        fs.cpSync(path.join(repoRoot, entry), path.join(scratch, entry), { recursive: true });
      }
    }
    fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
    for (const f of missing) {
      fs.writeFileSync(path.join(scratch, f), f === 'LICENSE' ? 'MIT License (placeholder for the packaging test)\n' : '# Secure MCP\n\nPlaceholder for the packaging test.\n');
    }
    await npm(['run', 'package'], scratch);
    fs.mkdirSync(path.dirname(vsix), { recursive: true });
    fs.copyFileSync(path.join(scratch, 'out', 'secure-mcp.vsix'), vsix);
    return vsix;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * SECURE_MCP_TEST_* variables of the runner reach the extension host, so a caller (the
 * world, CI) can point the helper at a scripted LLM (SECURE_MCP_TEST_LLM_URL) or a token
 * endpoint (SECURE_MCP_TEST_TOKEN_URL), or pass SECURE_MCP_TEST_GREP to mocha.
 */
function passedThrough() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SECURE_MCP_TEST_')));
}

/** Collects what the summary needs from the relayed test output while printing it. */
function recorder(name) {
  const seen = { name, version: undefined, passing: 0, failing: 0, pending: 0 };
  const log = line => {
    process.stdout.write(`${line}\n`);
    let m;
    if ((m = /vscode\.version (\S+)/.exec(line))) {
      seen.version ??= m[1];
    } else if ((m = /^(?:\s*\d+\.\d )?\s*(\d+) (passing|failing|pending)\b/.exec(line))) {
      seen[m[2]] = Number(m[1]);
    }
  };
  return { seen, log };
}

async function runDevSuite(paths, workspace) {
  const { seen, log } = recorder('dev');
  const env = { ...passedThrough(), SECURE_MCP_TEST_SUITE: 'dev', SECURE_MCP_TEST_UI: process.env.VSCODE_DESKTOP_PATH ? 'none' : 'playwright' };
  if (process.env.VSCODE_DESKTOP_PATH) {
    const { runTests } = await import('@vscode/test-electron');
    const scratch = tempDir('desktop');
    const extensionsDir = path.join(scratch, 'extensions');
    fs.mkdirSync(extensionsDir);
    installUnpacked(helperOut, extensionsDir, { include: ['package.json', 'dist'] });
    const t = Date.now();
    try {
      await runTests({
        vscodeExecutablePath: process.env.VSCODE_DESKTOP_PATH,
        extensionDevelopmentPath: repoRoot,
        extensionTestsPath: path.join(testsOut, 'index.js'),
        extensionTestsEnv: env,
        launchArgs: [workspace, '--extensions-dir', extensionsDir, '--user-data-dir', path.join(scratch, 'user-data'), '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes']
      });
      summary.push({ ...seen, code: 0, seconds: (Date.now() - t) / 1000, host: 'desktop' });
    } catch (e) {
      console.error(e instanceof Error ? e.message : e);
      summary.push({ ...seen, code: 1, seconds: (Date.now() - t) / 1000, host: 'desktop' });
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    return;
  }
  const result = await runExtensionTests({
    name: 'dev',
    paths,
    folder: workspace,
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(testsOut, 'index.js'),
    extensionEnvironment: env,
    prepareExtensions: dir => installUnpacked(helperOut, dir, { include: ['package.json', 'dist'] }),
    verbose: Boolean(process.env.SECURE_MCP_TEST_VERBOSE),
    timeoutMs: runTimeoutMs,
    log
  });
  summary.push({ ...seen, ...result, host: 'code-server' });
}

/**
 * The per-run test CA is made here, before code-server starts with its bundle in
 * SSL_CERT_FILE; the emulator itself starts in the extension host (the tests drive it), on
 * the proxy port chosen here, which code-server's http.proxy and Chromium already name.
 */
async function runEntraSuite(paths, workspace) {
  const { seen, log } = recorder('entra');
  const ca = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/world/entra/ca-cli.ts')], { cwd: repoRoot, encoding: 'utf8' }));
  try {
    const proxyPort = await freePort();
    const proxy = `http://127.0.0.1:${proxyPort}`;
    const result = await runExtensionTests({
      name: 'entra',
      paths,
      folder: workspace,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(testsOut, 'entra', 'index.js'),
      extensionEnvironment: { ...passedThrough(), SECURE_MCP_TEST_SUITE: 'entra', SECURE_MCP_TEST_UI: 'playwright', SECURE_MCP_TEST_ENTRA: JSON.stringify({ caDir: ca.dir, proxyPort }) },
      settings: { 'http.proxy': proxy },
      env: { SSL_CERT_FILE: ca.caBundleFile },
      serverArgs: ['--link-protection-trusted-domains', 'https://login.microsoftonline.com'],
      browserProxy: proxy,
      prepareExtensions: dir => installUnpacked(helperOut, dir, { include: ['package.json', 'dist'] }),
      verbose: Boolean(process.env.SECURE_MCP_TEST_VERBOSE),
      timeoutMs: runTimeoutMs,
      log
    });
    summary.push({ ...seen, ...result, host: 'code-server' });
  } finally {
    fs.rmSync(ca.dir, { recursive: true, force: true });
  }
}

async function runPackagedSuite(paths, workspace, extensionsDir) {
  const { seen, log } = recorder('packaged');
  const result = await runExtensionTests({
    name: 'packaged',
    paths,
    folder: workspace,
    extensionsDir,
    extensionDevelopmentPath: helperOut,
    extensionTestsPath: path.join(helperOut, 'packaged', 'index.js'),
    extensionEnvironment: { ...passedThrough(), SECURE_MCP_TEST_SUITE: 'packaged', SECURE_MCP_TEST_UI: 'playwright' },
    verbose: Boolean(process.env.SECURE_MCP_TEST_VERBOSE),
    timeoutMs: runTimeoutMs,
    log
  });
  summary.push({ ...seen, ...result, host: 'code-server' });
}

async function main() {
  const paths = await step('provision', () => provision());
  const scratch = tempDir('integration');
  const workspace = path.join(scratch, 'workspace');
  fs.mkdirSync(workspace);
  try {
    let packagedExtensions;
    if (suites.includes('packaged')) {
      // Packaging replaces dist/ with the production build, so it runs before the dev build.
      const vsix = await step('npm run package', () => packageVsix());
      packagedExtensions = path.join(scratch, 'packaged-extensions');
      fs.mkdirSync(packagedExtensions);
      await step('install the VSIX', async () => console.log(await installVsix(vsix, packagedExtensions, { paths })));
    }
    await step('npm run build', () => npm(['run', 'build']));
    await step('bundle the tests and the helper extension', () => bundleTests());
    if (suites.includes('dev')) {
      await step('suite dev (extension from the repository)', () => runDevSuite(paths, workspace));
    }
    if (packagedExtensions) {
      await step('suite packaged (extension from the VSIX)', () => runPackagedSuite(paths, workspace, packagedExtensions));
    }
    if (suites.includes('entra')) {
      await step('suite entra (the built-in microsoft provider against the Entra emulator)', () => runEntraSuite(paths, workspace));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }

  console.log('\n== summary');
  for (const s of summary) {
    console.log(`${s.code === 0 ? 'PASS' : 'FAIL'} ${s.name.padEnd(9)} VS Code ${s.version ?? '?'} (${s.host}): ${s.passing} passing, ${s.failing} failing, ${s.pending} pending, ${s.seconds.toFixed(1)} s start to exit`);
  }
  for (const [name, time] of timings) {
    console.log(`  ${time.padStart(8)}  ${name}`);
  }
  console.log(`total ${elapsed(started)}`);
  const failed = summary.length !== suites.length || summary.some(s => s.code !== 0);
  process.exitCode = failed ? 1 : 0;
}

main().catch(e => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 1;
});
