/**
 * What diff, report and the run summary compare (after an outside review): runs of other
 * scripts, arguments or model shapes are not "same seed, different bits"; statistics count each
 * seed once; runs of different lengths, arguments and status are said as such. Real CLI
 * processes on a real script.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { float32Text } from '../src/cli/inspect.js';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-comparisons');
const STORE = join(WORK, 'store');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// Arguments: a number of epochs (default 2), --wide (a wider first layer), --fail (throws at the end of epoch 2).
// 8 examples in batches of 2: 4 steps an epoch.
const SCRIPT = `import * as vb from 'verbatim';
const args = process.argv.slice(2);
const epochs = Number(args.find((a) => /^\\d+$/.test(a)) ?? 2);
const x = vb.tensor2d([0, 1, 2, 3, 4, 5, 6, 7], [8, 1]);
const model = vb.sequential({ layers: [vb.layers.dense({ units: args.includes('--wide') ? 8 : 2, inputDim: 1 }), vb.layers.dense({ units: 1 })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
const fail = { onEpochEnd: (epoch) => { if (args.includes('--fail') && epoch === 1) throw new Error('boom'); } };
await model.fit(x, x, { epochs, batchSize: 2, verbose: 0, callbacks: [fail] });
vb.runs.log('score', epochs);
vb.runs.log('nanv', Number.NaN);
`;

const ids = (name: string) => (JSON.parse(cli('ls', '--json', '--name', name).stdout) as { id: string; seed: string }[]);

/** A statistics table's row for `metric`, its cells split on runs of two or more spaces. */
const row = (stdout: string, metric: string) => new RegExp(`^${metric}  .*$`, 'm').exec(stdout)?.[0].split(/ {2,}/);

describe('run comparisons', () => {
  const script = join(WORK, 'fit.mjs');
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(script, SCRIPT);
  });

  it('float32 values are shown with their sign: -0 is not 0', () => {
    assert.deepEqual(['80000000', '00000000', '3f800000', 'bf800000', '7fc00000'].map(float32Text), ['-0', '0', '1', '-1', 'NaN']);
  });

  it('diff of models of different shapes: a config difference, no file called damaged', () => {
    assert.equal(cli('run', script, '--seed', '1', '--name', 'shapes').code, 0);
    assert.equal(cli('run', script, '--seed', '1', '--name', 'shapes', '--', '--wide').code, 0);
    const [a, b] = ids('shapes');
    const d = cli('diff', a!.id, b!.id);
    assert.equal(d.code, 1, d.stderr);
    assert.doesNotMatch(d.stdout, /holds \d+ bytes/);
    assert.match(d.stdout, /the runs' models differ at fit 0: other weight names or shapes \(a config difference\)/);
  });

  it('report pairs only runs of one script and arguments as "same seed, different bits"', () => {
    const report = cli('report', '--name', 'shapes', '--out', '-');
    assert.equal(report.code, 0, report.stderr);
    assert.doesNotMatch(report.stdout, /differs from/);
    assert.match(report.stdout, /No seed was run to completion more than once \(with the same script and arguments\)/);
  });

  it('statistics count each seed once (its repeats are the same sample); one seed has no spread or interval, in the live line too', () => {
    const repeated = cli('run', script, '--seeds', '1,2', '--repeats', '2', '--name', 'repeats');
    const once = cli('run', script, '--seeds', '1,2', '--name', 'once');
    assert.equal(repeated.code, 0, repeated.stderr);
    assert.equal(row(repeated.stdout, 'loss')![1], '2 (4 runs)');
    assert.equal(row(once.stdout, 'loss')![1], '2');
    assert.deepEqual(row(repeated.stdout, 'loss')!.slice(2), row(once.stdout, 'loss')!.slice(2), 'the same mean, spread and interval');
    const single = cli('run', script, '--seed', '1', '--repeats', '2', '--progress', '--name', 'single');
    assert.deepEqual(row(single.stdout, 'loss')!.filter((_, i) => [1, 3, 7].includes(i)), ['1 (2 runs)', '-', 'none: one seed']);
    assert.match(single.stderr, /^summary 1\/2 done: loss \S+ \(one seed\)$/m);
    assert.match(single.stderr, /^summary 2\/2 done: loss \S+ \(one seed\)$/m);
    assert.doesNotMatch(single.stderr, /± 0/);
  });

  it('diff of runs of different lengths: the common epochs agree, the longer run named, no divergence', () => {
    for (const args of [['3'], ['5'], ['3', '--fail']]) cli('run', script, '--seed', '1', '--name', 'lengths', '--', ...args);
    const [three, five] = ids('lengths');
    const d = cli('diff', three!.id, five!.id);
    assert.equal(d.code, 1);
    assert.match(d.stdout, /different lengths: every epoch record both runs have agrees; A trained fit 0 to epoch 3, B fit 0 to epoch 5 \(4 and 6 epoch records\): B trained longer/);
    assert.doesNotMatch(d.stdout, /first divergence|layers that differ/);
  });

  it('diff of a copy whose fit end was cut off (a torn last line) names the missing end, not lengths that agree', () => {
    const [three] = ids('lengths');
    const copy = `${three!.id}-cut`;
    cpSync(join(STORE, three!.id), join(STORE, copy), { recursive: true });
    const fits = join(STORE, copy, 'fits.jsonl');
    writeFileSync(fits, readFileSync(fits, 'utf8').replace(/\{"fit":0,"finalDigest":"[0-9a-f]{20}[0-9a-f]*"\}\n$/, (line) => line.slice(0, 30)));
    // As a kill in the middle of that write leaves the run (a completed run writes every record whole).
    const status = join(STORE, copy, 'status.json');
    writeFileSync(status, JSON.stringify({ ...JSON.parse(readFileSync(status, 'utf8')) as object, status: 'interrupted', signal: 'SIGKILL' }));
    const d = cli('diff', three!.id, copy);
    rmSync(join(STORE, copy), { recursive: true, force: true });
    assert.equal(d.code, 1);
    assert.match(d.stdout, /different records: the same 4 epoch records agree, but the end of fit 0 \(its final weights' digest\) is recorded in A only/);
    assert.doesNotMatch(d.stdout, /fits end at different epochs/);
  });

  it('diff shows custom values as values with their bits, not bits alone', () => {
    const [three, five] = ids('lengths');
    const d = cli('diff', three!.id, five!.id);
    assert.match(d.stdout, /score step 0: 3 \(bits 40400000\) -> 5 \(bits 40a00000\)/);
  });

  it('diff shows script arguments and status', () => {
    const [three, five, failed] = ids('lengths');
    const d = cli('diff', three!.id, five!.id);
    assert.match(d.stdout, /script arguments: \n\s+args\[0\]: "3" -> "5"/);
    const f = cli('diff', three!.id, failed!.id);
    // The error ended fit 0 at the end of its epoch 2: the reason says where it stopped.
    assert.match(f.stdout, /status: completed -> failed: .*boom \(at fit 0, epoch 2, after its steps 0-3\)/);
    assert.match(f.stdout, /args: \["3"\] -> \["3","--fail"\]/);
  });

  it('no completed run is said as such, in the summary and the report', () => {
    const r = cli('run', script, '--seed', '7', '--name', 'failing', '--', '3', '--fail');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /\(no run completed \(1 did not\): statistics are of completed runs only\)/);
    const report = cli('report', '--name', 'failing', '--out', '-');
    assert.match(report.stdout, /no run completed \(1 did not\)/);
    assert.doesNotMatch(report.stdout, /No metrics were recorded|No two runs share a seed/);
  });

  it('ls --sort takes a value that is NaN in every run (ls shows it)', () => {
    const sorted = cli('ls', '--name', 'shapes', '--sort', 'nanv');
    assert.equal(sorted.code, 0, sorted.stderr);
  });

  it('ls --sort seed orders seeds above 2^53 exactly', () => {
    for (const seed of ['9007199254740993', '9007199254740992']) cli('run', script, '--seed', seed, '--name', 'big');
    assert.deepEqual(JSON.parse(cli('ls', '--name', 'big', '--sort', 'seed', '--json').stdout).map((x: { seed: string }) => x.seed), ['9007199254740992', '9007199254740993']);
  });

  it('report --name naming no run says which name and store', () => {
    assert.match(cli('report', '--name', 'nomatch').stderr, /Expected runs named nomatch in .*\. Received: none of that name/);
  });
});
