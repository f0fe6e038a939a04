/**
 * The live progress display reads each run's records incrementally (src/cli/progress.ts
 * JsonlTail): only what was appended since the last look, whole lines only, and from the start
 * again when a resume replaced the file.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JsonlTail } from '../src/cli/progress.js';
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
});
