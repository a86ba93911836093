import assert from 'node:assert/strict';
import { ProtocolError, SecureMcpError, ServerUnreachableError } from '../../../src/common/errors';
import { mask, maskError } from '../../../src/common/log';

const CANARY_JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImNhbmFyeSJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ';
const OPAQUE = 'opaque7f3a9cd41e8b2a6f0c5e';

describe('masking error text', () => {
  it('masks an exact secret that matches no pattern, and leaves short ones alone', () => {
    assert.equal(mask(`token ${OPAQUE} seen`, [OPAQUE]), 'token *** seen');
    assert.equal(mask(`token ${OPAQUE} seen`), `token ${OPAQUE} seen`);
    assert.equal(mask('the id is abc', ['abc']), 'the id is abc');
  });

  it('is idempotent: masking a message that quotes a masked one keeps the words after it', () => {
    const once = mask(`(upstream said Authorization: Bearer ${CANARY_JWT}). Check that it is running, then reconnect.`);
    assert.equal(once, '(upstream said Authorization: ***). Check that it is running, then reconnect.');
    assert.equal(mask(once), once);
  });

  it('masks message and stack down the cause chain, in place, keeping class and fields', () => {
    const inner = Object.assign(new Error(`Error POSTing to endpoint: authorization: Bearer ${CANARY_JWT}`), { code: 502 });
    const middle = new TypeError(`gateway echoed ${OPAQUE}`, { cause: inner });
    const outer = new ServerUnreachableError(`Cannot reach the server (${CANARY_JWT})`, { cause: middle });
    const redact = (text: string) => mask(text, [OPAQUE]);
    assert.equal(maskError(outer, redact), outer);
    assert.ok(outer instanceof ServerUnreachableError && outer instanceof SecureMcpError);
    assert.equal(outer.cause, middle);
    assert.equal(inner.code, 502);
    for (const e of [outer, middle, inner]) {
      for (const text of [e.message, String(e), e.stack ?? '']) {
        assert.ok(!text.includes(CANARY_JWT) && !text.includes(OPAQUE), text);
      }
    }
    assert.match(outer.message, /^Cannot reach the server/);
  });

  it('survives a cause cycle, aggregate errors and non-errors', () => {
    const a = new ProtocolError(`a ${CANARY_JWT}`);
    const b = new Error(`b ${CANARY_JWT}`, { cause: a });
    Object.assign(a, { cause: b });
    const agg = new AggregateError([b, 'not an error'], `all failed: Bearer ${CANARY_JWT}`);
    maskError(agg);
    assert.ok(![agg.message, a.message, b.message].some(m => m.includes(CANARY_JWT)));
    assert.equal(maskError('plain string'), 'plain string');
    assert.equal(maskError(undefined), undefined);
  });
});
