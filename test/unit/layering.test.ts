import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.join(__dirname, '../..');

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map(m => `${m.ruleId ?? ''}: ${m.message}`);
}

describe('layering rules (design.md)', function () {
  this.timeout(60_000);

  it('forbids a runtime import of vscode in src/common', async () => {
    const messages = await lint('src/common/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode.version;\n");
    assert.ok(messages.some(m => m.includes('no-restricted-imports')), messages.join('\n'));
  });

  it('allows a type-only import of vscode in src/common', async () => {
    const messages = await lint('src/common/probe.ts', "import type * as vscode from 'vscode';\nexport type X = vscode.Disposable;\n");
    assert.deepEqual(messages, []);
  });

  it('forbids loading the MCP SDK or openai eagerly from the VS Code layer', async () => {
    for (const mod of ['openai', '@modelcontextprotocol/sdk/client/index.js']) {
      const messages = await lint('src/vscode/probe.ts', `import * as m from '${mod}';\nexport const x = m;\n`);
      assert.ok(messages.some(m => m.includes('no-restricted-imports')), `${mod}: ${messages.join('\n')}`);
    }
  });

  it('forbids console.log in product code', async () => {
    const messages = await lint('src/common/probe.ts', "console.log('x');\n");
    assert.ok(messages.some(m => m.startsWith('no-console')), messages.join('\n'));
  });
});
