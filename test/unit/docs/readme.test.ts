import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

describe('README', () => {
  it('explains every finding Diagnose can report in the troubleshooting table', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Troubleshooting'), readme.indexOf('\n## ', readme.indexOf('## Troubleshooting') + 1));
    const rows = table.split('\n').filter(l => l.startsWith('| `'));
    const codes = ['src/common/diagnose.ts', 'src/node/discovery/discovery.ts']
      .flatMap(file => [...read(file).matchAll(/\bcode: '([a-z][a-z-]*)'/g)].map(m => m[1] ?? ''));
    assert.ok(codes.length > 20, `found only ${codes.length} finding codes`);
    for (const code of new Set(codes)) {
      const row = rows.find(r => r.split('|')[1]?.includes(`\`${code}\``));
      assert.ok(row, `no troubleshooting row for ${code}`);
      assert.ok((row.split('|')[3] ?? '').trim().length > 5, `the row for ${code} says what to do`);
    }
  });
});
