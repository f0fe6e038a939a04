/**
 * Recording without code changes: a script started by `verbatim run` gets VERBATIM_RUN_DIR (and
 * VERBATIM_SEED when a seed was given) in its environment; importing verbatim then fixes the
 * seed and records the process's fits into that directory, marking the run completed, failed
 * (with the error) or interrupted when the process ends.
 */
import { fixRandomSeed } from '../random/seed.js';
import { RunRecorder, type RecordOptions } from './recorder.js';

type Stream = { on(event: 'error', listener: (error: { code?: string }) => void): void };
type NodeProcess = {
  env: Record<string, string | undefined>;
  stdout: Stream;
  stderr: Stream;
  on(event: string, listener: (...args: never[]) => void): void;
  listenerCount(event: string): number;
  exit(code: number): never;
  kill(pid: number, signal: string): void;
  pid: number;
  exitCode?: number;
  channel?: { unref(): void } | null;
  /** Defined when the process was started with an IPC channel (stays after the channel closed). */
  send?: unknown;
  connected?: boolean;
};

const processLike = (globalThis as { process?: NodeProcess }).process;
const env = processLike?.env ?? {};

if (env.VERBATIM_SEED !== undefined) {
  const value = env.VERBATIM_SEED;
  fixRandomSeed(/^-?\d+$/.test(value) && !Number.isSafeInteger(Number(value)) ? BigInt(value) : Number(value));
}

/** Exit codes of a process ended by these signals (128 + the signal's number), which the CLI passes on. */
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

if (processLike && env.VERBATIM_RUN_DIR) {
  const options = JSON.parse(env.VERBATIM_RUN_OPTIONS ?? '{}') as RecordOptions;
  const recorder = new RunRecorder(options, env.VERBATIM_RUN_DIR).start();
  // The run is this process's: a process the script starts (node running another script that
  // imports verbatim) must not record into it.
  delete env.VERBATIM_RUN_DIR;
  delete env.VERBATIM_RUN_OPTIONS;
  let failure: unknown;
  let finished = false;
  const finish = (status: 'completed' | 'failed' | 'interrupted', error?: unknown, signal?: string) => {
    if (finished) return;
    finished = true;
    recorder.finish(status, error, signal);
  };
  // Observed, not handled: an uncaught exception (or unhandled rejection) ends the process as it
  // would without verbatim (the exit listener records the run failed with it), and a script with
  // its own handler goes on.
  processLike.on('uncaughtExceptionMonitor', ((error: unknown) => {
    if (processLike.listenerCount('uncaughtException') === 0) failure = error;
  }) as never);
  // fit yields to the event loop between steps, so these run within a step of the signal. A
  // script that handles the signal itself decides what happens, as under plain node.
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    processLike.on(signal, (() => {
      if (processLike.listenerCount(signal) > 1) return;
      finish('interrupted', new Error(`interrupted by ${signal}`), signal);
      processLike.exit(code);
    }) as never);
  }
  // Started by the CLI with an IPC channel: when the CLI goes away (even by SIGKILL) the channel
  // closes and the run stops too; unreferenced, the channel never keeps a finished script alive.
  if (typeof processLike.send === 'function') {
    const cliEnded = () => {
      finish('interrupted', new Error('the verbatim CLI that started the run ended'));
      // The CLI started this process as the leader of its own process group: the processes the
      // script started are in it, and nobody else will stop them now (as the CLI does, passing a
      // signal on to the group). Its own SIGTERM is handled (above) after the exit, so never.
      try {
        processLike.kill(-processLike.pid, 'SIGTERM');
      } catch {
        // No group of its own (started otherwise): nothing to stop.
      }
      processLike.exit(129);
    };
    // Killed while this process was still loading: the channel closed before anyone listened.
    if (!processLike.connected || !processLike.channel) cliEnded();
    processLike.channel?.unref();
    processLike.on('disconnect', cliEnded as never);
    // Output goes to the CLI through pipes: one that breaks means the CLI is gone (the channel may tell later).
    for (const stream of [processLike.stdout, processLike.stderr]) {
      stream.on('error', (error) => {
        if (error.code !== 'EPIPE') throw error;
        cliEnded();
      });
    }
  }
  processLike.on('exit', ((exitEventCode: number) => {
    // Node exits 13 when top-level await never settles, with 0 in the event and the code in exitCode.
    const code = exitEventCode || Number(processLike.exitCode ?? 0) || 0;
    finish(code === 0 && failure === undefined ? 'completed' : 'failed', failure ?? (code === 0 ? undefined : new Error(`exit code ${code}`)));
  }) as never);
}
