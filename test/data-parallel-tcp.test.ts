/**
 * Data-parallel workers in separate processes over TCP on loopback: 2 and 3 processes give the
 * 1-worker digests epoch by epoch; workers started by hand connect to the given port; a worker
 * killed mid-fit, or workers that never come, are errors rather than hangs; frames carry the
 * float32 bytes exactly, whatever the chunking.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { it } from 'node:test';
import * as vb from 'verbatim';
import { replicaServer } from '../src/models/data-parallel-replica.js';
import { decodeFrame, encodeFrame, FrameReader, HELLO_MAGIC, PROTOCOL } from '../src/models/data-parallel-wire.js';
import { forEachBackend } from './helpers/backends.js';
import { REPO_ROOT, freePort } from './helpers/process.js';

const WORKER_SCRIPT = `${REPO_ROOT}dist/src/models/data-parallel-process.js`;

function makeModel(): vb.LayersModel {
  vb.setRandomSeed(3);
  const m = vb.sequential({
    name: 'tcp',
    layers: [
      vb.layers.dense({ units: 8, activation: 'relu', inputShape: [6] }),
      vb.layers.dropout({ rate: 0.3 }),
      vb.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

function data() {
  const rng = vb.random.generator(1);
  const x = rng.normal([40, 6]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
  return { x, y };
}

async function train(dataParallel: vb.FitArgs['dataParallel'], onEpoch?: (epoch: number) => void) {
  const m = makeModel();
  const { x, y } = data();
  const epochDigests: string[] = [];
  try {
    const history = await m.fit(x, y, {
      epochs: 3, batchSize: 16, verbose: 0, dataParallel,
      callbacks: { onEpochEnd: async (epoch: number) => { epochDigests.push(m.weightsDigest()); onEpoch?.(epoch); } },
    });
    return { epochDigests, history: history.history };
  } finally {
    m.dispose();
    x.dispose();
    y.dispose();
  }
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
  else child.once('exit', (code) => resolve(code));
});

forEachBackend('data-parallel worker processes over TCP', () => {
  it('2 and 3 worker processes give the 1-worker digests, epoch by epoch, and the same history', async () => {
    const one = await train({ workers: 1, microBatch: 3 });
    for (const workers of [2, 3]) {
      const outcome = await train({ workers, microBatch: 3, processes: { host: '127.0.0.1' } });
      assert.deepEqual(outcome.epochDigests, one.epochDigests, `${workers} processes`);
      assert.deepEqual(outcome.history, one.history);
    }
  });
});

it('workers started by hand connect to the port; killing one mid-fit fails the fit with the reason', async () => {
  const port = await freePort();
  // Started before fit listens: they try to connect again until it does.
  const workers = [0, 1].map(() => spawn(process.execPath, [WORKER_SCRIPT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] }));
  try {
    const processes = { port, spawn: false, connectTimeout: 30 };
    await assert.rejects(train({ workers: 2, microBatch: 3, processes }, (epoch) => {
      if (epoch === 0) workers[1]!.kill('SIGKILL');
    }), /fit: Expected the data-parallel workers to keep running\. Received: worker="worker process 127\.0\.0\.1:\d+", error="?a worker process('s connection failed \(read ECONNRESET\)| closed its connection)/);
    // The fit closed the survivor's connection: it exits by itself.
    assert.equal(await exited(workers[0]!), 0);
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  }
});

it('a peer that sends a malformed frame fails the fit with the reason, never the process', async () => {
  const port = await freePort();
  const { connect } = await import('node:net');
  // Resolves when the fit drops the connection; rejects while nothing listens yet.
  const hostile = () => new Promise<void>((resolve, reject) => {
    let connected = false;
    const socket = connect(port, '127.0.0.1', () => {
      connected = true;
      // A worker's hello: it counts as a worker, and the fit sends it the setup.
      socket.write(encodeFrame({ kind: 'hello', magic: HELLO_MAGIC, protocol: PROTOCOL, version: vb.version.verbatim }));
    });
    // Answers the fit's setup message with a frame that does not decode.
    socket.once('data', () => {
      const body = new TextEncoder().encode('{"type":"__proto__","x":');
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, body.length, true);
      socket.write(header);
      socket.write(body);
    });
    socket.on('error', (error) => (connected ? resolve() : reject(error)));
    socket.on('close', () => (connected ? resolve() : reject(new Error('refused'))));
  });
  const attack = (async () => {
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        await hostile();
        return;
      } catch {
        // Not listening yet.
      }
    }
  })();
  await assert.rejects(train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 10 } }), /^ValueError: fit: .*a worker process sent a malformed frame/);
  await attack;
});

it('workers that never connect are an error naming the address, after connectTimeout', async () => {
  const port = await freePort();
  const started = Date.now();
  await assert.rejects(train({ workers: 2, microBatch: 3, processes: { port, spawn: false, connectTimeout: 0.5 } }),
    new RegExp(`fit: Expected 2 data-parallel worker processes to connect to 127\\.0\\.0\\.1:${port} within 0\\.5 s\\. Received: connected=0`));
  assert.ok(Date.now() - started < 10_000);
});

it('bad processes options are errors naming them', async () => {
  const fit = (processes: unknown) => train({ workers: 2, microBatch: 3, processes: processes as { port: number } });
  await assert.rejects(fit({ port: 70000 }), /Expected dataParallel.processes.port to be an integer in \[0, 65535\]\. Received: dataParallel.processes.port=70000/);
  await assert.rejects(fit({ hosts: 'a' }), /Expected dataParallel.processes options among host, port, spawn, connectTimeout/);
  await assert.rejects(fit({ spawn: 'no' }), /Expected dataParallel.processes.spawn to be a boolean/);
  await assert.rejects(fit({ connectTimeout: 0 }), /Expected dataParallel.processes.connectTimeout to be a positive number of seconds/);
  await assert.rejects(train({ workers: 2, microBatch: 3, inProcess: true, processes: {} }), /Expected dataParallel.processes or dataParallel.inProcess, not both/);
});

it('a worker of another verbatim version refuses the setup, naming both versions', async () => {
  const serve = replicaServer(() => assert.fail("no workerModule in this setup"));
  const { reply } = await serve({ kind: 'setup', setup: { version: '0.0.0-other' } });
  assert.match(reply.error ?? '', /dataParallel worker: Expected the fit's verbatim version 0\.0\.0-other in the worker\. Received: worker="\d/);
  assert.match((await serve({ kind: 'step', step: {} })).reply.error ?? '', /unexpected message step before setup/);
});

it('frames carry typed arrays bit for bit (NaN payloads, -0, subnormals), bigints and buffers, split anywhere', () => {
  const weights = new Float32Array([1.5, -0, Number.NaN, 1e-45, 3.4028234663852886e38]);
  new Uint32Array(weights.buffer)[2] = 0x7fc00123; // a NaN with a payload
  const message = { kind: 'step', seed: 2n ** 40n, nested: [{ weights, ids: new Int32Array([-1, 7]) }], buffer: new Uint8Array([9, 8, 7]).buffer, text: 'é' };
  const frame = encodeFrame(message);
  for (const cut of [1, 3, 4, 5, 17, frame.byteLength - 1]) {
    const bodies: Uint8Array[] = [];
    const reader = new FrameReader((body) => bodies.push(body.slice()));
    reader.push(frame.subarray(0, cut));
    reader.push(frame.subarray(cut));
    reader.push(frame);
    assert.equal(bodies.length, 2, `cut at ${cut}`);
    for (const body of bodies) {
      const decoded = decodeFrame(body) as typeof message;
      assert.deepEqual(new Uint32Array(decoded.nested[0]!.weights.buffer), new Uint32Array(weights.buffer));
      assert.ok(decoded.nested[0]!.weights instanceof Float32Array);
      assert.deepEqual(decoded.nested[0]!.ids, new Int32Array([-1, 7]));
      assert.equal(decoded.seed, 2n ** 40n);
      assert.deepEqual(new Uint8Array(decoded.buffer), new Uint8Array([9, 8, 7]));
      assert.equal(decoded.text, 'é');
    }
  }
});
