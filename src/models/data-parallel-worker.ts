/**
 * A data-parallel worker thread (src/models/data-parallel-threads.ts starts it): rebuilds the
 * model from its artifacts with the fit's seed and backend, then for each step takes the weights
 * and its micro-batches and answers with their results (src/models/micro-batch.ts).
 */
import { parentPort } from 'node:worker_threads';
import '../index.js';
import { createReplica, type Replica } from './data-parallel-replica.js';

let replica: Replica | undefined;

parentPort!.on('message', (message: { kind: 'setup' | 'step'; setup?: unknown; step?: unknown }) => {
  void (async () => {
    try {
      if (message.kind === 'setup') {
        replica = await createReplica(message.setup as never);
        parentPort!.postMessage({ value: true });
      } else {
        const results = replica!.step(message.step as never);
        // The arrays are the results' own copies: moved, not copied again.
        const buffers = results.flatMap((r) => [...r.grads.filter((g) => g !== null), ...r.predictions.map((p) => p.values)].map((a) => a.buffer as ArrayBuffer));
        parentPort!.postMessage({ value: results }, buffers);
      }
    } catch (error) {
      parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
    }
  })();
});
