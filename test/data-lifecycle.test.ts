import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';

/** The unhandled rejections fn causes (including a turn of the event loop after it ends). */
async function unhandledRejections(fn: () => Promise<unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (reason: unknown) => { seen.push(reason); };
  process.on('unhandledRejection', record);
  try {
    await fn();
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', record);
  }
  return seen;
}

/** Live tensors (those an earlier test dropped may be collected meanwhile: live -> leaked, so both). */
const tensorCount = () => { const m = vb.memory(); return m.numTensors + m.numLeaked; };

describe('datasets stopped early or failing', () => {
  it('an element prefetch read ahead that fails is not an unhandled rejection when the consumer stops first', async () => {
    const failsSecond = vb.data.generator(function* g() {
      yield 1;
      throw new Error('the second element fails');
    });
    let taken: number[] = [];
    const rejections = await unhandledRejections(async () => { taken = await failsSecond.prefetch(4).take(1).toArray(); });
    assert.deepEqual(taken, [1]);
    assert.deepEqual(rejections, []);
    await assert.rejects(failsSecond.prefetch(4).toArray(), /the second element fails/, 'a consumer that reaches it still gets the error');
  });

  it('a consumer that stops is not held up by an element prefetch asked for that never arrives (a stalled download)', async () => {
    const stalls = vb.data.generator(async function* g() {
      yield 1;
      await new Promise(() => undefined);
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const heldUp = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('take(1) is still waiting for the stalled element')), 2000); });
    try {
      assert.deepEqual(await Promise.race([stalls.prefetch(3).take(1).toArray(), heldUp]), [1]);
    } finally {
      clearTimeout(timer);
    }
  });

  it('a download prefetch asked ahead for, stalled, is closed when the consumer stops (its socket no longer keeps the process alive)', async () => {
    // A server on 127.0.0.1 that sends a header and one row, then neither more nor the end.
    const sockets: Socket[] = [];
    const server = createServer((request, response) => {
      sockets.push(request.socket);
      response.writeHead(200, { 'content-type': 'text/csv' });
      response.write('a,b\n1,2\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/rows.csv`;
    try {
      const pipelines: [string, () => vb.data.Dataset<unknown>][] = [
        ['csv(url).prefetch(2)', () => vb.data.csv(url).prefetch(2)],
        ['a Request, mapped, under prefetch', () => vb.data.csv(new Request(url)).map((row) => row).prefetch(3)],
        ['zip of it under prefetch', () => vb.data.zip({ rows: vb.data.csv(url) as vb.data.Dataset }).prefetch(2)],
      ];
      for (const [i, [name, make]] of pipelines.entries()) {
        assert.equal((await make().take(1).toArray()).length, 1, name);
        assert.equal(sockets.length, i + 1, `${name}: a download of its own`);
        const socket = sockets[i]!;
        const closed = await Promise.race([
          new Promise((resolve) => { if (socket.destroyed) resolve(true); else socket.once('close', () => resolve(true)); }),
          new Promise((resolve) => { setTimeout(resolve, 2000, false); }),
        ]);
        assert.ok(closed, `${name}: the download is closed once take(1) has its row`);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a long pass of downloads under prefetch leaves nothing behind per download (no abort listener piled up per download, no record per Request)', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/csv' });
      response.end('a,b\n1,2\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/row.csv`;
    const warnings: string[] = [];
    const record = (warning: Error) => { warnings.push(`${warning.name}: ${warning.message}`); };
    process.on('warning', record);
    try {
      // zip hands its pass's stop signal to each of its datasets: this one keeps it, to count its listeners.
      let stop: AbortSignal | undefined;
      const keepsStop = new vb.data.Dataset(async function* keeps(_pass: readonly number[], signal: AbortSignal | undefined) {
        stop = signal;
        for (;;) yield 0;
      }, Infinity);
      // One row per download: a pass of 300 downloads, as a long training over csv(url).repeat() reads.
      // fetch leaves a listener on the signal it is given until a garbage collection: given the pass's
      // signal, thousands of them in a long training, and MaxListenersExceededWarning.
      let downloads = 0;
      let listeners = 0;
      for await (const _row of vb.data.zip({ row: vb.data.csv(url).repeat() as vb.data.Dataset, keepsStop }).prefetch(2)) {
        if (++downloads < 300) continue;
        listeners = getEventListeners(stop!, 'abort').length;
        break;
      }
      assert.ok(listeners <= 1, `abort listeners on the pass's signal after 300 downloads: ${listeners}`);
      // Node 20 keeps a record of every signal AbortSignal.any makes from the Request's signal for as
      // long as the Request lives (where Node has that record, it must stay empty).
      const request = new Request(url);
      assert.equal((await vb.data.csv(request).repeat().prefetch(2).take(50).toArray()).length, 50);
      const signal = request.signal as AbortSignal & Record<symbol, Set<unknown> | undefined>;
      const dependants = Object.getOwnPropertySymbols(signal).find((s) => s.description === 'kDependantSignals');
      if (dependants) assert.equal(signal[dependants]?.size ?? 0, 0, 'signals made from the Request\'s signal');
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', record);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a pipeline stopped early or failing frees the elements its stages hold and closes the user\'s generator', async () => {
    const rows = vb.tensor(Array.from({ length: 12 }, (_, i) => [i, -i]));
    const slices = () => vb.data.fromTensorSlices(rows);
    const pipelines: [string, () => Promise<unknown>][] = [
      ['shuffle then take', () => slices().shuffle(8, { seed: 1 }).take(2).toArray()],
      ['prefetch then take', () => slices().prefetch(5).take(1).toArray()],
      ['zip ending with its shortest', () => vb.data.zip([slices().shuffle(6, { seed: 2 }), slices().take(3)]).toArray()],
      ['a map that throws, under toArray', () => slices().map((row, { index }) => { if (index === 2) throw new Error('map fails'); return vb.neg(row as vb.Tensor); }).toArray().catch(() => [])],
      ['a batch that fails to stack', () => vb.data.zip([slices(), vb.data.array(['a', 'b', 'c', 'd'])]).batch(4).toArray().catch(() => [])],
      ['a break out of for await', async () => { for await (const row of slices().shuffle(10, { seed: 3 })) { vb.dispose(row as vb.Tensor); break; } }],
    ];
    for (const [name, run] of pipelines) {
      const before = tensorCount();
      vb.dispose(await run() as vb.Tensor[]);
      await new Promise((resolve) => setTimeout(resolve, 0)); // prefetch frees what it read ahead as it arrives
      assert.equal(tensorCount(), before, `${name}: every element read is freed`);
    }
    let closed = false;
    const endless = vb.data.generator(function* g() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    });
    assert.deepEqual(await endless.shuffle(4, { seed: 1 }).take(3).toArray().then((a) => a.length), 3);
    assert.ok(closed, 'the generator ran its finally block');
    rows.dispose();
  });

  it('filter frees the tensors its predicate makes (a tidy, as tf.data) and checks that it is a function', async () => {
    const rows = vb.tensor([[1, 2], [3, 4], [5, 6]]);
    const before = tensorCount();
    const kept = await vb.data.fromTensorSlices(rows).filter((row) => vb.sum(row as vb.Tensor).dataSync()[0]! > 4).toArray();
    assert.deepEqual(kept.map((t) => (t as vb.Tensor).arraySync()), [[3, 4], [5, 6]]);
    vb.dispose(kept as vb.Tensor[]);
    assert.equal(tensorCount(), before);
    rows.dispose();
    assert.throws(() => vb.data.array([1]).filter(true as never), /Dataset\.filter: Expected predicate to be a function\. Received: predicate=true/);
  });
});
