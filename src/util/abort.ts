/**
 * An AbortController that follows signals (aborts when one of them does) until released: in place
 * of AbortSignal.any, for signals that live long. Node 20 keeps a record of every signal
 * AbortSignal.any makes from a signal for as long as that signal lives (a Request's signal lives
 * as long as its dataset: one record per download), and fetch leaves an abort listener on the
 * signal it is given until a garbage collection, so handing a pass's signal to every download
 * (csv(url).repeat() under prefetch) piled them up on it: MaxListenersExceededWarning. A follower
 * adds one listener to each signal it follows and release removes them.
 */
export interface AbortFollower {
  readonly signal: AbortSignal;
  abort(): void;
  /** Stops following the signals (removes the listeners), aborted or not. */
  release(): void;
}

export function followAborts(signals: readonly AbortSignal[]): AbortFollower {
  const controller = new AbortController();
  const onAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  const aborted = signals.find((s) => s.aborted);
  if (aborted) controller.abort(aborted.reason);
  else for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    release: () => { for (const s of signals) s.removeEventListener('abort', onAbort); },
  };
}
