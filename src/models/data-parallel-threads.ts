/**
 * Data-parallel training's workers as Node worker threads (src/models/data-parallel-worker.ts),
 * each with its own copy of the model. Where node:worker_threads cannot be loaded (browsers),
 * fit computes every micro-batch in its own thread instead: the same bits.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { optionalBuiltin } from '../util/node.js';
import { registerThreadGroup, Requests, workerEnvironment, workerGroup, type GroupStart, type Reply, type WorkerGroup } from './data-parallel.js';

type Worker = import('node:worker_threads').Worker;
type WorkerOptions = import('node:worker_threads').WorkerOptions;

/** Starts a worker thread: `new Worker(url, options)`. */
export type StartThread = (url: URL, options: WorkerOptions) => Worker;

/**
 * The caller's Node options for a worker thread, without --input-type: a script given with -e or
 * on stdin has it, and a thread started from a file refuses it (every thread would fail to start).
 */
function threadExecArgv(): string[] {
  const options: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const option = process.execArgv[i]!;
    if (option === '--input-type') i++;
    else if (!option.startsWith('--input-type=')) options.push(option);
  }
  return options;
}

/**
 * `size` worker threads, each set up with `start.setup`. A thread that cannot be started (its
 * `new Worker` throws: out of memory or threads) fails the fit naming it, once the threads
 * started before it are terminated; so does one that fails while starting or being set up, once
 * all are. `startThread` is `new Worker` but in tests, which make it throw.
 */
export async function threadGroup({ size, setup, context, timeout }: GroupStart, startThread: StartThread): Promise<WorkerGroup> {
  const url = new URL('./data-parallel-worker.js', import.meta.url);
  const workers: Worker[] = [];
  try {
    while (workers.length < size) workers.push(startThread(url, { env: workerEnvironment(), execArgv: threadExecArgv() }));
  } catch (error) {
    // The started threads go; an error one raises meanwhile is moot (and must not be unhandled).
    for (const w of workers) w.on('error', () => undefined);
    await Promise.all(workers.map((w) => w.terminate()));
    throw invalid(context, `Expected to start data-parallel worker thread ${workers.length + 1} of ${size}`, { error: error instanceof Error ? error.message : String(error) });
  }
  const channels = workers.map((worker, i) => {
    // A thread that fails or stops answering is terminated: nothing is left running after fit.
    const channel = new Requests((message) => worker.postMessage(message), context, `worker thread ${i + 1} of ${size}`, timeout, () => void worker.terminate());
    worker.on('message', (reply: Reply) => channel.reply(reply));
    worker.on('error', (error) => channel.fail(error.message));
    worker.on('exit', (code) => channel.fail(`worker thread exited (code ${code})`));
    return channel;
  });
  // The threads share this process's cores: each gets its share of the fit's kernel threads (1 worker: all of them).
  const threadsEach = Math.max(1, Math.floor(ENGINE.numThreads() / size));
  return workerGroup(channels, { ...setup, threads: threadsEach }, async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  }, context);
}

registerThreadGroup(async (start) => {
  const threads = optionalBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
  if (!threads?.Worker) return undefined;
  return threadGroup(start, (url, options) => new threads.Worker(url, options));
});
