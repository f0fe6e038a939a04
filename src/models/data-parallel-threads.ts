/**
 * Data-parallel training's workers as Node worker threads (src/models/data-parallel-worker.ts),
 * each with its own copy of the model. Where node:worker_threads cannot be loaded (browsers),
 * fit computes every micro-batch in its own thread instead: the same bits.
 */
import { ENGINE } from '../engine/engine.js';
import { optionalBuiltin } from '../util/node.js';
import { registerThreadGroup, Requests, workerEnvironment, workerGroup, type Reply } from './data-parallel.js';

registerThreadGroup(async ({ size, setup, context, timeout }) => {
  const threads = optionalBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
  if (!threads?.Worker) return undefined;
  const url = new URL('./data-parallel-worker.js', import.meta.url);
  const workers = Array.from({ length: size }, () => new threads.Worker(url, { env: workerEnvironment() }));
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
});
