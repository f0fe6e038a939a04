/**
 * Data-parallel workers in other processes, on this machine or others: fit listens on a TCP port
 * and each worker process (src/models/data-parallel-process.ts) connects to it; setup, weights,
 * micro-batches and results travel as length-prefixed frames with their float32 bytes
 * (src/models/data-parallel-wire.ts). With spawn (the default), fit starts the worker processes
 * itself and stops them when it ends. docs/cluster.md, "Data-parallel training", has the design.
 *
 * Who counts as a worker, and how peers that are not workers are refused and bounded, is
 * src/models/data-parallel-admission.ts; fit keeps waiting for real workers until connectTimeout.
 */
import { invalid } from '../errors.js';
import { optionalBuiltin } from '../util/node.js';
import { Admission, HELLO_TIMEOUT } from './data-parallel-admission.js';
import { registerProcessGroup, Requests, workerEnvironment, workerGroup, type Reply, type StepMessage } from './data-parallel.js';
import type { ProcessOptions } from './fit-options.js';
import { assertLittleEndian, decodeFrame, encodeFrame } from './data-parallel-wire.js';

type Child = import('node:child_process').ChildProcess;

/** Room for a reply's JSON header: per message, and per micro-batch (its predictions' shapes). */
const HEADER_ROOM = 65536;
const HEADER_ROOM_PER_MICRO_BATCH = 1024;

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
  // An accept that fails (out of file descriptors) must not end the process: the connection is lost, the fit goes on.
  let acceptFailed = false;
  server.on('error', (error) => {
    if (!acceptFailed) console.warn(`${context}: dataParallel: a connection could not be accepted (${error.message}); later failures are not logged`);
    acceptFailed = true;
  });
  const script = url.fileURLToPath(new URL('./data-parallel-process.js', import.meta.url));
  // A worker process imports only a workerModule it is allowed (src/models/data-parallel-modules.ts): the ones fit starts are allowed the fit's.
  const allow = setup.module?.startsWith('file:') ? ['--allow-module', url.fileURLToPath(setup.module)] : [];
  const children: Child[] = spawn
    ? Array.from({ length: size }, () => childProcess.spawn(process.execPath, [script, ...allow, `${host}:${port}`], { stdio: ['ignore', 'inherit', 'inherit'], env: workerEnvironment() }))
    : [];
  if (!spawn) console.error(`${context}: dataParallel: waiting for ${size} worker processes: node <verbatim>/dist/src/models/data-parallel-process.js ${allow.length ? `${allow.join(' ')} ` : ''}<this host>:${port}`);

  /** Ends the wait for the workers (set below): they all said hello. */
  let complete = () => undefined as void;
  const admission = new Admission(size, context, Math.min(HELLO_TIMEOUT, timeout), HEADER_ROOM, () => complete());
  server.on('connection', (socket) => admission.accept(socket));
  const stop = async () => {
    server.close();
    admission.close();
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      // A worker leaves when its connection closes; one that does not within 5 s is stopped.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (!admission.workers.some((w) => w.pid === child.pid)) child.kill('SIGTERM');
    })));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(invalid(context, `Expected ${size} data-parallel worker processes to connect to ${host}:${port} within ${timeout} s`, admission.report())), timeout * 1000);
      complete = () => {
        clearTimeout(timer);
        resolve();
      };
      const failed = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      for (const child of children) {
        child.once('exit', (code, signal) => {
          if (admission.workers.length < size) failed(invalid(context, 'Expected the data-parallel worker processes to start and connect', { exit: code ?? signal }));
        });
        child.once('error', (error) => failed(invalid(context, 'Expected to start data-parallel worker processes', { error: error.message })));
      }
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const channels = admission.workers.map((worker) => {
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
