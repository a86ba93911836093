import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { COMMAND_IDS } from '../../src/vscode/commandIds';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    walkthroughs: { steps: { id: string; description: string; media: { markdown?: string }; completionEvents?: string[] }[] }[];
  };
}

const root = path.join(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

describe('package.json contributions', () => {
  it('contributes exactly the commands the extension registers', () => {
    assert.deepEqual(manifest.contributes.commands.map(c => c.command).sort(), [...COMMAND_IDS].sort());
  });

  it('has a Get started walkthrough whose steps link to real commands and ship their media', () => {
    const [walkthrough] = manifest.contributes.walkthroughs;
    assert.deepEqual(walkthrough?.steps.map(s => s.id), ['setServer', 'signIn', 'chooseLlm', 'tryPrompt']);
    const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
    for (const step of walkthrough?.steps ?? []) {
      const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map(m => m[1] ?? '');
      assert.ok(links.length, `${step.id} links to a command`);
      for (const command of links.filter(c => c.startsWith('secureMcp.'))) {
        assert.ok((COMMAND_IDS as readonly string[]).includes(command), `${step.id} links to ${command}, which is registered`);
      }
      assert.ok(step.media.markdown && fs.existsSync(path.join(root, step.media.markdown)), `${step.id} media exists`);
      assert.ok(ignore.includes('!media/walkthrough/**'), 'walkthrough media is packaged');
      assert.ok(step.completionEvents?.length, `${step.id} can be completed`);
    }
  });
});
