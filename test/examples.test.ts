/**
 * The README examples, each run twice in separate processes: identical weight digests and
 * identical history bits; another seed gives another digest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MODEL_EXAMPLES, runExample } from './helpers/examples.js';

describe('examples reproduce bit for bit across processes', () => {
  for (const name of ['modern-tutorial', 'data-pipeline']) {
    it(`${name}: identical digests and history in two processes`, () => {
      const first = runExample(name);
      const second = runExample(name);
      assert.match(first.digest!, /^[0-9a-f]{64}$/);
      assert.equal(first.digest, second.digest);
      assert.equal(first.history, second.history);
      const history = JSON.parse(first.history!) as Record<string, number[]>;
      assert.equal(history.loss!.length, 3);
      assert.ok(history.loss![2]! < history.loss![0]!, 'the loss decreases');
    });
  }

  it('classic tutorial: with --seed the ten errors repeat exactly; without, they differ', () => {
    const a = runExample('classic-tutorial', ['--seed', '1']);
    const b = runExample('classic-tutorial', ['--seed', '1']);
    assert.equal(a.errors, b.errors);
    const errors = JSON.parse(a.errors!) as number[];
    assert.equal(errors.length, 10);
    assert.equal(new Set(errors).size, 10, 'the ten models start from ten different initialisations');
    const c = runExample('classic-tutorial', ['--seed', '2']);
    assert.notEqual(c.errors, a.errors);
    const unseeded1 = runExample('classic-tutorial');
    const unseeded2 = runExample('classic-tutorial');
    assert.notEqual(unseeded1.errors, unseeded2.errors);
    assert.equal(runExample('classic-tutorial', ['--seed', unseeded1.seed!]).errors, unseeded1.errors, 'an unseeded run replays from its recorded seed');
  });

  for (const name of MODEL_EXAMPLES) {
    it(`${name}: learns (test accuracy well above chance) and repeats its digest in a second process`, () => {
      const first = runExample(name);
      assert.ok(Number(first.accuracy) >= 0.9, `${name}: test accuracy ${first.accuracy}`);
      assert.equal(runExample(name).digest, first.digest);
    });
  }
});
