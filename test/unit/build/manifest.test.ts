import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { COMMAND_IDS } from '../../../src/vscode/commands/ids';
import { declaredSettings, settingsGroups } from '../../support/manifest';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    walkthroughs: { steps: { id: string; description: string; media: { markdown?: string }; completionEvents?: string[] }[] }[];
  };
}

const root = path.join(__dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

describe('package.json contributions', () => {
  it('groups the settings as a user thinks of them: server, sign-in, language model, approval, limits', () => {
    const groups = settingsGroups();
    assert.deepEqual(groups.map(g => g.title), ['Server', 'Sign-in', 'Language model', 'Approval', 'Limits and timeouts']);
    const of = (title: string) => Object.keys(groups.find(g => g.title === title)?.properties ?? {});
    assert.ok(of('Sign-in').every(k => k.startsWith('secureMcp.auth.')) && of('Sign-in').length > 0);
    assert.ok(of('Language model').every(k => k.startsWith('secureMcp.llm.')) && of('Language model').length > 0);
    assert.deepEqual(of('Server'), ['secureMcp.serverUrl', 'secureMcp.servers', 'secureMcp.protocol.version']);
    const all = groups.flatMap(g => Object.keys(g.properties));
    assert.equal(new Set(all).size, all.length, 'each setting in one group');
  });

  it('lets an administrator lock, by policy, which servers are contacted, whether approvals may be remembered or skipped, and where the audit trail goes (docs/security.md E12)', () => {
    const settings = declaredSettings();
    const locked = Object.entries(settings).filter(([, s]) => s.policy).map(([key, s]) => [key, s.policy?.name]);
    assert.deepEqual(locked, [
      ['secureMcp.serverUrl', 'SecureMcpServerUrl'],
      ['secureMcp.servers', 'SecureMcpServers'],
      ['secureMcp.approval.rememberAcrossSessions', 'SecureMcpApprovalRememberAcrossSessions'],
      ['secureMcp.approval.trustedServers', 'SecureMcpApprovalTrustedServers'],
      ['secureMcp.approval.allowReadOnlyFromTrustedServers', 'SecureMcpApprovalAllowReadOnlyFromTrustedServers'],
      ['secureMcp.audit.folder', 'SecureMcpAuditFolder']
    ]);
    for (const [key, s] of Object.entries(settings).filter(([, s]) => s.policy)) {
      const p = s.policy!;
      assert.match(p.name, /^SecureMcp[A-Z][A-Za-z]+$/, `${key}: a PascalCase name of our own, never one of VS Code's`);
      assert.match(p.minimumVersion, /^\d+\.\d+$/, `${key}: minimumVersion is major.minor`);
      assert.equal(p.category, 'InteractiveSession', key);
      assert.ok(p.description && p.description.length > 20, `${key}: an administrator reads the description`);
      // VS Code's PolicyConfiguration takes string, number, boolean, array and object settings only.
      assert.ok(['string', 'boolean', 'array'].includes(String(s.type)), `${key}: ${String(s.type)}`);
    }
  });

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

  it('opens the chat with a tool question prefilled, not sent, from "Try a prompt"', () => {
    const step = manifest.contributes.walkthroughs[0]?.steps.find(s => s.id === 'tryPrompt');
    const link = /\(command:workbench\.action\.chat\.open\?([^)\s]+)\)/.exec(step?.description ?? '')?.[1];
    assert.ok(link, 'the step links to workbench.action.chat.open with an argument');
    assert.ok(!/['"]/.test(link), 'quotes are encoded, so the link survives markdown');
    const question = "@secure-mcp What's the weather in Zurich?";
    assert.deepEqual(JSON.parse(decodeURIComponent(link)), { query: question, isPartialQuery: true });
    assert.ok(fs.readFileSync(path.join(root, step?.media.markdown ?? ''), 'utf8').includes(question), 'the page asks the same question');
  });

  it('suggests the known auth providers without rejecting other provider ids', () => {
    const setting = declaredSettings()['secureMcp.auth.providerId'];
    assert.ok(setting);
    assert.equal(setting.enum, undefined, 'an enum would flag every other provider id as invalid');
    assert.equal(setting.enumItemLabels, undefined);
    const known = ['microsoft', 'microsoft-sovereign-cloud', 'secure-mcp-oauth'];
    assert.deepEqual(setting.examples, known);
    const pattern = new RegExp(setting.pattern ?? '');
    for (const id of [...known, 'github', 'my-company.sso']) {
      assert.ok(pattern.test(id), `${id} is accepted`);
      assert.ok(!known.includes(id) || setting.markdownDescription?.includes(`\`${id}\``), `${id} is described`);
    }
    assert.ok(!pattern.test('has spaces'));
  });
});
