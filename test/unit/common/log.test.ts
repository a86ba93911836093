import assert from 'node:assert/strict';
import { mask, masking, maskValue, scoped, type Logger } from '../../../src/common/log';

const CANARY_JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImNhbmFyeSJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlLWNhbmFyeQ';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string | Error) => lines.push(typeof m === 'string' ? m : m.message);
  return { lines, logger: { trace: push, debug: push, info: push, warn: push, error: push } };
}

describe('log masking', () => {
  const leaks: [string, string][] = [
    ['bearer header', `Authorization: Bearer ${CANARY_JWT}`],
    ['bearer without JWT shape', 'authorization: Bearer opaque-canary-123'],
    ['JSON header object', `{"Authorization":"Bearer ${CANARY_JWT}","accept":"x"}`],
    ['bare JWT', `token=${CANARY_JWT}`],
    ['query access_token', 'GET https://x.example/mcp?access_token=opaque-canary-123&a=1'],
    ['authorization code in a redirect', 'http://127.0.0.1:5000/callback?code=opaque-canary-123&state=s'],
    ['api-key header', 'api-key: opaque-canary-123'],
    ['OpenAI key', 'using key sk-proj-opaque-canary-123']
  ];
  for (const [name, line] of leaks) {
    it(`masks a ${name}`, () => {
      const out = mask(line);
      assert.ok(!out.includes('canary'), out);
      assert.ok(!out.includes(CANARY_JWT.slice(0, 20)), out);
    });
  }

  it('keeps ordinary text', () => {
    assert.equal(mask('connected to https://x.example/mcp with 3 tools'), 'connected to https://x.example/mcp with 3 tools');
  });

  it('masks every level, errors included, and prefixes the component', () => {
    const { logger, lines } = capture();
    const log = scoped(masking(logger), 'auth');
    log.info(`Bearer ${CANARY_JWT}`);
    log.error(new Error(`refresh failed for ${CANARY_JWT}`));
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.ok(l.startsWith('[auth] '), l);
      assert.ok(!l.includes('canary') && !l.includes(CANARY_JWT), l);
    }
  });
});

describe('maskValue', () => {
  it('masks every string of a JSON value, keys too, and leaves numbers, booleans and null alone (A2)', () => {
    const value = { text: `seen ${CANARY_JWT} here`, [CANARY_JWT]: 1, list: [CANARY_JWT, 2, true, null], nested: { deeper: { v: `Bearer ${CANARY_JWT}` } } };
    const masked = maskValue(value);
    assert.ok(!JSON.stringify(masked).includes(CANARY_JWT), JSON.stringify(masked));
    assert.deepEqual(masked, { text: 'seen ***jwt*** here', '***jwt***': 1, list: ['***jwt***', 2, true, null], nested: { deeper: { v: 'Bearer ***' } } });
    assert.ok(JSON.stringify(value).includes(CANARY_JWT), 'the original is untouched');
  });

  it('masks a value nested deeper than it walks as one string, token gone all the same', () => {
    let deep: unknown = { token: CANARY_JWT };
    for (let i = 0; i < 200; i++) {
      deep = [deep];
    }
    const masked = JSON.stringify(maskValue(deep));
    assert.ok(!masked.includes(CANARY_JWT));
    assert.match(masked, /\*\*\*jwt\*\*\*/);
  });
});
