/**
 * What the run tools tell: custom values (vb.runs.log) in the summary, ls and its filters and
 * sorting; diff telling data content from order; doctor naming the first cause (Math.random in
 * the data at file:line) with its seed pinned. Real CLI processes on real scripts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import * as vb from 'verbatim';
import { ENGINE } from '../src/engine/engine.js';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-insights');
const STORE = join(WORK, 'store');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// --noisy: the data come from Math.random (line 3). fit shuffles its batches (Keras's default).
const SCRIPT = `import * as vb from 'verbatim';
const noisy = process.argv.includes('--noisy');
const xs = Array.from({ length: 16 }, (_, i) => (noisy ? Math.random() : i / 16));
const x = vb.tensor2d(xs, [16, 1]);
const y = vb.tensor2d(xs.map((v) => 2 * v + 1), [16, 1]);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 4, inputDim: 1 }), vb.layers.dense({ units: 1 })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
const error = vb.tidy(() => vb.mean(vb.abs(vb.sub(model.predict(x), y))).dataSync()[0]!);
vb.runs.log('score', error);
vb.runs.log('broken', Number.NaN, { step: 7 });
console.log('score', error);
`;

// Slow epochs (a callback sleeps), so the live progress has something to show.
const SLOW = `import * as vb from 'verbatim';
const x = vb.tensor2d([0, 1, 2, 3], [4, 1]);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputDim: 1 })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await model.fit(x, x, { epochs: 8, verbose: 0, callbacks: [{ onEpochEnd: () => new Promise((r) => setTimeout(r, 300)) }] });
`;

// --drift: the second layer's bias starts at 1 + Math.random() * 1e-3 (never equal in two processes in
// float32, but for a chance of about 1e-4); the data stay the same.
const DRIFT = `import * as vb from 'verbatim';
const x = vb.tensor2d([0, 1, 2, 3], [4, 1]);
const scale = process.argv.includes('--drift') ? 1 + Math.random() * 1e-3 : 1;
const model = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputDim: 1 }), vb.layers.dense({ units: 1, biasInitializer: vb.initializers.constant({ value: scale }) })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await model.fit(x, x, { epochs: 2, batchSize: 2, verbose: 0 });
`;

interface Listed { id: string; seed: string; status: string; values: Record<string, number | null> }

describe('run insights', () => {
  const script = join(WORK, 'fit.ts');
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(script, SCRIPT);
  });

  it('vb.runs.log checks its arguments, and records nothing outside a run', () => {
    assert.throws(() => vb.runs.log('', 1), /runs\.log: Expected a non-empty name.*Received: name=""/);
    assert.throws(() => vb.runs.log('a', '1' as unknown as number), /Expected a number/);
    assert.throws(() => vb.runs.log('a', 1, { step: -1 }), /Expected step to be a non-negative integer\. Received: step=-1/);
    // null is an object to typeof: in a run it was a TypeError ("reading 'step'"), outside one it passed.
    assert.throws(() => vb.runs.log('a', 1, null as never), /runs\.log: Expected options to be an object such as \{step: 3\}\. Received: options=null/);
    vb.runs.log('fine', 1, { step: 3 });
  });

  it('custom values: in the summary (--metric picks one), in ls, exact float32 bits with NaN; ls filters and sorts', () => {
    const r = cli('run', script, '--seeds', '1,2,3', '--name', 'values', '--metric', 'score');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^score\s+3\s/m);
    assert.doesNotMatch(r.stdout, /^loss\s/m, '--metric shows only the chosen metric');
    const printed = [...r.stdout.matchAll(/^score (\S+)$/gm)].map((m) => Math.fround(Number(m[1])));
    assert.equal(printed.length, 3);
    const runs = JSON.parse(cli('ls', '--json').stdout) as Listed[];
    assert.deepEqual(runs.map((x) => x.values.score), printed, 'the logged values, as float32');
    const lines = readFileSync(join(STORE, runs[0]!.id, 'values.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; step: number; bits: string });
    assert.deepEqual(lines.map((l) => [l.name, l.step]), [['score', 0], ['broken', 7]]);
    assert.equal(lines[1]!.bits, '7fc00000');
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, printed[0]!);
    assert.equal(lines[0]!.bits, view.getUint32(0).toString(16).padStart(8, '0'));
    const table = cli('ls').stdout;
    assert.match(table, /final metrics and values/);
    assert.match(table, /score=\S+ broken=NaN/);
    assert.match(cli('show', runs[0]!.id).stdout, /value\s+step\s+float32\s+bits\nscore\s+0\s+\S+\s+[0-9a-f]{8}\nbroken\s+7\s+NaN\s+7fc00000/);
    assert.match(cli('run', script, '--seed', '1', '--metric', 'nothing').stdout, /no completed run recorded a metric or value named nothing; they recorded broken, loss, score/);

    const html = join(WORK, 'score.html');
    assert.equal(cli('report', '--name', 'values', '--metric', 'score', '--out', html).code, 0);
    const distributions = [...readFileSync(html, 'utf8').matchAll(/class="chart distribution" data-chart="\d+" data-metric="(\w+)"/g)].map((m) => m[1]);
    assert.deepEqual(distributions, ['score'], 'report --metric keeps one distribution');

    // Filters and sorting.
    assert.deepEqual((JSON.parse(cli('ls', '--json', '--seed', '2').stdout) as Listed[]).map((x) => x.seed), ['2']);
    assert.deepEqual(JSON.parse(cli('ls', '--json', '--status', 'failed').stdout), []);
    assert.equal((JSON.parse(cli('ls', '--json', '--status', 'completed', '--since', '1h').stdout) as Listed[]).length, 4);
    assert.deepEqual(JSON.parse(cli('ls', '--json', '--since', '2099-01-01').stdout), []);
    const sorted = (JSON.parse(cli('ls', '--json', '--sort', 'score', '--name', 'values').stdout) as Listed[]).map((x) => x.values.score);
    assert.deepEqual(sorted, [...printed].sort((a, b) => a - b));
    const descending = (JSON.parse(cli('ls', '--json', '--sort', '-seed').stdout) as Listed[]).map((x) => x.seed);
    assert.deepEqual(descending, ['3', '2', '1', '1']);
    assert.equal(cli('ls', '--status', 'done').code, 2);
    assert.match(cli('ls', '--status', 'done').stderr, /Expected --status to be one of running, completed, failed, interrupted, corrupt\. Received: --status done/);
    assert.equal(cli('ls', '--since', 'yesterday').code, 2);
    assert.equal(cli('ls', '--sort', 'nothing').code, 2);
  });

  it('diff: two seeds shuffle the same examples differently; Math.random data differ in content', () => {
    const [a, b] = (JSON.parse(cli('ls', '--json', '--name', 'values').stdout) as Listed[]).map((x) => x.id);
    const d = cli('diff', a!, b!);
    assert.match(d.stdout, /data content: the same examples\n/);
    assert.match(d.stdout, /data order: \n {2}fit 0 batches x: the same examples in a different order\n {2}fit 0 batches y: the same examples in a different order/);
    assert.equal(cli('run', script, '--seed', '5', '--repeats', '2', '--name', 'noisy', '--', '--noisy').code, 0);
    const [c, e] = (JSON.parse(cli('ls', '--json', '--name', 'noisy').stdout) as Listed[]).map((x) => x.id);
    const json = JSON.parse(cli('diff', c!, e!, '--json').stdout) as { data: { content: string[]; order: string[] } };
    // The script's model.predict(x) after training is of that data too.
    assert.deepEqual(json.data.content.map((l) => l.split(':')[0]), ['fit 0 batches x', 'fit 0 batches y', 'fit 0 x', 'fit 0 y', 'prediction 0 x']);
    assert.deepEqual(json.data.order, []);
  });

  it('doctor: Math.random in the data is named as the cause at file:line, and nothing else is blamed', () => {
    const r = cli('doctor', script, '--', '--noisy');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /seed pinned to 1 for every run/);
    assert.match(r.stdout, /twice in two processes\s+input data differ: content differs: fit 0 batches x/);
    assert.match(r.stdout, new RegExp(`cause: the input data differ between two processes with the same seed .*because of Math\\.random \\(with it made repeatable, two more processes got the same data\\):\\n {2}Math\\.random called 16 time\\(s\\) at ${script.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+\\nthe rest is explained by it`));
    assert.doesNotMatch(r.stdout, /verbatim bug/);
    // A difference to inspect: the runs are kept.
    const store = /runs in (\S+), kept when a check differs or does not run/.exec(r.stdout)?.[1];
    assert.ok(store && existsSync(store), r.stdout);
    assert.doesNotMatch(r.stdout, /runs removed/);
  });

  it('doctor: a script without a seed is not compared with itself; clean training is identical everywhere', () => {
    const r = cli('doctor', script, '--seed', '9');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /seed pinned to 9 for every run/);
    for (const check of ['twice in one process', 'twice in two processes', '1 thread vs 2 threads', 'reference vs wasm backend']) {
      assert.match(r.stdout, new RegExp(`${check}\\s+identical`));
    }
    assert.match(r.stdout, /cause: none, every check is bit-identical/);
    assert.match(r.stdout, /no seed set: the script never calls vb\.setRandomSeed; doctor pinned 9/);
    // Nothing to inspect: its runs are removed (they piled up in the temporary directory).
    const store = /runs in (\S+), kept when a check differs or does not run/.exec(r.stdout)?.[1];
    assert.ok(store, r.stdout);
    assert.match(r.stdout, new RegExp(`^runs removed \\(${store.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): every check is bit-identical$`, 'm'));
    assert.equal(existsSync(store), false);
  });

  it('run --progress: a live line per repeat (epoch, loss, ETA) and a running summary; none without it off a terminal', () => {
    const slow = join(WORK, 'slow.ts');
    writeFileSync(slow, SLOW);
    const r = cli('run', slow, '--seeds', '1,2', '--progress', '--name', 'slow');
    assert.equal(r.code, 0, r.stderr);
    const progress = [...r.stderr.matchAll(/^progress \[1\/2\] fit 0 epoch (\d)\/8 loss \S+( ETA \d+(\.\d)?s)?$/gm)];
    assert.ok(progress.length >= 3, `live lines for the first repeat:\n${r.stderr}`);
    const epochs = progress.map((m) => Number(m[1]));
    assert.deepEqual(epochs, [...epochs].sort(), 'epochs only advance');
    assert.ok(progress.some((m) => m[2]), 'an ETA while epochs remain');
    assert.match(r.stderr, /^summary 1\/2 done: loss \S+ \(one seed\)$/m);
    assert.match(r.stderr, /^summary 2\/2 done: loss over 2 seeds mean \S+ ± \S+ \(95% CI\), median \S+, min \S+, max \S+$/m);
    const quiet = cli('run', slow, '--seed', '1', '--name', 'slow');
    assert.doesNotMatch(quiet.stderr, /^(progress|summary) /m, 'off a terminal only with --progress');
  });

  it('run on a terminal redraws one progress line in place', { skip: existsSync('/usr/bin/script') ? false : 'no /usr/bin/script to give the CLI a terminal' }, () => {
    const command = [process.execPath, CLI, 'run', join(WORK, 'slow.ts'), '--seed', '3', '--name', 'tty'].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('/usr/bin/script', ['-qec', `stty cols 160; ${command}`, '/dev/null'], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[1\/1\] fit 0 epoch \d\/8 loss \S+ ETA [\d.]+s\r\x1b\[K/, 'the line is redrawn with carriage return and erase');
    assert.doesNotMatch(r.stdout, /^progress /m);
  });

  it('--trace ops: diff and doctor name the first op whose output differs (op, shape, call site)', () => {
    const drift = join(WORK, 'drift.ts');
    writeFileSync(drift, DRIFT);
    assert.equal(cli('run', drift, '--seed', '1', '--repeats', '2', '--trace', 'ops', '--name', 'drift', '--', '--drift').code, 0);
    const [a, b] = (JSON.parse(cli('ls', '--json', '--name', 'drift').stdout) as Listed[]).map((x) => x.id);
    const ops = readFileSync(join(STORE, a!, 'ops.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; shape: number[] });
    assert.deepEqual(ops.slice(0, 2).map((o) => [o.op, o.shape]), [['linear', [2, 2]], ['linear', [2, 1]]], 'the first step, in order: the two dense layers');
    const d = cli('diff', a!, b!);
    assert.match(d.stdout, /first divergent step: fit 0, epoch 1, step 0/);
    // Op #0 (the first layer) agrees; the second layer's output is the first to differ.
    assert.match(d.stdout, /first divergent op: op #1 of the first step, linear \[2,1\] float32 at Dense\.call \S+core\.(ts|js):\d+: output differs/);
    assert.equal(cli('run', drift, '--seed', '1', '--repeats', '2', '--trace', 'ops', '--name', 'steady').code, 0);
    const [c, e] = (JSON.parse(cli('ls', '--json', '--name', 'steady').stdout) as Listed[]).map((x) => x.id);
    assert.match(cli('diff', c!, e!).stdout, new RegExp(`ops of the first step: all ${ops.length} identical`));
    const doc = cli('doctor', drift, '--trace', 'ops', '--', '--drift');
    assert.equal(doc.code, 1);
    assert.match(doc.stdout, /cause: the same data and seed train differently in two processes .*first divergent op #1 of the first step, linear \[2,1\]/);
    assert.match(doc.stdout, new RegExp(`Math\\.random called 1 time\\(s\\) at ${drift.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:\\d+`));
    assert.equal(cli('run', drift, '--trace', 'everything').code, 2);
  });

  it('--trace ops in process: the first op is the first layer\'s output, and the hook is off before and after', async () => {
    const store = join(WORK, 'ops-in-process');
    assert.equal(ENGINE.opObserver, undefined);
    let expected = '';
    await vb.runs.record({ store, trace: 'ops' }, async () => {
      vb.setRandomSeed(4);
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [2] }), vb.layers.dense({ units: 1 })] });
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      const x = vb.tensor([[1, 2], [3, 4], [5, 6]]);
      // The first layer's output with the initial weights, computed outside the trace.
      const first = vb.tidy(() => (m.layers[0]!.apply(x) as vb.Tensor).dataSync().slice());
      expected = createHash('sha256').update(new Uint8Array(first.buffer)).digest('hex').slice(0, 32);
      await m.fit(x, vb.tensor([[1], [2], [3]]), { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
      m.dispose();
    });
    assert.equal(ENGINE.opObserver, undefined, 'the hook is removed after the first step');
    const [run] = vb.runs.listRuns(store);
    const ops = readFileSync(join(run!.dir, 'ops.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { index: number; op: string; shape: number[]; digest: string });
    assert.deepEqual([ops[0]!.op, ops[0]!.shape, ops[0]!.digest], ['linear', [3, 3], expected]);
    assert.deepEqual(ops.map((o) => o.index), ops.map((_, i) => i));
    assert.ok(ops.length > 8, `forward, loss, backward and update ops of one step: ${ops.length}`);
  });
});
