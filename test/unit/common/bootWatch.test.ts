import * as assert from 'node:assert/strict';
import { watchBoot, type Timers } from '../../../src/common/bootWatch';

/** A clock the test advances by hand. */
function manualTimers(): Timers & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let next = 0;
  const queue = new Map<number, { at: number; fn: () => void }>();
  return {
    setTimeout(fn, ms) {
      const id = next++;
      queue.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      queue.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...queue.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) {
          break;
        }
        queue.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
    pending: () => queue.size
  };
}

describe('watchBoot', () => {
  it('reloads a page that did not boot in time, a bounded number of times, then gives up once', () => {
    const timers = manualTimers();
    const reloads: number[] = [];
    let gaveUp = 0;
    watchBoot({ intervalMs: 1000, attempts: 2, reload: n => reloads.push(n), gaveUp: () => gaveUp++, timers });
    timers.advance(999);
    assert.deepEqual(reloads, []);
    timers.advance(1);
    assert.deepEqual(reloads, [1]);
    timers.advance(10_000);
    assert.deepEqual(reloads, [1, 2]);
    assert.equal(gaveUp, 1);
    assert.equal(timers.pending(), 0, 'nothing left scheduled');
  });

  it('does nothing once the page booted, even after a reload', () => {
    const timers = manualTimers();
    const reloads: number[] = [];
    const watch = watchBoot({ intervalMs: 1000, attempts: 3, reload: n => reloads.push(n), gaveUp: () => assert.fail('gave up'), timers });
    timers.advance(1000);
    watch.booted();
    timers.advance(60_000);
    assert.deepEqual(reloads, [1]);
    assert.equal(timers.pending(), 0);
  });

  it('stops when the page is gone before it booted', () => {
    const timers = manualTimers();
    const watch = watchBoot({ intervalMs: 1000, attempts: 3, reload: () => assert.fail('reloaded a closed page'), gaveUp: () => assert.fail('gave up'), timers });
    watch.stop();
    timers.advance(60_000);
    assert.equal(timers.pending(), 0);
  });
});
