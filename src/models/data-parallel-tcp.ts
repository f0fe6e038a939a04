/**
 * Data-parallel workers in other processes, on this machine or others: fit listens on a TCP port
 * and each worker process (src/models/data-parallel-process.ts) connects to it; setup, weights,
 * micro-batches and results travel as length-prefixed frames with their float32 bytes
 * (src/models/data-parallel-wire.ts). With spawn (the default), fit starts the worker processes
 * itself and stops them when it ends. docs/cluster.md, "Data-parallel training", has the design.
 */
import { invalid } from '../errors.js';
import { optionalBuiltin } from '../runs/node.js';
import { registerProcessGroup, Requests, workerEnvironment, workerGroup, type Reply } from './data-parallel.js';
import type { ProcessOptions } from './fit-options.js';
import { assertLittleEndian, decodeFrame, encodeFrame, FrameReader } from './data-parallel-wire.js';

type Socket = import('node:net').Socket;
type Child = import('node:child_process').ChildProcess;

registerProcessGroup(async (size, setup, context, options: ProcessOptions) => {
  const net = optionalBuiltin<typeof import('node:net')>('node:net');
  const childProcess = optionalBuiltin<typeof import('node:child_process')>('node:child_process');
  const url = optionalBuiltin<typeof import('node:url')>('node:url');
  if (!net || !childProcess || !url) throw invalid(context, 'Expected Node (node:net, node:child_process) for dataParallel.processes', { processes: JSON.stringify(options) });
  assertLittleEndian(context);
  const host = options.host ?? '127.0.0.1';
  const spawn = options.spawn ?? true;
  const timeout = options.connectTimeout ?? 60;
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(invalid(context, `Expected to listen on ${host}:${options.port ?? 0} for data-parallel workers`, { error: error.message })));
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as import('node:net').AddressInfo).port;
  const script = url.fileURLToPath(new URL('./data-parallel-process.js', import.meta.url));
  const children: Child[] = spawn
    ? Array.from({ length: size }, () => childProcess.spawn(process.execPath, [script, `${host}:${port}`], { stdio: ['ignore', 'inherit', 'inherit'], env: workerEnvironment() }))
    : [];
  if (!spawn) console.error(`${context}: dataParallel: waiting for ${size} worker processes: node <verbatim>/dist/src/models/data-parallel-process.js <this host>:${port}`);

  const sockets: Socket[] = [];
  const stop = async () => {
    server.close();
    for (const socket of sockets) socket.end();
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      // A worker leaves when its connection closes; one that does not within 5 s is stopped.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (!sockets.length) child.kill('SIGTERM');
    })));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(invalid(context, `Expected ${size} data-parallel worker processes to connect to ${host}:${port} within ${timeout} s`, { connected: sockets.length })), timeout * 1000);
      const failed = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      for (const child of children) {
        child.once('exit', (code, signal) => {
          if (sockets.length < size) failed(invalid(context, 'Expected the data-parallel worker processes to start and connect', { exit: code ?? signal }));
        });
        child.once('error', (error) => failed(invalid(context, 'Expected to start data-parallel worker processes', { error: error.message })));
      }
      server.on('connection', (socket) => {
        sockets.push(socket);
        if (sockets.length === size) {
          clearTimeout(timer);
          server.close();
          resolve();
        }
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const channels = sockets.map((socket) => {
    socket.setNoDelay(true);
    const channel = new Requests((message) => socket.write(encodeFrame(message)), context);
    // A peer is input: a frame that does not decode fails the fit with the reason, never the process.
    const reader = new FrameReader((body) => {
      let reply: Reply;
      try {
        reply = decodeFrame(body) as Reply;
      } catch (error) {
        socket.destroy();
        channel.fail(`a worker process sent a malformed frame (${(error as Error).message})`);
        return;
      }
      channel.reply(reply);
    });
    socket.on('data', (chunk: Buffer) => reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    socket.on('error', (error) => channel.fail(`a worker process's connection failed (${error.message})`));
    socket.on('close', () => channel.fail('a worker process closed its connection'));
    return channel;
  });
  return workerGroup(channels, setup, stop, context);
});
