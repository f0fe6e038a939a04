/**
 * `verbatim worker`: pulls run jobs from the queue and runs each exactly as `verbatim run` would
 * (execute(): a child process recording into a run directory). Before running, the worker checks
 * that its checkout has the job's script with the recorded SHA-256 and the same lockfile; a job
 * it cannot run the same way is refused with the reason and not retried. With --store the runs
 * are written into that directory (a store shared with the submitter); without, each run is
 * recorded in a temporary directory and sent back through Redis, then removed here.
 */
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { fileSha256 } from '../runs/environment.js';
import { readStatus, writeJson } from '../runs/store.js';
import { integerFlag, MAX_THREADS, MAX_TIMER_MS, stringFlag, type Parsed } from './args.js';
import { UsageError } from '../errors.js';
import { execute, isScriptName, SCRIPT_KINDS, type Invocation } from './execute.js';
import { connectionOptions, QUEUE_NAME, safeUrl, uploadRun, workerName, type Connection, type JobResult, type JobSpec, type WorkerRecord } from './queue.js';
import { MAX_CONCURRENCY, MAX_STALLED } from './queue-policy.js';
import { projectRoot } from './trust.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Runs sent back through Redis are recorded under the temporary directory first, named by the worker's pid. */
const TEMPORARY_PREFIX = 'verbatim-worker-';

/** Removes the temporary run directories of workers that were killed (SIGKILL leaves them behind). */
function removeOrphanedRuns(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = new RegExp(`^${TEMPORARY_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The job's data, checked: it comes from Redis, and names a program to run. */
function checkedSpec(data: unknown): JobSpec {
  const refuse = (why: string) => new UnrecoverableError(`refused: the job's data ${why}`);
  if (!isRecord(data)) throw refuse('is not an object');
  const { script, scriptSha256, lockfileSha256, seed, repeat, args, threads, backend, trace, name, sweep } = data;
  if (typeof script !== 'string' || !isScriptName(script) || isAbsolute(script) || script.split('/').includes('..')) throw refuse(`names the script ${JSON.stringify(script)}, not a relative path to a ${SCRIPT_KINDS} file`);
  if (typeof scriptSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(scriptSha256)) throw refuse('has no script SHA-256');
  if (lockfileSha256 !== null && !(typeof lockfileSha256 === 'string' && /^[0-9a-f]{64}$/.test(lockfileSha256))) throw refuse('has no lockfile SHA-256');
  if (typeof seed !== 'string' || !/^-?\d+$/.test(seed)) throw refuse(`has the seed ${JSON.stringify(seed)}`);
  if (!Number.isSafeInteger(repeat) || (repeat as number) < 0) throw refuse(`has the repeat ${JSON.stringify(repeat)}`);
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw refuse('has script arguments that are not strings');
  if (threads !== undefined && !(Number.isSafeInteger(threads) && (threads as number) >= 1 && (threads as number) <= MAX_THREADS)) throw refuse(`has the thread count ${JSON.stringify(threads)}`);
  if (backend !== undefined && !(typeof backend === 'string' && /^[\w-]+$/.test(backend))) throw refuse(`has the backend ${JSON.stringify(backend)}`);
  if (trace !== undefined && trace !== 'epochs' && trace !== 'steps' && trace !== 'ops') throw refuse(`has the trace ${JSON.stringify(trace)}`);
  if (name !== undefined && typeof name !== 'string') throw refuse(`has the name ${JSON.stringify(name)}`);
  return {
    script, scriptSha256, lockfileSha256, seed, repeat: repeat as number, args: args as string[], sweep: String(sweep),
    ...(threads !== undefined ? { threads: threads as number } : {}), ...(backend !== undefined ? { backend } : {}),
    ...(trace !== undefined ? { trace } : {}), ...(name !== undefined ? { name } : {}),
  };
}

/** The script in this checkout, when it is the one the job recorded (same SHA-256, same lockfile); otherwise the refusal. */
function localScript(spec: JobSpec, root: string): string {
  const refuse = (why: string) => new UnrecoverableError(`refused by ${workerName()}: ${why}`);
  const script = resolve(root, spec.script);
  const sha = fileSha256(script);
  if (sha === null) throw refuse(`this checkout (${root}) has no ${spec.script}`);
  const real = realpathSync(script);
  const inside = relative(realpathSync(root), real);
  if (inside.startsWith('..') || isAbsolute(inside)) throw refuse(`${spec.script} leads outside this checkout (${root})`);
  if (sha !== spec.scriptSha256) throw refuse(`${spec.script} has SHA-256 ${sha.slice(0, 16)}... in this checkout, the job recorded ${spec.scriptSha256.slice(0, 16)}...`);
  // Read for every job: the checkout may change under a running worker (a pull, an install).
  const lockfileSha256 = fileSha256(join(root, 'package-lock.json'));
  if (lockfileSha256 !== spec.lockfileSha256) {
    throw refuse(`package-lock.json has SHA-256 ${lockfileSha256?.slice(0, 16) ?? '(none)'}${lockfileSha256 ? '...' : ''} in this checkout, the job recorded ${spec.lockfileSha256?.slice(0, 16) ?? '(none)'}${spec.lockfileSha256 ? '...' : ''}`);
  }
  return real;
}

export async function commandWorker(parsed: Parsed, log: (line: string) => void): Promise<number> {
  const url = stringFlag(parsed, 'queue');
  if (url === undefined) throw new UsageError('Expected --queue redis://host:port[/db]. Received: nothing');
  if (parsed.positionals.length) throw new UsageError(`Expected no positional arguments. Received: ${JSON.stringify(parsed.positionals)}`);
  const concurrency = integerFlag(parsed, 'concurrency', 1, MAX_CONCURRENCY) ?? 1;
  const threads = integerFlag(parsed, 'threads', 1, MAX_THREADS);
  // The lock a worker holds on its jobs, renewed at half this; a job whose lock lapsed (its worker vanished) is handed on after it.
  const lockMs = integerFlag(parsed, 'lock-ms', 200, MAX_TIMER_MS) ?? 30_000;
  const sharedStore = stringFlag(parsed, 'store');
  const idleSeconds = integerFlag(parsed, 'exit-when-idle', 1, Math.floor(MAX_TIMER_MS / 1000));
  const options = await connectionOptions(url);
  const root = projectRoot(process.cwd());
  if (sharedStore === undefined) removeOrphanedRuns();
  const results = new Redis(options);
  results.on('error', () => undefined);
  const name = workerName();

  let running = 0;
  const run = async (job: Job): Promise<JobResult> => {
    running++;
    try {
      return await runJob(job);
    } finally {
      running--;
    }
  };
  const runJob = async (job: Job): Promise<JobResult> => {
    let spec: JobSpec;
    let script: string;
    try {
      spec = checkedSpec(job.data);
      script = localScript(spec, root);
    } catch (error) {
      log(`job ${job.id}: ${(error as Error).message}`);
      throw error;
    }
    const label = `job ${job.id} seed ${spec.seed}${spec.repeat ? ` repeat ${spec.repeat}` : ''}`;
    const store = sharedStore ?? mkdtempSync(join(tmpdir(), `${TEMPORARY_PREFIX}${process.pid}-`));
    try {
      const jobThreads = spec.threads ?? threads;
      const invocation: Invocation = {
        script, args: spec.args, seed: spec.seed,
        ...(jobThreads !== undefined ? { threads: jobThreads } : {}),
        ...(spec.backend !== undefined ? { backend: spec.backend } : {}),
        ...(spec.name !== undefined ? { name: spec.name } : {}),
        ...(spec.trace !== undefined ? { trace: spec.trace } : {}),
      };
      // BullMQ counts an attempt as started when a worker takes the job (attemptsStarted, incremented as it moves
      // to active, including takeovers after a vanished worker); attemptsMade counts only attempts that ended
      // in an error here, so a job taken over after SIGKILL would wrongly read as attempt 1.
      const attempt = Math.max(1, job.attemptsStarted);
      log(`${label}: running ${spec.script} (attempt ${attempt})`);
      const execution = await execute(store, invocation, () => undefined);
      const mode = sharedStore === undefined ? 'redis' : 'shared';
      const record: WorkerRecord = { worker: name, host: hostname(), pid: process.pid, job: String(job.id), attempt, store: mode };
      writeJson(join(execution.dir, 'worker.json'), record);
      const status = readStatus(execution.dir);
      if (mode === 'redis') await uploadRun(results, String(job.id), execution.dir, execution.id);
      const reason = status?.error?.message ?? `exit code ${execution.exitCode}`;
      log(`${label}: run ${execution.id} ${status?.status ?? 'without a status'} in ${execution.seconds.toFixed(1)}s${status?.status === 'completed' ? '' : `: ${reason}`}`);
      if (execution.writeError) throw new Error(`run ${execution.id}: ${execution.writeError}`);
      if (status?.status === 'completed') return { run: execution.id, status: status.status, worker: name, store: mode };
      // The script's own failure would fail again: recorded, never retried. An interrupted run (this worker was stopped) is.
      if (status?.status === 'failed') throw new UnrecoverableError(`run ${execution.id} failed: ${reason}`);
      throw new Error(`run ${execution.id} ${status?.status ?? 'ended without a status'} on ${name}: ${reason}`);
    } finally {
      if (sharedStore === undefined) rmSync(store, { recursive: true, force: true });
    }
  };

  const worker = new Worker(QUEUE_NAME, run, {
    connection: options, concurrency, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: MAX_STALLED, autorun: false,
  });
  // While Redis is away every reconnection attempt fails the same way: said once, until it changes.
  let lastError: string | undefined;
  worker.on('error', (error) => {
    if (error.message !== lastError) log(`worker ${name}: ${error.message}`);
    lastError = error.message;
  });
  worker.on('ready', () => { lastError = undefined; });
  const stop = new Promise<string>((resolveStop) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolveStop(signal));
  });
  void worker.run();
  await worker.waitUntilReady();
  log(`worker ${name} ready: queue ${safeUrl(url)}, concurrency ${concurrency}, ${sharedStore === undefined ? 'runs sent back through Redis' : `runs written to ${resolve(sharedStore)}`}`);
  const idle = idleSeconds === undefined ? undefined : whenIdle(options, idleSeconds, () => running);
  const reason = await Promise.race([stop, ...(idle ? [idle.promise] : [])]);
  idle?.cancel();
  // Running jobs get the signal from execute() and end interrupted; their jobs go back to the queue.
  log(`worker ${name}: ${reason}, stopping (closing the queue connection after running jobs end)`);
  await worker.close();
  await results.quit().catch(() => undefined);
  log(`worker ${name} stopped`);
  return 0;
}

/**
 * Resolves once the queue has had no job waiting, delayed or active (on any worker: one may
 * vanish and leave its job to this one) and this worker none running, for `seconds`: a worker
 * in a batch system (a Kubernetes Job) then ends, and its pod completes.
 */
function whenIdle(options: Connection, seconds: number, running: () => number): { promise: Promise<string>; cancel: () => void } {
  const queue = new Queue(QUEUE_NAME, { connection: options });
  let timer: NodeJS.Timeout | undefined;
  let idleSince: number | undefined;
  const promise = new Promise<string>((resolveIdle) => {
    const check = async () => {
      try {
        const counts = await queue.getJobCounts('wait', 'delayed', 'prioritized', 'active');
        const busy = running() > 0 || Object.values(counts).some((n) => n > 0);
        idleSince = busy ? undefined : idleSince ?? Date.now(); // non-numeric: when an idle worker exits
      } catch {
        idleSince = undefined;
      }
      if (idleSince !== undefined && Date.now() - idleSince >= seconds * 1000) resolveIdle(`the queue was idle for ${seconds} s`); // non-numeric: idle timeout
      else timer = setTimeout(check, 500);
    };
    timer = setTimeout(check, 500);
  });
  return { promise, cancel: () => { clearTimeout(timer); void queue.close(); } };
}
