/**
 * The recorder's epoch lines made in a worker thread (src/runs/epoch-lines-thread.ts): their
 * digests are the model's weightsDigest and layerDigests (our SHA-256, the specification), their
 * metric bits are the float32 bits, they come back in order, and when the worker's module is
 * missing, answers without lines, or stops answering, the recording thread makes them itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { EpochLineThread } from '../src/runs/epoch-lines-thread.js';
import type { EpochEntry } from '../src/runs/epoch-lines.js';
import { BytePool } from '../src/util/bytes.js';

type Line = { fit: number; epoch: number; logs: Record<string, number | string>; logBits: Record<string, string>; digest: string; layers?: Record<string, string> };

/** Epochs of two models (two layouts), their weights changed between epochs, and what each line must say. */
function epochs(): { entries: EpochEntry[]; expected: Line[] } {
  vb.setRandomSeed(7);
  const pool = new BytePool({ shared: true });
  const entries: EpochEntry[] = [];
  const expected: Line[] = [];
  const models = [
    vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [2], name: 'first' }), vb.layers.dense({ units: 1, name: 'second' })] }),
    vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [4], useBias: false, name: 'only' })] }),
  ];
  for (let epoch = 0; epoch < 6; epoch++) {
    const model = models[epoch % 2]!;
    for (const w of model.weights) w.assign(vb.add(w, vb.scalar(0.25 * epoch + 0.5)));
    const snapshot = model.weightSnapshot((bytes) => pool.take(bytes))!;
    const logs = { loss: epoch === 3 ? NaN : 1 / (epoch + 3), acc: epoch === 4 ? -Infinity : epoch / 7 };
    const layerDigests = epoch % 3 === 0;
    // The snapshot's layout itself: linesThrough gives it its id, as the recorder does.
    entries.push({ fit: epoch % 2, epoch, logs, layout: snapshot.layout as never, values: snapshot.values, layerDigests });
    expected.push({
      fit: epoch % 2, epoch, logs: { loss: epoch === 3 ? 'NaN' : 1 / (epoch + 3), acc: epoch === 4 ? '-Infinity' : epoch / 7 }, logBits: {},
      digest: model.weightsDigest(), ...(layerDigests ? { layers: model.layerDigests() } : {}),
    });
  }
  // A model too large to copy: its digests come computed.
  entries.push({ fit: 2, epoch: 0, logs: { loss: 2 }, digest: 'f'.repeat(64), layers: { big: 'e'.repeat(64) } });
  expected.push({ fit: 2, epoch: 0, logs: { loss: 2 }, logBits: {}, digest: 'f'.repeat(64), layers: { big: 'e'.repeat(64) } });
  return { entries, expected };
}

/** Sends the entries in two requests (layout ids taken as the recorder takes them) and parses every line. */
function linesThrough(thread: EpochLineThread, entries: EpochEntry[]): Line[] {
  const withIds = entries.map((e) => ('layout' in e ? { ...e, layout: thread.layoutId(e.layout as never) } : e));
  thread.submit(withIds.slice(0, 3));
  thread.submit(withIds.slice(3));
  const text = thread.take(true);
  assert.equal(thread.pending, false);
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
}

function check(lines: Line[], expected: Line[]): void {
  assert.equal(lines.length, expected.length);
  for (const [i, line] of lines.entries()) {
    const want = expected[i]!;
    assert.deepEqual({ fit: line.fit, epoch: line.epoch, logs: line.logs, digest: line.digest, layers: line.layers }, { fit: want.fit, epoch: want.epoch, logs: want.logs, digest: want.digest, layers: want.layers }, `line ${i}`);
  }
  // Hand-computed float32 bits: 1/3, 0, 1/4, 1/7, NaN (the canonical one), -Infinity, 2.
  assert.deepEqual(lines[0]!.logBits, { loss: '3eaaaaab', acc: '00000000' });
  assert.deepEqual(lines[1]!.logBits, { loss: '3e800000', acc: '3e124925' });
  assert.equal(lines[3]!.logBits.loss, '7fc00000');
  assert.equal(lines[4]!.logBits.acc, 'ff800000');
  assert.deepEqual(lines[6]!.logBits, { loss: '40000000' });
}

/** A worker module given as source: it answers every request with what `reply` gives, or never. */
function workerFrom(reply: 'empty' | 'never'): URL {
  const body = reply === 'never'
    ? `import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => {});`
    : `import { parentPort, workerData } from 'node:worker_threads';
       parentPort.on('message', () => { workerData.replies.postMessage({}); Atomics.add(workerData.answered, 0, 1); Atomics.notify(workerData.answered, 0); });`;
  return new URL(`data:text/javascript,${encodeURIComponent(body)}`);
}

describe('epoch lines made in a worker thread', () => {
  it('digests are weightsDigest and layerDigests, metrics their float32 bits, in order', () => {
    const { entries, expected } = epochs();
    const thread = new EpochLineThread();
    thread.start();
    try {
      check(linesThrough(thread, entries), expected);
      assert.equal(thread.working, true, 'the worker made them');
    } finally {
      thread.close();
    }
  });

  it('made in the recording thread when the worker module is missing, answers without lines, or never answers', () => {
    const { entries, expected } = epochs();
    // The worker that answers without lines is kept (each answer's lines made here); the others are given up.
    for (const [options, kept] of [[{ workerUrl: new URL('file:///nonexistent/epoch-lines-worker.js') }, false], [{ workerUrl: workerFrom('empty') }, true], [{ workerUrl: workerFrom('never'), giveUpMs: 300 }, false]] as const) {
      const thread = new EpochLineThread(options);
      thread.start();
      try {
        const started = performance.now();
        check(linesThrough(thread, entries), expected);
        if ('giveUpMs' in options) assert.ok(performance.now() - started >= 300, 'waited for the silent worker before giving it up');
        assert.equal(thread.working, kept);
        // Given up once: later epochs are made at once.
        const again = performance.now();
        thread.submit([{ fit: 0, epoch: 9, logs: {}, digest: 'a'.repeat(64), layers: {} }]);
        assert.match(thread.take(true), /"epoch":9/);
        assert.ok(performance.now() - again < 250);
      } finally {
        thread.close();
      }
    }
  });

  it('a flush that need not be complete does not wait for lines being made', () => {
    const thread = new EpochLineThread({ workerUrl: workerFrom('never'), giveUpMs: 200 });
    thread.start();
    try {
      thread.submit([{ fit: 0, epoch: 1, logs: { loss: 1 }, digest: 'a'.repeat(64), layers: {} }]);
      const started = performance.now();
      assert.equal(thread.take(false), '');
      assert.ok(performance.now() - started < 50);
      assert.equal(thread.pending, true);
      assert.match(thread.take(true), /"epoch":1/);
    } finally {
      thread.close();
    }
  });
});
