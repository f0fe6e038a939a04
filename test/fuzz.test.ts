/**
 * The differential fuzzer's fixed budget in `npm test` (test/fuzz/differential.ts): a fixed seed
 * and case range, so that the suite is the same on every run; `npm run fuzz -- --seconds N`
 * explores further with other seeds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backends, runFuzz } from './fuzz/differential.js';
import { GENERATORS } from './fuzz/cases.js';

const SEED = 20261128;
const CASES = 1800;

describe('differential fuzzer (reference against WASM on 1, 2 and 3 threads, bit for bit)', () => {
  it(`${CASES} cases of seed ${SEED}: every primitive and gradients of random compositions`, () => {
    const report = runFuzz({ seed: SEED, first: 0, count: CASES }, new Backends());
    const primitives = Object.keys(GENERATORS);
    for (const p of primitives) assert.ok((report.primitiveCases[p] ?? 0) >= 5, `${p} ran ${report.primitiveCases[p] ?? 0} cases`);
    assert.ok(report.gradientCases >= 150, `${report.gradientCases} gradient cases`);
    assert.ok(report.rejected <= report.cases / 50, `the generators made ${report.rejected} invalid cases`);
  });

  it('cases that found bugs stay fixed', () => {
    // WASM matMul paired collapsed batch strides with the full batch shape (a [3,2,1,3] by b [3,1,2,1]).
    assert.equal(runFuzz({ seed: 1, first: 2, count: 1, only: 'matMul' }).primitiveCases.matMul, 1);
  });
});
