/**
 * The run queue shared by `verbatim run --queue` (which submits jobs) and `verbatim worker`
 * (which runs them), on BullMQ over Redis: the Redis URL, a connection check that never hangs,
 * each job's identity and data, and a run directory carried through Redis (results mode).
 *
 * A job is one run of one script with one seed (and repeat index) and options. Its id is a hash of
 * the script's SHA-256, the lockfile's SHA-256, the seed, the repeat index and the options, so the
 * same request made twice names the same job and BullMQ keeps one. Attempts are bounded: a script
 * that fails is never retried, a worker that vanishes (SIGKILL, a lost machine) leaves its job to
 * another worker up to MAX_STALLED times, any other error (the worker stopped by a signal, an
 * unwritable store) is retried until ATTEMPTS attempts were made (both in queue-policy.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { ensureDirectory } from '../runs/store.js';
import { UsageError } from '../errors.js';
import { CONNECT_TIMEOUT_MS } from './queue-policy.js';

export const QUEUE_NAME = 'verbatim-runs';
const KEY_PREFIX = 'verbatim:';
/** Results through Redis carry run directories up to this size; larger runs need a shared store. */
export const MAX_RESULT_BYTES = 256 * 1024 * 1024;

/** Connection options that both ioredis and BullMQ accept. */
export interface Connection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
  connectTimeout: number;
  maxRetriesPerRequest: null;
}

/** The connection options for a redis:// (or rediss://) URL: host, port (6379), database (0), user and password. */
export function redisOptions(url: string): Connection {
  const expected = `--queue: Expected a Redis URL redis://host:port[/db]. Received: ${url}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(expected);
  }
  const database = parsed.pathname === '' || parsed.pathname === '/' ? '0' : parsed.pathname.slice(1);
  // `host:` with nothing after the colon is a port left out by mistake, not the default port.
  const emptyPort = /^rediss?:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(?:\/|$)/.test(url);
  if (!['redis:', 'rediss:'].includes(parsed.protocol) || !parsed.hostname || !/^\d{1,9}$/.test(database) || parsed.search || parsed.hash
    || emptyPort || parsed.port === '0') {
    throw new UsageError(expected);
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 6379,
    db: Number(database),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    // BullMQ's workers need this; for everyone it means a command waits out a Redis restart.
    maxRetriesPerRequest: null,
  };
}

/** The URL without its password, for messages and records. */
export function safeUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * Checks that Redis answers at `url` within CONNECT_TIMEOUT_MS (a bad host, a closed port or a
 * server that never answers is an error, never a hang) and returns the connection options.
 */
export async function connectionOptions(url: string): Promise<Connection> {
  const options = redisOptions(url);
  // Database 0 on connecting, then SELECT by hand: ioredis's own SELECT on connect fails silently and leaves
  // the connection on database 0, so a database beyond the server's range would be used as 0.
  const probe = new Redis({ ...options, db: 0, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  // The 'error' event carries the cause (ECONNREFUSED, ETIMEDOUT, NOAUTH); connect() then only says the connection closed.
  let cause: Error | undefined;
  probe.on('error', (error: Error) => { cause ??= error; });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS + 500);
  });
  try {
    await Promise.race([probe.connect().then(() => probe.ping()), deadline]);
  } catch (error) {
    // A connection still being attempted (a server that never answers) would keep the process alive.
    probe.disconnect();
    throw new Error(`--queue ${safeUrl(url)}: Expected a Redis server answering within ${CONNECT_TIMEOUT_MS / 1000} s. Received: ${(cause ?? error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  try {
    await checkDatabase(probe, url, options.db);
  } finally {
    probe.disconnect();
  }
  return options;
}

/** The URL's database must exist on the server: SELECT decides; CONFIG GET databases, when allowed, names the range. */
async function checkDatabase(probe: Redis, url: string, db: number): Promise<void> {
  try {
    await probe.select(db);
  } catch (error) {
    let range = 'the databases the server has';
    try {
      const [, count] = (await probe.config('GET', 'databases')) as string[];
      if (count !== undefined && /^\d+$/.test(count)) range = `0 to ${Number(count) - 1} (the server's databases ${count})`;
    } catch {
      // CONFIG may be disabled or renamed (managed Redis): the message then names no number.
    }
    throw new UsageError(`--queue ${safeUrl(url)}: Expected a database number from ${range}. Received: db=${db} (${(error as Error).message})`);
  }
}

/** What a worker needs to run one job, as the submitter recorded it. */
export interface JobSpec {
  /** The script's path relative to the project root (the nearest package.json), with '/' separators. */
  script: string;
  scriptSha256: string;
  /** package-lock.json's SHA-256 (null when the project has none). */
  lockfileSha256: string | null;
  seed: string;
  /** Which repeat of the seed (0 unless --repeats): repeats of one seed are separate jobs. */
  repeat: number;
  args: string[];
  threads?: number;
  backend?: string;
  trace?: 'epochs' | 'steps' | 'ops';
  /** The runs' name: a label, not part of the job's identity. */
  name?: string;
  /** The sweep the job was first submitted with. */
  sweep: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The job's id: the same script, lockfile, seed, repeat and options give the same id (the name and sweep do not count). */
export function jobId(spec: JobSpec): string {
  const { name: _name, sweep: _sweep, ...identity } = spec;
  const ordered = Object.fromEntries(Object.entries(identity).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `run-${sha256(JSON.stringify(ordered)).slice(0, 32)}`;
}

/** A sweep's id: a hash of its jobs' ids, so submitting the same sweep twice names the same sweep. */
export function sweepId(jobIds: readonly string[]): string {
  return sha256([...jobIds].sort().join('\n')).slice(0, 12);
}

export interface SweepRecord {
  id: string;
  jobs: string[];
  script: string;
  name?: string;
  submittedAt: string;
}

export const sweepKey = (id: string) => `${KEY_PREFIX}sweep:${id}`;
/** The run directory sent back for one run, and per job the run its last attempt sent (a failed job returns nothing). */
const runKey = (run: string) => `${KEY_PREFIX}run:${run}`;
const lastRunKey = (job: string) => `${KEY_PREFIX}last-run:${job}`;

/** The worker a run came from, written into its directory as worker.json. */
export interface WorkerRecord {
  worker: string;
  host: string;
  pid: number;
  job: string;
  attempt: number;
  store: 'shared' | 'redis';
}

export function workerName(): string {
  return `${hostname()}:${process.pid}`;
}

/** What a completed job returns: the run's id and where its directory is. */
export interface JobResult {
  run: string;
  status: string;
  worker: string;
  store: 'shared' | 'redis';
}

const RUN_ID = /^[\w-][\w.-]*$/;
const RUN_FILE = /^[\w-][\w.-]*(\/[\w-][\w.-]*)*$/;

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesOf(path) : [path];
  });
}

/**
 * Sends a run directory through Redis: one hash per run (every file's bytes), and the job's
 * last run named beside it. Attempts of one job (a worker that lost its job's lock and finished
 * anyway) send different runs, so the run a completed job returns is the one written back.
 */
export async function uploadRun(redis: Redis, job: string, dir: string, run: string): Promise<void> {
  const files = filesOf(dir).map((path) => [relative(dir, path).split('\\').join('/'), readFileSync(path)] as const);
  const bytes = files.reduce((n, [, data]) => n + data.length, 0);
  if (bytes > MAX_RESULT_BYTES) {
    throw new Error(`the run directory holds ${(bytes / 2 ** 20).toFixed(0)} MiB, more than results through Redis carry (${MAX_RESULT_BYTES / 2 ** 20} MiB): give the workers a shared store (--store)`);
  }
  const fields: (string | Buffer)[] = ['run', run];
  for (const [name, data] of files) fields.push(`file:${name}`, data);
  await redis.multi().del(runKey(run)).hset(runKey(run), ...fields).set(lastRunKey(job), run).exec();
}

/**
 * Writes a run sent through Redis (`run`, else the job's last) into `store`, unless it is there
 * already: into a hidden directory first, renamed into place, so the store never shows half a
 * run. What Redis holds is input like any other: the run id and file names must be plain names.
 */
export async function downloadRun(redis: Redis, job: string, store: string, run?: string): Promise<string | undefined> {
  const id = run ?? (await redis.get(lastRunKey(job))) ?? undefined;
  if (id === undefined) return undefined;
  if (!RUN_ID.test(id)) throw new Error(`job ${job} names the run ${JSON.stringify(id)}, not a run id`);
  const target = join(store, id);
  if (existsSync(target)) return id;
  const hash = await redis.hgetallBuffer(runKey(id));
  if (hash.run?.toString() !== id) return undefined;
  const files = Object.entries(hash).filter(([field]) => field.startsWith('file:')).map(([field, data]) => [field.slice('file:'.length), data] as const);
  for (const [name] of files) {
    if (!RUN_FILE.test(name) || name.split('/').includes('..')) throw new Error(`the run ${id} sent by job ${job} holds the file name ${JSON.stringify(name)}, not a plain relative path`);
  }
  const partial = join(store, `.${id}.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  for (const [name, data] of files) {
    ensureDirectory(dirname(join(partial, name)));
    writeFileSync(join(partial, name), data);
  }
  ensureDirectory(store);
  renameSync(partial, target);
  return id;
}

/** The worker record of a run in `store`, if it came from a worker. */
export function readWorkerRecord(store: string, run: string): WorkerRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(store, run, 'worker.json'), 'utf8')) as WorkerRecord;
  } catch {
    return undefined;
  }
}
