import assert from 'node:assert/strict';
import { AuthRequiredError, ConfigurationError, InsufficientScopeError, ProtocolError, SecureMcpError } from '../../../src/common/errors';
import { BlockedUrlError } from '../../../src/common/discovery/safeFetch';

describe('typed errors', () => {
  it('instanceof follows the declared kinds, also for a copy of the classes from another bundle', () => {
    const e = new AuthRequiredError('sign in');
    assert.ok(e instanceof AuthRequiredError);
    assert.ok(e instanceof SecureMcpError);
    assert.ok(!(e instanceof ProtocolError));
    assert.equal(e.name, 'AuthRequiredError');
    // A second copy of the module, as dist/runtime.js carries next to dist/extension.js.
    const path = require.resolve('../../../src/common/errors');
    const original = require.cache[path];
    delete require.cache[path];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const copy = require('../../../src/common/errors') as typeof import('../../../src/common/errors');
    if (original) {
      require.cache[path] = original;
    }
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
});
