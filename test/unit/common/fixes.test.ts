import assert from 'node:assert/strict';
import * as errors from '../../../src/common/errors';
import * as llmErrors from '../../../src/common/llm/errors';
import * as oauthErrors from '../../../src/common/oauth/errors';
import { errorText, fixesFor, type Fix } from '../../../src/common/fixes';
import { plainL10n } from '../../../src/common/l10n';

type ErrorClass = new (...args: never[]) => Error;

/** Every exported error class of the three modules, by name: a new class must get a row below. */
function typedErrorClasses(): Map<string, ErrorClass> {
  const out = new Map<string, ErrorClass>();
  for (const module of [errors, llmErrors, oauthErrors]) {
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === 'function' && value.prototype instanceof Error) {
        out.set(name, value as unknown as ErrorClass);
      }
    }
  }
  return out;
}

/** One instance (or more, where a field chooses the fix) per class, and the buttons each gets. */
const EXPECTED: Record<string, readonly (readonly [Error, readonly string[]])[]> = {
  SecureMcpError: [[new errors.SecureMcpError('x'), ['Diagnose', 'Show Log']]],
  AuthRequiredError: [[new errors.AuthRequiredError('x'), ['Sign In']]],
  InsufficientScopeError: [[new errors.InsufficientScopeError('x', 'mcp:admin'), ['Sign In']]],
  ServerUnreachableError: [[new errors.ServerUnreachableError('x'), ['Diagnose', 'Show Log']]],
  IdentityProviderError: [[new errors.IdentityProviderError('x'), ['Diagnose', 'Show Log']]],
  ProtocolError: [[new errors.ProtocolError('x'), ['Diagnose', 'Show Log']]],
  NotMcpEndpointError: [[new errors.NotMcpEndpointError('x'), ['Configure Server…']]],
  PolicyBlockedError: [[new errors.PolicyBlockedError('x', 'https://good.example/mcp', 'chat.mcp.deniedServers', true), ['Open Settings']]],
  CancelledError: [[new errors.CancelledError('x'), []]],
  DeclinedByUserError: [[new errors.DeclinedByUserError('x'), []]],
  ConfigurationError: [
    [new errors.ConfigurationError('x'), ['Configure Server…']],
    [new errors.ConfigurationError('x', [{ key: 'secureMcp.serverUrl', message: 'm' }]), ['Configure Server…']],
    [new errors.ConfigurationError('x', [{ key: 'secureMcp.limits.maxTools', message: 'm' }]), ['Open Settings']]
  ],
  LlmConfigurationError: [
    [new errors.LlmConfigurationError('x', 'setApiKey'), ['Set LLM API Key…']],
    [new errors.LlmConfigurationError('x', 'openSettings'), ['Open Settings']],
    [new errors.LlmConfigurationError('x', 'pickChatModel'), ['Open Settings']]
  ],
  NotAvailableYetError: [[new errors.NotAvailableYetError('x'), []]],
  LlmError: [[new llmErrors.LlmError('x'), ['Show Log']]],
  LlmAuthError: [[new llmErrors.LlmAuthError('x', 401), ['Set LLM API Key…', 'Open Settings']]],
  LlmRateLimitError: [[new llmErrors.LlmRateLimitError('x', 1000), []]],
  LlmServerError: [[new llmErrors.LlmServerError('x', 500), []]],
  LlmContextLengthError: [[new llmErrors.LlmContextLengthError('x'), []]],
  LlmUnavailableError: [[new llmErrors.LlmUnavailableError('x'), ['Open Settings', 'Show Log']]],
  LlmRequestError: [[new llmErrors.LlmRequestError('x', 404), ['Open Settings', 'Show Log']]],
  LlmCancelledError: [[new llmErrors.LlmCancelledError('x'), []]],
  OAuthRefusedError: [
    [new oauthErrors.OAuthRefusedError('not-mcp-endpoint', 'x'), ['Configure Server…']],
    [new oauthErrors.OAuthRefusedError('issuer-mismatch', 'x'), ['Diagnose', 'Show Log']]
  ]
};

const titles = (fixes: readonly Fix[]) => fixes.map(f => f.title);

describe('error → fix (one mapping for toasts and chat buttons)', () => {
  it('has a row for every typed error class of errors.ts, llm/errors.ts and oauth/errors.ts', () => {
    assert.deepEqual([...typedErrorClasses().keys()].sort(), Object.keys(EXPECTED).sort());
  });

  for (const [name, rows] of Object.entries(EXPECTED)) {
    it(`${name}: ${rows.map(([, t]) => t.join(' + ') || 'no button').join('; ')}`, () => {
      for (const [error, expected] of rows) {
        assert.ok(error instanceof typedErrorClasses().get(name)!, `the row's error is a ${name}`);
        assert.deepEqual(titles(fixesFor(error, plainL10n)), expected);
      }
    });
  }

  it('each fix names a command, with the settings query where it opens the settings', () => {
    const fixes = Object.values(EXPECTED).flat().flatMap(([e]) => fixesFor(e, plainL10n));
    const byTitle = new Map(fixes.map(f => [f.title, f.command]));
    assert.deepEqual(Object.fromEntries(byTitle), {
      'Sign In': 'secureMcp.signIn',
      'Configure Server…': 'secureMcp.configureServer',
      'Diagnose': 'secureMcp.diagnose',
      'Show Log': 'secureMcp.showLog',
      'Set LLM API Key…': 'secureMcp.setApiKey',
      'Open Settings': 'workbench.action.openSettings'
    });
    assert.deepEqual(fixesFor(new errors.LlmConfigurationError('x', 'openSettings'), plainL10n)[0]?.args, ['secureMcp.llm']);
    assert.deepEqual(fixesFor(new errors.ConfigurationError('x', [{ key: 'secureMcp.limits.maxTools', message: 'm' }]), plainL10n)[0]?.args, ['secureMcp.limits.maxTools']);
    assert.deepEqual(fixesFor(new errors.ConfigurationError('x', [{ key: 'secureMcp.a', message: 'm' }, { key: 'secureMcp.b', message: 'm' }]), plainL10n)[0]?.args, ['secureMcp']);
  });

  it('anything that is not ours: the log, and a message that blames nobody', () => {
    assert.deepEqual(titles(fixesFor(new TypeError('x is undefined'), plainL10n)), ['Show Log']);
    assert.deepEqual(titles(fixesFor('a string', plainL10n)), ['Show Log']);
    assert.equal(errorText(new TypeError('x is undefined'), plainL10n), 'Secure MCP could not complete the request. See the log for details.');
    assert.equal(errorText(new errors.ServerUnreachableError('Cannot reach it.'), plainL10n), 'Cannot reach it.');
  });

  it('a fix found down the cause chain: our error wrapped by someone else keeps its fix', () => {
    const wrapped = new Error('outer', { cause: new errors.AuthRequiredError('sign in') });
    assert.deepEqual(titles(fixesFor(wrapped, plainL10n)), ['Sign In']);
    assert.equal(errorText(wrapped, plainL10n), 'sign in');
  });

  it('titles are translated through the l10n given', () => {
    const upper = { t: (m: string) => m.toUpperCase() };
    assert.deepEqual(titles(fixesFor(new errors.AuthRequiredError('x'), upper)), ['SIGN IN']);
  });
});
