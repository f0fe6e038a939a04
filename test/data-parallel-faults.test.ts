/**
 * Data-parallel faults: a worker that stops answering (a real worker process SIGSTOPped mid-fit,
 * a peer that says hello and then nothing, a worker thread stuck in a loop) fails the fit within
 * dataParallel.timeout naming the worker and the request, and leaves no socket, thread or
 * process behind; a worker thread that cannot be started, or fails while loading its
 * workerModule, fails the fit naming it and leaves no thread running; peers that are not workers (garbage, a 4 GB length prefix, another message or
 * version first) are refused and never counted, while fit keeps waiting for the real workers;
 * a worker's oversized or ill-shaped reply fails the fit with the reason.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { decodeFrame, encodeFrame, FrameReader, FrameTooLarge } from '../src/models/data-parallel-wire.js';
import { closed, connectWhenListening, exited, frames, HELLO, train, WORKER_SCRIPT } from './helpers/peers.js';
import type { WorkerSetup } from '../src/models/data-parallel.js';
import { freePort, runNode } from './helpers/process.js';

/** The sockets and child processes this process holds (active handles by kind). */
function handles(): { sockets: number; children: string } {
  const sockets = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)], { encoding: 'utf8' }).split('\n').map((l) => l.trim()).filter((l) => l && l !== 'ps');
  return { sockets, children: children.filter((pid) => { try { return !execFileSync('ps', ['-o', 'comm=', '-p', pid], { encoding: 'utf8' }).includes('ps'); } catch { return false; } }).join(',') };
}

it('a worker process SIGSTOPped mid-fit fails the fit within the timeout, naming it and the step; the other exits, nothing is left open', { timeout: 60_000 }, async () => {
  const before = handles();
  const port = await freePort();
  const workers = [0, 1].map(() => spawn(process.execPath, [WORKER_SCRIPT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] }));
  try {
    let stoppedAt = 0;
    await assert.rejects(train({ workers: 2, microBatch: 3, timeout: 1, processes: { port, spawn: false, connectTimeout: 30 } }, (epoch) => {
      if (epoch === 0) {
        workers[1]!.kill('SIGSTOP');
        stoppedAt = performance.now();
      }
    }), /^ValueError: fit: Expected data-parallel worker process 127\.0\.0\.1:\d+ to answer step 3 within dataParallel\.timeout\. Received: timeout=1, worker="worker process 127\.0\.0\.1:\d+", request="step 3"$/);
    const waited = (performance.now() - stoppedAt) / 1000;
    assert.ok(waited >= 1 && waited < 5, `failed after ${waited} s`);
    // The survivor's connection was closed: it exits by itself.
    await exited(workers[0]!);
    assert.equal(workers[0]!.exitCode, 0);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map(exited));
  }
  assert.deepEqual(handles(), before);
});

it('a worker process fit started, SIGSTOPped mid-fit: the fit fails within the timeout and stops every process it started', { timeout: 60_000 }, async () => {
  const before = handles();
  await assert.rejects(train({ workers: 2, microBatch: 3, timeout: 1, processes: {} }, (epoch) => {
    if (epoch !== 0) return;
    const pids = handles().children.split(',').filter((pid) => !before.children.split(',').includes(pid));
    assert.equal(pids.length, 2);
    process.kill(Number(pids[0]), 'SIGSTOP');
  }), /fit: Expected data-parallel worker process 127\.0\.0\.1:\d+ to answer step 3 within dataParallel\.timeout/);
  assert.deepEqual(handles(), before);
});

it('a peer that says hello and then nothing fails the fit at its setup, after the timeout', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const silent = connectWhenListening(port).then((socket) => {
    socket.write(encodeFrame(HELLO));
    return socket;
  });
  await assert.rejects(train({ workers: 1, microBatch: 3, timeout: 0.5, processes: { port, spawn: false, connectTimeout: 30 } }),
    /fit: Expected data-parallel worker process 127\.0\.0\.1:\d+ to answer setup within dataParallel\.timeout\. Received: timeout=0\.5, worker="worker process 127\.0\.0\.1:\d+", request="setup"/);
  // The fit cut it off.
  await closed(await silent);
});

it('a worker thread that never answers (stuck in its workerModule) fails the fit after the timeout; the threads are terminated', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vb-dp-'));
  try {
    const module = join(dir, 'stuck.mjs');
    writeFileSync(module, 'for (;;) {}\n');
    const started = performance.now();
    await assert.rejects(train({ workers: 2, microBatch: 3, timeout: 1, workerModule: module }),
      /fit: Expected data-parallel worker thread [12] of 2 to answer setup within dataParallel\.timeout\. Received: timeout=1/);
    assert.ok((performance.now() - started) / 1000 < 10);
    // The process's event loop holds no worker: a fit after it trains normally.
    await train({ workers: 2, microBatch: 3 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a worker thread that cannot be started (the 3rd of 4 new Worker throws) fails naming it; the 2 started are terminated', { timeout: 60_000 }, async () => {
  const { Worker } = await import('node:worker_threads');
  const { threadGroup } = await import('../src/models/data-parallel-threads.js');
  const exits: Promise<void>[] = [];
  // Stands for a thread the system cannot create (out of memory or threads): no real limit fails only the 3rd.
  const startThread = (url: URL, options: import('node:worker_threads').WorkerOptions) => {
    if (exits.length === 2) throw new Error('ERR_WORKER_INIT_FAILED: resource temporarily unavailable');
    const worker = new Worker(url, options);
    exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
    return worker;
  };
  const start = { size: 4, setup: {} as WorkerSetup, context: 'fit', timeout: 60, outputRowBytes: undefined };
  await assert.rejects(threadGroup(start, startThread),
    /^ValueError: fit: Expected to start data-parallel worker thread 3 of 4\. Received: error="ERR_WORKER_INIT_FAILED: resource temporarily unavailable"$/);
  let running = true;
  const stopped = Promise.all(exits).then(() => { running = false; });
  await Promise.race([stopped, new Promise((r) => setTimeout(r, 5000))]);
  assert.equal(running, false, 'the 2 started threads are still running');
});

it('a worker thread whose workerModule throws at load (the 3rd to load) fails the fit naming it; the process then exits by itself', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vb-dp-'));
  try {
    const module = join(dir, 'third-fails.mjs');
    // Each loading thread takes the first free slot (mkdir is atomic): the third to load throws.
    writeFileSync(module, `import { mkdirSync } from 'node:fs';
let slot = 0;
for (;; slot++) { try { mkdirSync(new URL('./slot-' + slot, import.meta.url)); break; } catch {} }
if (slot === 2) throw new Error('the third thread to load this module fails');
`);
    const child = runNode(`import * as vb from 'verbatim';
      vb.setRandomSeed(3);
      const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [6] })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      try {
        await m.fit(vb.zeros([16, 6]), vb.zeros([16, 1]), { verbose: 0, dataParallel: { workers: 4, microBatch: 3, workerModule: ${JSON.stringify(module)} } });
        console.log('trained');
      } catch (error) {
        console.log(error.message);
      }`, {}, 30_000);
    // Not killed by the timeout: no thread was left running.
    assert.equal(child.signal, null, 'the process did not exit by itself');
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /^fit: Expected each data-parallel worker to rebuild the model .*Received: error="the third thread to load this module fails", worker="worker thread [1-4] of 4"\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('peers that are not workers are refused and not counted; fit waits for the real worker and trains as in-process', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    const fit = train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 30 } });
    const length = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n, true);
      return b;
    };
    const attacks: [string, (s: Socket) => void][] = [
      ['text', (s) => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['4 GB length prefix', (s) => s.write(length(0xffffffff))],
      ['a frame that does not decode', (s) => s.write(new Uint8Array([...length(6), 200, 0, 0, 0, 1, 2]))],
      ['another message first', (s) => s.write(encodeFrame({ kind: 'step' }))],
      ['another version', (s) => s.write(encodeFrame({ ...HELLO, version: '0.0.0-other' }))],
      ['another protocol', (s) => s.write(encodeFrame({ ...HELLO, protocol: 99 }))],
    ];
    for (const [, attack] of attacks) {
      const socket = await connectWhenListening(port);
      attack(socket);
      await closed(socket);
    }
    // Connected, never says hello: not a worker, closed once the workers are complete (or at its hello deadline).
    const silent = await connectWhenListening(port);
    const worker = spawn(process.execPath, [WORKER_SCRIPT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      const digest = await fit;
      await closed(silent);
      assert.equal(digest, await train({ workers: 1, microBatch: 3, inProcess: true }));
    } finally {
      worker.kill('SIGKILL');
    }
    const refused = warnings.filter((w) => w.includes('refused a connection'));
    assert.equal(refused.length, attacks.length + 1, refused.join('\n'));
    assert.match(refused[0]!, /a frame of 542393671 bytes \(at most 4096 expected\)/);
    assert.match(refused[1]!, /a frame of 4294967295 bytes/);
    assert.match(refused[2]!, /its first frame does not decode/);
    assert.match(refused[3]!, /its first frame is not a data-parallel worker's hello/);
    assert.match(refused[4]!, /it runs verbatim 0\.0\.0-other, not /);
    assert.match(refused[5]!, /it speaks protocol 99, not 1/);
    // Refused when the worker completed the fit, or before if the worker took longer than the hello deadline to start.
    assert.match(refused[6]!, /the fit already has 1 worker$|no hello within 5 s$/);
  } finally {
    console.warn = warn;
  }
});

it('only hostile peers: the connect deadline fails the fit naming what was refused', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    const fit = assert.rejects(train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 2 } }),
      /fit: Expected 1 data-parallel worker processes to connect to 127\.0\.0\.1:\d+ within 2 s\. Received: connected=0, refused=\["127\.0\.0\.1:\d+: a frame of 4294967295 bytes \(at most 4096 expected\)"\], silent=1/);
    const hostile = await connectWhenListening(port);
    hostile.write(new Uint8Array([255, 255, 255, 255]));
    await closed(hostile);
    const silent = await connectWhenListening(port);
    await fit;
    await closed(silent);
  } finally {
    console.warn = warn;
  }
});

it('a flood of hostile connections: the first 10 are named, the rest counted', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    const fit = assert.rejects(train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 3 } }), (error: Error) => {
      assert.match(error.message, /Received: connected=0, refused=\[("127\.0\.0\.1:\d+: it runs verbatim 0\.0\.0-other, not [^"]+"(, )?){10}\], refusedInAll=25$/);
      return true;
    });
    for (let i = 0; i < 25; i++) {
      const socket = await connectWhenListening(port);
      socket.write(encodeFrame({ ...HELLO, version: '0.0.0-other' }));
      await closed(socket);
    }
    await fit;
    assert.equal(warnings.length, 10);
    assert.match(warnings[9]!, /\(later refusals are only counted\)$/);
  } finally {
    console.warn = warn;
  }
});

/** A fake worker: says hello, answers the setup, then answers the first step with `answer(step)`. */
async function fakeWorker(port: number, answer: (socket: Socket, step: { nodes: { index: number }[][] }) => void): Promise<Socket> {
  const socket = await connectWhenListening(port);
  const next = frames(socket);
  socket.write(encodeFrame(HELLO));
  await next();
  socket.write(encodeFrame({ value: true }));
  const { step } = (await next()) as { step: { nodes: { index: number }[][] } };
  answer(socket, step);
  return socket;
}

it('a worker reply longer than the step can need, or not shaped as its nodes\' sums, fails the fit with the reason', { timeout: 60_000 }, async () => {
  for (const [answer, expected] of [
    [(s: Socket) => s.write(new Uint8Array([0, 0, 0, 128])), /a worker process sent a frame of 2147483648 bytes \(at most \d+ expected\)/],
    [(s: Socket, step: { nodes: { index: number }[][] }) => s.write(encodeFrame({ value: step.nodes.map((tasks) => ({
      lo: tasks[0]!.index, hi: tasks.at(-1)!.index + 1, loss: 0.5, outputLosses: [], grads: [new Float32Array(3), null, null, null], predictions: [],
    })) })), /fit: Expected data-parallel worker 1's answer to step 0 to be its nodes' sums\. Received: problem="expected 4 gradients of the weights' sizes for micro-batches \[0, 6\)"/],
    [(s: Socket) => s.write(encodeFrame({ value: 'nonsense' })), /problem="expected 1 node sums"/],
    [(s: Socket) => s.write(encodeFrame(7)), /a worker process sent a reply that is neither \{value\} nor \{error\}/],
  ] as const) {
    const port = await freePort();
    const peer = fakeWorker(port, answer);
    await assert.rejects(train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 30 } }), expected);
    await closed(await peer);
  }
});

it('decodeFrame refuses bodies whose header or blobs do not fit, and FrameReader a prefix above its limit', () => {
  const body = (header: string, payload: number[] = [], headerBytes?: number) => {
    const h = new TextEncoder().encode(header);
    const b = new Uint8Array(4 + h.length + payload.length);
    new DataView(b.buffer).setUint32(0, headerBytes ?? h.length, true);
    b.set(h, 4);
    b.set(payload, 4 + h.length);
    return b;
  };
  assert.throws(() => decodeFrame(new Uint8Array(2)), /a frame of 2 bytes has no header length/);
  assert.throws(() => decodeFrame(body('{}', [], 100)), /a header of 100 bytes in a frame of 6/);
  assert.throws(() => decodeFrame(body('{"a":{"$blob":"Float32Array","offset":0,"bytes":8}}', [1, 2, 3, 4])), /a blob that does not fit the frame/);
  assert.throws(() => decodeFrame(body('{"a":{"$blob":"Float32Array","offset":0,"bytes":3}}', [1, 2, 3, 4])), /a blob that does not fit the frame/);
  assert.throws(() => decodeFrame(body('{"a":{"$blob":"constructor","offset":0,"bytes":0}}')), /a blob that does not fit the frame/);
  assert.throws(() => decodeFrame(body('{"a":{"$blob":"Uint8Array","offset":-1,"bytes":1}}', [1])), /a blob that does not fit the frame/);
  assert.deepEqual(decodeFrame(body('{"a":{"$blob":"Uint8Array","offset":1,"bytes":2}}', [1, 2, 3])), { a: new Uint8Array([2, 3]) });
  const reader = new FrameReader(() => assert.fail('no frame'), 16);
  assert.throws(() => reader.push(new Uint8Array([17, 0, 0, 0])), (error) => error instanceof FrameTooLarge && /a frame of 17 bytes \(at most 16 expected\)/.test(error.message));
});

it('a worker with no node of a step is not asked: one micro-batch per batch trains with a second worker that never answers steps', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const worker = spawn(process.execPath, [WORKER_SCRIPT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    // Says hello after the real worker (workers are numbered in hello order; the first gets the only node), answers the setup, then nothing.
    const idle = (async () => {
      const socket = await connectWhenListening(port);
      const next = frames(socket);
      await new Promise((r) => setTimeout(r, 3000));
      socket.write(encodeFrame(HELLO));
      await next();
      socket.write(encodeFrame({ value: true }));
      return socket;
    })();
    const digest = await train({ workers: 2, microBatch: 16, timeout: 2, processes: { port, spawn: false, connectTimeout: 30 } });
    assert.equal(digest, await train({ workers: 1, microBatch: 16, inProcess: true }));
    await closed(await idle);
  } finally {
    worker.kill('SIGKILL');
  }
});

it('Requests: a message that cannot be sent, or a reply nobody asked for, fails the worker; no timer outlives it', async () => {
  const { Requests } = await import('../src/models/data-parallel.js');
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  let abandoned = 0;
  const unsendable = new Requests(() => { throw new Error('could not be cloned'); }, 'fit', 'worker thread 1 of 1', 1000, () => abandoned++);
  await assert.rejects(unsendable.request({}, 'step 4'), /^ValueError: fit: Expected to send step 4 to data-parallel worker thread 1 of 1\. Received: error="could not be cloned"$/);
  assert.equal(timers(), before);
  assert.equal(abandoned, 1);
  // Later requests fail at once with the same reason.
  await assert.rejects(unsendable.request({}, 'step 5'), /Expected to send step 4/);

  const sent: unknown[] = [];
  const chatty = new Requests((m) => sent.push(m), 'fit', 'worker process 10.0.0.1:7', 1000, () => abandoned++);
  const pending = chatty.request({ n: 1 }, 'setup');
  chatty.reply({ value: 'ok' });
  assert.equal(await pending, 'ok');
  chatty.reply({ value: 'unasked' });
  await assert.rejects(chatty.request({}, 'step 0'), /fit: Expected the data-parallel workers to keep running\. Received: worker="worker process 10\.0\.0\.1:7", error="worker process 10\.0\.0\.1:7 answered a request that was never made"/);
  assert.equal(abandoned, 2);
  assert.equal(timers(), before);
});

it('a worker that stopped reading does not keep its connection open after the fit failed for another reason', { timeout: 60_000 }, async () => {
  const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
  const before = sockets();
  const port = await freePort();
  /** Says hello and answers the setup; then `onStep`. */
  const fake = async (onStep: (socket: Socket) => void) => {
    const socket = await connectWhenListening(port);
    const next = frames(socket);
    socket.write(encodeFrame(HELLO));
    await next();
    socket.write(encodeFrame({ value: true }));
    onStep(socket);
    return socket;
  };
  // One stops reading: the step's 36 MB of weights stay unsent in the fit's socket. The other fails the step.
  const stalled = fake((socket) => socket.pause());
  const failing = fake((socket) => frames(socket)().then(() => socket.write(encodeFrame({ error: 'boom' }))));
  vb.setRandomSeed(3);
  const m = vb.sequential({ layers: [vb.layers.dense({ units: 3000, inputShape: [6] }), vb.layers.dense({ units: 3000 }), vb.layers.dense({ units: 1 })] });
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const x = vb.zeros([16, 6]);
  const y = vb.zeros([16, 1]);
  try {
    await assert.rejects(m.fit(x, y, { batchSize: 16, verbose: 0, dataParallel: { workers: 2, microBatch: 8, processes: { port, spawn: false, connectTimeout: 30 } } }),
      /fit: Expected a data-parallel worker to compute its micro-batches\. Received: error="boom"/);
    (await failing).destroy();
    const stalledSocket = await stalled;
    // Left: the stalled peer's own end of the connection (in this process; gone too if the fit's
    // close reset it), nothing of the fit's.
    const peer = () => (stalledSocket.destroyed ? 0 : 1);
    for (let i = 0; i < 40 && sockets() > before + peer(); i++) await new Promise((r) => setTimeout(r, 100));
    // At most: a socket of an earlier test may have finished closing meanwhile (counted in `before`).
    assert.ok(sockets() <= before + peer(), `${sockets()} sockets open, ${before} before the test`);
    stalledSocket.destroy();
  } finally {
    m.dispose();
    vb.dispose([x, y]);
  }
});

it('a worker process the fit refuses exits 1 saying so (not 0, as after its work)', { timeout: 60_000 }, async () => {
  // A coordinator that reads the hello and closes: what a fit does to a worker of another version.
  const server = createServer((socket) => socket.once('data', () => socket.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    const worker = spawn(process.execPath, [WORKER_SCRIPT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    worker.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    await exited(worker);
    assert.equal(worker.exitCode, 1);
    assert.match(stderr, new RegExp(`data-parallel worker: the fit at 127\\.0\\.0\\.1:${port} closed the connection before sending any work \\(it refused this worker`));
  } finally {
    server.close();
  }
});

it('a reply that came while the coordinator was paused past the timeout is read, not blamed on the worker', async () => {
  const { MessageChannel } = await import('node:worker_threads');
  const { Requests } = await import('../src/models/data-parallel.js');
  const { port1, port2 } = new MessageChannel();
  let abandoned = false;
  const requests = new Requests((message) => port2.postMessage({ value: message }), 'fit', 'worker 1', 0.05, () => { abandoned = true; });
  port1.on('message', (reply) => requests.reply(reply));
  const answer = requests.request<string>('step 1', 'step 1');
  // The coordinator stops (a busy loop standing for SIGSTOP) for longer than the timeout; the answer arrives meanwhile.
  const until = performance.now() + 200;
  while (performance.now() < until) { /* paused */ }
  assert.equal(await answer, 'step 1');
  assert.equal(abandoned, false);
  // A worker that truly never answers still fails the request.
  const silent = new Requests(() => undefined, 'fit', 'worker 2', 0.05, () => { abandoned = true; });
  await assert.rejects(silent.request('step 2', 'step 2'), /Expected data-parallel worker 2 to answer step 2 within dataParallel.timeout/);
  assert.equal(abandoned, true);
  port1.close();
});

it('a callback that reseeds or freezes a layer during a data-parallel fit is refused in every transport', async () => {
  for (const transport of [{ inProcess: true }, {}] as const) {
    await assert.rejects(train({ workers: 2, microBatch: 3, ...transport }, (epoch) => {
      if (epoch === 0) vb.setRandomSeed(99);
    }), /Expected the random seed and the layers' trainable flags to stay as they were at the first step of a data-parallel fit \(change them between fits\)\. Received: seed="3 -> 99"/);
    let model: vb.LayersModel | undefined;
    vb.setRandomSeed(3);
    model = vb.sequential({ name: 'freeze', layers: [vb.layers.dense({ units: 4, inputShape: [6] }), vb.layers.batchNormalization(), vb.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = vb.random.generator(2).normal([24, 6]);
    const y = vb.ones([24, 1]);
    const bn = model.layers[1]!;
    await assert.rejects(model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, dataParallel: { workers: 2, microBatch: 4, ...transport }, callbacks: { onEpochEnd: () => { bn.trainable = false; } } }),
      /Received: trainable="dense:true,batch_normalization:false,dense_1:true"/);
    model.dispose();
    vb.dispose([x, y]);
  }
});
