/**
 * verbatim doctor: runs a script's training in the ways that expose unreproducibility (twice
 * in two processes, twice in one process, with 1 and 2 threads, on the reference and wasm
 * backends), every run with the same pinned seed, and names the first cause in the chain (see
 * doctor-checks.ts). A check that could not compare its runs is named with the reason, and never
 * passes for bit-identical.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Parsed } from './args.js';
import { seedText, stringFlag } from './args.js';
import { UsageError } from '../errors.js';
import { checkScript, executeAll, interruptedBy, runHelper, runsThroughTsx, signalExitCode, type Execution, type Invocation } from './execute.js';
import { compareData, loadRun, table, type RunDetails } from './inspect.js';
import { causeOf, checkPair, randomSites, resultText, runRandomSites, type RepeatableRandom } from './doctor-checks.js';

/**
 * The in-process passes may take as long as the two process runs together, four times over, and
 * 10 s more (a process's start is a small part of a run, and a loaded machine is slower): a
 * script that waits forever in process is stopped and named, not waited for.
 */
/** How long a run of the script may go before doctor says it is still waiting. */
const WAIT_NOTICE_MS = 10_000;

/**
 * Runs the separate processes, saying on stderr every WAIT_NOTICE_MS which run it still waits
 * for: a script that keeps a timer, a server or another handle open never exits, and doctor
 * would otherwise wait in silence (Ctrl-C stops it). The clock decides only when to speak.
 */
async function withWaitNotices<T>(runs: number, execute: (started: (index: number) => void) => Promise<T>): Promise<T> {
  let current = 0;
  let since = performance.now();
  const notice = setInterval(() => {
    const seconds = Math.round((performance.now() - since) / 1000);
    process.stderr.write(`verbatim doctor: still waiting for run ${current + 1} of ${runs} (${seconds} s); a script that keeps a timer, server or other handle open never exits: Ctrl-C stops doctor\n`);
  }, WAIT_NOTICE_MS);
  try {
    return await execute((index) => {
      current = index;
      since = performance.now();
    });
  } finally {
    clearInterval(notice);
  }
}

function inProcessTimeoutMs(runs: readonly Execution[]): number {
  return 10_000 + 4 * 1000 * runs.reduce((sum, e) => sum + e.seconds, 0);
}

/** Why a run in two processes says nothing: the script failed, or never trained. */
function failureOf(run: RunDetails): string {
  if (run.summary.status === 'completed') return 'no training recorded: the script never called fit';
  return `the script ${run.summary.status === 'failed' ? 'failed' : `was ${run.summary.status}`}${run.summary.problem ? `: ${run.summary.problem}` : ''}`;
}

export async function doctor(parsed: Parsed, out: (text: string) => void, say: (text: string) => void): Promise<number> {
  const [script] = parsed.positionals;
  if (!script || parsed.positionals.length > 1) throw new UsageError(`Expected one script. Received: ${JSON.stringify(parsed.positionals)}`);
  checkScript(script);
  const seed = seedText('seed', stringFlag(parsed, 'seed') ?? '1');
  const trace = stringFlag(parsed, 'trace');
  if (trace !== undefined && trace !== 'ops') throw new UsageError(`Expected --trace ops. Received: --trace ${trace}`);
  const store = mkdtempSync(join(tmpdir(), 'verbatim-doctor-'));
  out(`verbatim doctor: ${script} (seed pinned to ${seed} for every run; runs in ${store}, kept when a check differs or does not run)`);
  // Stopped by a signal (Ctrl-C): said on stderr, as verify says it, with the runs made so far kept.
  const interrupted = (signal: NodeJS.Signals) => {
    say(`verbatim doctor: interrupted by ${signal}, no cause was concluded: the runs so far are kept in ${store}\n`);
    return signalExitCode(signal);
  };

  // The probe must load before the script and its dependencies, to see who calls Math.random.
  const probe = pathToFileURL(fileURLToPath(new URL('./doctor-probe.js', import.meta.url))).href;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${probe}`.trim();
  // Every run traces steps (or ops), so that whichever pair disagrees names its first divergent step.
  const traced: Invocation = { script, args: parsed.rest, name: 'doctor', seed, trace: trace === 'ops' ? 'ops' : 'steps' };
  // The reference run is told one thread too: its pair with the one-thread wasm run then differs
  // in the backend alone (a script reading VERBATIM_THREADS sees the same value in both).
  const variants: Invocation[] = [traced, traced, { ...traced, threads: 1 }, { ...traced, threads: 2 }, { ...traced, backend: 'reference', threads: 1 }];
  const executions = await withWaitNotices(variants.length, (started) => executeAll(store, variants, 1, () => undefined, started));
  let signal = interruptedBy();
  if (signal) return interrupted(signal);
  const [first, second, oneThread, twoThreads, reference] = executions.map((e) => loadRun(store, e.id)) as [RunDetails, RunDetails, RunDetails, RunDetails, RunDetails];

  const dir1 = join(store, 'in-process-1');
  const dir2 = join(store, 'in-process-2');
  const randomLog = join(store, 'math-random.json');
  const require = createRequire(import.meta.url);
  const driver = fileURLToPath(new URL('./doctor-driver.js', import.meta.url));
  const typescript = runsThroughTsx(script) ? ['--import', require.resolve('tsx')] : [];
  const env: NodeJS.ProcessEnv = { ...process.env, VERBATIM_SCRIPT: resolve(script), VERBATIM_SEED: seed };
  delete env.VERBATIM_RUN_DIR;
  const timeoutMs = inProcessTimeoutMs(executions.slice(0, 2));
  const passes = await runHelper(['--import', require.resolve('./preload.js'), ...typescript, driver, traced.trace!, dir1, dir2, randomLog, resolve(script), ...parsed.rest], env, timeoutMs);
  signal = interruptedBy();
  if (signal) return interrupted(signal);
  const pass = (dir: string) => loadRun(store, dir.split(/[\\/]/).at(-1)!);

  const checks = [
    checkPair('processes', first, second, ['run 1', 'run 2']),
    checkPair('in-process', pass(dir1), pass(dir2), ['pass 1', 'pass 2']),
    checkPair('threads', oneThread, twoThreads, ['1 thread', '2 threads']),
    checkPair('backends', reference, oneThread, ['reference', 'wasm']),
  ];
  const inProcess = checks[1]!;
  if (passes.timedOut) inProcess.notRun = `the in-process passes did not finish within ${Math.round(timeoutMs / 1000)} s (four times the two process runs, plus 10 s) and were stopped`;
  else if (!existsSync(dir2)) {
    const { status, problem } = inProcess.a.summary;
    const firstPass = status === 'completed' || status === 'running' ? '' : `pass 1 ${status}${problem ? `: ${problem}` : ''}; `;
    inProcess.notRun = `${firstPass}pass 2 never started: the driver's process ended in pass 1 with exit code ${passes.exitCode}${passes.exitCode === 0 ? ' (process.exit in the script?)' : ''}`;
  }
  else if (passes.exitCode !== 0 && !inProcess.notRun) inProcess.notRun = `the in-process passes ended with exit code ${passes.exitCode}`;
  out(table([['check', 'result'], ...checks.map((c) => [c.name, resultText(c)])]));

  const sites = runRandomSites(first);
  const cause: string[] = [];
  if (checks[0]!.notRun) {
    // The script fails (or trains nothing) as it is: that comes before any comparison.
    const [one, two] = [failureOf(first), failureOf(second)];
    cause.push(one === two ? `cause: ${one} (in both runs in two processes), so nothing could be compared`
      : `cause: the runs in two processes could not be compared (${checks[0]!.notRun}), so nothing else is compared`);
  } else {
    const repeatable = checks[0]!.difference?.what === 'data' && sites.length > 0 ? await repeatableRandomData(store, traced) : undefined;
    signal = interruptedBy();
    if (signal) return interrupted(signal);
    cause.push(...causeOf(checks, sites, repeatable));
    const notRun = checks.filter((c) => c.notRun);
    if (notRun.length) {
      if (cause.length === 0) cause.push('cause: none found in the checks that ran, but not every check ran:');
      cause.push(...notRun.map((c) => `  not checked: ${c.name}: ${c.notRun}`));
    }
  }
  out(cause.length ? cause.join('\n') : 'cause: none, every check is bit-identical');

  const risks: string[] = [];
  if (first.manifest.scriptSeed === undefined || first.manifest.scriptSeed === null) risks.push(`no seed set: the script never calls vb.setRandomSeed; doctor pinned ${seed} (pass --seed to verbatim run, or set one)`);
  // Call sites the cause already names are not repeated.
  const named = new Set(cause.join('\n').match(/at \S+:\d+:\d+/g)?.map((s) => s.slice(3)) ?? []);
  for (const { site, count } of randomSites(randomLog)) {
    if (!named.has(site)) risks.push(`Math.random called ${count} time(s) in the in-process passes, at ${site}`);
  }
  const manifest = first.manifest as { lockfile?: unknown; unpinnedDependencies?: string[] };
  if (!manifest.lockfile) risks.push('no lockfile (package-lock.json): dependency versions can change between installs');
  if (manifest.unpinnedDependencies?.length) risks.push(`unpinned dependency ranges: ${manifest.unpinnedDependencies.join(', ')}`);
  out(risks.length ? `risks:\n  ${risks.join('\n  ')}` : 'risks: none found');
  if (cause.length > 0) return 1;
  // Nothing differs, so nothing to inspect: a script checked often must not fill the temporary directory.
  rmSync(store, { recursive: true, force: true });
  out(`runs removed (${store}): every check is bit-identical`);
  return 0;
}

/**
 * The experiment that tells whether Math.random made two processes' data differ: two more
 * processes in which it returns the same sequence. Undefined when they did not both train.
 */
async function repeatableRandomData(store: string, invocation: Invocation): Promise<RepeatableRandom> {
  process.env.VERBATIM_DOCTOR_REPEATABLE_RANDOM = '1';
  try {
    const runs = (await executeAll(store, [invocation, invocation], 1, () => undefined, () => undefined)).map((e) => loadRun(store, e.id));
    if (runs.length < 2 || runs.some((r) => r.summary.status !== 'completed' || r.epochs.length === 0)) return undefined;
    const { content, order } = compareData(runs[0]!, runs[1]!);
    return content.length || order.length ? 'differ' : 'agree';
  } finally {
    delete process.env.VERBATIM_DOCTOR_REPEATABLE_RANDOM;
  }
}
