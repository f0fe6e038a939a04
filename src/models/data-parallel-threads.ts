/**
 * Data-parallel training's workers as Node worker threads (src/models/data-parallel-worker.ts),
 * each with its own copy of the model. Where node:worker_threads cannot be loaded (browsers),
 * fit computes every micro-batch in its own thread instead: the same bits.
 */
import { invalid } from '../errors.js';
import { registerThreadGroup, type StepMessage, type WorkerGroup, type WorkerSetup } from './data-parallel.js';
import type { MicroBatchResult } from './micro-batch.js';

type Threads = typeof import('node:worker_threads');
type ThreadWorker = InstanceType<Threads['Worker']>;

/** Requests answered in order, one reply each ({error} on failure); a thread that dies fails what is pending. */
class Channel {
  private pending: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;

  constructor(readonly worker: ThreadWorker, context: string) {
    worker.on('message', (reply: { error?: string; value?: unknown }) => {
      const next = this.pending.shift();
      if (!next) return;
      if (reply.error !== undefined) next.reject(invalid(context, 'Expected a data-parallel worker thread to compute its micro-batches', { error: reply.error }));
      else next.resolve(reply.value);
    });
    const fail = (error: Error) => {
      this.failure ??= invalid(context, 'Expected data-parallel worker threads to keep running', { error: error.message });
      for (const p of this.pending.splice(0)) p.reject(this.failure);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker thread exited (code ${code})`)));
  }

  request<T>(message: unknown): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage(message);
    });
  }
}

async function threadGroup(threads: Threads, size: number, setup: WorkerSetup, context: string): Promise<WorkerGroup> {
  const url = new URL('./data-parallel-worker.js', import.meta.url);
  const channels = Array.from({ length: size }, () => new Channel(new threads.Worker(url), context));
  const close = async () => {
    await Promise.all(channels.map((c) => c.worker.terminate()));
  };
  try {
    await Promise.all(channels.map((c) => c.request({ kind: 'setup', setup })));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    size,
    run: (perWorker: StepMessage[]) => Promise.all(perWorker.map((m, w) => channels[w]!.request<MicroBatchResult[]>({ kind: 'step', step: m }))),
    close,
  };
}

registerThreadGroup(async (size, setup, context) => {
  const threads = await import('node:worker_threads').catch(() => undefined);
  return threads?.Worker ? threadGroup(threads, size, setup, context) : undefined;
});
