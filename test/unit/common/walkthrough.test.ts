import assert from 'node:assert/strict';
import { decisionContext, stateContext, WALKTHROUGH_CONTEXT } from '../../../src/common/walkthrough';
import { declaredSettings, walkthroughs } from '../../support/manifest';

/** The condition each step of "Get started" stands for, as the context key the extension sets. */
const CONDITION: Record<string, string> = {
  setServer: WALKTHROUGH_CONTEXT.serverConfigured,
  signIn: WALKTHROUGH_CONTEXT.signedIn,
  chooseLlm: WALKTHROUGH_CONTEXT.modelCalledTool,
  tryPrompt: WALKTHROUGH_CONTEXT.toolCallApproved
};

const steps = () => walkthroughs().flatMap(w => w.steps);
const events = (type: string) => steps().flatMap(s => (s.completionEvents ?? []).filter(e => e.startsWith(`${type}:`)).map(e => ({ step: s.id, argument: e.slice(type.length + 1) })));

describe('the walkthrough ticks its steps when their condition holds (issue 15, item 7)', () => {
  it('each step completes on the context key of its condition', () => {
    assert.deepEqual(steps().map(s => s.id), Object.keys(CONDITION));
    for (const step of steps()) {
      assert.ok(step.completionEvents?.includes(`onContext:${CONDITION[step.id]}`), `${step.id}: ${JSON.stringify(step.completionEvents)}`);
    }
  });

  it('every context key a step waits for is one the extension sets', () => {
    const set = new Set<string>(Object.values(WALKTHROUGH_CONTEXT));
    for (const { step, argument } of events('onContext')) {
      assert.ok(set.has(argument), `${step} waits for ${argument}, which nothing sets`);
    }
  });

  it('no step completes because a command link was clicked: the event fires even when the command is cancelled or fails', () => {
    assert.deepEqual(events('onCommand'), []);
  });

  it('a step that completes on a setting names a declared one, and only events VS Code knows are used', () => {
    const declared = declaredSettings();
    for (const { step, argument } of events('onSettingChanged')) {
      assert.ok(argument in declared, `${step}: ${argument} is not a declared setting`);
    }
    for (const step of steps()) {
      for (const event of step.completionEvents ?? []) {
        assert.match(event, /^(onContext|onSettingChanged|onCommand|onView|onLink|onExtensionInstalled|onStepSelected):./, `${step.id}: ${event}`);
      }
    }
  });

  describe('the keys', () => {
    it('a configured server URL sets serverConfigured; none clears it', () => {
      assert.equal(stateContext({ serverUrl: 'https://mcp.contoso.example/mcp', connection: 'signedOut' }).get(WALKTHROUGH_CONTEXT.serverConfigured), true);
      assert.equal(stateContext({ serverUrl: '', connection: 'notConfigured' }).get(WALKTHROUGH_CONTEXT.serverConfigured), false);
    });

    it('signedIn holds only while connected, not while signed out, connecting or in error', () => {
      assert.equal(stateContext({ serverUrl: 'https://x.example/mcp', connection: 'connected' }).get(WALKTHROUGH_CONTEXT.signedIn), true);
      for (const connection of ['signedOut', 'connecting', 'error', 'notConfigured', 'settingsProblem']) {
        assert.equal(stateContext({ serverUrl: 'https://x.example/mcp', connection }).get(WALKTHROUGH_CONTEXT.signedIn), false, connection);
      }
    });

    it('a call the model asked for proves the model; an approval proves the prompt step', () => {
      assert.deepEqual(decisionContext({ origin: 'llm' }, { kind: 'approved', how: 'once' }), [WALKTHROUGH_CONTEXT.modelCalledTool, WALKTHROUGH_CONTEXT.toolCallApproved]);
      assert.deepEqual(decisionContext({ origin: 'llm' }, { kind: 'declined', how: 'user' }), [WALKTHROUGH_CONTEXT.modelCalledTool], 'a declined call still shows the model works');
      assert.deepEqual(decisionContext({ origin: 'user' }, { kind: 'approved', how: 'session' }), [WALKTHROUGH_CONTEXT.toolCallApproved], '/call needs no model');
      assert.deepEqual(decisionContext({ origin: 'user' }, { kind: 'declined', how: 'timeout' }), []);
    });
  });
});
