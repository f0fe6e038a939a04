/**
 * Repeats and seed sweeps on the run queue (issue 12): a real redis-server bound to 127.0.0.1 on a
 * free port, real `verbatim worker` processes and real signals; no mocks. Skipped, saying why,
 * where redis-server is not installed (.ci/run installs it).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { REPO_ROOT, freePort } from './helpers/process.js';
import { Queue } from 'bullmq';
import { downloadRun, jobId, QUEUE_NAME, redisOptions, safeUrl } from '../src/cli/queue.js';
import { MAX_STALLED } from '../src/cli/queue-policy.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'queue');
const STORE = join(WORK, 'store');
const TUTORIAL = join(REPO_ROOT, 'examples/modern-tutorial.ts');
const redisMissing = spawnSync('redis-server', ['--version']).error !== undefined;

/**
 * A small fit whose epoch count comes from its worker's environment (QUEUE_TEST_EPOCHS, else its
 * first argument): a worker started with a huge count is sure to be killed in the middle of it.
 */
const SLOW = `import * as vb from 'verbatim';
vb.setRandomSeed(1);
const x = vb.random.normal(vb.random.key(1), [256, 8]);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 16, inputShape: [8], activation: 'relu' }), vb.layers.dense({ units: 1 })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(x, vb.sum(x, 1, true), { epochs: Number(process.env.QUEUE_TEST_EPOCHS ?? process.argv[2] ?? 3), batchSize: 32, verbose: 0 });
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process whose output is collected, to wait for lines in it. */
class Proc {
  output = '';
  readonly exit: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => { this.output += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { this.output += d.toString(); });
    this.exit = new Promise((r) => child.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  }

  async waitFor(pattern: RegExp, ms = 30_000): Promise<void> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (pattern.test(this.output)) return;
    throw new Error(`timed out waiting for ${pattern} in:\n${this.output}`);
  }
}

const processes = new Set<Proc>();
function start(command: string, args: string[], cwd = WORK, env: Record<string, string> = {}): Proc {
  const p = new Proc(spawn(command, args, { cwd, env: { ...process.env, VERBATIM_STORE: STORE, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  processes.add(p);
  void p.exit.then(() => processes.delete(p));
  return p;
}

async function stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  p.child.kill(signal);
  return p.exit;
}

class RedisServer {
  private proc: Proc | undefined;
  constructor(readonly port: number, readonly dir: string, readonly persistent: boolean) {}
  get url() { return `redis://127.0.0.1:${this.port}`; }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const persistence = this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--save', '', '--appendonly', 'no'];
    this.proc = start('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, ...persistence], this.dir);
    await this.proc.waitFor(/Ready to accept connections/, 10_000);
  }

  async stop(): Promise<void> {
    if (this.proc) await stop(this.proc);
    this.proc = undefined;
  }
}

const workers = new Set<Proc>();
async function worker(url: string, ...extra: string[]): Promise<Proc> {
  return workerIn(REPO_ROOT, url, {}, ...extra);
}

/** A worker whose checkout is `root` (its working directory), taking jobs over after a 1 s lock. */
async function workerIn(root: string, url: string, env: Record<string, string>, ...extra: string[]): Promise<Proc> {
  const p = start(process.execPath, [CLI, 'worker', '--queue', url, '--lock-ms', '1000', ...extra], root, env);
  workers.add(p);
  await p.waitFor(/ready: queue/);
  return p;
}

function cli(args: string[], cwd = WORK): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function run(args: string[], store = STORE): Promise<{ code: number | null; output: string }> {
  const p = start(process.execPath, [CLI, 'run', '--store', store, ...args]);
  const code = await p.exit;
  return { code, output: p.output };
}

interface Listed { id: string; seed: string; status: string; digest: string }
const listed = (store = STORE): Listed[] => JSON.parse(cli(['ls', '--json', '--store', store]).stdout) as Listed[];
const runningLines = (p: Proc) => (p.output.match(/: running /g) ?? []).length;

function script(name: string, body: string): string {
  const file = join(WORK, name);
  writeFileSync(file, body);
  return file;
}

describe('run queue: job identity and URLs (no Redis needed)', () => {
  const spec = {
    script: 'examples/modern-tutorial.ts', scriptSha256: 'a'.repeat(64), lockfileSha256: 'b'.repeat(64), seed: '7', repeat: 0, args: ['--x'], sweep: 's1',
  };

  it('the job id depends on the script, lockfile, seed, repeat and options, not on the name, the sweep or key order', () => {
    const id = jobId(spec);
    assert.match(id, /^run-[0-9a-f]{32}$/);
    assert.equal(jobId({ ...spec, name: 'other', sweep: 's2' }), id);
    assert.equal(jobId(Object.fromEntries(Object.entries(spec).reverse()) as typeof spec), id);
    const changed = [
      { scriptSha256: 'c'.repeat(64) }, { lockfileSha256: null }, { seed: '8' }, { repeat: 1 }, { args: [] }, { threads: 2 }, { backend: 'reference' },
      { trace: 'steps' as const }, { script: 'examples/classic-tutorial.ts' },
    ];
    const ids = changed.map((c) => jobId({ ...spec, ...c }));
    assert.equal(new Set([id, ...ids]).size, changed.length + 1);
  });

  it('Redis URLs: host, port, database, user and password; the password masked in messages', () => {
    assert.deepEqual(redisOptions('redis://127.0.0.1'), { host: '127.0.0.1', port: 6379, db: 0, connectTimeout: 5000, maxRetriesPerRequest: null });
    assert.deepEqual(redisOptions('redis://me:p%40ss@[::1]:6380/3'), { host: '::1', port: 6380, db: 3, username: 'me', password: 'p@ss', connectTimeout: 5000, maxRetriesPerRequest: null });
    assert.deepEqual(redisOptions('rediss://h:1/').tls, {});
    for (const bad of ['', 'localhost:6379', 'http://h:6379', 'redis://', 'redis://h:6379/db', 'redis://h:6379/1/2', 'redis://h:6379?x=1', 'redis://h:70000',
      'redis://h:/1', 'redis://h:', 'redis://me:pw@h:/1', 'redis://h:0', 'redis://h:6379/-1', 'redis://h:6379/1e3', 'redis://h:6379/99999999999']) {
      assert.throws(() => redisOptions(bad), new RegExp(`--queue: Expected a Redis URL redis://host:port\\[/db\\]\\. Received: ${bad.replace(/[?.*[\]]/g, '\\$&')}$`), bad);
    }
    assert.equal(safeUrl('redis://me:secret@h:6379/1'), 'redis://me:***@h:6379/1');
    assert.equal(safeUrl('redis://:secret@h'), 'redis://:***@h');
  });
});

describe('run queue (BullMQ + Redis)', { skip: redisMissing ? 'redis-server is not installed (apt-get install redis-server; .ci/run installs it)' : false }, () => {
  let redis: RedisServer;
  before(async () => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    redis = new RedisServer(await freePort(), join(WORK, 'redis'), false);
    await redis.start();
  });
  // A test's workers never take the next test's jobs, whatever happened in it.
  afterEach(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all([...workers].map((w) => w.exit));
    workers.clear();
  });
  after(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all([...processes].map((p) => p.exit));
    rmSync(WORK, { recursive: true, force: true });
  });

  it('a sweep of 3 seeds x 2 repeats on 2 workers: 6 completed runs, statistics, bit-identical across the workers; submitting again runs nothing', async () => {
    const pair = [await worker(redis.url), await worker(redis.url)];
    const first = await run([TUTORIAL, '--seeds', '1..3', '--repeats', '2', '--name', 'sweep', '--queue', redis.url]);
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /sweep [0-9a-f]{12}: 6 jobs on .* \(6 new, 0 failed ones retried, 0 already queued or done\)/);
    assert.match(first.output, /\[6\/6\] seed \d( repeat 1)? completed: run \S+ [0-9a-f]{12} on \S+:\d+/);
    assert.match(first.output, /metric\s+seeds\s+mean\s+std\s+median\s+min\s+max\s+95% CI of the mean\nloss\s+3 \(6 runs\)\s/);
    const runs = listed();
    assert.equal(runs.length, 6);
    assert.deepEqual(runs.map((r) => r.status), Array(6).fill('completed'));
    assert.deepEqual([...new Set(runs.map((r) => r.seed))].sort(), ['1', '2', '3']);
    // The digests a local run gives: the queue changes nothing in a run.
    const local = cli(['run', TUTORIAL, '--seeds', '2..3', '--store', join(WORK, 'local')]);
    assert.equal(local.code, 0, local.stderr);
    const localRuns = listed(join(WORK, 'local'));
    assert.deepEqual(localRuns.map((r) => r.seed), ['2', '3']);
    for (const l of localRuns) assert.deepEqual(runs.filter((r) => r.seed === l.seed).map((r) => r.digest), [l.digest, l.digest]);
    assert.equal(new Set(runs.map((r) => r.digest)).size, 3);
    for (const seed of [1, 2, 3]) assert.match(first.output, new RegExp(`seed ${seed}: 2 runs, bit-identical across [12] workers? on 1 machine`));
    // Both workers took jobs, six in all.
    const counts = pair.map(runningLines);
    assert.ok(counts.every((n) => n > 0) && counts[0]! + counts[1]! === 6, String(counts));
    assert.match(first.output, /bit-identical across 2 workers on 1 machine: every seed run more than once gave the same digests/);
    const worker0 = JSON.parse(readFileSync(join(STORE, runs[0]!.id, 'worker.json'), 'utf8')) as { store: string; job: string };
    assert.equal(worker0.store, 'redis');

    const again = await run([TUTORIAL, '--seeds', '1..3', '--repeats', '2', '--queue', redis.url]);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /\(0 new, 0 failed ones retried, 6 already queued or done\)/);
    assert.match(again.output, /loss\s+3 \(6 runs\)\s/);
    assert.equal(listed().length, 6, 'no run was added');
    assert.deepEqual(pair.map(runningLines), counts, 'no job ran again');
    for (const w of pair) {
      assert.equal(await stop(w, 'SIGTERM'), 0, 'a worker stopped by SIGTERM exits 0');
      assert.match(w.output, /SIGTERM, stopping .*\n.* stopped\n$/);
    }
  });

  it('--detach prints the sweep id; status follows it; a shared store receives the runs directly; --exit-when-idle ends the worker', async () => {
    const shared = join(WORK, 'shared');
    const w = await worker(redis.url, '--store', shared, '--exit-when-idle', '1');
    const detached = await run([TUTORIAL, '--seeds', '11,12', '--queue', redis.url, '--detach'], shared);
    assert.equal(detached.code, 0, detached.output);
    const sweep = /^sweep ([0-9a-f]{12})$/m.exec(detached.output)?.[1];
    assert.ok(sweep, detached.output);
    const sweeps = cli(['status', '--queue', redis.url]);
    assert.equal(sweeps.code, 0, sweeps.stderr);
    assert.match(sweeps.stdout, /^sweep\s+submitted\s+script\s+name\s+jobs\s+states\n/);
    assert.match(sweeps.stdout, new RegExp(`${sweep}\\s+\\S+\\s+examples/modern-tutorial\\.ts\\s+2\\s+\\d`));
    const now = cli(['status', sweep, '--queue', redis.url, '--store', shared]);
    assert.match(now.stderr, /seed 1[12]:? (waiting|active|completed)/);
    const status = cli(['status', sweep, '--queue', redis.url, '--store', shared, '--wait']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stderr, /\[2\/2\] seed 1[12] completed/);
    assert.match(status.stdout, /loss\s+2\s/);
    const runs = listed(shared);
    assert.deepEqual(runs.map((r) => [r.seed, r.status]).sort(), [['11', 'completed'], ['12', 'completed']]);
    assert.equal((JSON.parse(readFileSync(join(shared, runs[0]!.id, 'worker.json'), 'utf8')) as { store: string }).store, 'shared');
    // The submitter's own store, not shared with the worker: said, not a crash.
    const elsewhere = cli(['status', sweep, '--queue', redis.url, '--store', join(WORK, 'elsewhere')]);
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /which is not in .*elsewhere: that worker writes a store of its own/);
    assert.equal(await w.exit, 0, w.output);
    assert.match(w.output, /the queue was idle for 1 s, stopping/);
    const unknown = cli(['status', '000000000000', '--queue', redis.url]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Expected the id of a sweep submitted to .*\. Received: sweep="000000000000" \(no such sweep\)/);
  });

  it('a worker killed with SIGKILL mid-job: another worker takes the job over (stalled-job recovery); one completed run', async () => {
    const slow = script('slow.ts', SLOW);
    const store = join(WORK, 'killed');
    const doomed = await workerIn(REPO_ROOT, redis.url, { QUEUE_TEST_EPOCHS: '1000000' });
    const detached = await run([slow, '--seed', '21', '--queue', redis.url, '--detach', '--', '20'], store);
    const sweep = /^sweep ([0-9a-f]{12})$/m.exec(detached.output)![1]!;
    await doomed.waitFor(/seed 21: running/);
    const heir = await worker(redis.url);
    doomed.child.kill('SIGKILL');
    await doomed.exit;
    const status = start(process.execPath, [CLI, 'status', sweep, '--queue', redis.url, '--store', store, '--wait']);
    assert.equal(await status.exit, 0, status.output);
    await heir.waitFor(/seed 21: run \S+ completed/, 5000);
    // The takeover is the job's second attempt (BullMQ's attemptsStarted), in the log and in the run's worker record.
    assert.match(heir.output, /seed 21: running \S+ \(attempt 2\)/);
    assert.match(doomed.output, /seed 21: running \S+ \(attempt 1\)/);
    assert.match(status.output, /\[1\/1\] seed 21 completed: run \S+ [0-9a-f]{12} on \S+/);
    const runs = listed(store);
    assert.deepEqual(runs.map((r) => r.status), ['completed']);
    const record = JSON.parse(readFileSync(join(store, runs[0]!.id, 'worker.json'), 'utf8')) as { pid: number; attempt: number };
    assert.equal(record.pid, heir.child.pid);
    assert.equal(record.attempt, 2);
    assert.doesNotMatch(doomed.output, /completed/);
    // The killed worker's temporary run directory is removed by the next worker started on the machine.
    const leftOver = () => readdirSync(tmpdir()).filter((name) => name.startsWith(`verbatim-worker-${doomed.child.pid}-`));
    assert.equal(leftOver().length, 1);
    await worker(redis.url);
    assert.deepEqual(leftOver(), []);
  });

  it(`a job whose workers keep vanishing fails after ${MAX_STALLED} takeovers, with BullMQ's reason`, async () => {
    const slow = script('slow-vanishing.ts', SLOW);
    const store = join(WORK, 'vanishing');
    const alive = new Set(await Promise.all([0, 1, 2, 3].map(() => workerIn(REPO_ROOT, redis.url, { QUEUE_TEST_EPOCHS: '1000000' }))));
    const detached = await run([slow, '--seed', '23', '--queue', redis.url, '--detach'], store);
    const sweep = /^sweep ([0-9a-f]{12})$/m.exec(detached.output)![1]!;
    for (let killed = 0; killed <= MAX_STALLED; killed++) {
      let victim: Proc | undefined;
      for (const end = Date.now() + 30_000; !victim && Date.now() < end; await sleep(50)) victim = [...alive].find((w) => /seed 23: running/.test(w.output));
      assert.ok(victim, `takeover ${killed} happened`);
      victim.child.kill('SIGKILL');
      await victim.exit;
      alive.delete(victim);
    }
    const status = start(process.execPath, [CLI, 'status', sweep, '--queue', redis.url, '--store', store, '--wait']);
    assert.equal(await status.exit, 1, status.output);
    assert.match(status.output, new RegExp(`seed 23 failed after 1 attempt, ${MAX_STALLED + 1} lost workers: job stalled more than allowable limit`));
    assert.equal(listed(store).length, 0);
  });

  it('a worker stopped by SIGTERM mid-job exits 0; its interrupted job goes back to the queue and another worker completes it', async () => {
    const slow = script('slow-term.ts', SLOW);
    const store = join(WORK, 'terminated');
    const stopping = await workerIn(REPO_ROOT, redis.url, { QUEUE_TEST_EPOCHS: '1000000' });
    const detached = await run([slow, '--seed', '22', '--queue', redis.url, '--detach', '--', '20'], store);
    const sweep = /^sweep ([0-9a-f]{12})$/m.exec(detached.output)![1]!;
    await stopping.waitFor(/seed 22: running/);
    const heir = await worker(redis.url);
    await sleep(500);
    assert.equal(await stop(stopping, 'SIGTERM'), 0, stopping.output);
    assert.match(stopping.output, /seed 22: run \S+ interrupted in [\d.]+s: .*SIGTERM/);
    const status = start(process.execPath, [CLI, 'status', sweep, '--queue', redis.url, '--store', store, '--wait']);
    assert.equal(await status.exit, 0, status.output);
    await heir.waitFor(/seed 22: running .*\(attempt 2\)/, 5000);
    assert.deepEqual(listed(store).map((r) => [r.seed, r.status]), [['22', 'completed']]);
  });

  it('job scripts: the extensions a worker accepts are the ones verbatim run accepts, and its refusal lists them', async () => {
    const w = await worker(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: redisOptions(redis.url) });
    try {
      const data = { scriptSha256: 'a'.repeat(64), lockfileSha256: null, seed: '1', repeat: 0, args: [], sweep: 'x' };
      await queue.add('run', { ...data, script: 'test-output/queue/notes.py' }, { jobId: 'extension-py', attempts: 1 });
      await queue.add('run', { ...data, script: 'test-output/queue/missing.mjs' }, { jobId: 'extension-mjs', attempts: 1 });
      await queue.add('run', { ...data, script: 'test-output/queue/missing.cts' }, { jobId: 'extension-cts', attempts: 1 });
      await w.waitFor(/job extension-py: refused: the job's data names the script "test-output\/queue\/notes\.py", not a relative path to a \.js, \.mjs, \.cjs, \.ts, \.mts or \.cts file/);
      // .mjs and .cts pass the data check and are looked up in the checkout.
      await w.waitFor(/job extension-mjs: refused by \S+: this checkout \(.*\) has no test-output\/queue\/missing\.mjs/);
      await w.waitFor(/job extension-cts: refused by \S+: this checkout \(.*\) has no test-output\/queue\/missing\.cts/);
    } finally {
      await queue.close();
    }
  });

  it('a script that throws: the job fails once with the error, not retried; the failed run is recorded', async () => {
    const throws = script('throws.ts', "import * as vb from 'verbatim';\nvb.setRandomSeed(1);\nthrow new Error('the script failed on purpose');\n");
    const store = join(WORK, 'throws');
    const w = await worker(redis.url);
    const r = await run([throws, '--seed', '31', '--queue', redis.url], store);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /seed 31 failed after 1 attempt: run \S+ failed: the script failed on purpose \(run \S+\)/);
    assert.match(r.output, /1 of 1 jobs failed or were lost/);
    assert.equal(runningLines(w), 1, 'run once');
    const runs = listed(store);
    assert.deepEqual(runs.map((x) => x.status), ['failed']);
    const status = JSON.parse(readFileSync(join(store, runs[0]!.id, 'status.json'), 'utf8')) as { error: { message: string } };
    assert.match(status.error.message, /the script failed on purpose/);
  });

  it('a worker whose checkout has another script or lockfile refuses the job, saying why; not retried', async () => {
    const file = script('checked.ts', readFileSync(TUTORIAL, 'utf8'));
    const store = join(WORK, 'refused');
    // Another checkout of the project: the same relative path, other contents.
    const checkout = join(WORK, 'checkout');
    mkdirSync(join(checkout, 'test-output', 'queue'), { recursive: true });
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(REPO_ROOT, f), join(checkout, f));
    writeFileSync(join(checkout, 'test-output', 'queue', 'checked.ts'), `${readFileSync(file, 'utf8')}\n// edited\n`);
    const w = await workerIn(checkout, redis.url, {});
    const r = await run([file, '--seed', '41', '--queue', redis.url], store);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /seed 41 failed after 1 attempt: refused by \S+: test-output\/queue\/checked\.ts has SHA-256 [0-9a-f]{16}\.\.\. in this checkout, the job recorded [0-9a-f]{16}\.\.\./);
    assert.equal(runningLines(w), 0);
    assert.match(w.output, /job run-[0-9a-f]{32}: refused by \S+: test-output\/queue\/checked\.ts has SHA-256/);
    // The same script, another lockfile: submitting again retries the failed job, which is refused for the lockfile.
    copyFileSync(file, join(checkout, 'test-output', 'queue', 'checked.ts'));
    writeFileSync(join(checkout, 'package-lock.json'), '{"lockfileVersion": 3}\n');
    const again = await run([file, '--seed', '41', '--queue', redis.url], store);
    assert.equal(again.code, 1, again.output);
    assert.match(again.output, /\(0 new, 1 failed ones retried, 0 already queued or done\)/);
    assert.match(again.output, /refused by \S+: package-lock\.json has SHA-256 [0-9a-f]{16}\.\.\. in this checkout, the job recorded [0-9a-f]{16}\.\.\./);
    assert.equal(runningLines(w), 0);
    assert.equal(listed(store).length, 0);
  });

  it('Redis restarted mid-sweep (append-only file): nothing completed is lost; the sweep finishes with one run per seed', async () => {
    const persistent = new RedisServer(await freePort(), join(WORK, 'redis-aof'), true);
    await persistent.start();
    const slow = script('slow-restart.ts', SLOW);
    const store = join(WORK, 'restart');
    await worker(persistent.url);
    const submitter = start(process.execPath, [CLI, 'run', slow, '--seeds', '51..53', '--queue', persistent.url, '--store', store, '--', '30']);
    await submitter.waitFor(/\[1\/3\] seed 51 completed/);
    await persistent.stop();
    await sleep(300);
    await persistent.start();
    assert.equal(await submitter.exit, 0, submitter.output);
    const runs = listed(store);
    assert.deepEqual(runs.map((r) => [r.seed, r.status]).sort(), [['51', 'completed'], ['52', 'completed'], ['53', 'completed']]);
    // After a second restart, a fresh store gets every result back from Redis alone.
    await persistent.stop();
    await persistent.start();
    const sweep = /sweep ([0-9a-f]{12}):/.exec(submitter.output)![1]!;
    const fresh = join(WORK, 'restart-fresh');
    const status = cli(['status', sweep, '--queue', persistent.url, '--store', fresh]);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(listed(fresh).map((r) => r.digest).sort(), runs.map((r) => r.digest).sort());
    const client = new Redis(persistent.url);
    assert.equal(await client.dbsize() > 0, true);
    client.disconnect();
    await persistent.stop();
  });

  it('the same seed on two workers that train differently: the summary names the runs, the workers, the first divergence and the environment differences', async () => {
    // The learning rate comes from the worker's environment: the kind of difference no hash catches.
    const file = script('lr-from-env.ts', SLOW.replace("optimizer: 'sgd'", 'optimizer: vb.optimizers.sgd({ learningRate: Number(process.env.QUEUE_TEST_LR ?? 0.01) })'));
    const store = join(WORK, 'divergent');
    const first = await workerIn(REPO_ROOT, redis.url, { QUEUE_TEST_LR: '0.05' });
    const one = await run([file, '--seed', '61', '--queue', redis.url, '--', '3'], store);
    assert.equal(one.code, 0, one.output);
    await stop(first);
    // Repeat 0 is the job already done; repeat 1 runs on the second worker.
    const second = await worker(redis.url, '--threads', '3');
    const two = await run([file, '--seed', '61', '--repeats', '2', '--queue', redis.url, '--', '3'], store);
    assert.equal(two.code, 0, two.output);
    assert.match(two.output, /\(1 new, 0 failed ones retried, 1 already queued or done\)/);
    assert.equal(runningLines(second), 1);
    const [a, b] = listed(store);
    assert.match(two.output, new RegExp(`seed 61: 2 runs across 2 workers on 1 machine, NOT bit-identical: ${a!.id} \\(\\S+:${first.child.pid}\\) and ${b!.id} \\(\\S+:${second.child.pid}\\): first divergence at fit 0, epoch 1: weights, loss differ; environment differences: .*threads: \\d+ -> 3`));
    assert.doesNotMatch(two.output, /bit-identical across/);
  });

  it('runs in Redis are input: a file name leading out of the run directory or a run id that is a path is refused, nothing written', async () => {
    const client = new Redis(redis.url);
    const store = join(WORK, 'hostile');
    try {
      await client.hset('verbatim:run:evil-run', 'run', 'evil-run', 'file:run.json', '{}', 'file:../../escaped.txt', 'x');
      await client.set('verbatim:last-run:job-evil', 'evil-run');
      await assert.rejects(downloadRun(client, 'job-evil', store), /the run evil-run sent by job job-evil holds the file name "\.\.\/\.\.\/escaped\.txt", not a plain relative path/);
      await client.set('verbatim:last-run:job-evil', '../evil-run');
      await assert.rejects(downloadRun(client, 'job-evil', store), /job job-evil names the run "\.\.\/evil-run", not a run id/);
      assert.ok(!existsSync(join(WORK, 'escaped.txt')) && !existsSync(store), 'nothing was written');
    } finally {
      client.disconnect();
    }
  });

  it('bad --queue URLs and unreachable Redis: clear errors and exit codes, never a hang', async () => {
    const closed = await freePort();
    // A server that accepts connections and never answers: only a timeout ends the wait.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as { port: number }).port;
    const started = Date.now();
    const cases: [string[], number, RegExp][] = [
      [['run', TUTORIAL, '--seed', '1', '--queue', `redis://127.0.0.1:${silentPort}`], 1, /Expected a Redis server answering within 5 s\. Received: no answer within 5 s/],
      [['run', TUTORIAL, '--seed', '1', '--queue', `redis://127.0.0.1:${closed}`], 1, new RegExp(`--queue redis://127\\.0\\.0\\.1:${closed}: Expected a Redis server answering within 5 s\\. Received: connect ECONNREFUSED`)],
      [['worker', '--queue', `redis://127.0.0.1:${closed}`], 1, /Expected a Redis server answering within 5 s\. Received: connect ECONNREFUSED/],
      [['status', 'abc', '--queue', `redis://127.0.0.1:${closed}`], 1, /Received: connect ECONNREFUSED/],
      [['run', TUTORIAL, '--seed', '1', '--queue', 'http://127.0.0.1:6379'], 2, /--queue: Expected a Redis URL redis:\/\/host:port\[\/db\]\. Received: http:\/\/127\.0\.0\.1:6379/],
      [['run', TUTORIAL, '--seed', '1', '--queue', 'redis://127.0.0.1:6379/x'], 2, /Expected a Redis URL/],
      [['run', TUTORIAL, '--seed', '1', '--queue', 'redis://127.0.0.1:99999'], 2, /Expected a Redis URL/],
      // A database beyond the server's (16 by default): refused by the server, never used as database 0.
      [['run', TUTORIAL, '--seed', '1', '--queue', `${redis.url}/99`], 2, new RegExp(`--queue redis://127\\.0\\.0\\.1:${redis.port}/99: Expected a database number from 0 to 15 \\(the server's databases 16\\)\\. Received: db=99 \\(ERR DB index is out of range\\)`)],
      [['worker', '--queue', `${redis.url}/16`], 2, /Expected a database number from 0 to 15 .*Received: db=16/],
      [['status', '--queue', `${redis.url}/99`], 2, /Expected a database number from 0 to 15 .*Received: db=99/],
      [['run', TUTORIAL, '--queue', redis.url], 2, /Expected --seed or --seeds with --queue\. Received: neither/],
      [['run', TUTORIAL, '--seeds', '5..1', '--queue', redis.url], 2, /Expected a seed range a\.\.b with a <= b/],
      [['run', TUTORIAL, '--seed', '1', '--detach'], 2, /Expected --detach with --queue/],
      [['worker'], 2, /Expected --queue redis:\/\/host:port\[\/db\]\. Received: nothing/],
      [['worker', '--queue', redis.url, '--concurrency', '0'], 2, /Expected --concurrency to be an integer from 1 to 256/],
    ];
    // All at once: none may wait for a connection.
    const results = await Promise.all(cases.map(async ([args]) => {
      const p = start(process.execPath, [CLI, ...args]);
      return { code: await p.exit, output: p.output };
    }));
    for (const [i, [args, code, message]] of cases.entries()) {
      assert.equal(results[i]!.code, code, `${args.join(' ')}: ${results[i]!.output}`);
      assert.match(results[i]!.output, message);
    }
    silent.close();
    assert.ok(Date.now() - started < 30_000, 'no case waited for a connection');
    const outside = join(tmpdir(), `verbatim-queue-outside-${process.pid}.ts`);
    writeFileSync(outside, '');
    try {
      const r = cli(['run', outside, '--seed', '1', '--queue', redis.url]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Expected a script inside this project/);
    } finally {
      rmSync(outside);
    }
    for (const command of ['worker', 'status']) assert.match(cli([command, '--help']).stdout, new RegExp(`verbatim ${command}`));
  });
});
