/**
 * The script's reads of the backend and the thread count, for `verbatim doctor`: training that
 * depends on them (a callback or schedule that reads vb.getNumThreads()) trains differently with
 * another thread count or backend, which doctor then names instead of suspecting verbatim. Its
 * probe (src/cli/doctor-probe.ts) listens under a global symbol, because the script may load
 * another copy of verbatim than the command's. Without a listener a read costs one lookup.
 */
const LISTENER = Symbol.for('verbatim.settingReads');

export type Setting = 'threads' | 'backend';
/** What the listener hears: the public function called (as `vb.` names it), the setting it tells, and the stack from its caller. */
export type SettingReadListener = (api: string, setting: Setting, stack: string) => void;

/** `fn` is the public function called: the stack handed to the listener starts at its caller. */
export function noteSettingRead(api: string, settings: readonly Setting[], fn: (...args: never[]) => unknown): void {
  const listener = (globalThis as Record<symbol, SettingReadListener | undefined>)[LISTENER];
  if (!listener) return;
  const holder: { stack?: string } = {};
  (Error as { captureStackTrace?: (target: object, omit: unknown) => void }).captureStackTrace?.(holder, fn);
  for (const setting of settings) listener(api, setting, holder.stack ?? '');
}

/** Installs the listener (doctor's probe only). */
export function listenForSettingReads(listener: SettingReadListener): void {
  (globalThis as Record<symbol, unknown>)[LISTENER] = listener;
}
