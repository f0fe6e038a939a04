/**
 * Lets the event loop run during long training: signal handlers (Ctrl-C under `verbatim run`),
 * IPC messages, timers. fit awaits this after every step; it gives up a macrotask turn only when
 * YIELD_INTERVAL_MS of work has passed since the last, so the cost stays below what can be
 * measured (bench: "recording overhead") while a signal is handled within a step plus 25 ms. It
 * changes when other tasks run, never a number of the training.
 */
import { Stopwatch } from './stopwatch.js';

const YIELD_INTERVAL_MS = 25;

export const macrotask: (resume: () => void) => void = (globalThis as { setImmediate?: (f: () => void) => void }).setImmediate
  ?? ((resume) => globalThis.setTimeout(resume, 0));

const sinceYield = new Stopwatch();

export async function yieldToEventLoop(): Promise<void> {
  if (sinceYield.elapsedMs() < YIELD_INTERVAL_MS) return;
  await new Promise<void>((resume) => macrotask(resume));
  sinceYield.restart();
}
