/** Peers of a data-parallel fit's port in tests: connections, fake workers' frames, worker processes. */
import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import * as vb from 'verbatim';
import { decodeFrame, FrameReader, HELLO_MAGIC, PROTOCOL } from '../../src/models/data-parallel-wire.js';
import { REPO_ROOT } from './process.js';

export const WORKER_SCRIPT = `${REPO_ROOT}dist/src/models/data-parallel-process.js`;
export const HELLO = { kind: 'hello', magic: HELLO_MAGIC, protocol: PROTOCOL, version: vb.version.verbatim };

/** A connection to the fit's port, once it listens. */
export async function connectWhenListening(port: number): Promise<Socket> {
  for (let i = 0; i < 200; i++) {
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', () => resolve(undefined));
    });
    if (socket) return socket;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Resolves when the fit has closed the connection (what it sent is read and dropped: 'close' comes after the data). */
export const closed = (socket: Socket) => new Promise<void>((resolve) => {
  if (socket.destroyed) resolve();
  socket.on('error', () => undefined);
  socket.resume();
  socket.once('close', () => resolve());
});

export const exited = (child: ChildProcess) => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve();
  else child.once('exit', () => resolve());
});

/** Frames the fit sends to a fake worker, one at a time. */
export function frames(socket: Socket): () => Promise<unknown> {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  const reader = new FrameReader((body) => {
    queue.push(decodeFrame(body));
    wake?.();
  });
  socket.on('data', (chunk: Buffer) => reader.push(new Uint8Array(chunk)));
  return async () => {
    while (queue.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
    return queue.shift();
  };
}

/** A small fit over TCP (or in-process) returning its weights' digest, as source: tests run it in child processes too. */
export const TRAIN = `
async function train(dataParallel, onEpoch) {
  vb.setRandomSeed(3);
  const m = vb.sequential({ name: 'small', layers: [vb.layers.dense({ units: 4, activation: 'relu', inputShape: [6] }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  const x = vb.random.generator(1).normal([40, 6]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
  try {
    await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, dataParallel, callbacks: { onEpochEnd: async (epoch) => onEpoch?.(epoch) } });
    return m.weightsDigest();
  } finally {
    m.dispose();
    vb.dispose([x, y]);
  }
}`;
// The same function here (the source above is the single definition).
export const train = new Function('vb', `${TRAIN}; return train;`)(vb) as (dataParallel: vb.FitArgs['dataParallel'], onEpoch?: (epoch: number) => unknown) => Promise<string>;
