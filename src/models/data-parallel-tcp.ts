/**
 * Data-parallel workers in other processes, on this machine or others: fit listens on a TCP port
 * and each worker process (src/models/data-parallel-process.ts) connects to it; setup, weights,
 * micro-batches and results travel as length-prefixed frames with their float32 bytes
 * (src/models/data-parallel-wire.ts). With spawn (the default), fit starts the worker processes
 * itself and stops them when it ends. docs/cluster.md, "Data-parallel training", has the design.
 *
 * Anything may connect to the port: a connection counts as a worker only once its first frame,
 * at most HELLO_LIMIT bytes, is a worker's hello of this protocol and verbatim version; any
 * other peer is refused and closed, and fit keeps waiting for real workers until connectTimeout.
 */
import { invalid } from '../errors.js';
import { optionalBuiltin } from '../util/node.js';
import { VERSION } from '../version.js';
import { registerProcessGroup, Requests, workerEnvironment, workerGroup, type Reply, type StepMessage } from './data-parallel.js';
import type { ProcessOptions } from './fit-options.js';
import { assertLittleEndian, decodeFrame, encodeFrame, FrameReader, HELLO_LIMIT, HELLO_MAGIC, PROTOCOL } from './data-parallel-wire.js';

type Socket = import('node:net').Socket;
type Child = import('node:child_process').ChildProcess;

/** Room for a reply's JSON header: per message, and per micro-batch (its predictions' shapes). */
const HEADER_ROOM = 65536;
const HEADER_ROOM_PER_MICRO_BATCH = 1024;
/** Refused connections named in the log and the connect-timeout error. */
const REFUSALS_KEPT = 10;

/**
 * The most bytes a worker's answer to `message` can need: a gradient of at most every weight per
 * node, and the predictions of its rows (`outputRowBytes` per row, when the output shapes are
 * known). A longer frame is refused before it is buffered.
 */
function replyLimit(message: { kind: string; step?: StepMessage }, outputRowBytes: number | undefined): number {
  const step = message.step;
  if (message.kind !== 'step' || !step) return HEADER_ROOM;
  const weightBytes = step.weights.reduce((sum, w) => sum + w.byteLength, 0);
  const tasks = step.nodes.flat();
  const rows = tasks.reduce((sum, t) => sum + (t.xs[0]?.shape[0] ?? 0), 0);
  const predictions = outputRowBytes === undefined ? 2 ** 31 : rows * outputRowBytes;
  return HEADER_ROOM + HEADER_ROOM_PER_MICRO_BATCH * tasks.length + step.nodes.length * weightBytes + predictions;
}

/** Why a first frame is not a worker's hello, or undefined; `pid` is the worker's process id when it sent one. */
function helloProblem(body: Uint8Array): { problem?: string; pid?: number } {
  let hello: unknown;
  try {
    hello = decodeFrame(body);
  } catch (error) {
    return { problem: `its first frame does not decode (${(error as Error).message})` };
  }
  const h = (hello ?? {}) as { kind?: unknown; magic?: unknown; protocol?: unknown; version?: unknown; pid?: unknown };
  if (h.kind !== 'hello' || h.magic !== HELLO_MAGIC) return { problem: 'its first frame is not a data-parallel worker\'s hello' };
  if (h.protocol !== PROTOCOL) return { problem: `it speaks protocol ${String(h.protocol)}, not ${PROTOCOL}` };
  if (h.version !== VERSION) return { problem: `it runs verbatim ${String(h.version)}, not ${VERSION}` };
  return Number.isInteger(h.pid) ? { pid: h.pid as number } : {};
}

registerProcessGroup(async ({ size, setup, context, timeout: requestTimeout, outputRowBytes }, options: ProcessOptions) => {
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

  /** Every accepted connection, worker or not: none outlives the fit. */
  const connections = new Set<Socket>();
  /** Connections that sent a worker's hello, in the order they did, with the reader of their frames. */
  const workers: { socket: Socket; name: string; reader: FrameReader; pid?: number; onFrame?: (body: Uint8Array) => void; onEnd?: (reason: string) => void }[] = [];
  /** The first REFUSALS_KEPT refusals, for the connect-timeout error and the log; later ones are only counted (a port scan or flood is not kept). */
  const refused: string[] = [];
  let refusedCount = 0;
  const names = new Map<Socket, string>();
  const refuse = (socket: Socket, reason: string) => {
    const name = names.get(socket);
    if (++refusedCount <= REFUSALS_KEPT) {
      refused.push(`${name}: ${reason}`);
      console.warn(`${context}: dataParallel: refused a connection from ${name}: ${reason}${refusedCount === REFUSALS_KEPT ? ' (later refusals are only counted)' : ''}`);
    }
    connections.delete(socket);
    socket.destroy();
  };
  const stop = async () => {
    server.close();
    // Closing a worker's connection is its signal to exit; the socket goes once our end is sent,
    // or after a second if it cannot be (a peer that stopped reading leaves our writes unflushed).
    for (const socket of connections) {
      const timer = setTimeout(() => socket.destroy(), 1000);
      socket.end(() => {
        clearTimeout(timer);
        socket.destroy();
      });
    }
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      // A worker leaves when its connection closes; one that does not within 5 s is stopped.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (!workers.some((w) => w.pid === child.pid)) child.kill('SIGTERM');
    })));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(invalid(context, `Expected ${size} data-parallel worker processes to connect to ${host}:${port} within ${timeout} s`, {
        connected: workers.length, ...(refused.length ? { refused } : {}), ...(refusedCount > refused.length ? { refusedInAll: refusedCount } : {}), ...(connections.size > workers.length ? { silent: connections.size - workers.length } : {}),
      })), timeout * 1000);
      const failed = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      for (const child of children) {
        child.once('exit', (code, signal) => {
          if (workers.length < size) failed(invalid(context, 'Expected the data-parallel worker processes to start and connect', { exit: code ?? signal }));
        });
        child.once('error', (error) => failed(invalid(context, 'Expected to start data-parallel worker processes', { error: error.message })));
      }
      server.on('connection', (socket) => {
        connections.add(socket);
        const name = `${socket.remoteAddress}:${socket.remotePort}`;
        names.set(socket, name);
        let worker: (typeof workers)[number] | undefined;
        const reader = new FrameReader((body) => {
          if (worker) return worker.onFrame?.(body);
          const { problem, pid } = helloProblem(body);
          if (problem) return refuse(socket, problem);
          if (workers.length === size) return refuse(socket, `${size} workers are already connected`);
          worker = { socket, name, reader, ...(pid === undefined ? {} : { pid }) };
          reader.limit = HEADER_ROOM;
          workers.push(worker);
          if (workers.length === size) {
            clearTimeout(timer);
            server.close();
            // Peers that connected but never said hello are not workers: they go now.
            for (const other of connections) if (!workers.some((w) => w.socket === other)) refuse(other, 'no hello before the workers were complete');
            resolve();
          }
        }, HELLO_LIMIT);
        socket.on('data', (chunk: Buffer) => {
          try {
            reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          } catch (error) {
            if (worker) worker.onEnd?.(`a worker process sent ${(error as Error).message}`);
            else refuse(socket, (error as Error).message);
            socket.destroy();
          }
        });
        socket.on('error', (error) => worker?.onEnd?.(`a worker process's connection failed (${error.message})`));
        socket.on('close', () => {
          connections.delete(socket);
          worker?.onEnd?.('a worker process closed its connection');
        });
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const channels = workers.map((worker) => {
    const { socket, reader } = worker;
    socket.setNoDelay(true);
    const child = children.find((c) => worker.pid !== undefined && c.pid === worker.pid);
    const channel = new Requests((message) => {
      reader.limit = replyLimit(message as { kind: string; step?: StepMessage }, outputRowBytes);
      socket.write(encodeFrame(message));
    }, context, `worker process ${worker.name}`, requestTimeout, () => {
      // A worker that failed or froze is cut off; one we started is stopped (a stopped process ignores its closed connection).
      socket.destroy();
      child?.kill('SIGKILL');
    });
    // A peer is input: a frame that does not decode fails the fit with the reason, never the process.
    worker.onFrame = (body) => {
      let reply: Reply;
      try {
        reply = decodeFrame(body) as Reply;
      } catch (error) {
        return channel.fail(`a worker process sent a malformed frame (${(error as Error).message})`);
      }
      if (reply === null || typeof reply !== 'object' || (reply.error !== undefined && typeof reply.error !== 'string')) {
        return channel.fail('a worker process sent a reply that is neither {value} nor {error}');
      }
      channel.reply(reply);
    };
    worker.onEnd = (reason) => channel.fail(reason);
    // It may have gone between its hello and now.
    if (socket.destroyed) channel.fail('a worker process closed its connection');
    return channel;
  });
  return workerGroup(channels, setup, stop, context);
});
