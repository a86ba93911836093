import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMAND_IDS } from '../../src/vscode/commands/ids';
import { PARTICIPANT_ID } from '../../src/vscode/chat/participant';
import { api, extension } from './util';

// Runs first (files load in name order), so nothing else has touched the runtime yet.
suite('activation', () => {
  test('activates in the VS Code under test', async () => {
    assert.match(vscode.version, /^1\.\d+\.\d+/);
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
    assert.ok((await api()).settings.current.settings, 'the runtime behind activation reads the settings');
  });

  test('does not load the runtime during activation, and loads it right after', async () => {
    const ext = extension();
    const exports = await ext.activate();
    assert.ok(exports, 'a development build in test mode exports its test hooks');
    assert.ok(fs.existsSync(path.join(ext.extensionPath, 'dist', 'runtime.js')), 'dist/runtime.js exists, so the check below means something');
    assert.equal(exports.runtimeLoadedDuringActivation, false, 'dist/runtime.js (MCP SDK, openai) was required during activate()');
    // The status bar item is the runtime's: it exists once the deferred start ran.
    assert.ok((await api()).statusBar.view.text.length > 0, 'the status bar item is shown');
  });

  test('contributes the @secure-mcp chat participant with its commands', () => {
    const participants = extension().packageJSON.contributes.chatParticipants as { id: string; name: string; commands: { name: string }[] }[];
    const participant = participants.find(p => p.id === PARTICIPANT_ID);
    assert.ok(participant, `${PARTICIPANT_ID} is contributed`);
    assert.equal(participant.name, 'secure-mcp');
    assert.deepEqual(participant.commands.map(c => c.name).sort(), ['call', 'status', 'tools']);
  });

  test('registers every secureMcp command, and only the contributed ones', async () => {
    const contributed = (extension().packageJSON.contributes.commands as { command: string }[]).map(c => c.command).sort();
    assert.equal(contributed.length, COMMAND_IDS.length);
    assert.deepEqual([...COMMAND_IDS].sort(), contributed);
    const registered = (await vscode.commands.getCommands(true)).filter(c => c.startsWith('secureMcp.')).sort();
    assert.deepEqual(registered, contributed);
  });
});
