/**
 * What a recorded run's files say, checked against the model and the data themselves: each
 * epoch's digest is the model's weightsDigest at that epoch, layer digests computed from the kept
 * snapshots are the model's layerDigests, and the first epoch's data fingerprint is the hash of
 * the examples in the order the model was trained on them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { emptyDirectory, REPO_ROOT } from './helpers/process.js';
import { forEachBackend } from './helpers/backends.js';
import { readEpochs, summarizeRun } from '../src/runs/store.js';
import { readJsonl } from '../src/runs/record-files.js';
import { layerDigestsAt } from '../src/cli/snapshots.js';
import { compareData, computeChanges, environmentDifferences, firstDivergence, loadRun } from '../src/cli/inspect.js';
import { weightFileProblems } from '../src/cli/integrity.js';
import { WeightLayout } from '../src/models/weight-digest.js';

const WORK = join(REPO_ROOT, 'test-output', 'run-records');

const freshStore = (name: string) => emptyDirectory(join(WORK, name));

const sha256 = (...parts: (string | Uint8Array)[]) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');

/** Keeps a copy of every input it is called on in training: the batches in the order trained. */
class Recording extends vb.layers.Layer {
  static className = 'Recording';
  readonly seen: Float32Array[] = [];
  override call(x: vb.Tensor | vb.Tensor[], context?: { training?: boolean }) {
    const input = x as vb.Tensor;
    if (context?.training) this.seen.push(input.dataSync() as Float32Array);
    return vb.mul(input, 1);
  }
}

/** Two small models (3 and 4 hidden units) compiled with adam, seeded, and data for both: for fits that overlap. */
function twoModels() {
  vb.setRandomSeed(4);
  const make = (units: number) => {
    const m = vb.sequential({ layers: [vb.layers.dense({ units, inputShape: [2] }), vb.layers.dense({ units: 1 })] });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    return m;
  };
  const x = vb.random.normal(vb.random.key(2), [8, 2]);
  return { a: make(3), b: make(4), x, y: vb.sum(x, 1, true) };
}

forEachBackend('epoch records against the model', (backend) => {
  it('every epoch digest is weightsDigest then; layer digests from snapshots are layerDigests', async () => {
    const store = freshStore(`digests-${backend}`);
    vb.setRandomSeed(7);
    const expected: { digest: string; layers: Record<string, string> }[] = [];
    let id = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 5, inputShape: [3], activation: 'tanh' }), vb.layers.dropout({ rate: 0.2 }), vb.layers.dense({ units: 2 })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae'] });
      const x = vb.random.normal(vb.random.key(1), [20, 3]);
      const y = vb.random.normal(vb.random.key(2), [20, 2]);
      expected.push({ digest: model.weightsDigest(), layers: model.layerDigests() });
      const snapshot = { onEpochEnd: () => void expected.push({ digest: model.weightsDigest(), layers: model.layerDigests() }) };
      await model.fit(x, y, { epochs: 4, batchSize: 6, verbose: 0, callbacks: [snapshot] });
    });
    const run = loadRun(store, id);
    assert.deepEqual(run.epochs.map((e) => e.epoch), [0, 1, 2, 3, 4]);
    assert.deepEqual(run.epochs.map((e) => e.digest), expected.map((e) => e.digest));
    // Kept snapshots: the records leave layer digests out, readers compute them.
    const raw = readJsonl<Record<string, unknown>>(join(store, id, 'epochs.jsonl'));
    assert.ok(raw.every((line) => !('layers' in line)), 'layer digests are not in the epoch records');
    // Each line is what JSON.stringify makes of it, keys in order.
    const text = readFileSync(join(store, id, 'epochs.jsonl'), 'utf8').split('\n').filter(Boolean);
    for (const line of text) assert.equal(JSON.stringify(JSON.parse(line)), line);
    assert.deepEqual(Object.keys(raw[1]!), ['fit', 'epoch', 'logs', 'logBits', 'digest']);
    assert.deepEqual(Object.keys(raw[1]!.logs as object), ['loss', 'mae']);
    for (const [epoch, want] of expected.entries()) assert.deepEqual(layerDigestsAt(run, 0, epoch), want.layers, `epoch ${epoch}`);
    // Readers of older stores use the layer digests recorded in the epoch lines.
    const older = { ...run, epochs: run.epochs.map((e) => ({ ...e, layers: { dense: 'recorded' } })) };
    assert.deepEqual(layerDigestsAt(older, 0, 2), { dense: 'recorded' });
  });
});

describe('run records against the data', () => {

  it('a layout gathers a layer whose weights are not next to each other (a weight shared with an earlier layer)', () => {
    const a = vb.variable(vb.tensor([1, 2, 3]), true, 'shared/a');
    const b = vb.variable(vb.tensor([[4, 5]]), true, 'own/b');
    const c = vb.variable(vb.tensor([6]), true, 'first/c');
    const owners = [
      { name: 'first', weights: [{ variable: a }, { variable: c }] },
      { name: 'second', weights: [{ variable: b }, { variable: a }] },
    ];
    const layout = new WeightLayout(owners);
    const values = new Uint8Array(layout.valueBytes);
    const digestOf = (bytes: Uint8Array) => sha256(bytes);
    const encode = (v: vb.Variable) => [`${v.name}\0${JSON.stringify(v.shape)}\0`, new Uint8Array((v.dataSync() as Float32Array).buffer)] as const;
    assert.equal(layout.digest(digestOf, layout.read(values)), sha256(...encode(a), ...encode(c), ...encode(b)));
    assert.deepEqual(layout.layerDigests(digestOf), { first: sha256(...encode(a), ...encode(c)), second: sha256(...encode(b), ...encode(a)) });
    // The values as the run's snapshot file keeps them: each weight once, in the layout's order.
    assert.deepEqual([...new Float32Array(values.buffer)], [1, 2, 3, 6, 4, 5]);
    for (const v of [a, b, c]) v.dispose();
  });

  it('the first epoch data fingerprint hashes the examples in the order the model trained on them', async () => {
    const store = freshStore('order');
    vb.setRandomSeed(3);
    const recording = new Recording({});
    let id = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const model = vb.sequential({ layers: [vb.layers.inputLayer({ inputShape: [2] }), recording, vb.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const x = vb.tensor(Array.from({ length: 23 }, (_, i) => [i, -i]));
      const y = vb.tensor(Array.from({ length: 23 }, (_, i) => [i % 3]));
      await model.fit(x, y, { epochs: 2, batchSize: 5, validationSplit: 0.2, verbose: 0 });
    });
    // The first epoch's batches, as the layer saw them (the validation rows excluded).
    const firstEpoch = recording.seen.slice(0, 4);
    assert.equal(firstEpoch.reduce((n, b) => n + b.length / 2, 0), 18);
    const rowHashes = firstEpoch.flatMap((batch) => Array.from({ length: batch.length / 2 }, (_, i) => sha256('float32[2]\0', new Uint8Array(batch.buffer, batch.byteOffset + i * 8, 8))));
    const fits = readJsonl<{ datasetFingerprint?: Record<string, string>; datasetContent?: Record<string, string> }>(join(store, id, 'fits.jsonl'));
    const dataset = fits.find((f) => f.datasetFingerprint)!;
    assert.equal(dataset.datasetFingerprint!.x, sha256(rowHashes.join('\n')));
    assert.equal(dataset.datasetContent!.x, sha256([...rowHashes].sort().join('\n')));
    // Shuffled: the order is not the rows' own.
    const inPlace = Array.from({ length: 18 }, (_, i) => sha256('float32[2]\0', new Uint8Array(new Float32Array([i, -i]).buffer)));
    assert.notEqual(dataset.datasetFingerprint!.x, sha256(inPlace.join('\n')));
    assert.equal(dataset.datasetContent!.x, sha256([...inPlace].sort().join('\n')));
  });
});

describe('run records: the checkout', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
  const repo = join(WORK, 'checkout');

  /** Runs a script in its own git repository that records a run; returns the run's manifest. */
  function recordIn(body: string): { git: { commit: string; dirty: boolean } | null } {
    const store = join(repo, 'store');
    rmSync(store, { recursive: true, force: true });
    writeFileSync(join(repo, 'script.mjs'), `import * as vb from ${JSON.stringify(join(REPO_ROOT, 'dist/src/index.js'))};\n${body}\n`);
    execFileSync(process.execPath, ['script.mjs'], { cwd: repo, env: { ...process.env, VERBATIM_STORE: store } });
    const [id] = readdirSync(store);
    return JSON.parse(readFileSync(join(store, id!, 'manifest.json'), 'utf8'));
  }

  it('records the commit and whether the checkout differs from it, asked in the background or at the end, or given', async () => {
    rmSync(repo, { recursive: true, force: true });
    mkdirSync(repo, { recursive: true });
    git(repo, 'init', '-q');
    writeFileSync(join(repo, '.gitignore'), 'store/\n');
    const fitting = `vb.setRandomSeed(1);
await vb.runs.record({}, async () => {
  const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  await model.fit(vb.ones([8, 2]), vb.ones([8, 1]), { epochs: 3, batchSize: 4, verbose: 0 });
  await new Promise((resolve) => setTimeout(resolve, 200));
});`;
    // Not a checkout yet (no commit): no git facts.
    assert.equal(recordIn(fitting).git, null);
    git(repo, 'add', '.');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
    const head = git(repo, 'rev-parse', 'HEAD');
    // The script (written again, the same) is committed: clean.
    assert.deepEqual(recordIn(fitting).git, { commit: head, dirty: false });
    // A record that ends before git answers: finish asks git itself.
    writeFileSync(join(repo, 'untracked.txt'), 'x');
    assert.deepEqual(recordIn('vb.runs.record({}, () => undefined);').git, { commit: head, dirty: true });
    assert.deepEqual(recordIn(fitting).git, { commit: head, dirty: true });
    // Under `verbatim run` the CLI asks git before starting the script and gives the facts to the recorder (options.git).
    const commit = 'ab'.repeat(20);
    assert.deepEqual(recordIn(fitting.replace('vb.runs.record({}', `vb.runs.record({ git: { commit: '${commit}', dirty: false } }`)).git, { commit, dirty: false });
    for (const git of [{ commit: 'abc123', dirty: false }, { commit, dirty: 'no' }, 'HEAD']) {
      await assert.rejects(vb.runs.record({ store: WORK, git: git as never }, () => undefined), /runs\.record: Expected git to be null or \{commit: a full commit hash/);
    }
  });

  it('verbatim run asks git before starting the script, whose process starts none', () => {
    const checkout = join(WORK, 'checkout-cli');
    rmSync(checkout, { recursive: true, force: true });
    mkdirSync(join(checkout, 'bin'), { recursive: true });
    git(checkout, 'init', '-q');
    writeFileSync(join(checkout, '.gitignore'), 'store/\nbin/\ngit-calls.txt\n');
    writeFileSync(join(checkout, 'fit.mjs'), `import * as vb from ${JSON.stringify(join(REPO_ROOT, 'dist/src/index.js'))};
const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
await model.fit(vb.ones([8, 2]), vb.ones([8, 1]), { epochs: 2, verbose: 0 });
await new Promise((resolve) => setTimeout(resolve, 200));
`);
    git(checkout, 'add', '.');
    git(checkout, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first');
    // A git that notes which process started it, then does the work.
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(checkout, 'bin', 'git'), `#!/bin/sh\necho "$PPID" >> ${JSON.stringify(join(checkout, 'git-calls.txt'))}\nexec ${realGit} "$@"\n`, { mode: 0o755 });
    const run = () => {
      rmSync(join(checkout, 'store'), { recursive: true, force: true });
      rmSync(join(checkout, 'git-calls.txt'), { force: true });
      execFileSync(process.execPath, [join(REPO_ROOT, 'dist/src/cli/bin.js'), 'run', '--store', 'store', 'fit.mjs'], {
        cwd: checkout, env: { ...process.env, PATH: `${join(checkout, 'bin')}:${process.env.PATH}` }, stdio: 'pipe',
      });
      const [id] = readdirSync(join(checkout, 'store')).filter((f) => !f.startsWith('.'));
      const dir = join(checkout, 'store', id!);
      const callers = readFileSync(join(checkout, 'git-calls.txt'), 'utf8').trim().split('\n');
      const scriptPid = String(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).pid);
      return { git: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).git, callers, scriptPid };
    };
    const head = git(checkout, 'rev-parse', 'HEAD');
    const clean = run();
    assert.deepEqual(clean.git, { commit: head, dirty: false });
    assert.ok(clean.callers.length >= 1 && !clean.callers.includes(clean.scriptPid), `git started by ${clean.callers}, the script's process is ${clean.scriptPid}`);
    writeFileSync(join(checkout, 'notes.txt'), 'changed');
    const dirty = run();
    assert.deepEqual(dirty.git, { commit: head, dirty: true });
    assert.ok(!dirty.callers.includes(dirty.scriptPid));
  });
});

describe('run records: after an outside review', () => {
  it('a snapshot write refused by a full disk still lets the epoch records be written', async () => {
    const store = freshStore('enospc-snapshot');
    const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
    const writeSync = fs.writeSync;
    let id = '';
    // Only the weight snapshots fail, as a large write can where a small one still fits.
    const failing = new Set<number>();
    const openSync = fs.openSync;
    (fs as { openSync: unknown }).openSync = (path: string, ...rest: unknown[]) => {
      const fd = (openSync as (...a: unknown[]) => number)(path, ...rest);
      if (String(path).endsWith('.bin') && String(path).includes('enospc-snapshot')) failing.add(fd);
      return fd;
    };
    (fs as { writeSync: unknown }).writeSync = (fd: number, ...rest: unknown[]) => {
      if (failing.has(fd)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
    };
    try {
      vb.setRandomSeed(5);
      await assert.rejects(vb.runs.record({ store }, async (recorder) => {
        id = recorder.id;
        const model = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] })] });
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        const stop = { onEpochEnd: (epoch: number) => { if (epoch === 1) throw new Error('stop here'); } };
        await model.fit(vb.ones([4, 3]), vb.ones([4, 2]), { epochs: 3, batchSize: 2, verbose: 0, callbacks: [stop] });
      }), /stop here/);
    } finally {
      (fs as { writeSync: unknown }).writeSync = writeSync;
      (fs as { openSync: unknown }).openSync = openSync;
    }
    const epochs = readJsonl<{ epoch: number }>(join(store, id, 'epochs.jsonl'));
    assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2]);
    assert.equal(JSON.parse(readFileSync(join(store, id, 'status.json'), 'utf8')).status, 'failed');
  });

  it('a flush slower than the flush interval writes each epoch once (no re-entered flush, no endless recursion)', async () => {
    const store = freshStore('slow-flush');
    const now = performance.now;
    let id = '';
    try {
      vb.setRandomSeed(1);
      await vb.runs.record({ store }, async (recorder) => {
        id = recorder.id;
        const model = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] })] });
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        // Every clock read 150 ms later: as when hashing large frozen weights takes longer than the interval.
        let t = now.call(performance);
        performance.now = () => (t += 150);
        await model.fit(vb.ones([4, 3]), vb.ones([4, 2]), { epochs: 5, verbose: 0 });
      });
    } finally {
      performance.now = now;
    }
    const epochs = readJsonl<{ epoch: number }>(join(store, id, 'epochs.jsonl'));
    assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2, 3, 4, 5]);
    // 8 weight values (kernel 3x2, bias 2) per epoch, each epoch's once.
    assert.equal(readFileSync(join(store, id, 'weights', 'fit-0.bin')).length, 6 * 8 * 4);
  });

  it('fitDataset builds the model with its first batch: its initial weights are epoch 0, the layers that differ named', async () => {
    const store = freshStore('lazy-build');
    const ids: string[] = [];
    const initial: string[] = [];
    for (const seed of [1, 2]) {
      vb.setRandomSeed(seed);
      await vb.runs.record({ store }, async (recorder) => {
        ids.push(recorder.id);
        const model = vb.sequential({ layers: [vb.layers.dense({ units: 3 }), vb.layers.dense({ units: 1 })] });
        model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        const data = vb.data.zip({ xs: vb.data.array([[1, 2], [3, 4], [5, 6], [7, 8]]), ys: vb.data.array([[1], [0], [1], [0]]) }).batch(2);
        // Built by the first batch, before its step: the weights the fit starts from.
        const first = { onBatchBegin: (batch: number) => { if (initial.length < ids.length) initial.push(model.weightsDigest()); void batch; } };
        await model.fitDataset(data, { epochs: 2, verbose: 0, callbacks: [first] });
      });
    }
    const [a, b] = ids.map((id) => loadRun(store, id)) as [ReturnType<typeof loadRun>, ReturnType<typeof loadRun>];
    for (const [i, run] of [a, b].entries()) {
      assert.equal(run.epochs[0]!.epoch, 0);
      assert.equal(run.epochs[0]!.digest, initial[i], 'epoch 0 is the digest of the built, untrained model');
      assert.deepEqual(run.fits[0]!.weights?.map((w) => w.shape), [[2, 3], [3], [3, 1], [1]]);
      const lines = readJsonl<Record<string, unknown>>(join(store, ids[i]!, 'epochs.jsonl'));
      assert.deepEqual(lines.map((l) => 'layers' in l), [false, false, false], 'the snapshots hold the listed weights: layer digests come from them');
    }
    const divergence = firstDivergence(a, b);
    assert.ok(divergence && divergence !== 'length');
    assert.equal(divergence.epoch, 0, 'different seeds: different initial weights');
    assert.deepEqual(divergence.layers, ['dense', 'dense_1']);
    // Layer names from a store are shown escaped, never obeyed by the terminal.
    const named = (run: typeof a, digest: string) => ({ ...run, epochs: run.epochs.map((e) => ({ ...e, layers: { '\u001b]0;pwn\u0007': digest } })) });
    const hostile = firstDivergence(named(a, 'x'), named(b, 'y'));
    assert.ok(hostile && hostile !== 'length');
    assert.deepEqual(hostile.layers, ['\\u001b]0;pwn\\u0007']);
    // Epoch lines moved out of order are a corrupt record, not a divergence.
    const file = join(store, ids[0]!, 'epochs.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, `${[lines[1], lines[0], ...lines.slice(2)].join('\n')}\n`);
    assert.throws(() => readEpochs(file), /record 2: Expected fit 0's epochs in increasing order \(epoch 0 after 1\)/);
  });

  it('a Sequential that gains a layer, between fits (a new head) or inside a fit\'s callback: every epoch digest is weightsDigest then', async () => {
    const store = freshStore('grows');
    vb.setRandomSeed(3);
    const expected: string[] = [];
    let id = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [2] })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const [x, y] = [vb.random.normal(vb.random.key(1), [6, 2]), vb.random.normal(vb.random.key(2), [6, 1])];
      const note = { onEpochEnd: () => void expected.push(model.weightsDigest()) };
      expected.push(model.weightsDigest());
      await model.fit(x, vb.random.normal(vb.random.key(3), [6, 3]), { epochs: 2, verbose: 0, callbacks: [note] });
      model.add(vb.layers.dense({ units: 1 }));
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      expected.push(model.weightsDigest());
      // The layer added after the first epoch's records: the next epochs' digests include it.
      const grow = { onEpochEnd: (epoch: number) => { if (epoch === 0) model.add(vb.layers.dense({ units: 1 })); } };
      await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [note, grow] });
    });
    const run = loadRun(store, id);
    assert.equal(run.summary.status, 'completed', run.summary.problem);
    assert.deepEqual(run.epochs.map((e) => [e.fit, e.epoch]), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2], [1, 3]]);
    assert.deepEqual(run.epochs.map((e) => e.digest), expected);
    assert.deepEqual(run.fits.filter((f) => f.weights).map((f) => f.weights!.length), [2, 4]);
  });

  it('each fit records the backend and thread count it trained with, which the script may change after the run started', async () => {
    const store = freshStore('compute');
    const [backend, threads] = [vb.getBackend(), vb.getNumThreads()];
    const ids: string[] = [];
    try {
      for (const change of [false, true]) {
        vb.setBackend('wasm');
        vb.setNumThreads(2);
        await vb.runs.record({ store }, async (recorder) => {
          ids.push(recorder.id);
          if (change) {
            vb.setBackend('reference');
            vb.setNumThreads(1);
          }
          vb.setRandomSeed(3);
          const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
          model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
          await model.fit(vb.ones([4, 2]), vb.zeros([4, 1]), { epochs: 1, verbose: 0 });
        });
      }
    } finally {
      vb.setBackend(backend);
      vb.setNumThreads(threads);
    }
    const [kept, changed] = ids.map((id) => loadRun(store, id)) as [ReturnType<typeof loadRun>, ReturnType<typeof loadRun>];
    assert.deepEqual([kept.manifest.backend, kept.manifest.threads, changed.manifest.backend, changed.manifest.threads], ['wasm', 2, 'wasm', 2], 'the manifests say where each run started');
    assert.deepEqual([kept.fits[0]!.backend, kept.fits[0]!.threads, changed.fits[0]!.backend, changed.fits[0]!.threads], ['wasm', 2, 'reference', 1]);
    assert.deepEqual([computeChanges(kept), computeChanges(changed)], [[], ['fit 0: reference, 1 thread(s)']]);
    const differences = environmentDifferences(kept, changed);
    assert.ok(differences.some((d) => /^fit 0\.backend: "wasm" -> "reference"/.test(d)), differences.join('\n'));
    assert.ok(differences.some((d) => /^fit 0\.threads: 2 -> 1/.test(d)), differences.join('\n'));
  });

  it('fits that train together and interleave their records in another order are the same run: diff finds no divergence', async () => {
    const store = freshStore('interleaved');
    let id = '';
    await vb.runs.record({ store, trace: 'steps' }, async (recorder) => {
      id = recorder.id;
      const { a, b, x, y } = twoModels();
      // b trains inside a's second epoch: a's records, then b's, then a's again.
      await a.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, callbacks: { onEpochEnd: async (epoch: number) => { if (epoch === 1) await b.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 }); } } });
    });
    // The same records as if the event loop had let a finish first: each fit's in its order.
    const other = `${id}-reordered`;
    execFileSync('cp', ['-r', join(store, id), join(store, other)]);
    for (const file of ['epochs.jsonl', 'steps.jsonl']) {
      const lines = readFileSync(join(store, id, file), 'utf8').trim().split('\n');
      const fitOf = (line: string) => (JSON.parse(line) as { fit: number }).fit;
      assert.notDeepEqual(lines.map(fitOf), [...lines.map(fitOf)].sort(), `${file}: the fits' records interleave`);
      writeFileSync(join(store, other, file), `${[0, 1].flatMap((fit) => lines.filter((l) => fitOf(l) === fit)).join('\n')}\n`);
    }
    const [original, reordered] = [loadRun(store, id), loadRun(store, other)];
    assert.equal(firstDivergence(original, reordered), undefined);
    assert.deepEqual(original.steps, reordered.steps);
    // A real difference is still found, at its fit and epoch.
    const epochs = readFileSync(join(store, other, 'epochs.jsonl'), 'utf8').split('\n');
    const at = epochs.findIndex((l) => l.includes('"fit":1,"epoch":2'));
    epochs[at] = epochs[at]!.replace(/"loss":"[0-9a-f]{8}"/, '"loss":"3f800000"').replace(/"loss":[-0-9.e]+/, '"loss":1');
    writeFileSync(join(store, other, 'epochs.jsonl'), epochs.join('\n'));
    const divergence = firstDivergence(original, loadRun(store, other));
    assert.ok(divergence !== undefined && divergence !== 'length');
    assert.deepEqual([divergence.fit, divergence.epoch, divergence.what], [1, 2, ['loss']]);
  });

  it('of fits run together, the first begun is the run\'s (model files, history, ls digest), whichever the clock lets end last', async () => {
    const store = freshStore('together-final');
    const results: { id: string; first: string; second: string }[] = [];
    // The order of the ends is forced: the fit that waits holds its first epoch's end until the other fit has ended.
    for (const [firstEpochs, secondEpochs, waits] of [[1, 6, 'second'], [6, 1, 'first']] as const) {
      await vb.runs.record({ store }, async (recorder) => {
        const { a, b, x, y } = twoModels();
        let release!: () => void;
        const gate = new Promise<void>((resolve) => { release = resolve; });
        const held = { onEpochEnd: () => gate };
        const first = a.fit(x, y, { epochs: firstEpochs, batchSize: 4, verbose: 0, ...(waits === 'first' ? { callbacks: held } : {}) });
        const second = b.fit(x, y, { epochs: secondEpochs, batchSize: 4, verbose: 0, ...(waits === 'second' ? { callbacks: held } : {}) });
        void (waits === 'first' ? second : first).then(release);
        await Promise.all([first, second]);
        results.push({ id: recorder.id, first: a.weightsDigest(), second: b.weightsDigest() });
        // Disposed, so that the model loaded below gets the same weight names.
        for (const t of [a, b, x, y]) t.dispose();
      });
    }
    for (const [i, { id, first }] of results.entries()) {
      const ends = readJsonl<{ fit: number; finalDigest?: string }>(join(store, id, 'fits.jsonl')).filter((f) => f.finalDigest).map((f) => f.fit);
      assert.deepEqual(ends, i === 0 ? [0, 1] : [1, 0], 'the fit that did not wait ends first');
      assert.equal(summarizeRun(store, id).digest, first);
      const loaded = await vb.loadLayersModel(`file://${join(store, id, 'model.json')}`);
      assert.equal(loaded.weightsDigest(), first);
      loaded.dispose();
      const history = JSON.parse(readFileSync(join(store, id, 'history.json'), 'utf8')) as { epoch: number[] };
      assert.equal(history.epoch.length, i === 0 ? 1 : 6);
      assert.deepEqual(weightFileProblems(loadRun(store, id)), []);
    }
  });

  it('validation tensors are fingerprinted with the fit\'s data: runs whose validation data differ say so', async () => {
    const store = freshStore('validation-data');
    const ids: string[] = [];
    for (const shift of [0, 0, 1]) {
      await vb.runs.record({ store }, async (recorder) => {
        ids.push(recorder.id);
        const { a, x, y } = twoModels();
        const vx = vb.add(vb.random.normal(vb.random.key(9), [4, 2]), shift);
        await a.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, validationData: [vx, vb.sum(vx, 1, true)] });
      });
    }
    const [same, again, shifted] = ids.map((id) => loadRun(store, id)) as [ReturnType<typeof loadRun>, ReturnType<typeof loadRun>, ReturnType<typeof loadRun>];
    assert.deepEqual(Object.keys(same.fits[0]!.data!).sort(), ['validation x', 'validation y', 'x', 'y']);
    assert.deepEqual(compareData(same, again), { content: [], order: [] });
    assert.deepEqual(compareData(same, shifted).content.map((line) => line.split(':')[0]), ['fit 0 validation x', 'fit 0 validation y']);
  });

  it('a hostile layer list in fits.jsonl is refused at once, a layer named __proto__ kept', async () => {
    const store = freshStore('hostile-layers');
    vb.setRandomSeed(4);
    let id = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 64, inputShape: [64] })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await model.fit(vb.ones([2, 64]), vb.ones([2, 64]), { epochs: 1, verbose: 0 });
    });
    const run = loadRun(store, id);
    const withLayers = (layers: unknown) => ({ ...run, fits: run.fits.map((f) => ({ ...f, layers: layers as { name: string; weights: number[] }[] })) });
    const t0 = performance.now();
    assert.equal(layerDigestsAt(withLayers([{ name: 'dense', weights: Array(100000).fill(0) }]), 0, 1), undefined);
    assert.equal(layerDigestsAt(withLayers(Array.from({ length: 100000 }, (_, i) => ({ name: `l${i}`, weights: [0, 1] }))), 0, 1), undefined);
    assert.ok(performance.now() - t0 < 2000, 'refused without hashing');
    const named = layerDigestsAt(withLayers([{ name: '__proto__', weights: [0, 1] }]), 0, 1)!;
    assert.deepEqual(Object.keys(named), ['__proto__']);
    assert.equal(named.__proto__, layerDigestsAt(run, 0, 1)!.dense);
    // A snapshot that is not the one its record describes is not used.
    const shifted = { ...run, epochs: run.epochs.map((e) => ({ ...e, digest: run.epochs[0]!.digest })) };
    assert.equal(layerDigestsAt(shifted, 0, 1), undefined);
  });

  it('a model too large for snapshots records its digests, layers included, as the model gives them; it is written at its fit\'s end, after the fit\'s records', async () => {
    const store = freshStore('large-model');
    vb.setRandomSeed(6);
    let id = '';
    const expected: string[] = [];
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      // 2049 x 2048 + 2048 values: just over the 16 MiB a kept snapshot may have.
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 2048, inputShape: [2049] })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      expected.push(model.weightsDigest());
      // The records are flushed just before the fit ends (a value logged when the flush interval has passed): its end is not yet written by itself.
      const after = { onEpochEnd: () => void expected.push(model.weightsDigest()), onTrainEnd: async () => { await new Promise((r) => setTimeout(r, 150)); recorder.log('before-end', 1); } };
      await model.fit(vb.ones([2, 2049]), vb.zeros([2, 2048]), { epochs: 2, verbose: 0, callbacks: [after] });
      assert.ok(existsSync(join(recorder.dir, 'weights.bin')), 'a model too large to hold a copy of is written at its fit\'s end');
      // After its records: a kill now leaves weights.bin of a fit whose end (finalDigest) is recorded, as integrity checks it.
      assert.deepEqual(readJsonl<{ finalDigest?: string }>(join(recorder.dir, 'fits.jsonl')).flatMap((f) => f.finalDigest ?? []), [model.weightsDigest()]);
    });
    assert.deepEqual(weightFileProblems(loadRun(store, id)), []);
    const raw = readJsonl<{ digest: string; layers?: Record<string, string> }>(join(store, id, 'epochs.jsonl'));
    assert.deepEqual(raw.map((e) => e.digest), expected);
    assert.ok(raw.every((e) => e.layers && Object.keys(e.layers).length === 1));
    assert.equal(raw.at(-1)!.layers!.dense, raw.at(-1)!.digest, 'one layer: its digest is the model\'s');
    assert.equal(existsSync(join(store, id, 'weights', 'fit-0.bin')), false);
  });

  it('a fit that starts at initialEpoch fingerprints its first epoch too', async () => {
    const store = freshStore('initial-epoch');
    vb.setRandomSeed(8);
    let id = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await model.fit(vb.ones([6, 2]), vb.ones([6, 1]), { epochs: 4, initialEpoch: 2, batchSize: 3, verbose: 0 });
    });
    const fits = readJsonl<{ datasetFingerprint?: Record<string, string> }>(join(store, id, 'fits.jsonl'));
    assert.equal(fits.filter((f) => f.datasetFingerprint).length, 1);
  });
});
