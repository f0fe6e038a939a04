/**
 * The run recorder's worker thread (src/runs/epoch-lines-thread.ts): makes the lines of
 * epochs.jsonl from the epochs' snapshots, which it reads in shared memory, and answers on its
 * reply port, counting its answers in `answered` so that the recording thread can wait for one.
 */
import { createHash } from 'node:crypto';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { EpochLines, unpackEntries, type CreateHash } from './epoch-lines.js';
import type { LinesRequest } from './epoch-lines-thread.js';

const { replies, answered } = workerData as { replies: MessagePort; answered: Int32Array };
const lines = new EpochLines(createHash as CreateHash);

parentPort!.on('message', ({ layouts, entries }: LinesRequest) => {
  for (const [id, layout] of layouts) lines.addLayout(id, layout);
  let text: string | undefined;
  try {
    text = lines.linesOf(unpackEntries(entries));
  } catch {
    // Unanswerable here: the recording thread makes these lines itself.
  }
  replies.postMessage({ text });
  Atomics.add(answered, 0, 1);
  Atomics.notify(answered, 0);
});
