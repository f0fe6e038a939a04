/**
 * The script's reads of the backend and the thread count, for `verbatim doctor`: training that
 * depends on them (a callback or schedule that reads vb.getNumThreads()) trains differently with
 * another thread count or backend, which doctor then names instead of suspecting verbatim. Its
 * probe (src/cli/doctor-probe.ts) listens under a global symbol, because the script may load
 * another copy of verbatim than the command's. Without a listener a read costs one lookup.
 */
const LISTENER = Symbol.for('verbatim.settingReads');

export type SettingRead = 'getBackend' | 'getNumThreads';

/** `api` is the public function read: the stack handed to the listener starts at its caller. */
export function noteSettingRead(name: SettingRead, api: (...args: never[]) => unknown): void {
  const listener = (globalThis as Record<symbol, ((name: SettingRead, stack: string) => void) | undefined>)[LISTENER];
  if (!listener) return;
  const holder: { stack?: string } = {};
  (Error as { captureStackTrace?: (target: object, omit: unknown) => void }).captureStackTrace?.(holder, api);
  listener(name, holder.stack ?? '');
}

/** Installs the listener (doctor's probe only). */
export function listenForSettingReads(listener: (name: SettingRead, stack: string) => void): void {
  (globalThis as Record<symbol, unknown>)[LISTENER] = listener;
}
