/**
 * The verbatim command line: run scripts as recorded runs, verify and compare them, list and
 * report them. Exit codes: 0 success, 1 a check failed (or a run failed), 2 bad usage. Its entry
 * is bin.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as vb from '../index.js';
import { defaultStore, jsonNumber, listRuns, removeRun, resolveRun, summarizeRun, writeAtomic } from '../runs/store.js';
import { epochsKeptByResume } from '../runs/resume.js';
import { writeFailure } from '../util/write-failure.js';
import { integerFlag, MAX_THREADS, parse, seedText, stringFlag, type Parsed } from './args.js';
import { UsageError } from '../errors.js';
import { checkScript, execute, executeAll, interruptedBy, signalExitCode, type Execution, type Invocation } from './execute.js';
import { projectRoot, trustedInvocation } from './trust.js';
import {
  compareData, computeChanges, configOf, environmentDifferences, fieldDifferences, finalResults, seedKey, summaryValues, valueDifferences, resultDifferences, float32Text, firstDivergence, lengthText, loadRun, lsTable,
  table, printable, type RunDetails,
} from './inspect.js';
import { renderReport } from './report.js';
import { checkReadable, commandDiff, readableRun } from './diff.js';
import { runStart, sinceFlag, sortRuns } from './listing.js';
import { liveSummary, ProgressDisplay } from './progress.js';
import { doctor } from './doctor.js';
import { sameSeedReport, statisticsTable } from './summary.js';
import { ATTEMPTS, MAX_CONCURRENCY, MAX_STALLED } from './queue-policy.js';

/**
 * A closed pipe (`verbatim show id | head -3`) is a normal end of the output: writing stops, the
 * command finishes (a run keeps training and recording) and exits as it would have.
 */
const closed = { stdout: false, stderr: false };
for (const name of ['stdout', 'stderr'] as const) {
  process[name].on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    closed[name] = true;
  });
}
const write = (stream: 'stdout' | 'stderr', text: string) => {
  if (!closed[stream]) process[stream].write(text);
};
const out = (text: string) => write('stdout', `${text}\n`);
/** Writes `text` to stdout and resolves whether all of it went out (false: the reader closed the pipe before). */
const wroteWhole = (text: string) => new Promise<boolean>((resolveWritten) => {
  if (closed.stdout) return resolveWritten(false);
  process.stdout.write(text, (error) => resolveWritten(!error && !closed.stdout));
});

const HELP: Record<string, string> = {
  main: `verbatim <command> [options]

Commands:
  run <script> [--seed N | --seeds a,b,c] [--repeats N] [--threads N] [--backend NAME]
               [--name NAME] [--parallel N] [--trace steps|ops] [--metric NAME] [--progress]
               [--backup-interval S] [--store DIR] [-- script args]
  run --resume <run>                continue an interrupted or failed run from its backups
  verify <run> [--store DIR]        re-execute a run and compare every digest and metric bit
  diff <runA> <runB> [--json]       environment, arguments, status, config, data, first divergence
  ls [--name N] [--status S] [--seed N] [--since T] [--sort F] [--json]   the recorded runs
  show <run> [--json]               one run's record
  rm <run>                          delete a run
  report <runs...|--name NAME> [--metric NAME] [--out report.html | --out -]
  run <script> --seeds 1..30 --queue redis://host:port[/db] [--detach]   one job per seed on a queue
  worker --queue redis://host:port[/db] [--concurrency N] [--threads N] [--store DIR]   runs queued jobs
  status [<sweep>] --queue redis://... [--wait]   a queued sweep's jobs (or every sweep); runs written into the store
  doctor <script> [--seed N] [-- script args]  find what makes a script's training unreproducible
  env [--json]                      this environment's manifest

Every command takes --help. Runs are stored in ./.verbatim/runs (or --store, VERBATIM_STORE).
Each option is given at most once, and never with an empty value.
Exit codes: 0 success, 1 a check or a run failed (diff: the runs differ), 2 bad usage, 130/143 interrupted (SIGINT/SIGTERM).`,
  run: `verbatim run <script> [options] [-- script args]   (a .js, .mjs, .cjs, .ts, .mts or .cts file)
  --seed N        the seed, as if vb.setRandomSeed(N) ran before the script (overrides the script's own)
  --seeds a,b,c   one run per seed; a..b is every seed from a to b (1..30)
  --repeats N     runs per seed (without --seed/--seeds: N runs with auto-chosen, recorded seeds)
  --threads N     kernel threads (1..64)  --backend NAME   'wasm' or 'reference'
  --name NAME     the runs' name          --parallel N     runs at once (default 1)
  --trace steps   also record every step's loss bits and weights digest
  --trace ops     steps, and the digest of every op's output in the first training step
  --metric NAME   the metric or custom value (vb.runs.log; value:NAME for one named like a fit metric) the summary shows
  --progress      a live line per repeat (epoch, loss, ETA) and, over repeats, a running
                  summary; on by default when stdout and stderr are terminals
  --backup-interval S  back every fit up at most S seconds apart (default 30; 'off': never)
verbatim run --resume <run> [--store DIR] [--progress]: continues an interrupted or failed run into its own record, from
  its fits' backups (the same script, unchanged, with the run's seed and options).
  --queue redis://host:port[/db]   one BullMQ job per seed and repeat instead of running here
                  (needs --seed/--seeds; the job id is a hash of the script's and lockfile's
                  SHA-256, the seed, repeat and options, so submitting again runs nothing twice and
                  retries failed jobs); prints each job as it finishes, then the same summary
  --detach        with --queue: print the sweep id and return (then verbatim status)
Prints, per final metric, mean, sample standard deviation, median, min, max and the 95%
confidence interval of the mean over the seeds (one value per seed: its repeats are bit-identical
by construction, not further samples; one seed has no interval), and whether runs of the same
seed were bit-identical.`,
  verify: 'verbatim verify <run>: checks the run\'s records and weight files (every kept snapshot against its epoch record\'s digest, weights.bin against the final digest of the last fit to end, fits.jsonl\'s lines once each and in order; a changed or lost file is a corrupt run, exit 1), re-executes the run with its seed, arguments and options, compares every recorded digest and metric bit, each evaluation\'s results and prediction\'s output digests, the data each fit, evaluation and prediction was given and the recorded config (each fit\'s model and options); prints "identical" or the first divergence and the environment differences. Exit 1 on any difference. Runs only the script the run\'s manifest recorded, inside this project and with the recorded SHA-256; refuses otherwise, saying why.',
  diff: `verbatim diff <runA> <runB> [--json]: environment, script arguments, status, config and data-fingerprint differences (each fit's, model.evaluate's and model.predict's data: digest, shape, dtype), the results after training (each evaluation's results by their float32 bits, each prediction's output digests), then the first epoch (and step, when traced; and op of the first step, with --trace ops) whose digest differs, and there, per layer, which weights differ, the maximum absolute difference and the maximum ULP distance.
Both runs' weight files are checked first: every kept snapshot (weights/fit-F.bin) and the final weights (weights.bin) must have the digests the records hold (epochs.jsonl; fits.jsonl for the final weights); a run whose file was changed or lost is corrupt (the file, fit, epoch and both digests are named).
Exit codes (as diff(1)): 0 identical (every recorded digest, metric, custom value and evaluation result bit and prediction digest agrees, and nothing above differs: environment, config, data), 1 the runs differ in anything diff reports, or a run is corrupt, 2 bad usage. --json says both: "identical" (the recorded results' bits) and "differ" (anything reported).`,
  ls: 'verbatim ls [--name NAME] [--status S] [--seed N] [--since 2h|2026-11-28] [--sort FIELD|METRIC|-METRIC] [--json]: id, name, seed, status, final metrics and custom values, and digest prefix of every run, oldest first unless sorted.',
  show: 'verbatim show <run> [--json]: the run\'s manifest, status (with its reason), fits and per-epoch records, custom values, evaluation results and prediction digests.',
  rm: 'verbatim rm <run...>: deletes the runs (each id, or a prefix naming one run), printing what it removed.',
  report: 'verbatim report <runs...|--name NAME> [--metric NAME] [--out report.html | -]: one self-contained, offline HTML file (Vega-Lite charts as inline SVG, live with hover and zoom in a browser): curves with one panel per fit, the distribution of every final metric and custom value, summary statistics over seeds, runs of one seed, script and arguments whose bits differ with their diff, and the environment once with the per-run differences.',
  doctor: 'verbatim doctor <script> [--seed N] [--trace ops] [-- script args]: with the seed pinned (default 1) for every run, runs the training twice in two processes, twice in one process, with 1 and 2 threads and on both backends; compares each pair in order (both trained, data and config, training, results after training, custom values), then names the first cause in the chain (e.g. data differ because of Math.random at file:line, the script\'s own data depend on the thread count, or where the script reads vb.getNumThreads()), the first divergent step, the checks that could not run, and the risks it finds. Exit 0 only when every check ran and is bit-identical, else 1.',
  env: 'verbatim env [--json]: this environment\'s manifest.',
  worker: `verbatim worker --queue redis://host:port[/db] [--concurrency N] [--threads N] [--store DIR] [--lock-ms MS] [--exit-when-idle S]
Runs jobs submitted by 'verbatim run --queue', each exactly as 'verbatim run' would, after checking
that this checkout (the nearest package.json above the working directory) has the job's script with
the recorded SHA-256 and the same package-lock.json; refuses the job otherwise (failed, not retried).
  --concurrency N  jobs at once (1..${MAX_CONCURRENCY}, default 1)   --threads N  kernel threads for jobs that set none
  --store DIR      write runs into DIR, a store shared with the submitter; without it each run is
                   sent back through Redis and written into the submitter's store by run/status
  --lock-ms MS     the job lock (default 30000): a job whose worker vanished is taken over after it
  --exit-when-idle S  exit 0 once the queue had no waiting or running job for S seconds (batch jobs)
A script that fails is not retried; a vanished worker's job is taken over up to ${MAX_STALLED} times; other
errors (the worker stopped) are retried up to ${ATTEMPTS} attempts. SIGINT/SIGTERM: running jobs are interrupted and
go back to the queue, the worker closes and exits 0.`,
  status: 'verbatim status [<sweep>] --queue redis://host:port[/db] [--store DIR] [--metric NAME] [--wait]: each finished job of the sweep (its run written into the store when sent through Redis) and where the others stand, and once all finished the summary statistics; --wait follows the sweep to its end. Exit 1 if a job failed. Without a sweep id: every sweep on that Redis with its jobs\' states.',
};

/** --store, else VERBATIM_STORE or ./.verbatim/runs (parse refuses an empty value: it would put runs into the working directory). */
function store(parsed: Parsed): string {
  return stringFlag(parsed, 'store') ?? defaultStore();
}

/** Commands that take no positional arguments, or at most `max`, say so instead of ignoring the rest. */
function atMostPositionals(parsed: Parsed, max: number, what: string): void {
  if (parsed.positionals.length > max) throw new UsageError(`Expected ${what}. Received: ${JSON.stringify(parsed.positionals)}`);
}

function runIds(parsed: Parsed, storeDir: string): string[] {
  const name = stringFlag(parsed, 'name');
  if (name !== undefined) return listRuns(storeDir).filter((r) => r.name === name).map((r) => r.id);
  // A run named twice (its id and a prefix of it) is one run: counted twice, it would be a repeat of itself.
  return [...new Set(parsed.positionals.map((q) => resolveRun(storeDir, q)))];
}

const MAX_SEEDS = 100_000;

/** The seeds of --seed or --seeds in the order given (locally a seed given twice runs twice, a repeat); [undefined] when neither is given. */
function givenSeeds(parsed: Parsed): (string | undefined)[] {
  const seed = stringFlag(parsed, 'seed');
  const seeds = stringFlag(parsed, 'seeds');
  if (seed !== undefined && seeds !== undefined) throw new UsageError(`Expected --seed or --seeds, not both. Received: --seed ${seed} --seeds ${seeds}`);
  const valid = (s: string) => seedText(seeds !== undefined ? 'seeds' : 'seed', s);
  // `a..b` is every integer from a to b, both included.
  const expand = (item: string): string[] => {
    const range = /^(-?\d+)\.\.(-?\d+)$/.exec(item);
    if (!range) return [valid(item)];
    const [from, to] = [Number(valid(range[1]!)), Number(valid(range[2]!))];
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from || to - from >= MAX_SEEDS) {
      throw new UsageError(`Expected a seed range a..b with a <= b and at most ${MAX_SEEDS} seeds. Received: ${item}`);
    }
    return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
  };
  return seeds !== undefined ? seeds.split(',').flatMap(expand) : seed !== undefined ? [valid(seed)] : [undefined];
}

/** One entry per run: each seed --repeats times. */
function seedList(parsed: Parsed): (string | undefined)[] {
  const repeats = integerFlag(parsed, 'repeats', 1) ?? 1;
  if (repeats > MAX_RUNS) throw new UsageError(`Expected --repeats of at most ${MAX_RUNS}. Received: --repeats ${repeats}`);
  return givenSeeds(parsed).flatMap((s) => Array.from({ length: repeats }, () => s));
}

/** run --queue: one job per seed and repeat; the seeds must be given (a worker choosing one would make every submission a new job). */
async function submitQueued(parsed: Parsed, url: string, base: Omit<Invocation, 'seed'>, storeDir: string): Promise<number> {
  const seeds = givenSeeds(parsed);
  if (seeds.some((s) => s === undefined)) throw new UsageError('Expected --seed or --seeds with --queue. Received: neither');
  // A seed given twice would be the same job twice (its id is the seed's): repeats are --repeats.
  const repeated = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (repeated !== undefined) throw new UsageError(`Expected distinct seeds with --queue (use --repeats to run a seed again). Received: seed ${repeated} more than once`);
  if (parsed.flags.has('parallel')) throw new UsageError('Expected --parallel without --queue (the workers\' --concurrency sets it). Received: --parallel');
  const metric = stringFlag(parsed, 'metric');
  // The queue's modules load BullMQ and ioredis: only the commands that use them pay for that.
  const { submitSweep } = await import('./sweep.js');
  return submitSweep({
    url, store: storeDir, base, seeds: seeds as string[], repeats: integerFlag(parsed, 'repeats', 1) ?? 1, detach: parsed.flags.has('detach'),
    ...(metric !== undefined ? { metric } : {}),
  }, out, (t) => write('stderr', t));
}

async function commandStatus(parsed: Parsed): Promise<number> {
  const [sweep] = parsed.positionals;
  if (parsed.positionals.length > 1) throw new UsageError(`Expected one sweep id or none. Received: ${JSON.stringify(parsed.positionals)}`);
  const url = stringFlag(parsed, 'queue');
  if (url === undefined) throw new UsageError('Expected --queue redis://host:port[/db]. Received: nothing');
  const metric = stringFlag(parsed, 'metric');
  const { listSweeps, sweepStatus } = await import('./sweep.js');
  if (sweep === undefined) return listSweeps(url, out);
  return sweepStatus(sweep, { url, store: store(parsed), ...(metric !== undefined ? { metric } : {}) }, parsed.flags.has('wait'), out, (t) => write('stderr', t));
}

/** --backup-interval SECONDS (a non-negative decimal number; '0x10', '1e3' and ' 5' are usage errors, as for the integer flags) or 'off'. */
function backupIntervalFlag(parsed: Parsed): { backupInterval?: number | null } {
  const value = stringFlag(parsed, 'backup-interval');
  if (value === undefined) return {};
  if (value === 'off') return { backupInterval: null };
  const seconds = /^-?\d*\.?\d+$/.test(value) ? Number(value) : NaN;
  if (!(Number.isFinite(seconds) && seconds >= 0)) throw new UsageError(`Expected --backup-interval to be a number of seconds (>= 0) or off. Received: --backup-interval ${value}`);
  return { backupInterval: seconds };
}

/** The live progress display of --progress, on by default when stdout and stderr are terminals. */
function progressDisplay(parsed: Parsed, runs: number): ProgressDisplay | undefined {
  return parsed.flags.has('progress') || (process.stdout.isTTY && process.stderr.isTTY)
    ? new ProgressDisplay(runs, (t) => write('stderr', t), process.stderr.isTTY === true)
    : undefined;
}

/** Continues an interrupted or failed run into its own record, from its fits' backups. */
async function commandResume(parsed: Parsed, query: string): Promise<number> {
  if (parsed.positionals.length > 0 || parsed.rest.length > 0) throw new UsageError(`Expected no script with --resume (the run names its own). Received: ${JSON.stringify([...parsed.positionals, ...parsed.rest])}`);
  // The run's own seed, options and name are used: another given here would be silently ignored.
  const ignored = [...parsed.flags.keys()].filter((flag) => !['resume', 'store', 'progress'].includes(flag));
  if (ignored.length > 0) throw new UsageError(`Expected no options with --resume but --store and --progress (the run's own are used). Received: ${ignored.map((f) => `--${f}`).join(' ')}`);
  const storeDir = store(parsed);
  const original = loadRun(storeDir, resolveRun(storeDir, query));
  const { id, status } = original.summary;
  // A corrupt run is refused as diff and verify refuse it (the reason, exit 1): resumed, it would be corrupt still.
  if (status === 'corrupt') checkReadable(original);
  if (status !== 'interrupted' && status !== 'failed') throw new UsageError(`Expected an interrupted or failed run to resume. Received: ${id}, ${status}`);
  // So is one whose weight files are not what its records say, or whose records the resume keeps lack their snapshots.
  checkReadable(original, epochsKeptByResume(join(storeDir, id)));
  // The recorder writes the manifest when the script imports verbatim: a run without one never
  // started (it was killed or failed before), and recorded nothing to resume from.
  if (!existsSync(join(storeDir, id, 'manifest.json'))) {
    const reason = original.summary.problem ? ` (${original.summary.problem})` : '';
    throw new UsageError(`Expected a run that began recording to resume. Received: ${id}, which ${status === 'failed' ? 'failed' : 'was interrupted'} before its script imported verbatim${reason}: the run never started, nothing was recorded to resume; run the script again instead`);
  }
  // A fit begun inside another's callback begins again only if that callback runs again: a backup
  // past it skips it, and the fits after it would take other numbers.
  const nested = original.fits.find((f) => Array.isArray(f.within) && f.within.length > 0);
  if (nested) throw new UsageError(`Expected a run whose fits ran one after another to resume. Received: ${id}, whose fit ${nested.fit} began while fit ${nested.within!.join(', ')} was training (run the script again instead)`);
  const invocation = trustedInvocation(original, projectRoot(process.cwd()), 'resume');
  if (invocation.backupInterval === null) write('stderr', `verbatim run: ${id} was recorded without backups; its fits start again from their beginning\n`);
  const display = progressDisplay(parsed, 1);
  const execution = await execute(storeDir, invocation, (t, stream) => {
    display?.clear();
    write(stream, t);
  }, display && ((dir) => display.started(0, dir)), id);
  display?.finished(0);
  const run = loadRun(storeDir, id);
  const reason = run.summary.problem ? `: ${run.summary.problem}` : '';
  write('stderr', `${id} resumed: ${run.summary.status} in ${execution.seconds.toFixed(1)}s ${run.summary.digest?.slice(0, 12) ?? ''}${reason}\n`);
  return runsExitCode([execution], [run], 'run --resume');
}

/** Whether every planned run was executed, exited 0 and is recorded completed. */
function everyRunCompleted(executions: readonly Execution[], runs: readonly RunDetails[], planned: number): boolean {
  return executions.length === planned && executions.every((e, i) => e.exitCode === 0 && e.signal === undefined && !e.writeError && runs[i]!.summary.status === 'completed');
}

/**
 * 128 + the number of the signal that ended the runs, if one did: the CLI's own (passed on to its
 * runs), else one that ended a run's process by itself (`kill -TERM <the script's pid>`).
 */
function signalExit(executions: readonly (Execution | undefined)[], command: string): number | undefined {
  const own = interruptedBy();
  const run = own ? undefined : executions.find((e) => e?.signal !== undefined);
  if (run) write('stderr', `verbatim ${command}: run ${run.id} was ended by ${run.signal}, sent to its process\n`);
  const signal = own ?? run?.signal;
  return signal ? signalExitCode(signal) : undefined;
}

/**
 * The exit code of `verbatim run`: 128 + the number of a signal that ended the runs; else the
 * first script's own exit code when one exited with an error (a script's process.exit(3) exits 3,
 * as the script does alone); else 1 when a run did not complete (a process that exited 0 in the
 * middle of a fit, a record that could not be written), and 0 when every run completed.
 */
function runsExitCode(executions: readonly Execution[], runs: readonly RunDetails[], command: string, planned = executions.length): number {
  // A signal every script handled itself, training on to complete every run, ended nothing: exit as they did.
  if (everyRunCompleted(executions, runs, planned)) return 0;
  const signalled = signalExit(executions, command);
  if (signalled !== undefined) return signalled;
  const failed = executions.find((e) => e.exitCode !== 0);
  if (failed) return failed.exitCode;
  return executions.every((e, i) => !e.writeError && runs[i]!.summary.status === 'completed') ? 0 : 1;
}

/** More runs than this in one command is a typo, not a plan (each is a process and a directory). */
const MAX_RUNS = 100_000;

async function commandRun(parsed: Parsed): Promise<number> {
  const resume = stringFlag(parsed, 'resume');
  if (resume !== undefined) return commandResume(parsed, resume);
  const [script] = parsed.positionals;
  if (!script || parsed.positionals.length > 1) throw new UsageError(`Expected one script. Received: ${JSON.stringify(parsed.positionals)}`);
  checkScript(script);
  const backend = stringFlag(parsed, 'backend');
  if (backend !== undefined && !vb.backendNames().includes(backend)) throw new UsageError(`Expected --backend to be one of ${vb.backendNames().join(', ')}. Received: --backend ${backend}`);
  const trace = stringFlag(parsed, 'trace');
  if (trace !== undefined && trace !== 'steps' && trace !== 'epochs' && trace !== 'ops') throw new UsageError(`Expected --trace epochs, steps or ops. Received: --trace ${trace}`);
  const storeDir = store(parsed);
  const base: Omit<Invocation, 'seed'> = {
    script, args: parsed.rest,
    ...(integerFlag(parsed, 'threads', 1, MAX_THREADS) !== undefined ? { threads: integerFlag(parsed, 'threads', 1, MAX_THREADS)! } : {}),
    ...(stringFlag(parsed, 'backend') !== undefined ? { backend: stringFlag(parsed, 'backend')! } : {}),
    ...(stringFlag(parsed, 'name') !== undefined ? { name: stringFlag(parsed, 'name')! } : {}),
    ...(trace ? { trace: trace as 'steps' | 'epochs' | 'ops' } : {}),
    ...backupIntervalFlag(parsed),
  };
  const queue = stringFlag(parsed, 'queue');
  if (queue !== undefined) return submitQueued(parsed, queue, base, storeDir);
  if (parsed.flags.has('detach')) throw new UsageError('Expected --detach with --queue. Received: --detach alone');
  const invocations = seedList(parsed).map((seed) => ({ ...base, ...(seed !== undefined ? { seed } : {}) }));
  const parallel = integerFlag(parsed, 'parallel', 1, MAX_RUNS) ?? 1;
  const metric = stringFlag(parsed, 'metric');
  const display = progressDisplay(parsed, invocations.length);
  // Per seed (and script and arguments), its first run's final value: the live summary's samples.
  const finals = new Map<string, number>();
  let done = 0;
  const executions = await executeAll(storeDir, invocations, parallel, (t, stream) => {
    display?.clear();
    write(stream, t);
  }, (i, e) => {
    const r = loadRun(storeDir, e.id);
    display?.clear();
    const reason = r.summary.problem ? `: ${r.summary.problem}` : '';
    write('stderr', `[${i + 1}/${invocations.length}] ${e.id} seed ${String(r.run.seed ?? '?')} ${r.summary.status} in ${e.seconds.toFixed(1)}s ${r.summary.digest?.slice(0, 12) ?? ''}${reason}\n`);
    if (e.writeError) write('stderr', `verbatim run: ${e.writeError}\n`);
    // The live summary follows the chosen metric, else the loss.
    const name = metric ?? 'loss';
    const value = summaryValues([r], name).get(name)?.values[0];
    if (value !== undefined && !finals.has(seedKey(r))) finals.set(seedKey(r), value);
    done++;
    display?.finished(i, invocations.length > 1 && finals.size > 0 ? liveSummary(name, [...finals.values()], done, invocations.length) : undefined);
  }, display && ((i, dir) => display.started(i, dir)));
  const runs = executions.map((e) => loadRun(storeDir, e.id));
  out('');
  out(statisticsTable(runs, stringFlag(parsed, 'metric')));
  const unfinished = runs.filter((r) => r.summary.status !== 'completed');
  if (unfinished.length) out(`(${unfinished.length} run(s) not completed, left out of the statistics: ${unfinished.map((r) => `${r.summary.id} ${r.summary.status}`).join(', ')})`);
  for (const line of sameSeedReport(runs)) out(line);
  const signal = interruptedBy();
  if (signal && !everyRunCompleted(executions, runs, invocations.length)) write('stderr', `verbatim run: interrupted by ${signal} after ${executions.length} of ${invocations.length} runs\n`);
  return runsExitCode(executions, runs, 'run', invocations.length);
}

async function commandVerify(parsed: Parsed): Promise<number> {
  const storeDir = store(parsed);
  const [query] = parsed.positionals;
  if (!query) throw new UsageError('Expected a run id. Received: nothing');
  atMostPositionals(parsed, 1, 'one run id');
  const original = readableRun(storeDir, query);
  // A run still recording has recorded part of what it will: the re-execution's every later record would be called a difference.
  if (original.summary.status === 'running') throw new UsageError(`Expected a run that has ended to verify. Received: ${original.summary.id}, still running (wait for it to end, or stop it)`);
  const invocation = trustedInvocation(original, projectRoot(process.cwd()));
  const [execution] = await executeAll(storeDir, [{ ...invocation, name: `verify ${original.summary.id}` }], 1, () => undefined, () => undefined);
  // Interrupted (before it started, or while it ran): nothing to compare.
  const signalled = signalExit([execution], 'verify');
  const own = interruptedBy();
  if (own) {
    const rerun = execution ? `the re-execution is kept as run ${execution.id}, ${summarizeRun(storeDir, execution.id).status} (verbatim rm removes it)` : 'the re-execution never started';
    write('stderr', `verbatim verify: interrupted by ${own}, nothing was compared: ${rerun}\n`);
  }
  if (signalled !== undefined || !execution) return signalled ?? 1;
  const again = loadRun(storeDir, execution.id);
  const divergence = firstDivergence(original, again);
  const stepDivergence = original.steps.findIndex((s, i) => s.digest !== again.steps[i]?.digest || s.lossBits !== again.steps[i]?.lossBits);
  const environmentChanges = environmentDifferences(original, again);
  const values = valueDifferences(original, again);
  const results = resultDifferences(original, again);
  // What the fits and evaluations were given, recorded again: a record edited since (a shape, a digest) differs.
  const data = compareData(original, again);
  const dataChanges = [...data.content, ...data.order];
  // The models and fit options, recorded again, as diff compares them: a record edited since differs.
  const configChanges = fieldDifferences(configOf(original), configOf(again));
  if (divergence === undefined && stepDivergence < 0 && values.length === 0 && results.length === 0 && dataChanges.length === 0 && configChanges.length === 0 && again.summary.status === original.summary.status) {
    out(`identical: ${again.summary.id} reproduces ${original.summary.id} (${original.epochs.length} epoch records${original.steps.length ? `, ${original.steps.length} steps` : ''})`);
    return 0;
  }
  if (divergence === 'length') out(lengthText(original, again));
  else if (divergence) out(`first divergence: fit ${divergence.fit}, epoch ${divergence.epoch}${divergence.epoch === 0 ? ' (initial weights)' : ''}: ${divergence.what.join(', ')} differ${divergence.layers?.length ? `; layers ${divergence.layers.join(', ')}` : ''}`);
  if (stepDivergence >= 0) out(`first divergent step: ${JSON.stringify(original.steps[stepDivergence])}`);
  if (values.length) out(`custom values that differ:\n  ${values.join('\n  ')}`);
  if (results.length) out(`results after training that differ:\n  ${results.join('\n  ')}`);
  if (dataChanges.length) out(`data that differ:\n  ${dataChanges.join('\n  ')}`);
  if (configChanges.length) out(`config that differs:\n  ${configChanges.join('\n  ')}`);
  if (again.summary.status !== original.summary.status) out(`status: ${original.summary.status} -> ${again.summary.status}`);
  out(environmentChanges.length ? `environment differences:\n  ${environmentChanges.join('\n  ')}` : 'environment: no differences');
  return 1;
}

function commandLs(parsed: Parsed): number {
  atMostPositionals(parsed, 0, 'no positional arguments (filters are --name, --status, --seed, --since)');
  const name = stringFlag(parsed, 'name');
  const status = stringFlag(parsed, 'status');
  const statuses = ['running', 'completed', 'failed', 'interrupted', 'corrupt'];
  if (status !== undefined && !statuses.includes(status)) throw new UsageError(`Expected --status to be one of ${statuses.join(', ')}. Received: --status ${status}`);
  const seedFlag = stringFlag(parsed, 'seed');
  const seed = seedFlag === undefined ? undefined : seedText('seed', seedFlag);
  const since = sinceFlag(stringFlag(parsed, 'since'));
  const runs = sortRuns(listRuns(store(parsed)).filter((r) => (name === undefined || r.name === name)
    && (status === undefined || r.status === status) && (seed === undefined || r.seed === seed)
    && (since === undefined || (runStart(r.id) ?? -Infinity) >= since)), stringFlag(parsed, 'sort'));
  out(parsed.flags.has('json') ? JSON.stringify(runs, jsonNumber, 2) : runs.length ? lsTable(runs) : '(no runs)');
  const explained = runs.filter((r) => r.problem !== undefined);
  if (!parsed.flags.has('json') && explained.length) out(`\nreasons:\n${table(explained.map((r) => [`  ${r.id}`, r.status, r.problem!]))}`);
  return 0;
}

function commandShow(parsed: Parsed): number {
  const storeDir = store(parsed);
  const [query] = parsed.positionals;
  if (!query) throw new UsageError('Expected a run id. Received: nothing');
  atMostPositionals(parsed, 1, 'one run id');
  const run = loadRun(storeDir, resolveRun(storeDir, query));
  if (parsed.flags.has('json')) {
    out(JSON.stringify(run, jsonNumber, 2));
    return 0;
  }
  out(printable(`run ${run.summary.id}  name ${run.summary.name ?? '-'}  seed ${run.summary.seed ?? '-'}  status ${run.summary.status}`));
  if (run.summary.problem) out(`${run.summary.status === 'corrupt' ? 'problem' : 'reason'}: ${printable(run.summary.problem)}`);
  out(table([['field', 'value'], ...Object.entries(run.manifest).filter(([k]) => k !== 'dependencies').map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])]));
  const elsewhere = computeChanges(run);
  if (elsewhere.length > 0) out(`fits that trained on another backend or thread count than the run started with (the script chose them):\n  ${elsewhere.join('\n  ')}`);
  out('');
  out(table([['fit', 'epoch', 'metrics', 'digest'], ...run.epochs.map((e) => [String(e.fit), String(e.epoch), Object.entries(e.logs).map(([k, v]) => `${k}=${v}`).join(' '), e.digest.slice(0, 16)])]));
  const values = run.values;
  if (values.length) {
    out('');
    out(table([['value', 'step', 'float32', 'bits'], ...values.map((v) => [v.name, String(v.step), float32Text(v.bits), v.bits])]));
  }
  const evaluated = run.evaluations.filter((e) => e.resultBits);
  if (evaluated.length) {
    out('');
    out(table([['evaluation', 'kind', 'results', 'bits'], ...run.evaluations.flatMap((e, i) => (e.resultBits ? [[
      String(i), String(e.kind ?? 'evaluate'), Object.keys(e.resultBits).map((k) => `${k}=${float32Text(e.resultBits![k]!)}`).join(' '), Object.values(e.resultBits).join(' '),
    ]] : []))]));
  }
  if (run.predictions.length) {
    out('');
    out(table([['prediction', 'inputs', 'outputs (dtype, shape, sha256)'], ...run.predictions.map((p, i) => [
      String(i), Object.entries(p.data).map(([k, d]) => `${k}=${String(d.sha256).slice(0, 16)}`).join(' '), p.outputs.map((o) => `${o.dtype} ${JSON.stringify(o.shape)} ${o.sha256.slice(0, 16)}`).join(', '),
    ])]));
  }
  return 0;
}

function commandRm(parsed: Parsed): number {
  const storeDir = store(parsed);
  if (parsed.positionals.length === 0) throw new UsageError('Expected a run id. Received: nothing');
  // Every id is checked before anything is removed; a run still training is not pulled from under it.
  const runs = [...new Set(parsed.positionals.map((query) => resolveRun(storeDir, query)))].map((id) => summarizeRun(storeDir, id));
  const running = runs.find((r) => r.status === 'running');
  if (running) throw new UsageError(`Expected runs that are not running. Received: ${running.id}, still running (stop it first)`);
  for (const run of runs) {
    removeRun(storeDir, run.id);
    out(`removed ${run.id} (name ${run.name ?? '-'}, seed ${run.seed ?? '-'}, ${run.status})`);
  }
  return 0;
}

function commandEnv(parsed: Parsed): number {
  atMostPositionals(parsed, 0, 'no positional arguments');
  const manifest = vb.environment();
  if (parsed.flags.has('json')) out(JSON.stringify(manifest, null, 2));
  else out(table([['field', 'value'], ...Object.entries(manifest).filter(([k]) => k !== 'dependencies').map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]), ['dependencies', `${Object.keys(manifest.dependencies).length} resolved (--json lists them)`]]));
  return 0;
}

async function commandReport(parsed: Parsed): Promise<number> {
  const storeDir = store(parsed);
  if (parsed.flags.has('name') && parsed.positionals.length) throw new UsageError(`Expected runs or --name, not both. Received: ${JSON.stringify(parsed.positionals)} and --name ${stringFlag(parsed, 'name')}`);
  const ids = runIds(parsed, storeDir);
  const name = stringFlag(parsed, 'name');
  if (ids.length === 0) throw new UsageError(name === undefined ? 'Expected runs (ids or --name). Received: none' : `Expected runs named ${name} in ${storeDir}. Received: none of that name`);
  const file = stringFlag(parsed, 'out') ?? 'report.html';
  const directory = dirname(resolve(file));
  if (file !== '-' && !(existsSync(directory) && statSync(directory).isDirectory())) {
    throw new UsageError(`Expected --out to be a file in an existing directory (or - for stdout). Received: --out ${file} (${directory} is not a directory)`);
  }
  const runs = ids.map((id) => loadRun(storeDir, id));
  const corrupt = runs.filter((r) => r.summary.status === 'corrupt');
  for (const r of corrupt) write('stderr', `verbatim report: left out ${r.summary.id}, corrupt: ${printable(r.summary.problem!)}\n`);
  const readable = runs.filter((r) => r.summary.status !== 'corrupt');
  if (readable.length === 0) throw new Error(`Expected at least one readable run. Received: ${corrupt.length} corrupt`);
  const metric = stringFlag(parsed, 'metric');
  if (metric !== undefined) {
    const known = [...new Set(readable.flatMap((r) => Object.keys(finalResults(r.summary))))].sort();
    if (!known.includes(metric)) {
      throw new UsageError(`Expected --metric to name a metric or value of these runs (${known.join(', ') || 'they have none'}). Received: --metric ${metric}`);
    }
  }
  const html = await renderReport(readable, { metric });
  // `-` is stdout, as for most tools: the report is piped, the confirmation goes to stderr.
  if (file === '-') {
    // A reader that closed the pipe early (`| head -c 10`) ends the output normally, as for every command, but did not get the report.
    if (await wroteWhole(html)) write('stderr', `wrote the report to stdout (${readable.length} runs)\n`);
    return 0;
  }
  // Whole or not at all (a full disk leaves no report cut short, and no temporary file).
  writeAtomic(file, html);
  out(`wrote ${file} (${readable.length} runs)`);
  return 0;
}

const COMMANDS: Record<string, { valued: string[]; switches: string[]; run: (p: Parsed) => number | Promise<number> }> = {
  run: { valued: ['seed', 'seeds', 'repeats', 'threads', 'backend', 'name', 'parallel', 'trace', 'store', 'metric', 'queue', 'backup-interval', 'resume'], switches: ['progress', 'detach'], run: commandRun },
  status: { valued: ['queue', 'store', 'metric'], switches: ['wait'], run: commandStatus },
  worker: { valued: ['queue', 'concurrency', 'threads', 'store', 'lock-ms', 'exit-when-idle'], switches: [], run: async (p) => (await import('./worker.js')).commandWorker(p, out) },
  verify: { valued: ['store'], switches: [], run: commandVerify },
  diff: { valued: ['store'], switches: ['json'], run: (p) => commandDiff(p, store(p), out) },
  ls: { valued: ['store', 'name', 'status', 'seed', 'since', 'sort'], switches: ['json'], run: commandLs },
  show: { valued: ['store'], switches: ['json'], run: commandShow },
  rm: { valued: ['store'], switches: [], run: commandRm },
  env: { valued: [], switches: ['json'], run: commandEnv },
  report: { valued: ['store', 'name', 'out', 'metric'], switches: [], run: commandReport },
  // doctor keeps its runs in a directory of its own (it says which): a --store would be ignored.
  doctor: { valued: ['seed', 'trace'], switches: [], run: (p) => doctor(p, out, (text) => write('stderr', text)) },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    out(HELP.main!);
    return command ? 0 : 2;
  }
  const spec = COMMANDS[command];
  try {
    if (!spec) throw new UsageError(`Expected a command (${Object.keys(COMMANDS).join(', ')}). Received: ${command}`);
    if (rest.includes('--help') && !rest.slice(0, rest.indexOf('--help')).includes('--')) {
      out(HELP[command]!);
      return 0;
    }
    return await spec.run(parse(rest, spec.valued, spec.switches));
  } catch (caught) {
    const error = writeFailure((caught as { path?: string }).path ?? 'a file', caught);
    write('stderr', `verbatim ${command}: ${error.message}\n`);
    // Bad usage or input is marked by its class, never recognised by its message's words.
    return error instanceof UsageError ? 2 : 1;
  }
}

