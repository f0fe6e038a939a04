/**
 * Running a script as a recorded run: a child Node process (TypeScript through tsx) whose
 * environment tells verbatim where to record and which seed to use. Before the child starts, the
 * run's directory gets run.json and a 'running' status, so that a script that never gets as far
 * as importing verbatim (a syntax error, a kill while starting) is still a run with a reason;
 * its output is echoed and appended to stdout.txt and stderr.txt as it comes. The child never
 * outlives the CLI: SIGINT, SIGTERM and SIGHUP are passed on to it (the same one again kills
 * it), and an IPC channel tells it when the CLI is gone, even by SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { effectiveStatus, ensureDirectory, newRunId, processStartTime, readStatus, writeJson, writeStatus, type StatusRecord } from '../runs/store.js';
import { writeFailure } from '../util/write-failure.js';
import { gitFacts } from '../runs/environment.js';
import { parseStoreJson, readStoreText } from '../runs/record-files.js';

export interface Invocation {
  script: string;
  args: string[];
  seed?: string;
  threads?: number;
  backend?: string;
  name?: string;
  trace?: 'epochs' | 'steps' | 'ops';
  /** Seconds between a fit's automatic backups (for --resume); null: none; default 30. */
  backupInterval?: number | null;
}

/** Seconds between automatic backups when the run does not say. */
export const DEFAULT_BACKUP_INTERVAL = 30;

export interface Execution {
  id: string;
  dir: string;
  exitCode: number;
  seconds: number;
  /** A file of the run that could not be written (a full disk), with the reason. */
  writeError?: string;
  /** The signal that ended the script's process (sent to it, or handled by its recorder), if one did. */
  signal?: NodeJS.Signals;
}

const require = createRequire(import.meta.url);
const PRELOAD = require.resolve('./preload.js');

/**
 * Creates the store when missing and checks that runs can be written into it. Node's recursive
 * mkdir reports a read-only file system as ENOENT, so the nearest existing directory is asked
 * (access W_OK, which also answers EROFS for root) and the error names the store, not a run's path.
 */
function ensureWritableStore(store: string): void {
  const notWritable = (at: string, error: unknown) => {
    const { code, message } = error as NodeJS.ErrnoException;
    return new UsageError(`Expected a writable store. Received: store=${resolve(store)} (not writable: ${code ?? message}${at === resolve(store) ? '' : ` at ${at}`})`, { cause: error });
  };
  let nearest = resolve(store);
  while (!existsSync(nearest) && dirname(nearest) !== nearest) nearest = dirname(nearest);
  try {
    accessSync(nearest, fsConstants.W_OK);
    ensureDirectory(store);
    accessSync(store, fsConstants.W_OK);
    // Access answers for permissions only: /proc lets root "write" and refuses every directory made in it.
    rmSync(mkdtempSync(join(store, '.writable-')), { recursive: true, force: true });
  } catch (error) {
    throw notWritable(nearest, error);
  }
}

/**
 * The run could not even be set up (a full disk before the child started): it is recorded failed
 * with the reason when a status still fits, else a new run's directory is removed, so that it is
 * never listed as a run that was interrupted. The error says which.
 */
function unstartedRun(dir: string, id: string, resumed: boolean, startedAt: string, error: unknown): Error {
  const failure = writeFailure(join(dir, 'run.json'), error);
  try {
    writeStatus(join(dir, 'status.json'), { status: 'failed', pid: process.pid, startedAt, endedAt: new Date().toISOString(), error: { message: failure.message } });
    return new Error(`${failure.message} (run ${id} recorded as failed)`, { cause: error });
  } catch {
    if (resumed) return new Error(`${failure.message} (run ${id} left as it was)`, { cause: error });
    rmSync(dir, { recursive: true, force: true });
    return new Error(`${failure.message} (no run recorded)`, { cause: error });
  }
}

/**
 * Makes this CLI the only one resuming the run, or refuses: two resumes at once would both cut the
 * records back and train into the same files (a corrupt run). The claim is a file created only if
 * absent (`resume-N.lock`, naming this process with its start time); one whose process is gone (a
 * CLI killed by SIGKILL) is passed over for the next N, which again only one CLI can create. The
 * status is checked again once claimed: a resume that claimed and started before saw it
 * interrupted, but has made it running since. Returns the release.
 */
function claimResume(dir: string, id: string): () => void {
  const claim: StatusRecord = { status: 'running', pid: process.pid, startedAt: new Date().toISOString() };
  const startTime = processStartTime(process.pid);
  if (startTime) claim.pidStartTime = startTime;
  for (let n = 0; ; n++) {
    const file = join(dir, `resume-${n}.lock`);
    try {
      writeFileSync(file, JSON.stringify(claim), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: StatusRecord | undefined;
      try {
        holder = parseStoreJson<StatusRecord>(readStoreText(file));
      } catch {
        // Cut short by a kill as it was written (its process is gone), or no claim of a CLI (a FIFO is not waited for).
      }
      if (holder && effectiveStatus({ ...holder, status: 'running' }).status === 'running') {
        throw new UsageError(`Expected a run that no other verbatim run --resume is continuing. Received: ${id}, being resumed by pid ${holder.pid} since ${holder.startedAt} (${file})`);
      }
      continue;
    }
    const release = () => rmSync(file, { force: true });
    const now = readStatus(dir);
    const status = now && effectiveStatus(now).status;
    if (status !== 'interrupted' && status !== 'failed') {
      release();
      throw new UsageError(`Expected an interrupted or failed run to resume. Received: ${id}, ${status ?? 'no status'} (another verbatim run --resume began it meanwhile)`);
    }
    return release;
  }
}

/** The scripts a run can be: JavaScript as Node runs it, TypeScript through tsx. One list for `run`, the queue and its workers. */
export const SCRIPT_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;
export const SCRIPT_KINDS = `${SCRIPT_EXTENSIONS.slice(0, -1).join(', ')} or ${SCRIPT_EXTENSIONS.at(-1)}`;
export const isScriptName = (path: string): boolean => SCRIPT_EXTENSIONS.some((extension) => path.endsWith(extension));
/**
 * Refuses, before anything starts, a script that is not a regular file of a kind verbatim runs:
 * the script's process would wait forever for a FIFO's writer, or read a link to /dev/zero until
 * its memory ran out.
 */
export function checkScript(script: string): void {
  if (!existsSync(script) || !statSync(script).isFile()) throw new UsageError(`Expected a script file. Received: ${script} (${existsSync(script) ? 'not a regular file' : 'not found'})`);
  // The queue's workers accept the same kinds; a file of another kind would be run as JavaScript or fail obscurely.
  if (!isScriptName(script)) throw new UsageError(`Expected a ${SCRIPT_KINDS} script. Received: script=${script}`);
}

/** Whether the script runs with tsx's loader (which then resolves every module the process imports), else as Node runs it. */
export const runsThroughTsx = (script: string): boolean => /\.(ts|mts|cts)$/.test(script);

function nodeArguments(script: string): string[] {
  // The preload comes first: strict mode's Math.random guard is in place before any module of the script loads.
  return ['--import', PRELOAD, ...(runsThroughTsx(script) ? ['--import', require.resolve('tsx')] : []), script];
}

/** Where a run's output goes as it comes. */
export type Echo = (text: string, stream: 'stdout' | 'stderr') => void;

const children = new Set<ChildProcess>();
let interruption: NodeJS.Signals | undefined;

/** The signal that interrupted the CLI's runs (the last one it received), if one did. */
export function interruptedBy(): NodeJS.Signals | undefined {
  return interruption;
}

/** The exit code for a process ended by this signal: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Signals the run's process group (the script and what it started), or the script alone where there are no groups. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    child.kill(signal); // The group is gone already (the script ended).
  }
}

/** The signals the CLI has received (and passed on). */
const received = new Set<NodeJS.Signals>();
let forwarding = false;
function forwardSignals(): void {
  if (forwarding) return;
  forwarding = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // A signal asks the runs to stop (they record where); the same one again does not wait, so
      // a script that ignores it still ends. A script may handle a signal and train on (its own
      // SIGINT listener, as under plain node): a different one after it is passed on like the
      // first, and the run ends recorded by it, not killed.
      const again = received.has(signal);
      received.add(signal);
      interruption = signal;
      for (const child of children) signalGroup(child, again ? 'SIGKILL' : signal);
    });
  }
}

/** How a helper process of the CLI ended: its exit code, or killed after its time ran out. */
export interface HelperExit {
  exitCode: number;
  timedOut: boolean;
}

/**
 * Runs a helper process of the CLI (doctor's in-process driver) the way runs are run: in its own
 * process group, with the CLI's SIGINT, SIGTERM and SIGHUP passed on (the same one again kills it) and
 * an IPC channel that closes when the CLI is gone; its whole group is killed after `timeoutMs`.
 */
export function runHelper(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<HelperExit> {
  forwardSignals();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], detached: process.platform !== 'win32' });
    children.add(child);
    if (interruption) signalGroup(child, interruption);
    let timedOut = false;
    // Non-numeric: the clock only bounds how long doctor waits.
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(child, 'SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ exitCode: code ?? (signal ? signalExitCode(signal) : 1), timedOut });
    });
  });
}

/**
 * Runs the script once as a new run in `store`, or, given `resume` (a run's id), again into that
 * run's directory, where the recorder continues the run from its backups.
 */
export function execute(store: string, invocation: Invocation, echo: Echo, started?: (dir: string) => void, resume?: string): Promise<Execution> {
  const script = resolve(invocation.script);
  if (!existsSync(script)) throw new UsageError(`Expected a script file. Received: ${invocation.script} (not found)`);
  const id = resume ?? newRunId();
  const dir = join(store, id);
  ensureWritableStore(store);
  ensureDirectory(dir);
  const backupInterval = invocation.backupInterval === undefined ? DEFAULT_BACKUP_INTERVAL : invocation.backupInterval;
  const options = {
    ...(invocation.name ? { name: invocation.name } : {}),
    trace: invocation.trace ?? 'epochs',
    invocation: { ...invocation, script, backupInterval },
    ...(backupInterval !== null ? { backupInterval } : {}),
    // Asked here, before the script starts: its process need not fork a git while it trains.
    ...(resume ? { resume: true } : { git: gitFacts(script) }),
  };
  const release = resume ? claimResume(dir, id) : () => undefined;
  const startedAt = new Date().toISOString();
  const cliStartTime = processStartTime(process.pid);
  try {
    // The recorder in the child rewrites both once verbatim is imported; until then they are the CLI's.
    if (!resume) writeJson(join(dir, 'run.json'), { id, name: invocation.name ?? null, seed: invocation.seed ?? null, trace: options.trace, invocation: options.invocation });
    writeJson(join(dir, 'status.json'), { status: 'running', pid: process.pid, ...(cliStartTime ? { pidStartTime: cliStartTime } : {}), startedAt });
  } catch (error) {
    release();
    throw unstartedRun(dir, id, resume !== undefined, startedAt, error);
  }
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    VERBATIM_RUN_DIR: dir,
    VERBATIM_SCRIPT: script,
    VERBATIM_RUN_OPTIONS: JSON.stringify(options),
  };
  delete env.VERBATIM_SEED;
  if (invocation.seed !== undefined) env.VERBATIM_SEED = invocation.seed;
  if (invocation.threads !== undefined) env.VERBATIM_THREADS = String(invocation.threads);
  if (invocation.backend !== undefined) env.VERBATIM_BACKEND = invocation.backend;
  forwardSignals();
  const t0 = performance.now();
  let writeError: string | undefined;
  const output = (name: string) => {
    const file = join(dir, name);
    let fd: number | undefined = openSync(file, 'a');
    return {
      write(chunk: Buffer) {
        if (fd === undefined) return;
        try {
          // A full disk may take part of a write without an error: the rest is written again, which then fails (ENOSPC).
          for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done);
        } catch (error) {
          writeError ??= writeFailure(file, error).message;
          closeSync(fd);
          fd = undefined;
        }
      },
      close() {
        if (fd !== undefined) closeSync(fd);
      },
    };
  };
  const stdout = output('stdout.txt');
  const stderr = output('stderr.txt');
  return new Promise((resolvePromise) => {
    // Its own process group, so that a signal reaches the processes the script started too.
    const child = spawn(process.execPath, [...nodeArguments(script), ...invocation.args], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: process.platform !== 'win32' });
    children.add(child);
    started?.(dir);
    if (interruption) signalGroup(child, interruption);
    let lastError = '';
    child.stdout!.on('data', (chunk: Buffer) => { stdout.write(chunk); echo(chunk.toString(), 'stdout'); });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.write(chunk);
      lastError = (lastError + chunk.toString()).slice(-4000);
      echo(chunk.toString(), 'stderr');
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      stdout.close();
      stderr.close();
      const exitCode = code ?? (signal ? signalExitCode(signal) : 1);
      let endedBy: NodeJS.Signals | undefined = signal ?? undefined;
      try {
        endedBy = settleStatus(dir, startedAt, exitCode, signal, lastError);
      } catch (error) {
        writeError ??= (error as Error).message;
      }
      release();
      resolvePromise({ id, dir, exitCode, seconds: (performance.now() - t0) / 1000, ...(writeError ? { writeError } : {}), ...(endedBy ? { signal: endedBy } : {}) });
    });
  });
}

/**
 * A run whose status still says 'running' after its process ended never finished its own
 * record: it died before importing verbatim (a syntax error, a missing module), or was killed.
 * Its status then says so, with the reason: the signal, or the error's first line. Returns the
 * signal that ended the process: the one it died of, or the one its recorder handled.
 */
function settleStatus(dir: string, startedAt: string, exitCode: number, signal: NodeJS.Signals | null, stderr: string): NodeJS.Signals | undefined {
  const record = readStatus(dir);
  // Recorded completed, then exited with an error code (an exit listener after the recorder's set it): failed.
  if (record?.status === 'completed' && !signal && exitCode !== 0) {
    writeStatus(join(dir, 'status.json'), { ...record, status: 'failed', error: { message: `exit code ${exitCode} after the run was recorded completed` } });
    return undefined;
  }
  if (record && record.status !== 'running') {
    const recorded = record.status === 'interrupted' ? record.signal : undefined;
    return signal ?? (recorded !== undefined && recorded in constants.signals ? recorded as NodeJS.Signals : undefined);
  }
  const reason = signal ? `killed by ${signal}` : firstErrorLine(stderr) ?? `exit code ${exitCode}`;
  writeStatus(join(dir, 'status.json'), {
    status: signal || exitCode > 128 ? 'interrupted' : exitCode === 0 ? 'completed' : 'failed',
    pid: record?.pid ?? process.pid, startedAt: record?.startedAt ?? startedAt, endedAt: new Date().toISOString(),
    ...(signal || exitCode !== 0 ? { error: { message: reason } } : {}),
    ...(signal ? { signal } : {}),
  });
  return signal ?? undefined;
}

/** The line of Node's error output that names the error ("SyntaxError: Unexpected token ..."). */
function firstErrorLine(stderr: string): string | undefined {
  return stderr.split('\n').map((l) => l.trim()).find((l) => /^([A-Z]\w*)?(Error|Exception)\b.*:/.test(l) || /^Error \[/.test(l));
}

/** Runs invocations with at most `parallel` at once, in order of start; none start after an interruption. */
export async function executeAll(
  store: string, invocations: readonly Invocation[], parallel: number, echo: Echo, progress: (i: number, e: Execution) => void,
  started?: (i: number, dir: string) => void,
): Promise<Execution[]> {
  const results: Execution[] = [];
  let next = 0;
  const worker = async () => {
    while (next < invocations.length && !interruption) {
      const i = next++;
      results[i] = await execute(store, invocations[i]!, parallel > 1 ? () => undefined : echo, started && ((dir) => started(i, dir)));
      progress(i, results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, invocations.length) }, worker));
  return results.filter((r) => r !== undefined);
}
