/**
 * What a recorded run writes besides its per-epoch records: the final model files (the last fit's,
 * written when the run ends), the records of scripts of many fits, the end of each fit, and the
 * flush interval within which every record is written.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { emptyDirectory, REPO_ROOT } from './helpers/process.js';
import { readJsonl } from '../src/runs/record-files.js';
import { loadRun } from '../src/cli/inspect.js';
import { weightFileProblems } from '../src/cli/integrity.js';

const WORK = join(REPO_ROOT, 'test-output', 'run-records-files');
const freshStore = (name: string) => emptyDirectory(join(WORK, name));

describe('run records: the final model files', () => {
  const model = (units: number) => {
    const m = vb.sequential({ layers: [vb.layers.dense({ units, inputShape: [2] }), vb.layers.dense({ units: 1 })] });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    return m;
  };

  it('are the last fit\'s, written when the run ends (each fit\'s replaced the one before)', async () => {
    const store = freshStore('final-files');
    vb.setRandomSeed(9);
    let id = '';
    let last = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      for (const [i, units] of [3, 5, 4].entries()) {
        const m = model(units);
        await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 2 + i, verbose: 0 });
        assert.equal(existsSync(join(recorder.dir, 'weights.bin')), false, 'not written at each fit\'s end');
        last = m.weightsDigest();
        m.dispose();
      }
    });
    const loaded = await vb.loadLayersModel(`file://${join(store, id, 'model.json')}`);
    assert.equal(loaded.weightsDigest(), last);
    assert.deepEqual(loaded.layers.map((l) => l.weights.map((w) => w.variable.shape)), [[[2, 4], [4]], [[4, 1], [1]]]);
    loaded.dispose();
    assert.deepEqual(JSON.parse(readFileSync(join(store, id, 'history.json'), 'utf8')).epoch, [0, 1, 2, 3]);
    assert.equal(JSON.parse(readFileSync(join(store, id, 'status.json'), 'utf8')).status, 'completed');
  });

  it('are the History as fit returned it, whatever the script does to it afterwards', async () => {
    const store = freshStore('final-history');
    vb.setRandomSeed(9);
    let id = '';
    let recorded: { epoch: number[]; history: Record<string, number[]> } | undefined;
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const m = model(3);
      const h = await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 3, verbose: 0 });
      recorded = JSON.parse(JSON.stringify({ epoch: h.epoch, history: h.history })) as typeof recorded;
      h.history.loss!.sort((a, b) => a - b).push(12345);
      h.epoch.length = 0;
    });
    const written = JSON.parse(readFileSync(join(store, id, 'history.json'), 'utf8')) as typeof recorded;
    assert.deepEqual({ epoch: written!.epoch, history: written!.history }, recorded);
  });

  it('are not written for a model never built (its fit saw no batch); the run still completes', async () => {
    const store = freshStore('final-files-unbuilt');
    let id = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 1 })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      const data = vb.data.zip({ xs: vb.data.array([[1, 2]]), ys: vb.data.array([[1]]) }).batch(1);
      await m.fitDataset(data, { epochs: 0, verbose: 0 });
    });
    assert.equal(JSON.parse(readFileSync(join(store, id, 'status.json'), 'utf8')).status, 'completed');
    assert.equal(existsSync(join(store, id, 'model.json')), false);
  });

  it('that cannot be written make the run failed, naming the file', async () => {
    const store = freshStore('final-files-refused');
    vb.setRandomSeed(9);
    let id = '';
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const m = model(3);
      await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 1, verbose: 0 });
      // The temporary file weights.bin is written to cannot be made (a directory has its name).
      mkdirSync(join(recorder.dir, `weights.bin.${process.pid}.tmp`));
    });
    const status = JSON.parse(readFileSync(join(store, id, 'status.json'), 'utf8'));
    assert.equal(status.status, 'failed');
    assert.match(status.error.message, /weights\.bin/);
  });
});

describe('run records: many fits', () => {
  it('a script of many fits keeps a bounded number of files open, and every fit\'s records and snapshots whole', { skip: existsSync('/proc/self/fd') ? false : 'counts open files in /proc/self/fd (Linux)' }, async () => {
    const store = freshStore('many-fits');
    vb.setRandomSeed(10);
    let id = '';
    const digests: string[] = [];
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    let most = 0;
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      for (let fit = 0; fit < 60; fit++) {
        const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
        m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
        await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 1, verbose: 0 });
        digests.push(m.weightsDigest());
        most = Math.max(most, openFiles());
        m.dispose();
      }
    });
    // Each fit has its own snapshot file: one descriptor per fit held open ran a long script out of them.
    assert.ok(most - before <= 24, `at most a few dozen files open (${most - before} more than before the run)`);
    const epochs = readJsonl<{ fit: number; epoch: number; digest: string }>(join(store, id, 'epochs.jsonl'));
    assert.deepEqual(epochs.filter((e) => e.epoch === 1).map((e) => e.digest), digests);
    for (let fit = 0; fit < 60; fit++) assert.equal(readFileSync(join(store, id, 'weights', `fit-${fit}.bin`)).length, 2 * 12, `fit ${fit}: two snapshots of 3 weights`);
  });
});

describe('run records: the end of a fit', () => {
  it('records the weights as the fit leaves them, after a callback changed them; weights.bin is checked against that', async () => {
    const store = freshStore('fit-end');
    vb.setRandomSeed(11);
    let id = '';
    const ends: string[] = [];
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [2] })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      // Halves the weights when training ends, as weight averaging changes them after the last epoch.
      const halve = { onTrainEnd: () => { m.setWeights(m.getWeights().map((w) => vb.mul(w, 0.5))); } };
      await m.fit(vb.ones([4, 2]), vb.ones([4, 2]), { epochs: 2, verbose: 0, callbacks: [halve] });
      ends.push(m.weightsDigest());
      await m.fit(vb.ones([4, 2]), vb.zeros([4, 2]), { epochs: 1, verbose: 0 });
      ends.push(m.weightsDigest());
    });
    const run = loadRun(store, id);
    assert.deepEqual(run.fits.filter((f) => f.finalDigest).map((f) => [f.fit, f.finalDigest]), [[0, ends[0]], [1, ends[1]]]);
    assert.notEqual(ends[0], run.epochs.filter((e) => e.fit === 0).at(-1)!.digest, 'the callback changed the weights after the last epoch');
    assert.deepEqual(weightFileProblems(run), []);
    const file = join(store, id, 'weights.bin');
    const bytes = readFileSync(file);
    bytes[0]! ^= 1;
    writeFileSync(file, bytes);
    assert.match(weightFileProblems(run).join('\n'), new RegExp(`weights\\.bin \\(the final weights of fit 1\\): expected digest ${ends[1]} \\(fits\\.jsonl, the end of fit 1\\)`));
  });
});

describe('run records: written within the flush interval', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('a fit\'s last records reach the disk while the script goes on with other work', async () => {
    const store = freshStore('flush-later');
    vb.setRandomSeed(12);
    await vb.runs.record({ store }, async (recorder) => {
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 3, verbose: 0 });
      await sleep(400);
      // A kill now loses nothing of the fit: its last epoch, its end and its snapshots are written.
      const epochs = readJsonl<{ epoch: number }>(join(recorder.dir, 'epochs.jsonl'));
      assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2, 3]);
      assert.equal(readJsonl<{ finalDigest?: string }>(join(recorder.dir, 'fits.jsonl')).filter((f) => f.finalDigest).length, 1);
      assert.equal(readFileSync(join(recorder.dir, 'weights', 'fit-0.bin')).length, 4 * 3 * 4);
    });
  });

  it('a write that fails in the background makes the run failed, with the reason', async () => {
    const store = freshStore('flush-later-enospc');
    const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
    const writeSync = fs.writeSync;
    let id = '';
    vb.setRandomSeed(12);
    await vb.runs.record({ store }, async (recorder) => {
      id = recorder.id;
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      (fs as { writeSync: unknown }).writeSync = () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); };
      try {
        // A fit slower than the flush interval (a loaded machine) meets the failure itself: the run is failed all the same.
        await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 2, verbose: 0 }).catch(() => undefined);
        await sleep(400);
      } finally {
        (fs as { writeSync: unknown }).writeSync = writeSync;
      }
    });
    const status = JSON.parse(readFileSync(join(store, id, 'status.json'), 'utf8'));
    assert.equal(status.status, 'failed');
    assert.match(status.error.message, /the disk is full \(ENOSPC\) while writing .*(epochs\.jsonl|fits\.jsonl|fit-0\.bin)/);
  });
});
