import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { untilAborted } from '../../../src/common/abort';

describe('untilAborted', () => {
  it('gives the work\'s value, and leaves no listener on the signal', async () => {
    const signal = new AbortController().signal;
    assert.equal(await untilAborted(Promise.resolve(7), signal), 7);
    await assert.rejects(untilAborted(Promise.reject(new Error('failed')), signal), /failed/);
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });

  it('stops waiting when the signal aborts, with its reason, though the work never settles', async () => {
    const caller = new AbortController();
    const waiting = untilAborted(new Promise<never>(() => undefined), caller.signal);
    const reason = new Error('gave up');
    caller.abort(reason);
    await assert.rejects(waiting, e => e === reason);
  });

  it('an already aborted signal stops it at once; a late failure of the work is not an unhandled rejection', async () => {
    const caller = new AbortController();
    caller.abort();
    let fail: (e: Error) => void = () => undefined;
    const work = new Promise<never>((_, reject) => { fail = reject; });
    await assert.rejects(untilAborted(work, caller.signal), (e: unknown) => (e as Error).name === 'AbortError');
    fail(new Error('late'));
    await new Promise(r => setImmediate(r));
  });
});
