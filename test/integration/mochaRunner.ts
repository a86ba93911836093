import * as fs from 'node:fs';
import * as path from 'node:path';
import type MochaType from 'mocha';
import * as vscode from 'vscode';

/**
 * Runs the compiled `*.test.js` files of one folder with mocha (tdd UI) inside the
 * extension host. The spec reporter writes through console, which the workbench relays
 * to the runner (codeAutomationLog).
 */
export async function runMochaIn(dir: string): Promise<void> {
  // mocha stays outside the bundle; Node resolves it from the repository's node_modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require('mocha') as typeof MochaType;
  const mocha = new Mocha({
    ui: 'tdd',
    reporter: 'spec',
    color: false,
    timeout: Number(process.env.SECURE_MCP_TEST_TIMEOUT_MS) || 20_000,
    slow: 2_000,
    forbidOnly: Boolean(process.env.CI),
    ...(process.env.SECURE_MCP_TEST_GREP ? { grep: process.env.SECURE_MCP_TEST_GREP } : {})
  });
  // The runner's summary reads this line.
  console.log(`vscode.version ${vscode.version} (${vscode.env.appName}, ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'} UI, extension host on Node ${process.versions.node})`);
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(dir, file));
  }
  await mocha.loadFilesAsync();
  const failures = await new Promise<number>(resolve => mocha.run(resolve));
  if (failures > 0) {
    throw new Error(`${failures} integration test(s) failed.`);
  }
}
