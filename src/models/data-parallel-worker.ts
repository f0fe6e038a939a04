/**
 * A data-parallel worker thread (src/models/data-parallel-threads.ts starts it): its replica of
 * the model answers the main thread's messages in order (src/models/data-parallel-replica.ts).
 */
import { parentPort } from 'node:worker_threads';
import '../index.js';
import { replicaServer } from './data-parallel-replica.js';

// The fit gives each thread its share of the kernel threads in the setup (results never depend on it).
// The fit's workerModule is imported as given: this thread runs in the fit's own process.
const serve = replicaServer((url) => import(url));
let queue = Promise.resolve();

parentPort!.on('message', (message: { kind: string }) => {
  // Setup is asynchronous: later messages wait for it, so replies keep the messages' order.
  queue = queue.then(async () => {
    const { reply, transfer } = await serve(message);
    parentPort!.postMessage(reply, transfer);
  });
});
