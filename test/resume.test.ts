/**
 * Exact resume: a training script with backupAndRestore is SIGKILLed at seeded random batches
 * (mid-epoch and right at epoch ends, which is when backups are written) and restarted until it
 * finishes; its final weights, history and every epoch's digest (including epochs redone after a
 * kill) must be bit-identical to an uninterrupted run without backups.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { mountTmpfs } from './helpers/process.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'resume-child.js');

/** Runs the child; kills it with SIGKILL after `killAfter` batch lines (never, if undefined). Resolves to whether it finished. */
function runChild(args: string[], killAfter: number | undefined): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let batches = 0;
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      batches += chunk.split('\n').filter((l) => l === 'batch').length;
      if (killAfter !== undefined && batches >= killAfter) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve(false);
      else if (code === 0) resolve(true);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

interface Outcome { result: { digest: string; epoch: number[]; history: Record<string, number[]> }; epochs: Map<number, Set<string>> }

function outcome(dir: string): Outcome {
  const epochs = new Map<number, Set<string>>();
  for (const line of readFileSync(join(dir, 'epochs.log'), 'utf8').trim().split('\n')) {
    const [epoch, digest] = line.split(' ');
    if (!epochs.has(Number(epoch))) epochs.set(Number(epoch), new Set());
    epochs.get(Number(epoch))!.add(digest!);
  }
  return { result: JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')), epochs };
}

type Mode = 'fit' | 'dataset' | 'stream';
/** Backend, threads, what trains (fit; fitDataset of passes; fitDataset of an endless stream with batchesPerEpoch) and saveFreq. */
const configs: [string, number, Mode, 'epoch' | number][] = [
  ['reference', 1, 'fit', 'epoch'],
  ['reference', 1, 'dataset', 'epoch'],
  ['wasm', 1, 'fit', 'epoch'],
  ['wasm', 2, 'fit', 'epoch'],
  ['wasm', 2, 'dataset', 'epoch'],
  ['reference', 1, 'fit', 3],
  ['wasm', 2, 'fit', 1],
  ['wasm', 1, 'dataset', 5],
  ['reference', 1, 'stream', 2],
  ['wasm', 2, 'stream', 'epoch'],
];
const BATCHES_PER_EPOCH: Record<Mode, number> = { fit: 8, dataset: 12, stream: 5 };

describe('backupAndRestore: exact resume after SIGKILL', () => {
  for (const [backend, threads, mode, saveFreq] of configs) {
    it(`${mode} on ${backend} with ${threads} thread(s), saveFreq ${saveFreq}: killed and restarted, it ends bit-identical to an uninterrupted run`, { skip: !vb.backendNames().includes(backend) && `the ${backend} backend is unavailable` }, async () => {
      const root = mkdtempSync(join(tmpdir(), 'verbatim-resume-'));
      try {
        const plainDir = join(root, 'plain');
        mkdirSync(plainDir);
        assert.equal(await runChild([backend, String(threads), mode, '-', plainDir, String(saveFreq)], undefined), true);
        const plain = outcome(plainDir);
        const batchesPerEpoch = BATCHES_PER_EPOCH[mode];
        const total = plain.result.epoch.length * batchesPerEpoch;

        const dir = join(root, 'resumed');
        const backupDir = join(dir, 'backup');
        mkdirSync(dir);
        // Seeded kill points, counted in batches of each attempt: one at an epoch end (a backup being written), others mid-epoch.
        const rng = vb.random.generator(`${backend}/${threads}/${mode}/${saveFreq}`.length * 7 + threads);
        const draws = Array.from(rng.uniform([3], 0, 1).dataSync());
        const killPoints = [batchesPerEpoch + 1, ...draws.map((u) => 2 + Math.floor(u * (total - 2)))];
        let finished = false;
        let attempts = 0;
        const resumedAt: number[] = [];
        const noteBackup = () => {
          if (existsSync(join(backupDir, 'backup.json'))) resumedAt.push((JSON.parse(readFileSync(join(backupDir, 'backup.json'), 'utf8')) as { step: number }).step);
        };
        for (const killAfter of killPoints) {
          noteBackup();
          attempts++;
          finished = await runChild([backend, String(threads), mode, backupDir, dir, String(saveFreq)], killAfter);
          if (finished) break;
        }
        if (!finished) {
          // A kill in the middle of writing leaves a partial temporary file: the restart must ignore it.
          if (existsSync(backupDir)) writeFileSync(join(backupDir, 'backup.json.tmp'), '{"format": "verbatim-bac');
          noteBackup();
          finished = await runChild([backend, String(threads), mode, backupDir, dir, String(saveFreq)], undefined);
          attempts++;
        }
        assert.equal(finished, true);
        assert.ok(attempts > 1, 'the run was interrupted at least once');
        if (saveFreq !== 'epoch') assert.ok(resumedAt.some((step) => step > 0), `a restart resumed in the middle of an epoch (steps ${resumedAt.join(', ')})`);
        const resumed = outcome(dir);
        assert.deepEqual(resumed.result, plain.result);
        for (const [epoch, digests] of resumed.epochs) {
          assert.deepEqual([...digests], [...plain.epochs.get(epoch)!], `epoch ${epoch}: every (re)run of it gives the uninterrupted digest`);
        }
        assert.equal(existsSync(join(backupDir, 'backup.json')), false, 'the backup is deleted at the end (deleteCheckpoint)');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});


/**
 * A small model (seed 6, sgd 0.1) and a hook halving its learning rate at each epoch start after
 * the first: not idempotent, so run twice at one epoch start it halves twice.
 */
function halvingModel() {
  vb.setRandomSeed(6);
  const m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
  m.compile({ optimizer: vb.train.sgd(0.1), loss: 'meanSquaredError' });
  const halve = { onEpochBegin: (epoch: number) => { if (epoch > 0) m.optimizer!.setLearningRate(m.optimizer!.learningRate as number * 0.5); } };
  return { m, halve };
}

/** A callback that throws at the n-th batch it sees begin (never, for undefined). */
function interrupting(n: number | undefined) {
  let batches = 0;
  return { onBatchBegin: () => { if (++batches === n) throw new Error('interrupted'); } };
}
describe('backupAndRestore: arguments and backups', () => {
  it('without a file system (browsers) it is a clear error', () => {
    const original = process.getBuiltinModule;
    (process as { getBuiltinModule: unknown }).getBuiltinModule = () => undefined;
    try {
      assert.throws(() => vb.callbacks.backupAndRestore({ backupDir: 'backups' }), /backupAndRestore: Expected Node.js: backups are written to the file system/);
    } finally {
      process.getBuiltinModule = original;
    }
  });

  it('a backup that does not fit on the disk fails (ENOSPC): never renamed into place cut short, no temporary left (root: a real full tmpfs)', async (t) => {
    const disk = mkdtempSync(join(tmpdir(), 'verbatim-backup-full-'));
    try {
      if (!mountTmpfs(t, disk, 'size=64k')) return;
      try {
        vb.setRandomSeed(1);
        // About 130 KB of weights: the backup's JSON cannot fit in 64 KB.
        const m = vb.sequential({ layers: [vb.layers.dense({ units: 4096, inputShape: [8] })] });
        m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        const fit = m.fit(vb.ones([4, 8]), vb.zeros([4, 4096]), { epochs: 2, batchSize: 2, verbose: 0, callbacks: [vb.callbacks.backupAndRestore({ backupDir: disk, saveFreq: 1 })] });
        await assert.rejects(fit, /ENOSPC/);
        m.dispose();
        assert.deepEqual(readdirSync(disk), [], 'neither a backup nor its temporary');
      } finally {
        spawnSync('umount', [disk]);
      }
    } finally {
      rmSync(disk, { recursive: true, force: true });
    }
  });

  it('with deleteCheckpoint false the final state stays: running the script again trains no further', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-backup-'));
    try {
      const train = async () => {
        vb.setRandomSeed(3);
        const m = vb.sequential({ name: 'kept', layers: [vb.layers.dense({ units: 1, inputShape: [2], name: 'd' })] });
        m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
        let epochsRun = 0;
        const history = await m.fit(vb.ones([8, 2]), vb.zeros([8, 1]), {
          epochs: 3, batchSize: 4, verbose: 0,
          callbacks: [vb.callbacks.backupAndRestore({ backupDir: dir, deleteCheckpoint: false }), { onEpochEnd: () => { epochsRun++; } }],
        });
        const result = { digest: m.weightsDigest(), history: history.history, epochsRun, iterations: m.optimizer!.iterations };
        m.dispose();
        return result;
      };
      const first = await train();
      assert.equal(first.epochsRun, 3);
      const saved = JSON.parse(readFileSync(join(dir, 'backup.json'), 'utf8'));
      assert.deepEqual([saved.epoch, saved.finished, saved.optimizer[0].name, saved.optimizer[0].values], [3, true, 'iter', [6]]);
      const second = await train();
      assert.deepEqual(second, { ...first, epochsRun: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a kept final state asked for more epochs continues there (Keras), bit-identical to one longer fit; one stopped early does not', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'verbatim-backup-')), mkdtempSync(join(tmpdir(), 'verbatim-backup-'))];
    try {
      const train = async (dir: string, epochs: number, stopAfter?: number) => {
        vb.setRandomSeed(5);
        const m = vb.sequential({ name: 'longer', layers: [vb.layers.dense({ units: 2, inputShape: [3], name: 'd' }), vb.layers.dense({ units: 1, name: 'o' })] });
        m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
        const x = vb.random.normal(vb.random.key(2), [12, 3]);
        let epochsRun = 0;
        const history = await m.fit(x, vb.sum(x, 1, true), {
          epochs, batchSize: 4, verbose: 0,
          callbacks: [
            vb.callbacks.backupAndRestore({ backupDir: dir, deleteCheckpoint: false }),
            { onEpochEnd: (epoch: number) => { epochsRun++; if (epoch + 1 === stopAfter) m.stopTraining = true; } },
          ],
        });
        const result = { digest: m.weightsDigest(), history: history.history, epochsRun, iterations: m.optimizer!.iterations };
        m.dispose();
        x.dispose();
        return result;
      };
      const [kept, fresh] = dirs as [string, string];
      assert.equal((await train(kept, 3)).epochsRun, 3);
      const continued = await train(kept, 5);
      const longer = await train(fresh, 5);
      assert.equal(continued.epochsRun, 2, 'epochs 4 and 5 trained after the kept state of 3');
      assert.deepEqual({ ...continued, epochsRun: 5 }, longer);
      assert.equal(longer.history.loss!.length, 5);
      // A fit stopped early (after 2 of 4 epochs) would have stopped there whatever its length: no further.
      rmSync(kept, { recursive: true, force: true });
      const stopped = await train(kept, 4, 2);
      assert.equal(stopped.epochsRun, 2);
      const again = await train(kept, 8);
      assert.deepEqual(again, { ...stopped, epochsRun: 0 });
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a learning rate changed by setLearningRate is in the backup: a fit continued from it is bit-identical to one longer fit', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'verbatim-backup-')), mkdtempSync(join(tmpdir(), 'verbatim-backup-'))];
    try {
      const x = vb.random.normal(vb.random.key(2), [12, 3]);
      const y = vb.sum(x, 1, true);
      const train = async (dir: string, epochs: number) => {
        vb.setRandomSeed(5);
        const m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
        m.compile({ optimizer: vb.train.sgd(0.1), loss: 'meanSquaredError' });
        // Lowered once, after the first epoch (as a plateau callback does): a continued fit never sees that epoch end again.
        const lower = { onEpochEnd: (epoch: number) => { if (epoch === 0) m.optimizer!.setLearningRate(0.01); } };
        const history = await m.fit(x, y, { epochs, batchSize: 4, verbose: 0, callbacks: [vb.callbacks.backupAndRestore({ backupDir: dir, deleteCheckpoint: false }), lower] });
        const result = { digest: vb.digest(m.getWeights()), history: history.history, learningRate: m.optimizer!.learningRate };
        m.dispose();
        return result;
      };
      const [kept, fresh] = dirs as [string, string];
      await train(kept, 2);
      const continued = await train(kept, 4);
      const longer = await train(fresh, 4);
      assert.deepEqual(continued, longer);
      assert.equal(JSON.parse(readFileSync(join(kept, 'backup.json'), 'utf8')).learningRate, 0.01);
      vb.dispose([x, y]);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a learning rate a hook halves at each epoch start is set once, not twice, by a fit resumed in the middle of that epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-backup-'));
    try {
      const x = vb.random.normal(vb.random.key(3), [16, 3]);
      const y = vb.sum(x, 1, true);
      const train = async (interruptAt?: number) => {
        const { m, halve } = halvingModel();
        const callbacks = interruptAt === undefined ? [halve] : [vb.callbacks.backupAndRestore({ backupDir: dir, saveFreq: 1 }), halve, interrupting(interruptAt)];
        try {
          const history = await m.fit(x, y, { epochs: 3, batchSize: 4, shuffle: false, verbose: 0, callbacks });
          return { digest: vb.digest(m.getWeights()), history: history.history, learningRate: m.optimizer!.learningRate };
        } finally {
          m.dispose();
        }
      };
      const uninterrupted = await train();
      // Interrupted before epoch 1's second batch: its backup was saved after that epoch's halving.
      await assert.rejects(train(6), /interrupted/);
      assert.deepEqual(await train(Number.POSITIVE_INFINITY), uninterrupted);
      vb.dispose([x, y]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a learning rate and a callback state a hook listed before backupAndRestore changes at each epoch start are changed once by a fit resumed from an epoch-start backup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-backup-'));
    try {
      const x = vb.random.normal(vb.random.key(3), [16, 3]);
      const y = vb.sum(x, 1, true);
      const train = async (interruptAt?: number) => {
        // Listed before the backup: run again at the resumed epoch's start, each would count twice.
        const { m, halve } = halvingModel();
        const counter = {
          starts: 0,
          onEpochBegin() { this.starts++; },
          getState() { return this.starts; },
          setState(state: unknown) { this.starts = state as number; },
        };
        const backup = vb.callbacks.backupAndRestore({ backupDir: dir, saveFreq: 'epoch' });
        const callbacks = interruptAt === undefined ? [halve, counter] : [halve, counter, backup, interrupting(interruptAt)];
        try {
          const history = await m.fit(x, y, { epochs: 4, batchSize: 4, shuffle: false, verbose: 0, callbacks });
          return { digest: vb.digest(m.getWeights()), history: history.history, learningRate: m.optimizer!.learningRate, starts: counter.starts };
        } finally {
          m.dispose();
        }
      };
      const uninterrupted = await train();
      // Interrupted in epoch 2 (its second batch): the backup is epoch 2's start, saved before its hooks ran.
      await assert.rejects(train(10), /interrupted/);
      const resumed = await train(Number.POSITIVE_INFINITY);
      assert.equal(resumed.learningRate, 0.1 * 0.5 ** 3);
      assert.equal(resumed.starts, 4);
      assert.deepEqual(resumed, uninterrupted);
      vb.dispose([x, y]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a backup restored into a model made again in the same process (another name, sequential_1) binds the optimizer state to its weights, bit-identical to one longer fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-backup-'));
    try {
      const x = vb.random.normal(vb.random.key(2), [12, 3]);
      const y = vb.sum(x, 1, true);
      const make = () => {
        vb.setRandomSeed(5);
        const m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
        m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
        return m;
      };
      const callbacks = () => [vb.callbacks.backupAndRestore({ backupDir: dir, deleteCheckpoint: false })];
      const first = make();
      await first.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: callbacks() });
      const firstWeights = vb.digest(first.getWeights());
      // Made while the first is alive, so named apart from it; its Adam slots used to bind to the first model's weights.
      const continued = make();
      const history = await continued.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, callbacks: callbacks() });
      const longer = make();
      const expected = await longer.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0 });
      assert.notEqual(continued.name, first.name);
      assert.deepEqual(history.history, expected.history);
      assert.equal(vb.digest(continued.getWeights()), vb.digest(longer.getWeights()));
      assert.equal(vb.digest(first.getWeights()), firstWeights, 'the first model is untouched');
      assert.deepEqual((await continued.optimizer!.getWeights()).map((w) => w.name), (await longer.optimizer!.getWeights()).map((w) => w.name.replace(longer.name, continued.name)));
      // Its own name again after the first is gone: the backup (saved by `continued`) still restores.
      first.dispose();
      const again = make();
      await again.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, callbacks: callbacks() });
      assert.equal(vb.digest(again.getWeights()), vb.digest(longer.getWeights()));
      for (const m of [continued, longer, again]) m.dispose();
      vb.dispose([x, y]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a fit stopped in onBatchEnd (also in a microtask, or by a non-finite loss) saves no backup at that batch: a restart stops there too', async () => {
    for (const stop of ['callback', 'microtask', 'nan'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'verbatim-backup-'));
      try {
        /** Stops at epoch 1's batch 2 (a NaN target there, for 'nan'); with `failAtEpochEnd`, the fit fails after it, keeping its backups (a kill). */
        const train = async (failAtEpochEnd: boolean) => {
          vb.setRandomSeed(5);
          const m = vb.sequential({ name: 'stopped', layers: [vb.layers.dense({ units: 2, inputShape: [3], name: 'd' }), vb.layers.dense({ units: 1, name: 'o' })] });
          m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
          const x = vb.random.normal(vb.random.key(2), [20, 3]);
          const y = vb.sum(x, 1, true);
          let epochNow = 0;
          const stopper = {
            onEpochBegin: (epoch: number) => { epochNow = epoch; },
            onBatchEnd: (batch: number) => {
              if (epochNow !== 1 || batch !== 2) return;
              if (stop === 'callback') m.stopTraining = true;
              if (stop === 'microtask') void Promise.resolve().then(() => { m.stopTraining = true; });
              // A step whose weights become NaN: the next batch's loss is NaN, which stops training.
              if (stop === 'nan') m.setWeights(m.getWeights().map((w) => vb.fill(w.shape, NaN)));
            },
            onEpochEnd: (epoch: number) => { if (failAtEpochEnd && epoch === 1) throw new Error('killed'); },
          };
          const fit = m.fit(x, y, { epochs: 4, batchSize: 4, shuffle: false, verbose: 0, callbacks: [stopper, vb.callbacks.backupAndRestore({ backupDir: dir, saveFreq: 1 })] });
          const history = failAtEpochEnd ? await assert.rejects(fit, /killed/) : await fit;
          const result = history && { digest: m.weightsDigest(), loss: history.history.loss, iterations: m.optimizer!.iterations };
          m.dispose();
          x.dispose();
          y.dispose();
          return result;
        };
        const whole = await train(false);
        await train(true);
        assert.deepEqual(await train(false), whole, stop);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("earlyStopping's best weights restored at the end: a kept state continued with more epochs is still one longer fit, and a rerun ends on them", async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'verbatim-backup-')), mkdtempSync(join(tmpdir(), 'verbatim-backup-'))];
    try {
      const train = async (dir: string, epochs: number) => {
        vb.setRandomSeed(5);
        const m = vb.sequential({ name: 'best-kept', layers: [vb.layers.dense({ units: 2, inputShape: [3], name: 'd' }), vb.layers.dense({ units: 1, name: 'o' })] });
        m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
        const x = vb.random.normal(vb.random.key(2), [12, 3]);
        const digests: string[] = [];
        const history = await m.fit(x, vb.sum(x, 1, true), {
          epochs, batchSize: 4, verbose: 0,
          callbacks: [
            // Before the backup on purpose: the kept state must still be the last epoch's, not the restored best.
            vb.callbacks.earlyStopping({ monitor: 'loss', mode: 'max', patience: 10, restoreBestWeights: true }),
            vb.callbacks.backupAndRestore({ backupDir: dir, deleteCheckpoint: false }),
            { onEpochEnd: () => { digests.push(m.weightsDigest()); } },
          ],
        });
        const result = { digest: m.weightsDigest(), history: history.history, digests };
        m.dispose();
        x.dispose();
        return result;
      };
      const [kept, fresh] = dirs as [string, string];
      const first = await train(kept, 3);
      assert.equal(first.digest, first.digests[0], 'the highest loss, the first epoch\'s, is the best');
      assert.deepEqual(await train(kept, 3), { ...first, digests: [] }, 'a rerun trains no further and ends on the best weights');
      const continued = await train(kept, 5);
      const longer = await train(fresh, 5);
      assert.equal(continued.digests.length, 2);
      assert.deepEqual(continued.digests, longer.digests.slice(3));
      assert.deepEqual({ ...continued, digests: longer.digests }, longer);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad arguments and a backup of another model are clear errors', async () => {
    assert.throws(() => vb.callbacks.backupAndRestore({} as never), /backupAndRestore: Expected \{backupDir: a non-empty string\}/);
    for (const saveFreq of [0, 2.5, -1, 'batch']) {
      assert.throws(() => vb.callbacks.backupAndRestore({ backupDir: '/tmp/x', saveFreq: saveFreq as never }), /Expected saveFreq 'epoch' or a positive integer number of batches/);
    }
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-backup-'));
    try {
      writeFileSync(join(dir, 'backup.json'), JSON.stringify({ format: 'verbatim-backup-2', epoch: 1, step: 0, accumulators: [], weights: [], optimizer: [], callbacks: [] }));
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await assert.rejects(m.fit(vb.zeros([4, 2]), vb.zeros([4, 1]), { verbose: 0, callbacks: [vb.callbacks.backupAndRestore({ backupDir: dir })] }), /Expected the backup to hold the weights of this model/);
      writeFileSync(join(dir, 'backup.json'), '{"format": "verb');
      await assert.rejects(m.fit(vb.zeros([4, 2]), vb.zeros([4, 1]), { verbose: 0, callbacks: [vb.callbacks.backupAndRestore({ backupDir: dir })] }), /Expected a readable backup file/);
      m.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backups of a recorded run held in memory', () => {
  it('a fit-end backup too large to hold is written at once, after the records are flushed', async () => {
    const { BackupAndRestore, HeldBackups } = await import('../src/models/backup.js');
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-held-'));
    try {
      const file = join(dir, 'backup.json');
      const flushes: boolean[] = [];
      // An hour's interval: a small fit's final state would be held; this one's (16.8 M weights' bytes) is not.
      const backup = new BackupAndRestore({ backupDir: dir, deleteCheckpoint: false }, {
        intervalSeconds: 3600, held: new HeldBackups(), beforeSave: () => void flushes.push(existsSync(file)),
      });
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 2048, inputShape: [2049] })] });
      model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await model.fit(vb.ones([2, 2049]), vb.zeros([2, 2048]), { epochs: 1, verbose: 0, callbacks: [backup] });
      assert.deepEqual(flushes, [false], 'the records flushed once, before the backup file existed');
      assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { finished: boolean }).finished, true);
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backupAndRestore: a model built by its first batch', () => {
  it('a restart builds it from the backup\'s input shapes, restores and ends bit-identical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-lazy-backup-'));
    try {
      const train = async (backupDir: string | undefined, stopAtBatch?: number) => {
        vb.setRandomSeed(4);
        // No input shape: built by fitDataset's first batch.
        const m = vb.sequential({ name: 'lazy', layers: [vb.layers.dense({ units: 3, activation: 'relu', name: 'd1' }), vb.layers.dense({ units: 1, name: 'd2' })] });
        m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
        const x = vb.random.normal(vb.random.key(1), [24, 2]);
        const data = vb.data.zip({ xs: vb.data.fromTensorSlices(x), ys: vb.data.fromTensorSlices(vb.sum(x, 1, true)) }).batch(4);
        let batches = 0;
        const stop = { onBatchEnd: () => { if (++batches === stopAtBatch) throw new Error('stopped'); } };
        const callbacks = backupDir ? [vb.callbacks.backupAndRestore({ backupDir, saveFreq: 2 }), stop] : [stop];
        try {
          await m.fitDataset(data, { epochs: 3, verbose: 0, callbacks });
          return m.weightsDigest();
        } finally {
          m.dispose();
        }
      };
      const plain = await train(undefined);
      await assert.rejects(train(dir, 9), /stopped/);
      const saved = JSON.parse(readFileSync(join(dir, 'backup.json'), 'utf8')) as { inputShapes: unknown; epoch: number; step: number };
      assert.deepEqual([saved.inputShapes, saved.epoch, saved.step], [[[null, 2]], 1, 2]);
      assert.equal(await train(dir), plain);
      // A backup whose input shapes are not shapes is refused, not built from.
      await assert.rejects(train(dir, 3), /stopped/);
      writeFileSync(join(dir, 'backup.json'), readFileSync(join(dir, 'backup.json'), 'utf8').replace('"inputShapes":[[null,2]]', '"inputShapes":[[-1e300]]'));
      await assert.rejects(train(dir), /Expected the input shapes of the backup's model as lists of positive integers or null\. Received: inputShapes="\[\[-1e\+300\]\]"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
