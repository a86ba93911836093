import assert from 'node:assert/strict';
import { AuthRequiredError, ConfigurationError, InsufficientScopeError, LlmConfigurationError, ProtocolError, SecureMcpError } from '../../../src/common/errors';
import { BlockedUrlError } from '../../../src/node/discovery/safeFetch';

describe('typed errors', () => {
  it('are plain classes: instanceof follows the prototype chain and each names itself', () => {
    const e = new AuthRequiredError('sign in');
    assert.ok(e instanceof AuthRequiredError);
    assert.ok(e instanceof SecureMcpError);
    assert.ok(e instanceof Error);
    assert.ok(!(e instanceof ProtocolError));
    assert.equal(e.name, 'AuthRequiredError');
    assert.equal(new SecureMcpError('x').name, 'SecureMcpError');
    assert.equal(Object.getOwnPropertySymbols(SecureMcpError).length, 0, 'no Symbol.hasInstance override');
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

  it('an LLM configuration error is a configuration error that says which fix applies', () => {
    const e = new LlmConfigurationError('No OpenAI API key is set.', 'setApiKey', [{ key: 'secureMcp.llm.provider', message: 'm' }]);
    assert.ok(e instanceof LlmConfigurationError);
    assert.ok(e instanceof ConfigurationError, 'callers that only know ConfigurationError still match');
    assert.ok(e instanceof SecureMcpError);
    assert.equal(e.name, 'LlmConfigurationError');
    assert.equal(e.fix, 'setApiKey');
    assert.deepEqual(e.problems, [{ key: 'secureMcp.llm.provider', message: 'm' }]);
    assert.ok(!(new ConfigurationError('No MCP server is configured.') instanceof LlmConfigurationError), 'the server\'s configuration error keeps its own reply');
  });
});
