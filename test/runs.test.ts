/** Run recording, the store, the CLI and the statistics. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { fillDisk, mountTmpfs, REPO_ROOT } from './helpers/process.js';
import { AppendFiles } from '../src/runs/store.js';
import { readJsonl } from '../src/runs/record-files.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'runs');
const STORE = join(WORK, 'store');
const TUTORIAL = join(REPO_ROOT, 'examples/modern-tutorial.ts');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ids(): string[] {
  return (JSON.parse(cli('ls', '--json').stdout) as { id: string }[]).map((r) => r.id);
}

describe('statistics', () => {
  it('t quantiles and summaries against known values', () => {
    const known: [number, number][] = [[1, 12.706204736174694], [2, 4.302652729749462], [4, 2.7764451051977934], [9, 2.262157162798205], [30, 2.0422724563012378], [31, 2.039513446396408], [60, 2.0002978220142604], [1000, 1.9623390808264083]];
    for (const [df, t] of known) assert.ok(Math.abs(vb.runs.tQuantile975(df) - t) < 1e-7, `df ${df}`);
    const s = vb.runs.summarize([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.equal(s.mean, 5);
    assert.ok(Math.abs(s.std - Math.sqrt(32 / 7)) < 1e-12);
    assert.equal(s.median, 4.5);
    assert.deepEqual([s.min, s.max, s.n], [2, 9, 8]);
    const half = (2.3646242515927849 * Math.sqrt(32 / 7)) / Math.sqrt(8);
    assert.ok(Math.abs(s.ci95[0] - (5 - half)) < 1e-6 && Math.abs(s.ci95[1] - (5 + half)) < 1e-6);
    assert.deepEqual(vb.runs.summarize([3]).ci95, [3, 3]);
  });

  it('a NaN or infinite value shows in the summary instead of vanishing', () => {
    const withNaN = vb.runs.summarize([1, Number.NaN, 3]);
    assert.deepEqual([withNaN.mean, withNaN.median, withNaN.min, withNaN.max, withNaN.n], [Number.NaN, Number.NaN, 1, 3, 3]);
    const withInf = vb.runs.summarize([1, Number.POSITIVE_INFINITY, 2]);
    assert.deepEqual([withInf.mean, withInf.median, withInf.min, withInf.max], [Number.POSITIVE_INFINITY, 2, 1, Number.POSITIVE_INFINITY]);
    assert.deepEqual([vb.runs.summarize([Number.NaN]).min, vb.runs.summarize([Number.NEGATIVE_INFINITY]).mean], [Number.NaN, Number.NEGATIVE_INFINITY]);
  });
});

describe('run store files', () => {
  it('JSONL appends are appends; a record cut short by a kill is dropped, never glued to the next', () => {
    mkdirSync(WORK, { recursive: true });
    const file = join(WORK, 'append-test.jsonl');
    rmSync(file, { force: true });
    const append = (records: unknown[]) => {
      const files = new AppendFiles();
      files.jsonl(file, records);
      files.close();
    };
    append([{ a: 1 }]);
    append([{ a: 2 }, { a: 3 }]);
    assert.equal(readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"a":4, "cut sh`);
    assert.deepEqual(readJsonl(file), [{ a: 1 }, { a: 2 }, { a: 3 }], 'the unfinished last line is left out');
    append([{ a: 5 }]);
    assert.deepEqual(readJsonl(file), [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 5 }]);
    // Appends write into the same file (a rewrite renames a new file into place: a new inode).
    const inode = statSync(file).ino;
    const files = new AppendFiles();
    for (let i = 0; i < 1000; i++) files.jsonl(file, [{ i }]);
    files.close();
    assert.equal(statSync(file).ino, inode);
    assert.equal(readJsonl(file).length, 1004);
    rmSync(file);
  });

  it('a full disk that takes part of a write without an error: the rest is written again and fails (ENOSPC), never a record silently cut short', (t) => {
    const disk = join(WORK, 'append-full');
    if (!mountTmpfs(t, disk, 'size=64k')) return;
    try {
      const filler = fillDisk(disk);
      // One 4 KB page free: a 10 KB record's write takes 4 KB of it and says so, without an error.
      rmSync(`${filler}0`);
      const files = new AppendFiles();
      const file = join(disk, 'values.jsonl');
      files.jsonl(file, [{ text: 'x'.repeat(10_000) }]);
      assert.throws(() => files.close(), /the disk is full \(ENOSPC\) while writing .*values\.jsonl/);
    } finally {
      spawnSync('umount', [disk]);
      rmSync(disk, { recursive: true, force: true });
    }
  });
});

describe('verbatim CLI', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
  });
  after(() => rmSync(STORE, { recursive: true, force: true }));

  it('a custom value named like a fit metric (vb.runs.log(\'loss\', ...)) is shown as value:loss, never in place of the fit\'s loss', () => {
    const script = join(WORK, 'collide.mjs');
    writeFileSync(script, `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.tensor2d([[1, 2], [3, -1]]), vb.tensor2d([[1], [0]]), { epochs: 2, verbose: 0 });
vb.runs.log('loss', 123);
`);
    const r = cli('run', script, '--seeds', '1,2', '--name', 'collide');
    assert.equal(r.code, 0, r.stderr);
    const runs = JSON.parse(cli('ls', '--json', '--name', 'collide').stdout) as { id: string; finalMetrics: { loss: number }; values: { loss: number } }[];
    const losses = runs.map((x) => x.finalMetrics.loss);
    assert.ok(losses.every((l) => Number.isFinite(l) && l !== 123), String(losses));
    // The summary statistics: the fit's loss under its name, the custom value under value:loss.
    const row = (name: string) => new RegExp(`^${name} +2 +${String(Number(((losses[0]! + losses[1]!) / 2).toPrecision(6))).replace('.', '\\.')} `, 'm');
    assert.match(r.stdout, row('loss'));
    assert.match(r.stdout, /^value:loss +2 +123 /m);
    const ls = cli('ls', '--name', 'collide').stdout;
    assert.match(ls, new RegExp(`loss=${String(Number(losses[0]!.toPrecision(6))).replace('.', '\\.')} value:loss=123`));
    assert.equal(cli('ls', '--name', 'collide', '--sort', '-value:loss').code, 0);
    const picked = cli('run', script, '--seed', '3', '--name', 'collide-metric', '--metric', 'loss');
    assert.match(picked.stdout, /^loss +1 /m);
    assert.doesNotMatch(picked.stdout, /^loss +1 +123 /m);
  });

  it('run --repeats 3 --seed 5: three bit-identical runs, each verifiable', async () => {
    const r = cli('run', TUTORIAL, '--repeats', '3', '--seed', '5', '--name', 'same');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /seed 5: 3 runs, bit-identical/);
    assert.match(r.stderr, /setRandomSeed\(42\) overridden: the run's seed is 5/);
    const runs = (JSON.parse(cli('ls', '--json', '--name', 'same').stdout) as { id: string; digest: string; seed: string; status: string }[]);
    assert.equal(runs.length, 3);
    assert.equal(new Set(runs.map((x) => x.digest)).size, 1);
    assert.deepEqual(runs.map((x) => [x.seed, x.status]), [['5', 'completed'], ['5', 'completed'], ['5', 'completed']]);
    const manifest = JSON.parse(readFileSync(join(STORE, runs[0]!.id, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.seedSource, 'cli');
    assert.equal(manifest.scriptSeed, '42');
    for (const key of ['node', 'v8', 'cpuModel', 'cores', 'kernelSha256', 'lockfile', 'script', 'dependencies', 'startedAt', 'endedAt']) assert.ok(key in manifest, key);
    for (const file of ['run.json', 'status.json', 'fits.jsonl', 'epochs.jsonl', 'history.json', 'model.json', 'weights.bin', 'stdout.txt']) {
      assert.ok(existsSync(join(STORE, runs[0]!.id, file)), file);
    }
    const model = JSON.parse(readFileSync(join(STORE, runs[0]!.id, 'model.json'), 'utf8')) as { format: string; weightsManifest: { weights: { name: string }[] }[] };
    assert.equal(model.format, 'layers-model');
    // TF.js's weight names (layer-scoped), so that TF.js loads the run's model.
    assert.equal(model.weightsManifest[0]!.weights[0]!.name, 'dense/kernel');
    const bin = readFileSync(join(STORE, runs[0]!.id, 'weights.bin'));
    const theirs = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: (model as unknown as { modelTopology: object }).modelTopology, weightSpecs: model.weightsManifest[0]!.weights as tf.io.WeightsManifestEntry[],
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    assert.equal(theirs.getWeights().length, model.weightsManifest[0]!.weights.length);
    theirs.dispose();
    for (const run of runs) {
      const v = cli('verify', run.id);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /^identical/);
    }
  });

  it('run --seeds 1,2,3: three different digests and a summary table; diff names epoch 0 and the layers', () => {
    const r = cli('run', TUTORIAL, '--seeds', '1,2,3', '--name', 'seeds');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /metric\s+seeds\s+mean\s+std\s+median\s+min\s+max\s+95% CI of the mean\nloss\s+3\s/);
    const runs = (JSON.parse(cli('ls', '--json', '--name', 'seeds').stdout) as { id: string; digest: string }[]);
    assert.equal(new Set(runs.map((x) => x.digest)).size, 3);
    for (const run of runs) assert.match(cli('verify', run.id).stdout, /^identical/);
    const d = cli('diff', runs[0]!.id, runs[1]!.id);
    assert.match(d.stdout, /first divergence: fit 0, epoch 0 \(initial weights\): weights differ/);
    assert.match(d.stdout, /layers that differ: dense, dense_1/);
    assert.match(d.stdout, /sequential\/dense\/kernel \[20,32\]: 640 of 640 values differ; max \|a - b\| = \S+, max ULP distance = \d+/);
    const json = JSON.parse(cli('diff', runs[0]!.id, runs[1]!.id, '--json').stdout) as { firstDivergence: { epoch: number; layers: string[] } };
    assert.equal(json.firstDivergence.epoch, 0);
  });

  it('verify fails when the same script trains differently (its learning rate from the environment), naming the first divergent epoch; it refuses a changed script', () => {
    const script = join(WORK, 'changing.ts');
    writeFileSync(script, readFileSync(TUTORIAL, 'utf8').replace("optimizer: 'adam'", 'optimizer: vb.optimizers.adam({ learningRate: Number(process.env.TUTORIAL_LR ?? 0.001) })'));
    assert.equal(cli('run', script, '--name', 'changing').code, 0);
    const [id] = (JSON.parse(cli('ls', '--json', '--name', 'changing').stdout) as { id: string }[]).map((x) => x.id);
    const v = spawnSync(process.execPath, [CLI, 'verify', id!], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE, TUTORIAL_LR: '0.01' } });
    assert.equal(v.status, 1);
    assert.match(v.stdout, /first divergence: fit 0, epoch 1: weights, loss, accuracy differ; layers dense, dense_1/);
    writeFileSync(script, `${readFileSync(script, 'utf8')}\n// edited\n`);
    const refused = cli('verify', id!);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /changed since the run \(SHA-256 /);
  });

  it('ls, show and rm; env as a table and as JSON', () => {
    const all = ids();
    assert.ok(all.length >= 7);
    assert.deepEqual([...all].sort(), all, 'ids sort by time');
    assert.match(cli('ls').stdout, /^id\s+name\s+seed\s+status\s+final metrics and values\s+digest/);
    assert.match(cli('show', all[0]!).stdout, /status completed/);
    assert.equal((JSON.parse(cli('show', all[0]!, '--json').stdout) as { summary: { id: string } }).summary.id, all[0]);
    // An empty or blank id names no run (it would prefix every id); nothing is removed.
    for (const empty of ['', ' ']) {
      for (const command of ['rm', 'show', 'verify']) {
        const r = cli(command, empty);
        assert.equal(r.code, 2, `${command} ${JSON.stringify(empty)}`);
        assert.match(r.stderr, /Expected a (non-empty )?run id\. Received: /);
      }
    }
    assert.equal(ids().length, all.length);
    const removed = cli('rm', all.at(-1)!);
    assert.equal(removed.code, 0);
    assert.match(removed.stdout, new RegExp(`removed ${all.at(-1)!}`));
    assert.equal(ids().length, all.length - 1);
    // A reader that closes the pipe early is a normal end: no EPIPE crash, exit code 0.
    // `| true` closes the pipe before the CLI writes.
    const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" show ${all[0]!} | true; echo "status=\${PIPESTATUS[0]}"`], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE } });
    assert.equal(piped.stdout.trim(), 'status=0');
    assert.equal(piped.stderr, '');
    assert.match(cli('env').stdout, /kernelSha256\s+[0-9a-f]{64}/);
    const env = JSON.parse(cli('env', '--json').stdout) as vb.runs.Environment;
    assert.equal(env.backend, 'wasm');
    assert.ok(env.lockfile && /^[0-9a-f]{64}$/.test(env.lockfile.sha256));
  });

  it('a run killed with SIGKILL is listed as interrupted; a truncated file does not break ls or report', async () => {
    const script = join(WORK, 'long.ts');
    writeFileSync(script, `import * as vb from 'verbatim';
vb.setRandomSeed(1);
const x = vb.random.normal(vb.random.key(1), [64, 4]);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [4] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(x, vb.sum(x, 1, true), { epochs: 100000, verbose: 0 });
`);
    const before = new Set(ids());
    const child = spawn(process.execPath, [CLI, 'run', script, '--name', 'killed'], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: 'ignore' });
    let dir: string | undefined;
    for (let i = 0; i < 300 && !dir; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const fresh = existsSync(STORE) ? readdirSync(STORE).find((id) => !before.has(id)) : undefined;
      if (fresh && existsSync(join(STORE, fresh, 'epochs.jsonl')) && readFileSync(join(STORE, fresh, 'epochs.jsonl'), 'utf8').split('\n').length > 3) dir = join(STORE, fresh);
    }
    assert.ok(dir, 'the run started recording epochs');
    const { pid } = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => child.on('close', r));
    const killed = (JSON.parse(cli('ls', '--json', '--name', 'killed').stdout) as { status: string; finalMetrics: Record<string, number> }[]);
    assert.equal(killed[0]!.status, 'interrupted');
    assert.ok(Number.isFinite(killed[0]!.finalMetrics.loss));

    const victim = ids()[0]!;
    const epochs = join(STORE, victim, 'run.json');
    writeFileSync(epochs, readFileSync(epochs, 'utf8').slice(0, 20));
    const ls = cli('ls');
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(`${victim}\\s+corrupt`));
    const report = cli('report', '--out', join(WORK, 'with-corrupt.html'), ...ids());
    assert.equal(report.code, 0, report.stderr);
  });

  it('bad input: clear errors with exit codes', () => {
    const cases: [string[], number, RegExp][] = [
      [['show', 'no-such-run'], 2, /Expected the id of a run in .*\. Received: run="no-such-run" \(no such run\)/],
      [['run', join(WORK, 'missing.ts')], 2, /Expected a script file\. Received: .*missing\.ts \(not found\)/],
      [['run', TUTORIAL, '--repeats', '0'], 2, /Expected --repeats to be an integer >= 1\. Received: --repeats 0/],
      [['run', TUTORIAL, '--seed', '1', '--seeds', '2,3'], 2, /Expected --seed or --seeds, not both/],
      [['run', TUTORIAL, '--frobnicate'], 2, /Received: --frobnicate/],
      [['bogus'], 2, /Expected a command/],
      [['diff', 'a'], 2, /Expected two runs/],
    ];
    for (const [args, code, message] of cases) {
      const r = cli(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    for (const command of ['run', 'verify', 'diff', 'ls', 'show', 'rm', 'report', 'doctor', 'env']) {
      const r = cli(command, '--help');
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`verbatim ${command}`));
    }
  });

  it('a script that throws is recorded as failed, with the error', () => {
    const script = join(WORK, 'throws.ts');
    writeFileSync(script, "import * as vb from 'verbatim';\nvb.setRandomSeed(1);\nthrow new Error('the script failed on purpose');\n");
    const r = cli('run', script, '--name', 'throws');
    assert.equal(r.code, 1);
    const [run] = JSON.parse(cli('ls', '--json', '--name', 'throws').stdout) as { id: string; status: string }[];
    assert.equal(run!.status, 'failed');
    const status = JSON.parse(readFileSync(join(STORE, run!.id, 'status.json'), 'utf8')) as { error: { message: string; stack: string } };
    assert.match(status.error.message, /the script failed on purpose/);
    assert.match(status.error.stack, /throws\.ts/);
  });

  it('a run whose loss became NaN and a symlink loop in the store: ls, show and report still work', () => {
    const script = join(WORK, 'blows-up.ts');
    writeFileSync(script, [
      "import * as vb from 'verbatim';",
      'vb.setRandomSeed(1);',
      "const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });",
      "model.compile({ optimizer: vb.optimizers.sgd({ learningRate: 1e30 }), loss: 'mse' });",
      'await model.fit(vb.tensor([[1e20, 2e20], [3e20, 4e20]]), vb.tensor([[1], [2]]), { epochs: 2, verbose: 0 });',
      '',
    ].join('\n'));
    const r = cli('run', script, '--name', 'blows-up');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /loss\s+1 \(1 non-finite\)\s+(NaN|Infinity)\s/);
    symlinkSync('loop', join(STORE, 'loop'));
    try {
      const ls = cli('ls');
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(ls.stdout, /blows-up\s+1\s+completed\s+loss=(NaN|Infinity)/);
      assert.match(ls.stdout, /loop\s.*corrupt/);
      const [run] = JSON.parse(cli('ls', '--json', '--name', 'blows-up').stdout) as { id: string }[];
      const show = cli('show', run!.id);
      assert.equal(show.code, 0, show.stderr);
      const report = cli('report', '--name', 'blows-up', '--out', join(WORK, 'blows-up.html'));
      assert.equal(report.code, 0, report.stderr);
    } finally {
      rmSync(join(STORE, 'loop'));
    }
  });

  it('doctor: identical in every check for the tutorial, and the risks it finds', () => {
    const r = cli('doctor', TUTORIAL);
    assert.match(r.stdout, /twice in two processes\s+identical\ntwice in one process\s+identical\n1 thread vs 2 threads\s+identical\nreference vs wasm backend\s+identical/);
    const script = join(WORK, 'risky.ts');
    writeFileSync(script, `import * as vb from 'verbatim';
const x = vb.random.normal(vb.random.key(1), [16, 3]);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [3] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(x, vb.sum(x, 1, true), { epochs: 2, verbose: 0, callbacks: { onEpochEnd: () => { if (Math.random() > 2) console.log('never'); } } });
`);
    const risky = cli('doctor', script);
    assert.match(risky.stdout, /no seed set/);
    assert.match(risky.stdout, /Math\.random called 4 time\(s\) in the in-process passes, at \S+risky\.ts:5:\d+\n/);
  });

  it('programmatic recording with vb.runs.record', async () => {
    const store = join(WORK, 'programmatic');
    await vb.runs.record({ name: 'in-process', store }, async (recorder) => {
      vb.setRandomSeed(3);
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      await m.fit(vb.tensor([[1, 2], [3, 4]]), vb.tensor([[1], [2]]), { epochs: 2, verbose: 0 });
      recorder.log('held-out', 0.1);
      recorder.log('held-out', Number.POSITIVE_INFINITY);
      m.dispose();
    });
    const [run] = vb.runs.listRuns(store);
    assert.equal(run!.status, 'completed');
    assert.equal(run!.name, 'in-process');
    assert.equal(run!.seed, '3');
    assert.match(run!.digest!, /^[0-9a-f]{64}$/);
    // run.log: the last value per name, read back from its float32 bits; steps count up.
    assert.deepEqual(run!.values, { 'held-out': Number.POSITIVE_INFINITY });
    assert.deepEqual(vb.runs.readValues(run!.dir).map((v) => [v.step, v.bits]), [[0, '3dcccccd'], [1, '7f800000']]);
  });
});
