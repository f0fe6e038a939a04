import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stopwatch } from '../src/util/stopwatch.js';

/** Runs fn with Date.now reading the given times in turn (the wall clock the stopwatch reads). */
function withClock(times: number[], fn: () => void): void {
  const original = Date.now;
  Date.now = () => times.shift()!;
  try {
    fn();
  } finally {
    Date.now = original;
  }
}

describe('Stopwatch (pacing of yields, record flushes and backups)', () => {
  it('counts milliseconds since it was made or restarted', () => {
    withClock([1000, 1040, 1100, 1130], () => {
      const watch = new Stopwatch();
      assert.equal(watch.elapsedMs(), 40);
      watch.restart();
      assert.equal(watch.elapsedMs(), 30);
    });
  });

  it('a wall clock set back starts it again from the new time, so a pacing check is never stalled for the jump', () => {
    withClock([5_000_000, 1000, 1025, 1100], () => {
      const watch = new Stopwatch();
      assert.equal(watch.elapsedMs(), 0, 'the clock went back by an hour and more');
      assert.equal(watch.elapsedMs(), 25);
      assert.equal(watch.elapsedMs(), 100);
    });
  });
});
