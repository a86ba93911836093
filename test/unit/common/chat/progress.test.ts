import assert from 'node:assert/strict';
import { ProgressLines } from '../../../../src/common/chat/progress';

describe('progress lines in chat', () => {
  function lines(first = 1000, max = 8000) {
    let now = 0;
    const p = new ProgressLines(() => now, first, max);
    return { p, at: (ms: number) => { now = ms; } };
  }

  it('a line whose text did not change is not repeated', () => {
    const { p, at } = lines();
    assert.equal(p.next('calling:1', 'Calling slow_task…'), 'Calling slow_task…');
    at(5000);
    assert.equal(p.next('calling:1', 'Calling slow_task…'), undefined);
  });

  it('a new kind of line (calling, waiting, progress of another call) shows at once', () => {
    const { p } = lines();
    assert.equal(p.next('approval:1', 'Waiting for your approval…'), 'Waiting for your approval…');
    assert.equal(p.next('calling:1', 'Calling slow_task…'), 'Calling slow_task…');
    assert.equal(p.next('progress:1', 'slow_task: 1/60'), 'slow_task: 1/60');
    assert.equal(p.next('progress:2', 'get_date: 1/2'), 'get_date: 1/2');
  });

  it('ticks of one kind come at growing intervals: a 60-tick call adds a handful of lines, not 60', () => {
    const { p, at } = lines(1000, 8000);
    const shown: number[] = [];
    for (let s = 1; s <= 60; s++) {
      at(s * 1000);
      if (p.next('progress:1', `slow_task: ${s}/60`)) {
        shown.push(s);
      }
    }
    assert.deepEqual(shown, [1, 2, 4, 8, 16, 24, 32, 40, 48, 56]);
  });

  it('two calls reporting in turn are throttled each on its own', () => {
    const { p, at } = lines(1000, 1000);
    const shown: string[] = [];
    for (let s = 1; s <= 4; s++) {
      at(s * 500);
      for (const id of ['a', 'b']) {
        const line = p.next(`progress:${id}`, `${id}: ${s}`);
        if (line) {
          shown.push(line);
        }
      }
    }
    assert.deepEqual(shown, ['a: 1', 'b: 1', 'a: 3', 'b: 3']);
  });
});
