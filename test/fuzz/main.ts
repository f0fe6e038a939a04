/**
 * `npm run fuzz -- [--seconds N] [--seed S] [--case I] [--only primitive|grad]`: the
 * differential fuzzer on demand. Without --seed, the seed is the current time (printed, so that
 * a failure can be reproduced); --case runs one case.
 */
import { parseArgs } from 'node:util';
import { FuzzFailure, runFuzz } from './differential.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' }, case: { type: 'string' }, only: { type: 'string' } },
});
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const seconds = Number(values.seconds);
if (!Number.isInteger(seed) || !(seconds > 0)) {
  console.error(`Expected an integer --seed and a positive --seconds. Received: seed=${values.seed}, seconds=${values.seconds}`);
  process.exit(2);
}
const one = values.case === undefined ? undefined : Number(values.case);
console.log(`fuzzing with seed ${seed}${one === undefined ? ` for ${seconds} s` : `, case ${one}`}`);
try {
  const report = runFuzz({ seed, first: one ?? 0, count: one === undefined ? undefined : 1, seconds, only: values.only });
  console.log(`${report.cases} cases passed: ${report.gradientCases} gradient compositions, ${report.rejected} rejected inputs, primitives ${JSON.stringify(report.primitiveCases)}`);
  process.exit(0);
} catch (error) {
  if (!(error instanceof FuzzFailure)) throw error;
  console.error(`FAILED: ${error.message}`);
  process.exit(1);
}
