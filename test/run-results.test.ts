/**
 * The results after training (after an outside review): model.evaluate, evaluateDataset and
 * predict record what they returned, so runs whose training and data agree but whose evaluation
 * or prediction differs are not "identical" to show, diff, verify (nor doctor: test/doctor.test.ts);
 * a hostile results field makes the run corrupt, never a crash. Real CLI processes on a real script.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-results');
const STORE = join(WORK, 'store');

function cli(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// Training never depends on the argument or the variable: after it, 'mae' compiles another loss
// (evaluation only), RESULTS_NUDGE moves the last bias (evaluation and prediction; by Math.random: 'random').
const SCRIPT = `import * as vb from 'verbatim';
const xs = Array.from({ length: 16 }, (_, i) => ((i * 7) % 16) / 16);
const x = vb.tensor2d(xs, [16, 1]);
const y = vb.tensor2d(xs.map((v) => 2 * v + 1), [16, 1]);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [1] }), vb.layers.dense({ units: 1 })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError', metrics: ['mae'] });
// A prediction or evaluation a callback makes during the fit is not recorded (a resumed fit would not make it again).
await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: { onEpochEnd: () => { model.predict(x).dispose(); vb.dispose(model.evaluate(x, y)); } } });
if (process.argv.includes('mae')) model.compile({ optimizer: 'sgd', loss: 'meanAbsoluteError', metrics: ['mae'] });
if (process.env.RESULTS_NUDGE) {
  const [kernel, bias] = model.layers[1].getWeights();
  model.layers[1].setWeights([kernel, vb.add(bias, process.env.RESULTS_NUDGE === 'random' ? Math.random() : Number(process.env.RESULTS_NUDGE))]);
}
model.evaluate(x, y);
await model.evaluateDataset(vb.data.zip({ xs: vb.data.array(xs.map((v) => [v])), ys: vb.data.array(xs.map((v) => [2 * v + 1])) }).batch(4));
model.predict(x);
// Results that are not finite: a bias of Infinity gives Infinity, then Infinity - Infinity NaN.
const [kernel] = model.layers[1].getWeights();
model.layers[1].setWeights([kernel, vb.tensor1d([Infinity])]);
model.evaluate(x, y);
model.layers[0].setWeights([vb.fill([1, 3], Infinity), vb.fill([3], 0)]);
model.layers[1].setWeights([vb.fill([3, 1], 1), vb.tensor1d([-Infinity])]);
model.evaluate(x, y);
`;

const named = (name: string) => (JSON.parse(cli(['ls', '--json', '--name', name]).stdout) as { id: string }[]).map((r) => r.id);
const listed = () => JSON.parse(cli(['ls', '--json']).stdout) as { id: string; status: string; problem?: string }[];

describe('results after training: recorded, shown and compared', () => {
  const script = join(WORK, 'evaluates.mjs');
  let [plain, again, mae, nudged] = ['', '', '', ''];
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(script, SCRIPT);
    for (const [name, args, env] of [['plain', [], {}], ['plain', [], {}], ['mae', ['--', 'mae'], {}], ['nudged', [], { RESULTS_NUDGE: '0.001' }]] as const) {
      const r = cli(['run', script, '--seed', '1', '--name', name, ...args], env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    [plain, again] = named('plain') as [string, string];
    [mae] = named('mae') as [string];
    [nudged] = named('nudged') as [string];
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('each evaluate and evaluateDataset records its results with their float32 bits, each predict its output digest; show lists them', () => {
    const evaluations = readFileSync(join(STORE, plain, 'evaluations.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    assert.deepEqual(evaluations.map((e) => e.kind), ['evaluate', 'evaluateDataset', 'evaluate', 'evaluate']);
    for (const e of evaluations.slice(0, 2)) {
      assert.deepEqual(Object.keys(e.results!), ['loss', 'mae']);
      for (const [name, value] of Object.entries(e.results!)) {
        const bits = Buffer.alloc(4);
        bits.writeFloatBE(value as number);
        assert.equal(e.resultBits![name], bits.toString('hex'), `${name}: its bits are those of its value`);
      }
    }
    // Non-finite results as epochs.jsonl writes them: strings, with their bits (one NaN).
    assert.deepEqual([evaluations[2]!.results, evaluations[2]!.resultBits], [{ loss: 'Infinity', mae: 'Infinity' }, { loss: '7f800000', mae: '7f800000' }]);
    assert.deepEqual([evaluations[3]!.results, evaluations[3]!.resultBits], [{ loss: 'NaN', mae: 'NaN' }, { loss: '7fc00000', mae: '7fc00000' }]);
    const predictions = readFileSync(join(STORE, plain, 'predictions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { outputs: { shape: number[]; sha256: string }[] });
    assert.equal(predictions.length, 1, 'the script\'s own prediction only, not its callback\'s during the fit');
    assert.deepEqual(predictions[0]!.outputs.map((o) => o.shape), [[16, 1]]);
    assert.match(predictions[0]!.outputs[0]!.sha256, /^[0-9a-f]{64}$/);
    const shown = cli(['show', plain]);
    assert.equal(shown.code, 0, shown.stderr);
    const loss = String(Math.fround(evaluations[0]!.results!.loss as number)).slice(0, 5);
    assert.match(shown.stdout, new RegExp(`^0 +evaluate +loss=${loss.replace('.', '\\.')}\\d* mae=\\S+ +${String(evaluations[0]!.resultBits!.loss)} ${String(evaluations[0]!.resultBits!.mae)}$`, 'm'));
    assert.match(shown.stdout, /^1 +evaluateDataset +loss=\S+ mae=\S+ +[0-9a-f]{8} [0-9a-f]{8}$/m);
    assert.match(shown.stdout, /^2 +evaluate +loss=Infinity mae=Infinity +7f800000 7f800000$/m);
    assert.match(shown.stdout, /^3 +evaluate +loss=NaN mae=NaN +7fc00000 7fc00000$/m);
    assert.match(shown.stdout, new RegExp(`^0 +x=[0-9a-f]{16} +float32 \\[16,1\\] ${predictions[0]!.outputs[0]!.sha256.slice(0, 16)}$`, 'm'));
  });

  it('the same seed twice is identical, results included; an evaluation that differs only after training (a script argument) is a difference diff names, with its index and value', () => {
    const same = cli(['diff', plain, again]);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /^identical: /m);
    assert.doesNotMatch(same.stdout, /results after training that differ/);
    const d = cli(['diff', plain, mae]);
    assert.equal(d.code, 1, d.stdout + d.stderr);
    assert.match(d.stdout, /^training identical: every recorded digest and metric bit agrees$/m);
    assert.match(d.stdout, /^results after training that differ:\n {2}evaluation 0: loss (\S+) != (?!\1 )\S+ \(bits [0-9a-f]{8} != [0-9a-f]{8}\)\n {2}evaluation 1: loss \S+ != \S+ \(bits [0-9a-f]{8} != [0-9a-f]{8}\)$/m);
    // mae is computed alike: not listed; the prediction is of the same weights.
    assert.doesNotMatch(d.stdout, /evaluation \d: mae|prediction 0/);
    const json = JSON.parse(cli(['diff', plain, mae, '--json']).stdout) as { identical: boolean; results: string[] };
    assert.equal(json.identical, false);
    assert.equal(json.results.length, 2);
  });

  it('the kind of an evaluation is compared (evaluate and evaluateDataset can agree bit for bit); differences are listed in index order', () => {
    const evaluations = join(STORE, again, 'evaluations.jsonl');
    const whole = readFileSync(evaluations, 'utf8');
    writeFileSync(evaluations, whole.replace('"kind":"evaluate"', '"kind":"evaluateDataset"'));
    try {
      const d = cli(['diff', plain, again]);
      assert.equal(d.code, 1, d.stdout + d.stderr);
      assert.match(d.stdout, /^ {2}evaluation 0: evaluate != evaluateDataset$/m);
    } finally {
      writeFileSync(evaluations, whole);
    }
    // How the data was batched decides the sums' order: recorded (a dataset's batch by batch) and compared.
    const plainLines = readFileSync(join(STORE, plain, 'evaluations.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { batchSizes: number[] });
    assert.deepEqual(plainLines.map((l) => l.batchSizes), [[32], [4, 4, 4, 4], [32], [32]]);
    const batched = join(WORK, 'batched.mjs');
    writeFileSync(batched, `import * as vb from 'verbatim';
const x = vb.tensor2d([[0], [1], [2], [3]]);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
model.evaluate(x, x, { batchSize: Number(process.env.EVAL_BS ?? 32) });
`);
    for (const env of [{}, { EVAL_BS: '3' }] as Record<string, string>[]) assert.equal(cli(['run', batched, '--seed', '1', '--name', 'batched'], env).code, 0);
    const [unbatched, split] = named('batched') as [string, string];
    const b = cli(['diff', unbatched, split]);
    assert.match(b.stdout, /^ {2}evaluation 0: batch sizes \[32\] != \[3\]$/m, b.stdout);
    // Twelve evaluations of data that moves with an argument: evaluation 2 is listed before 10.
    const many = join(WORK, 'many.mjs');
    writeFileSync(many, `import * as vb from 'verbatim';
const x = vb.tensor2d([[0], [1], [2], [3]]);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await model.fit(x, x, { epochs: 1, verbose: 0 });
for (let i = 0; i < 12; i++) model.evaluate(vb.add(x, process.argv.includes('shift') ? 1 : 0), x);
`);
    for (const args of [[], ['--', 'shift']]) {
      const r = cli(['run', many, '--seed', '1', '--name', 'many', ...args]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const [first, second] = named('many') as [string, string];
    const d = cli(['diff', first, second]);
    const order = [...d.stdout.matchAll(/^ {2}evaluation (\d+) x:/gm)].map((m) => Number(m[1]));
    assert.deepEqual(order, Array.from({ length: 12 }, (_, i) => i), d.stdout);
  });

  it('weights changed after training (an environment variable): evaluations and the prediction differ; verify without the variable fails', () => {
    const d = cli(['diff', plain, nudged]);
    assert.equal(d.code, 1, d.stdout + d.stderr);
    assert.match(d.stdout, /^ {2}evaluation 0: loss \S+ != \S+ \(bits/m);
    assert.match(d.stdout, /^ {2}prediction 0: output 0 float32 \[16,1\] ([0-9a-f]{16}) != float32 \[16,1\] (?!\1)[0-9a-f]{16}$/m);
    const v = cli(['verify', nudged]);
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.doesNotMatch(v.stdout, /^identical/m);
    assert.match(v.stdout, /^results after training that differ:\n {2}evaluation 0: loss /m);
    assert.match(v.stdout, /^ {2}prediction 0: output 0 /m);
    // With the variable as recorded, the run reproduces.
    const same = cli(['verify', nudged], { RESULTS_NUDGE: '0.001' });
    assert.equal(same.code, 0, same.stdout + same.stderr);
  });

  it('repeats of a seed whose results after training differ are not bit-identical, in run\'s summary and the report', () => {
    const r = cli(['run', script, '--seed', '3', '--repeats', '2', '--name', 'noisy'], { RESULTS_NUDGE: 'random' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The verdict names the pair and what differs (was the bare verdict, with no hint).
    assert.match(r.stdout, /^seed 3: 2 runs, NOT bit-identical: \S+ and \S+: results after training differ: evaluation 0: loss \S+ != \S+ \(bits [0-9a-f]{8} != [0-9a-f]{8}\); evaluation 0: mae [^;]+; evaluation 1: loss [^;]+; and 2 more; environment differences: none recorded$/m);
    const report = cli(['report', '--name', 'noisy', '--out', '-']);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /differs from <code>\S+<\/code>, results after training differ: evaluation 0: loss \S+ != \S+ \(bits [0-9a-f]{8} != [0-9a-f]{8}\)/);
    assert.doesNotMatch(report.stdout, /bit-identical\./);
  });

  it('a results field of the wrong type, bits that disagree with the value, or outputs that are no list: a corrupt run with the reason, in ls and diff; a line without results (an older run) reads', () => {
    const evaluations = join(STORE, again, 'evaluations.jsonl');
    const predictions = join(STORE, again, 'predictions.jsonl');
    const tamper = (file: string, edit: (line: string) => string, reason: RegExp) => {
      const whole = readFileSync(file, 'utf8');
      const [first, ...rest] = whole.split('\n');
      writeFileSync(file, [edit(first!), ...rest].join('\n'));
      try {
        const entry = listed().find((r) => r.id === again)!;
        assert.equal(entry.status, 'corrupt', reason.source);
        assert.match(entry.problem!, reason);
        const d = cli(['diff', plain, again]);
        assert.equal(d.code, 1, d.stdout + d.stderr);
        assert.doesNotMatch(d.stdout, /identical/);
        assert.match(d.stderr, new RegExp(`Expected a readable run\\. Received: ${again}, corrupt: .*${reason.source}`));
      } finally {
        writeFileSync(file, whole);
      }
    };
    const wrongType = /evaluations\.jsonl record 1: Expected results \{name: number\} with their float32 bits/;
    tamper(evaluations, (l) => l.replace(/"results":\{[^}]*\}/, '"results":"1.5"'), wrongType);
    tamper(evaluations, (l) => l.replace(/"results":\{"loss":[^,]*/, '"results":{"loss":{"x":1}'), wrongType);
    tamper(evaluations, (l) => l.replace(/"resultBits":\{"loss":"[0-9a-f]{8}"/, '"resultBits":{"loss":7'), wrongType);
    tamper(evaluations, (l) => l.replace(/"resultBits":\{[^}]*\}/, '"resultBits":{"loss":"3f800000"}'), wrongType);
    tamper(evaluations, (l) => l.replace(/"results":\{"loss":[^,]*/, '"results":{"loss":123.5'),
      /evaluations\.jsonl record 1: result "loss" is 123\.5, but its recorded float32 bits [0-9a-f]{8} \(resultBits\) are \S+: one of them was changed/);
    tamper(predictions, (l) => l.replace(/"outputs":\[.*\]/, '"outputs":{"0":1}'), /predictions\.jsonl record 1: Expected an object with the data predicted on and outputs/);
    const badCall = /evaluations\.jsonl record 1: Expected an object with the data evaluated \(a kind, 'evaluate' or 'evaluateDataset', and batchSizes, a list of non-negative integers, where recorded\)/;
    tamper(evaluations, (l) => l.replace('"kind":"evaluate"', '"kind":"predict"'), badCall);
    tamper(evaluations, (l) => l.replace(/"batchSizes":\[\d+\]/, '"batchSizes":[-1]'), badCall);
    tamper(evaluations, (l) => l.replace(/"batchSizes":\[\d+\]/, '"batchSizes":"32"'), badCall);
    assert.equal(listed().find((r) => r.id === again)!.status, 'completed', 'restored, the run reads again');
    // A run recorded before results were (data only) still reads, and compares by its data.
    const whole = readFileSync(evaluations, 'utf8');
    writeFileSync(evaluations, whole.split('\n').map((l) => (l ? JSON.stringify({ data: (JSON.parse(l) as { data: unknown }).data }) : l)).join('\n'));
    try {
      assert.equal(listed().find((r) => r.id === again)!.status, 'completed');
      const d = cli(['diff', plain, again]);
      assert.equal(d.code, 0, d.stdout + d.stderr);
    } finally {
      writeFileSync(evaluations, whole);
    }
  });
});
