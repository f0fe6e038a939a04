/**
 * Which fit's model and history are a run's: the recorder chooses it as fits end, and readers
 * (ls, diff, verify) find the same fit again from fits.jsonl.
 */
import { isIndex } from './record-files.js';

/**
 * Whether a fit that just ended replaces `chosen` as the fit whose model and history are the run's.
 * The last fit to end does, except among fits that overlapped (one begun in another's callback, or
 * fits run together, whose ends the clock orders): there the first begun (`groupStart`) is the
 * run's, so that the same records in another order name the same fit.
 */
export function replacesFinalFit(chosen: number | undefined, fit: number, groupStart: number): boolean {
  return fit === groupStart || chosen === undefined || chosen < groupStart;
}

/** The fit whose model and history are the run's, from fits.jsonl (as the recorder chose it), or undefined if no fit ended. */
export function finalFitOf(fits: readonly { fit: number; within?: unknown; finalDigest?: unknown }[]): number | undefined {
  const groupStarts = new Map<number, number>();
  let chosen: number | undefined;
  for (const { fit, within, finalDigest } of fits) {
    const first = Array.isArray(within) ? within[0] : undefined;
    if (!groupStarts.has(fit)) groupStarts.set(fit, isIndex(first) ? groupStarts.get(first) ?? first : fit);
    if (typeof finalDigest === 'string' && replacesFinalFit(chosen, fit, groupStarts.get(fit)!)) chosen = fit;
  }
  return chosen;
}
