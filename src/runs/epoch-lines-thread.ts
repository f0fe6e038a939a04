/**
 * Makes epochs.jsonl's lines in a worker thread (src/runs/epoch-lines-worker.ts), so that the
 * training thread only copies each epoch's weights (into shared memory): the digests and the
 * text of a flush's epochs, most of what recording costs a small model, are made on another core
 * while training goes on, and written by a later flush. Lines come back in order. Where no worker
 * can be started, or one fails or stops answering, the recording thread makes them with the same
 * code (src/runs/epoch-lines.ts).
 */
import type { SnapshotLayout, WeightLayout } from '../models/weight-digest.js';
import { builtin, optionalBuiltin, workerExecArgv } from '../util/node.js';
import { EpochLines, packEntries, type CreateHash, type EpochEntry, type PackedEntries } from './epoch-lines.js';

type WorkerThreads = typeof import('node:worker_threads');
type Worker = import('node:worker_threads').Worker;
type MessagePort = import('node:worker_threads').MessagePort;

/** What the worker is sent per flush: the layouts it has not seen, and the epochs. */
export interface LinesRequest {
  layouts: [number, SnapshotLayout][];
  entries: PackedEntries;
}

export interface EpochLineThreadOptions {
  /** The worker's module (tests give others). */
  workerUrl?: URL;
  /** How long a complete flush waits for a worker that gives no answer (it failed) before making the lines itself. */
  giveUpMs?: number;
}

export class EpochLineThread {
  private readonly local = new EpochLines(builtin<{ createHash: CreateHash }>('node:crypto').createHash);
  private thread: { worker: Worker; replies: MessagePort; answered: Int32Array; threads: WorkerThreads } | undefined;
  private failed = false;
  private readonly layoutIds = new Map<WeightLayout, number>();
  private readonly unsent: [number, SnapshotLayout][] = [];
  /** The epochs sent and not answered yet, per request, in order. */
  private readonly inFlight: EpochEntry[][] = [];
  /** Lines made and not taken yet. */
  private ready = '';

  constructor(private readonly options: EpochLineThreadOptions = {}) {}

  /**
   * Starts the worker (before training, so that it has loaded by the first flush). A worker whose
   * module is not there (verbatim bundled into one file) is not started: its failure would only be
   * noticed when the event loop turns, and a complete flush would wait for it.
   */
  start(): void {
    const threads = optionalBuiltin<WorkerThreads>('node:worker_threads');
    const url = this.options.workerUrl ?? new URL('./epoch-lines-worker.js', import.meta.url);
    if (!threads?.Worker || (url.protocol === 'file:' && !builtin<{ existsSync(p: URL): boolean }>('node:fs').existsSync(url))) return;
    try {
      const { port1, port2 } = new threads.MessageChannel();
      const answered = new Int32Array(new SharedArrayBuffer(4));
      const worker = new threads.Worker(url, {
        workerData: { replies: port1, answered }, transferList: [port1], execArgv: workerExecArgv(),
      });
      // Noticed when the event loop turns; a complete flush also gives up on a worker that does not answer.
      worker.on('error', () => (this.failed = true));
      worker.on('exit', () => (this.failed = true));
      worker.unref();
      port2.unref();
      this.thread = { worker, replies: port2, answered, threads };
    } catch {
      this.thread = undefined;
    }
  }

  /** The id of a snapshot layout, told to whoever makes the lines before the first epoch that uses it. */
  layoutId(layout: WeightLayout): number {
    let id = this.layoutIds.get(layout);
    if (id === undefined) {
      id = this.layoutIds.size;
      this.layoutIds.set(layout, id);
      this.local.addLayout(id, layout.describe());
      this.unsent.push([id, layout.describe()]);
    }
    return id;
  }

  submit(entries: EpochEntry[]): void {
    if (entries.length === 0) return;
    if (!this.thread || this.failed) {
      this.receive(true);
      this.ready += this.local.linesOf(entries);
      return;
    }
    this.inFlight.push(entries);
    const request: LinesRequest = { layouts: this.unsent.splice(0), entries: packEntries(entries) };
    this.thread.worker.postMessage(request);
  }

  /** Whether a worker makes the lines (none was started, or it failed). */
  get working(): boolean {
    return this.thread !== undefined && !this.failed;
  }

  /** Whether lines are being made that take() without `all` would not give. */
  get pending(): boolean {
    return this.inFlight.length > 0;
  }

  /** The lines made so far, in order; with `all`, every submitted epoch's (waiting for the worker, or making them here). */
  take(all: boolean): string {
    this.receive(all);
    const text = this.ready;
    this.ready = '';
    return text;
  }

  /** Waits for nothing more: the worker ends (its lines taken first). */
  close(): void {
    this.receive(true);
    void this.thread?.worker.terminate();
    this.thread = undefined;
  }

  private receive(all: boolean): void {
    const thread = this.thread;
    let waitingSince: number | undefined;
    while (thread && this.inFlight.length > 0 && !this.failed) {
      // Read before looking for an answer: an answer that comes in between changes it, and the wait returns at once.
      const answered = Atomics.load(thread.answered, 0);
      const reply = thread.threads.receiveMessageOnPort(thread.replies)?.message as { text?: string } | undefined;
      if (reply) {
        const entries = this.inFlight.shift()!;
        this.ready += reply.text ?? this.local.linesOf(entries);
        waitingSince = undefined;
        continue;
      }
      if (!all) return;
      // Non-numeric: the clock only decides when to stop waiting for a worker.
      const now = globalThis.performance.now();
      waitingSince ??= now;
      if (now - waitingSince > (this.options.giveUpMs ?? 10_000)) this.failed = true;
      else Atomics.wait(thread.answered, 0, answered, 100);
    }
    if (!this.failed) return;
    // No worker to answer: what it was sent is made here, in order.
    for (const entries of this.inFlight.splice(0)) this.ready += this.local.linesOf(entries);
    if (thread) void thread.worker.terminate();
    this.thread = undefined;
  }
}
