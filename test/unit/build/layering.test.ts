import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.join(__dirname, '../../..');

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map(m => `${m.ruleId ?? ''}: ${m.message}`);
}

async function refused(file: string, code: string, rule: string): Promise<void> {
  const messages = await lint(file, code);
  assert.ok(messages.some(m => m.startsWith(rule)), `${file} should be refused by ${rule}:\n${code}\ngot: ${messages.join('\n') || 'nothing'}`);
}

async function allowed(file: string, code: string): Promise<void> {
  assert.deepEqual(await lint(file, code), [], `${file} should accept:\n${code}`);
}

describe('layering rules (docs/architecture.md)', function () {
  this.timeout(60_000);
  const IMPORT = '@typescript-eslint/no-restricted-imports';

  it('keeps src/common pure: no vscode (not even types), no Node module, no other runtime folder, no Node or DOM-only globals', async () => {
    await refused('src/common/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode.version;\n", IMPORT);
    await refused('src/common/probe.ts', "import type * as vscode from 'vscode';\nexport type X = vscode.Disposable;\n", IMPORT);
    await refused('src/common/probe.ts', "import { createHash } from 'node:crypto';\nexport const x = createHash;\n", IMPORT);
    await refused('src/common/probe.ts', "import * as fs from 'fs';\nexport const x = fs;\n", IMPORT);
    await refused('src/common/chat/probe.ts', "import { McpSession } from '../../node/mcp/session';\nexport const x = McpSession;\n", IMPORT);
    await refused('src/common/probe.ts', "export const x = Buffer.from('a');\n", 'no-restricted-globals');
    await refused('src/common/probe.ts', 'export const x = document.title;\n', 'no-restricted-globals');
  });

  it('lets src/common import its own modules, including ones named like Node built-ins', async () => {
    await allowed('src/common/elicitation/probe.ts', "import { analyzeElicitationUrl } from './url';\nexport const x = analyzeElicitationUrl;\n");
  });

  it('keeps vscode and the webviews out of src/node', async () => {
    await refused('src/node/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode.version;\n", IMPORT);
    await refused('src/node/mcp/probe.ts', "import { vscodeApi } from '../../webview/lib/vscodeApi';\nexport const x = vscodeApi;\n", IMPORT);
    await allowed('src/node/probe.ts', "import { createHash } from 'node:crypto';\nexport const x = createHash;\n");
  });

  it('keeps Node and the extension host out of src/webview', async () => {
    await refused('src/webview/probe.ts', "import * as fs from 'node:fs';\nexport const x = fs;\n", IMPORT);
    await refused('src/webview/approval/probe.ts', "import { McpSession } from '../../node/mcp/session';\nexport const x = McpSession;\n", IMPORT);
    await refused('src/webview/approval/probe.ts', "import { createLog } from '../../vscode/log';\nexport const x = createLog;\n", IMPORT);
    await allowed('src/webview/approval/probe.ts', "import { revealParts } from '../../common/approval/reveal';\nexport const x = revealParts;\n");
  });

  it('forbids console.log in product code', async () => {
    const messages = await lint('src/common/probe.ts', "console.log('x');\n");
    assert.ok(messages.some(m => m.startsWith('no-console')), messages.join('\n'));
  });
});
