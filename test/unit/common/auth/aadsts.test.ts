import assert from 'node:assert/strict';
import { signInFailure } from '../../../../src/common/auth/aadsts';
import { AuthRequiredError, CancelledError } from '../../../../src/common/errors';

describe('sign-in failures, explained', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ';

  it('an AADSTS code becomes its meaning and fix, and a token in the text is masked', () => {
    const e = signInFailure('microsoft', new Error(`AADSTS65001: The user or administrator has not consented. Trace: ${jwt}`));
    assert.ok(e instanceof AuthRequiredError);
    assert.match(e.message, /AADSTS65001/);
    assert.match(e.message, /Authorized client applications/);
    assert.ok(!e.message.includes(jwt));
  });

  it('the user saying no is "cancelled by you", not an error to look up or a sign-in to offer again', () => {
    const e = signInFailure('microsoft', new Error('User did not consent to login.'));
    assert.ok(e instanceof CancelledError);
    assert.ok(!(e instanceof AuthRequiredError));
    assert.equal(e.message, 'Sign-in was cancelled by you.');
  });

  it('a provider this VS Code lacks says so and what to use instead', () => {
    const e = signInFailure('microsoft', new Error("Timed out waiting for authentication provider 'microsoft' to register."));
    assert.match(e.message, /"microsoft" is not available in this VS Code/);
    assert.match(e.message, /secure-mcp-oauth/);
  });

  it('anything else keeps the provider\'s words, masked and capped', () => {
    const e = signInFailure('contoso', `network down ${jwt} ${'x'.repeat(2000)}`);
    assert.match(e.message, /^Sign-in with "contoso" failed: network down/);
    assert.ok(!e.message.includes(jwt));
    assert.ok(e.message.length < 600);
  });
});
