/**
 * verbatim doctor's verdicts on scripts that are not reproducible in one way each: the user's own
 * thread-dependent data or options, custom values that differ, checks that could not run (a
 * crash, no fit, an unawaited main, a script that hangs in process), Math.random that did not
 * make the data, reads of the thread count that explain a thread disagreement, and --trace ops on
 * the pair that disagrees. Real CLI processes on real scripts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'doctor');

function doctor(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'doctor', ...args], { cwd: WORK, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// Deterministic data and a small model; PRELUDE's line 1 is the import, so a script's own lines follow.
const PRELUDE = `import * as vb from 'verbatim';
vb.setRandomSeed(5);
const xs = Array.from({ length: 32 }, (_, i) => ((i * 37) % 32) / 32);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [1] }), vb.layers.dense({ units: 1 })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
const fit = (data, options = {}) => model.fit(vb.tensor2d(data, [32, 1]), vb.tensor2d(data.map((v) => 2 * v), [32, 1]), { epochs: 2, batchSize: 8, verbose: 0, ...options });
`;

const SCRIPTS: Record<string, string> = {
  'thread-data.mjs': `${PRELUDE}xs[0] = vb.getNumThreads() / 10;\nawait fit(xs);\n`,
  'thread-options.mjs': `${PRELUDE}await fit(xs, { batchSize: vb.getNumThreads() > 1 ? 16 : 8 });\n`,
  'noisy-value.mjs': `${PRELUDE}await fit(xs);\nvb.runs.log('noisy', Math.random());\n`,
  'unawaited.mjs': `${PRELUDE}async function main() { await new Promise((r) => setTimeout(r, 50)); await fit(xs); }\nmain();\n`,
  'unawaited-fit.mjs': `${PRELUDE}async function main() { await fit(xs); }\nmain();\n`,
  'exits.mjs': `${PRELUDE}await fit(xs);\nprocess.exit(0);\n`,
  'throws.mjs': `${PRELUDE}await fit(xs, { callbacks: { onEpochEnd: () => { throw new Error('boom in a callback'); } } });\n`,
  'syntax.mjs': 'import * as vb from \'verbatim\';\nconst x = ;\n',
  'no-fit.mjs': 'import * as vb from \'verbatim\';\nconsole.log(vb.tensor([1, 2]).sum().dataSync()[0]);\n',
  // Math.random names a label only; the clock makes the data.
  'label-clock.mjs': `${PRELUDE}console.log('run-' + Math.floor(Math.random() * 1e6));\nxs[0] = Number(process.hrtime.bigint() % 997n) / 997;\nawait fit(xs);\n`,
  // Math.random names a label only; the clock sets the learning rate in training.
  'label-clock-training.mjs': `${PRELUDE}console.log('run-' + Math.floor(Math.random() * 1e6));\nawait fit(xs, { callbacks: { onEpochEnd: () => { model.optimizer.learningRate = 0.01 + (performance.now() % 1) / 100; } } });\n`,
  // Trains on deterministic data, evaluates on data from Math.random.
  'random-evaluation.mjs': `${PRELUDE}await fit(xs);\nconst ex = vb.tensor2d(xs.map(() => Math.random()), [32, 1]);\nmodel.evaluate(ex, ex);\n`,
  // Trains and evaluates on deterministic data, but moves the last bias by Math.random after training.
  'random-after-training.mjs': `${PRELUDE}await fit(xs);\nconst [kernel, bias] = model.layers[1].getWeights();\nmodel.layers[1].setWeights([kernel, vb.add(bias, Math.random())]);\nconst ex = vb.tensor2d(xs, [32, 1]);\nmodel.evaluate(ex, ex);\nmodel.predict(ex);\n`,
  // Keeps a timer after training: its process never exits, in any pass.
  'keeps-timer.mjs': `${PRELUDE}await fit(xs);\nsetInterval(() => undefined, 1000);\n`,
  // Waits forever when run in doctor's in-process passes only.
  'hangs-in-process.mjs': `${PRELUDE}await fit(xs);\nif (import.meta.url.includes('doctor-pass')) await new Promise(() => setInterval(() => undefined, 1000));\n`,
  // Pins the backend and threads doctor varies: its thread and backend checks compare nothing.
  'pins-compute.mjs': `${PRELUDE}vb.setBackend('wasm');\nvb.setNumThreads(2);\nawait fit(xs);\n`,
  // The second layer's bias moved with the thread count after the model is built: no data or config differs.
  'thread-weights.mjs': `${PRELUDE}const [kernel, bias] = model.layers[1].getWeights();\nmodel.layers[1].setWeights([kernel, vb.add(bias, vb.getNumThreads() * 1e-3)]);\nawait fit(xs);\n`,
  // The same, moved by the backend the script reads.
  'backend-weights.mjs': `${PRELUDE}const [kernel, bias] = model.layers[1].getWeights();\nmodel.layers[1].setWeights([kernel, vb.add(bias, vb.getBackend() === 'wasm' ? 1e-3 : 0)]);\nawait fit(xs);\n`,
  // The same, moved by the threads vb.runs.environment() reports.
  'env-api.mjs': `${PRELUDE}const env = vb.runs.environment();\nconst [kernel, bias] = model.layers[1].getWeights();\nmodel.layers[1].setWeights([kernel, vb.add(bias, env.threads * 1e-3)]);\nawait fit(xs);\n`,
  // The same, moved by VERBATIM_THREADS (which doctor sets) without a call of vb.getNumThreads().
  'env-threads.mjs': `${PRELUDE}const [kernel, bias] = model.layers[1].getWeights();\nmodel.layers[1].setWeights([kernel, vb.add(bias, Number(process.env.VERBATIM_THREADS ?? 0) * 1e-3)]);\nawait fit(xs);\n`,
};

describe('doctor verdicts', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(WORK, name), text);
  });

  it('a script that sets its own backend and threads: the checks that vary them say they compared nothing, and doctor does not pass', () => {
    const pinned = doctor('pins-compute.mjs');
    assert.equal(pinned.code, 1, pinned.stdout + pinned.stderr);
    assert.match(pinned.stdout, /1 thread vs 2 threads\s+not compared: the script sets its own thread count: every fit of both runs trained with 2 thread\(s\)/);
    assert.match(pinned.stdout, /reference vs wasm backend\s+not compared: the script sets its own backend: every fit of both runs trained with the wasm backend/);
    assert.doesNotMatch(pinned.stdout, /every check is bit-identical/);
  });

  it('data or fit options that depend on the thread count are the script\'s doing, not a verbatim bug', () => {
    const data = doctor('thread-data.mjs');
    assert.equal(data.code, 1, data.stderr);
    assert.match(data.stdout, /1 thread vs 2 threads\s+input data differ: content differs: fit 0 batches x, fit 0 batches y, fit 0 x, fit 0 y/);
    assert.match(data.stdout, /cause: the script's own data depend on the thread count \(1 thread vs 2 threads: content differs: fit 0 batches x, fit 0 batches y, fit 0 x, fit 0 y\).*not verbatim's/);
    assert.doesNotMatch(data.stdout, /verbatim bug/);
    const options = doctor('thread-options.mjs');
    assert.equal(options.code, 1, options.stderr);
    assert.match(options.stdout, /cause: the script's own model or fit options depend on the thread count \(1 thread vs 2 threads: config differs: fit 0\.options\.batchSize: 8 -> 16\)/);
    assert.doesNotMatch(options.stdout, /verbatim bug/);
  });

  it('custom values that differ are a cause, with exit 1, though training is identical', () => {
    const r = doctor('noisy-value.mjs');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /twice in two processes\s+custom values differ: noisy step 0: [-0-9.e]+ \(bits [0-9a-f]{8}\) -> [-0-9.e]+ \(bits [0-9a-f]{8}\)/);
    assert.match(r.stdout, /cause: training agrees but the custom values \(vb\.runs\.log\) differ between two processes/);
    assert.match(r.stdout, /Math\.random called 1 time\(s\) at \S+noisy-value\.mjs:8:\d+/);
    assert.doesNotMatch(r.stdout, /every check is bit-identical/);
  });

  it('evaluation and prediction results that differ after the same training are results after training, not "identical"', () => {
    const r = doctor('random-after-training.mjs');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /twice in two processes\s+results after training differ: evaluation 0: loss \S+ != \S+ \(bits [0-9a-f]{8} != [0-9a-f]{8}\), prediction 0: output 0 float32 \[32,1\] [0-9a-f]{16} != float32 \[32,1\] [0-9a-f]{16}/);
    assert.match(r.stdout, /cause: training and the data evaluated agree, but the results of model\.evaluate or model\.predict differ between two processes with the same seed/);
    assert.match(r.stdout, /Math\.random called 1 time\(s\) at \S+random-after-training\.mjs:9:\d+/);
    assert.doesNotMatch(r.stdout, /every check is bit-identical/);
  });

  it('a check that did not run is named with its reason, and doctor exits 1', () => {
    const r = doctor('unawaited.mjs');
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /twice in two processes\s+identical/);
    assert.match(r.stdout, /twice in one process\s+not compared: pass 1: no training recorded before the script's module finished loading \(is its main promise awaited\?\)/);
    assert.match(r.stdout, /cause: none found in the checks that ran, but not every check ran:\n {2}not checked: twice in one process: pass 1: no training recorded/);
    assert.doesNotMatch(r.stdout, /every check is bit-identical/);
    const training = doctor('unawaited-fit.mjs');
    assert.equal(training.code, 1, training.stdout);
    assert.match(training.stdout, /not checked: twice in one process: pass 1 failed: the script's module finished loading while fit 0 was still training: the in-process passes need its training awaited \(await main\(\) at top level\).*; pass 2 never started/);
    const exits = doctor('exits.mjs');
    assert.equal(exits.code, 1, exits.stdout);
    assert.match(exits.stdout, /not checked: twice in one process: pass 1 failed: the script ended the process \(exit code 0\) in in-process pass 1 .*; pass 2 never started: the driver's process ended in pass 1 with exit code 0 \(process\.exit in the script\?\)/);
  });

  it('a script that fails, does not parse or never fits gets that as its cause', () => {
    const throws = doctor('throws.mjs');
    assert.equal(throws.code, 1, throws.stdout);
    assert.match(throws.stdout, /cause: the script failed: boom in a callback .*\(in both runs in two processes\), so nothing could be compared/);
    assert.match(throws.stdout, /1 thread vs 2 threads\s+not compared: 1 thread failed: boom in a callback/);
    const syntax = doctor('syntax.mjs');
    assert.equal(syntax.code, 1);
    assert.match(syntax.stdout, /cause: the script failed: SyntaxError: Unexpected token/);
    const noFit = doctor('no-fit.mjs');
    assert.equal(noFit.code, 1);
    assert.match(noFit.stdout, /cause: no training recorded: the script never called fit/);
    for (const r of [throws, syntax, noFit]) assert.doesNotMatch(r.stdout, /train differently|same content and order|bit-identical/);
  });

  it('a Math.random call seen in a script whose training differs does not hide the other sources', () => {
    const r = doctor('label-clock-training.mjs');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /cause: the same data and seed train differently in two processes/);
    assert.match(r.stdout, /Math\.random was called \(it may or may not be the cause; look also for clocks, unordered iteration or state kept between runs\):\n\s+Math\.random called 1 time\(s\) at \S+label-clock-training\.mjs:7:/);
  });

  it('evaluation data that differ are not said to be training data', () => {
    const r = doctor('random-evaluation.mjs');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /cause: the input data differ between two processes with the same seed \(content differs: evaluation 0 x, evaluation 0 y\)/);
    assert.match(r.stdout, /training saw the same data; only the data given to model\.evaluate differ/);
    assert.doesNotMatch(r.stdout, /training on different data/);
  });

  it('Math.random is not blamed for data it did not make', () => {
    const r = doctor('label-clock.mjs');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /cause: the input data differ between two processes with the same seed \(content differs: fit 0 batches x, fit 0 batches y, fit 0 x, fit 0 y\)\n {2}not because of Math\.random alone: with it made repeatable, two more processes still got different data/);
    assert.match(r.stdout, /Math\.random called 1 time\(s\) at \S+label-clock\.mjs:7:\d+/);
    assert.doesNotMatch(r.stdout, /because of Math\.random[,:]/);
  });

  it('the in-process passes are stopped after their time, and SIGINT ends doctor (130) and its passes', { timeout: 180_000 }, async () => {
    const timed = doctor('hangs-in-process.mjs');
    assert.equal(timed.code, 1, timed.stdout);
    assert.match(timed.stdout, /twice in one process\s+not compared: the in-process passes did not finish within \d+ s \(four times the two process runs, plus 10 s\) and were stopped/);
    const child = spawn(process.execPath, [CLI, 'doctor', 'hangs-in-process.mjs'], { cwd: WORK, stdio: 'ignore' });
    const driverRunning = () => spawnSync('pgrep', ['-f', `doctor-driver.js .*${WORK}/hangs-in-process.mjs`], { encoding: 'utf8' }).stdout.trim();
    const deadline = Date.now() + 60_000; // Non-numeric: the test waits for the passes to start.
    while (!driverRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.ok(driverRunning(), 'the in-process passes started');
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', r));
    assert.equal(code, 130);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(driverRunning(), '', 'the passes ended with doctor');
  });

  it('a script whose process never exits: doctor says what it waits for, and SIGINT ends it (130)', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [CLI, 'doctor', 'keeps-timer.mjs'], { cwd: WORK, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const deadline = Date.now() + 30_000; // Non-numeric: the test waits for the notice.
    while (!/still waiting/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.match(stderr, /verbatim doctor: still waiting for run 1 of 5 \(\d+ s\); a script that keeps a timer, server or other handle open never exits: Ctrl-C stops doctor/);
    child.kill('SIGINT');
    assert.equal(await new Promise((r) => child.on('exit', r)), 130);
    // Said, as verify says it (was a silent 130).
    assert.match(stderr, /verbatim doctor: interrupted by SIGINT, no cause was concluded: the runs so far are kept in \S*verbatim-doctor-\S+\n$/);
    const store = /kept in (\S+)\n$/.exec(stderr)![1]!;
    assert.ok(existsSync(store), 'the store it names is there');
    rmSync(store, { recursive: true, force: true });
  });

  it('--trace ops names the first op on the pair that disagrees (threads), when verbatim is suspected', () => {
    const r = doctor('thread-weights.mjs', '--trace', 'ops');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /cause: runs on one backend agree and their data and config agree, but thread counts disagree \(training differs from fit 0, epoch 0 \(initial weights\).*; first divergent op #\d+ of the first step/);
    // The weights moved with vb.getNumThreads() at line 8: doctor names that read, not verbatim.
    assert.match(r.stdout, /the script reads the thread count \(vb\.getNumThreads\(\)\), so its training can depend on it .*:\n  vb\.getNumThreads\(\) read 1 time\(s\) at \S*thread-weights\.mjs:8:\d+\n/);
  });

  it('backends that disagree because the script reads vb.getBackend(): doctor names the read', () => {
    const r = doctor('backend-weights.mjs');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /but the reference and wasm backends disagree \(.*\): the script reads the backend \(vb\.getBackend\(\)\), so its training can depend on it .*:\n  vb\.getBackend\(\) read 1 time\(s\) at \S*backend-weights\.mjs:8:\d+\n/);
  });

  it('a read through vb.runs.environment() is named too', () => {
    const r = doctor('env-api.mjs');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /the script reads the thread count \(vb\.getNumThreads\(\)\), so its training can depend on it \(or on VERBATIM_THREADS in its environment; .*\):\n  vb\.runs\.environment\(\) read 1 time\(s\) at \S*env-api\.mjs:7:\d+\n/);
  });

  it('thread counts that disagree without a read of vb.getNumThreads(): doctor says it saw none and names the other way in', () => {
    const r = doctor('env-threads.mjs');
    assert.equal(r.code, 1);
    // The reference run is told one thread too: the backend pair sees the same VERBATIM_THREADS.
    assert.match(r.stdout, /^reference vs wasm backend\s+identical$/m);
    assert.match(r.stdout, /but thread counts disagree \(.*\): the script never reads the thread count \(vb\.getNumThreads\(\)\); unless its training depends on it another way \(VERBATIM_THREADS in its environment\), please report this as a verbatim bug/);
  });

  it('risk lines name each Math.random call site once, without doctor\'s module query; a missing script leaves no store', () => {
    const r = doctor('label-clock.mjs');
    const risks = r.stdout.split('risks:')[1] ?? '';
    assert.doesNotMatch(risks, /doctor-pass|<-|during training/);
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith('verbatim-doctor-')).length;
    const missing = doctor('nosuch.mjs');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Expected a script file\. Received: nosuch\.mjs \(not found\)/);
    assert.equal(missing.stdout, '');
    assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith('verbatim-doctor-')).length, before);
  });

  it('a script that is no regular file (a FIFO, a link to /dev/zero, a directory) is refused as run refuses it (its runs waited forever)', { skip: process.platform === 'win32' && 'no FIFOs' }, () => {
    assert.equal(spawnSync('mkfifo', [join(WORK, 'fifo.mjs')]).status, 0);
    symlinkSync('/dev/zero', join(WORK, 'zero.mjs'));
    mkdirSync(join(WORK, 'directory.mjs'));
    for (const name of ['fifo.mjs', 'zero.mjs', 'directory.mjs']) {
      // Bounded: the failure looked for is a doctor that never ends.
      const r = spawnSync(process.execPath, [CLI, 'doctor', name], { cwd: WORK, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.equal(r.stderr, `verbatim doctor: Expected a script file. Received: ${name} (not a regular file)\n`);
    }
  });
});
