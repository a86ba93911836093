import assert from 'node:assert/strict';
import { AuthRequiredError, ConfigurationError, InsufficientScopeError, LlmConfigurationError, ProtocolError, SecureMcpError } from '../../../src/common/errors';
import { BlockedUrlError } from '../../../src/node/discovery/safeFetch';

/** A second copy of the module, as dist/runtime.js carries next to dist/extension.js. */
function secondCopy(): typeof import('../../../src/common/errors') {
  const path = require.resolve('../../../src/common/errors');
  const original = require.cache[path];
  delete require.cache[path];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../../../src/common/errors') as typeof import('../../../src/common/errors');
  } finally {
    if (original) {
      require.cache[path] = original;
    }
  }
}

describe('typed errors', () => {
  it('instanceof follows the declared kinds, also for a copy of the classes from another bundle', () => {
    const e = new AuthRequiredError('sign in');
    assert.ok(e instanceof AuthRequiredError);
    assert.ok(e instanceof SecureMcpError);
    assert.ok(!(e instanceof ProtocolError));
    assert.equal(e.name, 'AuthRequiredError');
    const copy = secondCopy();
    assert.notEqual(copy.AuthRequiredError, AuthRequiredError);
    assert.ok(new copy.AuthRequiredError('x') instanceof AuthRequiredError);
    assert.ok(new copy.ServerUnreachableError('x') instanceof SecureMcpError);
    assert.ok(!(new copy.ServerUnreachableError('x') instanceof AuthRequiredError));
  });

  it('subclasses keep their own identity', () => {
    const blocked = new BlockedUrlError('no');
    assert.ok(blocked instanceof BlockedUrlError);
    assert.ok(blocked instanceof SecureMcpError);
    assert.ok(!(new ProtocolError('x') instanceof BlockedUrlError));
    assert.ok(!(new Error('x') instanceof SecureMcpError));
    assert.ok(!((null as unknown as object) instanceof SecureMcpError));
    assert.equal(new InsufficientScopeError('x', 'mcp:admin').scope, 'mcp:admin');
    assert.deepEqual(new ConfigurationError('x', [{ key: 'k', message: 'm' }]).problems, [{ key: 'k', message: 'm' }]);
  });

  it('an LLM configuration error is a configuration error that says which fix applies, also across bundles', () => {
    const e = new LlmConfigurationError('No OpenAI API key is set.', 'setApiKey', [{ key: 'secureMcp.llm.provider', message: 'm' }]);
    assert.ok(e instanceof LlmConfigurationError);
    assert.ok(e instanceof ConfigurationError, 'callers that only know ConfigurationError still match');
    assert.ok(e instanceof SecureMcpError);
    assert.equal(e.name, 'LlmConfigurationError');
    assert.equal(e.fix, 'setApiKey');
    assert.deepEqual(e.problems, [{ key: 'secureMcp.llm.provider', message: 'm' }]);
    assert.ok(!(new ConfigurationError('No MCP server is configured.') instanceof LlmConfigurationError), 'the server\'s configuration error keeps its own reply');
    const copy = secondCopy();
    const other = new copy.LlmConfigurationError('Azure OpenAI needs an endpoint.', 'openSettings');
    assert.ok(other instanceof LlmConfigurationError);
    assert.ok(other instanceof ConfigurationError);
    assert.equal((other as LlmConfigurationError).fix, 'openSettings');
    assert.ok(!(new copy.ConfigurationError('x') instanceof LlmConfigurationError));
  });
});
