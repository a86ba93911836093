import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ActivationExports } from '../../../src/extension';

const ID = 'secure-mcp.secure-mcp';

function listFiles(dir: string, base = dir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(d => d.isDirectory()
    ? listFiles(path.join(dir, d.name), base)
    : [path.relative(base, path.join(dir, d.name))]);
}

// Runs with the test helper as the development extension, so Secure MCP is only
// present as installed from out/secure-mcp.vsix.
suite('packaged extension (installed from the VSIX)', () => {
  test('is installed, not loaded from the source tree', () => {
    const ext = vscode.extensions.getExtension(ID);
    assert.ok(ext, `${ID} is installed`);
    assert.ok(!fs.existsSync(path.join(ext.extensionPath, 'src')), 'no src/ in the installed extension');
    assert.ok(!fs.existsSync(path.join(ext.extensionPath, 'test')), 'no test/ in the installed extension');
    assert.ok(ext.extensionPath.includes(`${ID}-`), ext.extensionPath);
  });

  test('activates, registers its commands and exports no test hooks', async () => {
    const ext = vscode.extensions.getExtension<ActivationExports | undefined>(ID);
    assert.ok(ext);
    const exports = await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(exports, undefined, 'the VSIX exports no test API');
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('secureMcp.showLog'));
  });

  test('ships only the bundles and assets, without test code or dependencies', () => {
    const ext = vscode.extensions.getExtension(ID);
    assert.ok(ext);
    const files = listFiles(ext.extensionPath).map(f => f.split(path.sep).join('/'));
    const allowed = /^(dist\/|media\/icon\.png$|media\/walkthrough\/[a-z]+\.md$|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE(\.md|\.txt)?$|\.vsixmanifest$)/i;
    assert.deepEqual(files.filter(f => !allowed.test(f)), [], 'unexpected files in the installed extension');
    assert.ok(files.includes('dist/extension.js') && files.includes('dist/runtime.js'));
    for (const bundle of files.filter(f => f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(ext.extensionPath, bundle), 'utf8');
      for (const marker of ['secure-mcp-test', 'suiteSetup(', 'runMochaIn', 'mocha', 'pwned', 'testReport', 'handleTestCommand', 'data-test-hooks', 'inject(']) {
        assert.ok(!text.includes(marker), `${bundle} contains test code (${marker})`);
      }
    }
  });
});
