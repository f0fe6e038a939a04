/**
 * The live progress display reads each run's records incrementally (src/cli/progress.ts
 * JsonlTail): only what was appended since the last look, whole lines only, and from the start
 * again when a resume replaced the file; and a resumed run's ETA counts only the epochs trained
 * by its own process.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JsonlTail, RunProgress } from '../src/cli/progress.js';
import { REPO_ROOT } from './helpers/process.js';

const WORK = join(REPO_ROOT, 'test-output', 'progress-tail');

describe('progress: reading records as they are appended', () => {
  it('returns each whole record once, a line cut anywhere (inside a character too) when it is whole', () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    const file = join(WORK, 'epochs.jsonl');
    const tail = new JsonlTail<{ epoch: number; name?: string }>(file);
    assert.deepEqual(tail.read(), { records: [], fromStart: false }, 'no file yet');
    const line = Buffer.from(`${JSON.stringify({ epoch: 2, name: 'été' })}\n`);
    writeFileSync(file, `${JSON.stringify({ epoch: 1 })}\n`);
    // Every cut of the second line, including between the two bytes of an é.
    for (let cut = 0; cut <= line.length; cut++) {
      const step = new JsonlTail<{ epoch: number; name?: string }>(file);
      writeFileSync(file, `${JSON.stringify({ epoch: 1 })}\n`);
      assert.deepEqual(step.read().records, [{ epoch: 1 }]);
      appendFileSync(file, line.subarray(0, cut));
      const before = step.read().records;
      appendFileSync(file, line.subarray(cut));
      const after = step.read().records;
      assert.deepEqual([...before, ...after], [{ epoch: 2, name: 'été' }], `cut at byte ${cut}`);
      assert.deepEqual(step.read().records, [], 'nothing twice');
    }
    // A line that does not parse is skipped; the ones around it are kept.
    appendFileSync(file, '{"epoch": 3}\nnot json\n{"epoch": 4}\n');
    assert.deepEqual(tail.read().records.map((r) => r.epoch), [1, 2, 3, 4]);
  });

  it('reads a file replaced (cut back by a resume) from its start', () => {
    const file = join(WORK, 'cut.jsonl');
    writeFileSync(file, '{"epoch": 1}\n{"epoch": 2}\n{"epoch": 3}\n');
    const tail = new JsonlTail<{ epoch: number }>(file);
    assert.deepEqual(tail.read().records.map((r) => r.epoch), [1, 2, 3]);
    writeFileSync(file, '{"epoch": 1}\n');
    assert.deepEqual(tail.read(), { records: [{ epoch: 1 }], fromStart: true });
    appendFileSync(file, '{"epoch": 2}\n');
    assert.deepEqual(tail.read(), { records: [{ epoch: 2 }], fromStart: false });
    // Replaced by a longer file (renamed into place, as the store writes): read from the start too.
    writeFileSync(`${file}.tmp`, '{"epoch": 1}\n{"epoch": 2}\n{"epoch": 3}\n{"epoch": 4}\n');
    renameSync(`${file}.tmp`, file);
    assert.deepEqual(tail.read(), { records: [1, 2, 3, 4].map((epoch) => ({ epoch })), fromStart: true });
  });

  it('a resumed run\'s ETA comes from the epochs trained by its process, not from the kept ones', () => {
    const dir = join(WORK, 'resumed');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const epoch = (n: number) => `${JSON.stringify({ fit: 0, epoch: n, logs: { loss: 1 / (n + 1) } })}\n`;
    const epochs = join(dir, 'epochs.jsonl');
    // The interrupted run had recorded epochs 0 to 7 of 10; its backup was taken after epoch 5.
    writeFileSync(join(dir, 'fits.jsonl'), `${JSON.stringify({ fit: 0, options: { epochs: 10 } })}\n`);
    writeFileSync(epochs, [0, 1, 2, 3, 4, 5, 6, 7].map(epoch).join(''));
    const progress = new RunProgress(0, dir, 0);
    assert.equal(progress.line(1, 0), '[1/1] fit 0 epoch 7/10 loss 0.125', 'the records there when the display starts were trained before: no pace yet');
    // The resumed process cuts the records back to its backup (a new file), then trains on.
    writeFileSync(`${epochs}.tmp`, [0, 1, 2, 3, 4, 5].map(epoch).join(''));
    renameSync(`${epochs}.tmp`, epochs);
    assert.equal(progress.line(1, 1_000), '[1/1] fit 0 epoch 5/10 loss 0.1667', 'cut back: still no epoch trained here');
    appendFileSync(epochs, epoch(6));
    // One epoch in 10 s since the cut: 4 more take 40 s (counting the 6 kept ones as trained here said 6.6 s).
    assert.equal(progress.line(1, 11_000), '[1/1] fit 0 epoch 6/10 loss 0.1429 ETA 40s');
    appendFileSync(epochs, epoch(7));
    assert.equal(progress.line(1, 21_000), '[1/1] fit 0 epoch 7/10 loss 0.125 ETA 30s');
    // A fresh run: the file appears after the display starts, every epoch is trained here.
    const fresh = join(WORK, 'fresh');
    rmSync(fresh, { recursive: true, force: true });
    mkdirSync(fresh, { recursive: true });
    const run = new RunProgress(1, fresh, 0);
    assert.equal(run.line(2, 500), '[2/2] starting (0.5s)');
    writeFileSync(join(fresh, 'fits.jsonl'), `${JSON.stringify({ fit: 0, options: { epochs: 4 } })}\n`);
    writeFileSync(join(fresh, 'epochs.jsonl'), [0, 1].map(epoch).join(''));
    assert.equal(run.line(2, 2_000), '[2/2] fit 0 epoch 1/4 loss 0.5 ETA 6.0s');
  });
});
