/**
 * Recording without code changes: a script started by `verbatim run` gets VERBATIM_RUN_DIR (and
 * VERBATIM_SEED when a seed was given) in its environment; importing verbatim then fixes the
 * seed and records the process's fits into that directory, marking the run completed, failed
 * (with the error) or interrupted when the process ends.
 */
import { fixRandomSeed } from '../random/seed.js';
import { RunRecorder, type RecordOptions } from './recorder.js';

type NodeProcess = {
  env: Record<string, string | undefined>;
  on(event: string, listener: (...args: never[]) => void): void;
  exit(code: number): never;
  exitCode?: number;
};

const processLike = (globalThis as { process?: NodeProcess }).process;
const env = processLike?.env ?? {};

if (env.VERBATIM_SEED !== undefined) {
  const value = env.VERBATIM_SEED;
  fixRandomSeed(/^-?\d+$/.test(value) && !Number.isSafeInteger(Number(value)) ? BigInt(value) : Number(value));
}

if (processLike && env.VERBATIM_RUN_DIR) {
  const options = JSON.parse(env.VERBATIM_RUN_OPTIONS ?? '{}') as RecordOptions;
  const recorder = new RunRecorder(options, env.VERBATIM_RUN_DIR).start();
  let failure: unknown;
  let finished = false;
  const finish = (status: 'completed' | 'failed' | 'interrupted', error?: unknown) => {
    if (finished) return;
    finished = true;
    recorder.finish(status, error);
  };
  const crash = (error: unknown) => {
    failure = error;
    console.error(error);
    finish('failed', error);
    processLike.exit(1);
  };
  processLike.on('uncaughtException', crash as never);
  processLike.on('unhandledRejection', crash as never);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    processLike.on(signal, (() => {
      finish('interrupted');
      processLike.exit(130);
    }) as never);
  }
  processLike.on('exit', ((code: number) => finish(code === 0 && failure === undefined ? 'completed' : 'failed', failure ?? (code === 0 ? undefined : new Error(`exit code ${code}`)))) as never);
}
