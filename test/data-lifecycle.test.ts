import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';

/** The unhandled rejections fn causes (including a turn of the event loop after it ends). */
async function unhandledRejections(fn: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (reason: unknown) => { seen.push(reason); };
  process.on('unhandledRejection', record);
  try {
    await fn();
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', record);
  }
  return seen;
}

describe('datasets stopped early or failing', () => {
  it('an element prefetch read ahead that fails is not an unhandled rejection when the consumer stops first', async () => {
    const failsSecond = vb.data.generator(function* g() {
      yield 1;
      throw new Error('the second element fails');
    });
    let taken: number[] = [];
    const rejections = await unhandledRejections(async () => { taken = await failsSecond.prefetch(4).take(1).toArray(); });
    assert.deepEqual(taken, [1]);
    assert.deepEqual(rejections, []);
    await assert.rejects(failsSecond.prefetch(4).toArray(), /the second element fails/, 'a consumer that reaches it still gets the error');
  });
});
