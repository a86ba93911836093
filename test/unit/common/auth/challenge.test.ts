import assert from 'node:assert/strict';
import { bearerChallenge, parseWwwAuthenticate } from '../../../../src/common/auth/challenge';

describe('WWW-Authenticate parsing', () => {
  it('reads a Bearer challenge with quoted parameters', () => {
    assert.deepEqual(bearerChallenge('Bearer error="invalid_token", resource_metadata="https://x.example/.well-known/oauth-protected-resource/mcp"'), {
      error: 'invalid_token',
      resourceMetadata: 'https://x.example/.well-known/oauth-protected-resource/mcp'
    });
  });

  it('reads insufficient_scope with a space-separated scope', () => {
    const c = bearerChallenge('Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="https://x/prm"');
    assert.equal(c?.error, 'insufficient_scope');
    assert.equal(c?.scope, 'mcp:tools mcp:admin');
  });

  it('does not mistake a parameter inside error_description for a real one', () => {
    const c = bearerChallenge('Bearer error_description="bad, scope=evil resource_metadata=https://evil", error="invalid_token"');
    assert.equal(c?.scope, undefined);
    assert.equal(c?.resourceMetadata, undefined);
    assert.equal(c?.error, 'invalid_token');
    assert.equal(c?.errorDescription, 'bad, scope=evil resource_metadata=https://evil');
  });

  it('finds Bearer among several challenges and keeps them apart', () => {
    const all = parseWwwAuthenticate('DPoP algs="ES256 PS256", Basic realm="r", Bearer realm="api", scope="a b"');
    assert.deepEqual(all.map(c => c.scheme), ['dpop', 'basic', 'bearer']);
    assert.equal(bearerChallenge('Basic realm="x", Bearer scope="s"')?.scope, 's');
  });

  it('handles unquoted values, escapes, odd spacing and case', () => {
    assert.deepEqual(bearerChallenge('bearer   ERROR=invalid_token ,  scope = "a\\"b"'), { error: 'invalid_token', scope: 'a"b' });
  });

  it('keeps the first of duplicated parameters', () => {
    assert.equal(bearerChallenge('Bearer scope="first", scope="second"')?.scope, 'first');
  });

  it('returns nothing for absent, empty, non-Bearer or garbage headers without throwing', () => {
    for (const h of [undefined, null, '', 'Basic realm="x"', '"""', ',,,', '=', 'Bearer "unterminated']) {
      assert.doesNotThrow(() => parseWwwAuthenticate(h));
      if (h !== 'Bearer "unterminated') {
        assert.equal(bearerChallenge(h), undefined, String(h));
      }
    }
  });

  it('accepts a bare Bearer challenge', () => {
    assert.deepEqual(bearerChallenge('Bearer'), {});
  });
});
