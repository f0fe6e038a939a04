import { invalid } from '../errors.js';
import { MAX_THREADS } from './backend.js';

/** A kernel thread count, 1 to MAX_THREADS: a larger one would otherwise be clamped unseen. */
export function checkThreadCount(context: string, name: string, threads: unknown, subject = name): asserts threads is number {
  if (!Number.isInteger(threads) || (threads as number) < 1 || (threads as number) > MAX_THREADS) {
    throw invalid(context, `Expected ${subject} to be an integer from 1 to ${MAX_THREADS}`, { [name]: threads });
  }
}
