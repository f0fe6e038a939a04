/**
 * `verbatim run --queue` and `verbatim status`: a sweep is one job per (script, seed, repeat,
 * options) on the BullMQ queue; the submitter follows the jobs as they finish, writes the runs
 * sent back through Redis into its store (or finds them there, written by workers sharing it),
 * and ends with the same summary as a local run, plus on which workers and machines runs of the
 * same seed were bit-identical. Following survives a Redis restart (it waits and polls again)
 * and never hangs on a job Redis lost (it is reported lost).
 */
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fileSha256 } from '../runs/environment.js';
import { UsageError } from '../errors.js';
import { signalExitCode, type Invocation } from './execute.js';
import { loadRun, printable, table, type RunDetails } from './inspect.js';
import {
  connectionOptions, downloadRun, jobId, QUEUE_NAME, readWorkerRecord, safeUrl, sweepId, sweepKey,
  type Connection, type JobResult, type JobSpec, type SweepRecord,
} from './queue.js';
import { ATTEMPTS } from './queue-policy.js';
import { sameSeedReport, statisticsTable } from './summary.js';
import { projectRoot } from './trust.js';

export interface SweepRequest {
  url: string;
  store: string;
  base: Omit<Invocation, 'seed'>;
  seeds: string[];
  repeats: number;
  detach: boolean;
  metric?: string;
}

type Print = (line: string) => void;
const POLL_MS = 300;

function jobSpecs(request: SweepRequest): JobSpec[] {
  const root = projectRoot(process.cwd());
  const file = resolve(request.base.script);
  if (!existsSync(file)) throw new UsageError(`Expected a script file. Received: ${request.base.script} (not found)`);
  const inside = relative(realpathSync(root), realpathSync(file));
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new UsageError(`Expected a script inside this project (${root}), where workers find it in their checkout. Received: ${request.base.script}`);
  }
  const { threads, backend, trace, name, args } = request.base;
  const common = {
    script: inside.split('\\').join('/'), scriptSha256: fileSha256(file)!, lockfileSha256: fileSha256(join(root, 'package-lock.json')), args,
    ...(threads !== undefined ? { threads } : {}), ...(backend !== undefined ? { backend } : {}),
    ...(trace !== undefined ? { trace } : {}), ...(name !== undefined ? { name } : {}),
  };
  return request.seeds.flatMap((seed) => Array.from({ length: request.repeats }, (_, repeat) => ({ ...common, seed, repeat, sweep: '' })));
}

/** Submits the sweep; with --detach returns at once, else follows it to the end. */
export async function submitSweep(request: SweepRequest, print: Print, printError: Print): Promise<number> {
  const specs = jobSpecs(request);
  const options = await connectionOptions(request.url);
  const ids = specs.map(jobId);
  const sweep = sweepId(ids);
  const { queue, redis } = connect(options);
  try {
    let fresh = 0;
    let retried = 0;
    for (const [i, spec] of specs.entries()) {
      const existing = await queue.getJob(ids[i]!);
      if (existing && (await existing.getState()) === 'failed') {
        // Submitting again is how a failed job (a refusal, a script fixed since) is run again.
        await existing.retry('failed');
        retried++;
      } else if (!existing) {
        await queue.add('run', { ...spec, sweep }, { jobId: ids[i]!, attempts: ATTEMPTS, removeOnComplete: false, removeOnFail: false });
        fresh++;
      }
    }
    const record: SweepRecord = { id: sweep, jobs: ids, script: specs[0]!.script, ...(request.base.name ? { name: request.base.name } : {}), submittedAt: new Date().toISOString() };
    await redis.set(sweepKey(sweep), JSON.stringify(record));
    printError(`sweep ${sweep}: ${ids.length} jobs on ${safeUrl(request.url)} (${fresh} new, ${retried} failed ones retried, ${ids.length - fresh - retried} already queued or done)\n`);
    if (request.detach) {
      print(`sweep ${sweep}`);
      print(`follow it with: verbatim status ${sweep} --queue ${safeUrl(request.url)}`);
      return 0;
    }
    return await follow(queue, redis, record, request, print, printError, true);
  } finally {
    await closeQuickly(queue, redis);
  }
}

/** Closes the connections; when Redis is gone (the user stopped waiting for it), without waiting. */
async function closeQuickly(queue: Queue, redis: Redis): Promise<void> {
  redis.disconnect();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([queue.close(), new Promise((r) => { timer = setTimeout(r, 1000); })]);
  clearTimeout(timer);
  await Promise.race([queue.disconnect(), new Promise((r) => { timer = setTimeout(r, 1000); })]);
  clearTimeout(timer);
}

/** The queue's connections; losing Redis is said by follow(), not as an error per reconnection attempt. */
function connect(options: Connection): { queue: Queue; redis: Redis } {
  const queue = new Queue(QUEUE_NAME, { connection: options });
  const redis = new Redis(options);
  queue.on('error', () => undefined);
  redis.on('error', () => undefined);
  return { queue, redis };
}

/** `verbatim status <sweep>`: where each job stands; finished runs written into the store; with --wait, follows to the end. */
export async function sweepStatus(sweep: string, request: Omit<SweepRequest, 'base' | 'seeds' | 'repeats' | 'detach'>, wait: boolean, print: Print, printError: Print): Promise<number> {
  const options = await connectionOptions(request.url);
  const { queue, redis } = connect(options);
  try {
    const raw = await redis.get(sweepKey(sweep));
    if (raw === null) throw new UsageError(`Expected the id of a sweep submitted to ${safeUrl(request.url)}. Received: sweep=${JSON.stringify(sweep)} (no such sweep)`);
    return await follow(queue, redis, JSON.parse(raw) as SweepRecord, request, print, printError, wait);
  } finally {
    await closeQuickly(queue, redis);
  }
}

/** `verbatim status` without a sweep id: every sweep submitted to this Redis, oldest first, with its jobs' states. */
export async function listSweeps(url: string, print: Print): Promise<number> {
  const options = await connectionOptions(url);
  const { queue, redis } = connect(options);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', sweepKey('*'), 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const sweeps = (await Promise.all(keys.map(async (k) => JSON.parse((await redis.get(k)) ?? 'null') as SweepRecord | null)))
      .filter((r) => r !== null).sort((a, b) => (a.submittedAt < b.submittedAt ? -1 : 1));
    if (sweeps.length === 0) {
      print(`(no sweeps on ${safeUrl(url)})`);
      return 0;
    }
    const rows = [['sweep', 'submitted', 'script', 'name', 'jobs', 'states']];
    for (const sweep of sweeps) {
      const states = new Map<string, number>();
      for (const id of sweep.jobs) {
        const state = await queue.getJobState(id);
        states.set(state, (states.get(state) ?? 0) + 1);
      }
      rows.push([sweep.id, sweep.submittedAt, sweep.script, sweep.name ?? '', String(sweep.jobs.length), [...states].map(([k, n]) => `${n} ${k === 'unknown' ? 'lost' : k}`).join(', ')]);
    }
    print(table(rows));
    return 0;
  } finally {
    await closeQuickly(queue, redis);
  }
}

interface Outcome {
  job: string;
  state: 'completed' | 'failed' | 'lost';
  seed: string;
  run?: string;
  line: string;
}

/** A finished job's outcome, its run written into the store; while the job is unfinished, where it stands. */
async function outcome(queue: Queue, id: string, redis: Redis, store: string): Promise<Outcome | string> {
  // The state first, then the job: a job read before it failed would lack its reason and attempts.
  const state = await queue.getJobState(id);
  const job = state === 'unknown' ? undefined : await queue.getJob(id);
  if (!job) return { job: id, state: 'lost', seed: '?', line: `job ${id} is not in Redis any more (lost): submit the sweep again to run it` };
  const spec = job.data as JobSpec;
  const label = `seed ${spec.seed}${spec.repeat ? ` repeat ${spec.repeat}` : ''}`;
  if (state !== 'completed' && state !== 'failed') return `${label}: ${state}${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}`;
  if (state === 'failed') {
    const run = await downloadRun(redis, id, store);
    const attempts = `after ${job.attemptsMade} attempt${job.attemptsMade === 1 ? '' : 's'}${job.stalledCounter ? `, ${job.stalledCounter} lost worker${job.stalledCounter === 1 ? '' : 's'}` : ''}`;
    return { job: id, state, seed: spec.seed, ...(run ? { run } : {}), line: `${label} failed ${attempts}: ${job.failedReason}${run ? ` (run ${run})` : ''}` };
  }
  // Redis is input like a store: a result of another shape is reported, never followed.
  const value = job.returnvalue as Partial<JobResult> | null | undefined;
  if (!value || typeof value !== 'object' || typeof value.run !== 'string' || !/^[\w-][\w.-]*$/.test(value.run) || typeof value.worker !== 'string'
    || (value.store !== 'redis' && value.store !== 'shared')) {
    return { job: id, state: 'failed', seed: spec.seed, line: `${label}: job ${id} holds no valid result in Redis (Expected {run, worker, store}. Received: ${printable(JSON.stringify(value) ?? String(value)).slice(0, 200)})` };
  }
  const result = { ...value, worker: printable(value.worker) } as JobResult;
  if (result.store === 'redis') await downloadRun(redis, id, store, result.run);
  if (!existsSync(join(store, result.run))) {
    const why = result.store === 'redis' ? 'and Redis no longer holds its files' : 'that worker writes a store of its own (--store); run this command with the same --store';
    return { job: id, state: 'failed', seed: spec.seed, line: `${label} completed as run ${result.run} on ${result.worker}, which is not in ${store}: ${why}` };
  }
  const digest = loadRun(store, result.run).summary.digest?.slice(0, 12) ?? '';
  return { job: id, state, seed: spec.seed, run: result.run, line: `${label} completed: run ${result.run} ${digest} on ${result.worker}` };
}

/**
 * Polls the sweep's jobs until all finished (or once, without `wait`), printing each as it
 * finishes, then the summary. A Redis restart is waited for (commands wait until it is back),
 * said once each way; SIGINT or SIGTERM stop following at once, the sweep going on.
 */
async function follow(queue: Queue, redis: Redis, sweep: SweepRecord, request: { store: string; metric?: string; url: string }, print: Print, printError: Print, wait: boolean): Promise<number> {
  const finished = new Map<string, Outcome>();
  let interrupted: NodeJS.Signals | undefined;
  let wake = () => undefined as void;
  const interruption = new Promise<void>((r) => { wake = r; });
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    wake();
  };
  let lost = false;
  const onLost = () => {
    if (!lost) printError(`lost Redis at ${safeUrl(request.url)}; waiting for it (Ctrl-C stops following, the sweep goes on)\n`);
    lost = true;
  };
  const onBack = () => {
    if (lost) printError(`Redis at ${safeUrl(request.url)} answers again\n`);
    lost = false;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  redis.on('reconnecting', onLost);
  redis.on('ready', onBack);
  try {
    for (;;) {
      const pending: string[] = [];
      const pass = (async () => {
        for (const id of sweep.jobs) {
          if (finished.has(id) || interrupted) continue;
          const result = await outcome(queue, id, redis, request.store);
          if (typeof result === 'string') {
            pending.push(result);
            continue;
          }
          finished.set(id, result);
          printError(`[${finished.size}/${sweep.jobs.length}] ${result.line}\n`);
        }
      })();
      await Promise.race([pass, interruption]);
      if (interrupted) {
        pass.catch(() => undefined);
        break;
      }
      if (pending.length === 0 || !wait) {
        for (const line of pending) printError(`${line}\n`);
        break;
      }
      await Promise.race([new Promise((r) => setTimeout(r, POLL_MS)), interruption]);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    redis.off('reconnecting', onLost);
    redis.off('ready', onBack);
  }
  const outcomes = sweep.jobs.map((id) => finished.get(id)).filter((o) => o !== undefined);
  if (outcomes.length < sweep.jobs.length) {
    print(`sweep ${sweep.id}: ${outcomes.length} of ${sweep.jobs.length} jobs finished; the others are queued or running (verbatim status ${sweep.id} --queue ${safeUrl(request.url)} --wait)`);
  }
  // As after a local run: every run of the sweep (a failed run may have recorded metrics too).
  const runs: RunDetails[] = outcomes.filter((o) => o.run !== undefined && existsSync(join(request.store, o.run))).map((o) => loadRun(request.store, o.run!));
  print('');
  print(statisticsTable(runs, request.metric));
  const placement = (r: RunDetails) => {
    const record = readWorkerRecord(request.store, r.summary.id);
    return record ? { worker: record.worker, host: record.host } : undefined;
  };
  for (const line of sameSeedReport(runs, placement)) print(line);
  const failed = outcomes.filter((o) => o.state !== 'completed').length;
  if (failed) print(`${failed} of ${sweep.jobs.length} jobs failed or were lost`);
  if (interrupted) {
    printError(`verbatim: ${interrupted}: stopped following; the sweep goes on (verbatim status ${sweep.id} --queue ${safeUrl(request.url)})\n`);
    return signalExitCode(interrupted);
  }
  return failed ? 1 : 0;
}
