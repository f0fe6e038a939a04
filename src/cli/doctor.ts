/**
 * verbatim doctor: runs a script's training in the ways that expose unreproducibility (twice
 * in one process, twice in two processes, with 1 and 2 threads, on the reference and wasm
 * backends), every run with the same pinned seed, and names the first cause in the chain:
 * first the input data (content, then order) with the Math.random call sites that made it,
 * then training between processes, then threads and backends. verbatim itself is suspected
 * only when runs on one backend agree and the backends (or thread counts) disagree.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Parsed } from './args.js';
import { seedText, stringFlag } from './args.js';
import { UsageError } from '../errors.js';
import { executeAll, interruptedBy, isScriptName, runsThroughTsx, SCRIPT_KINDS, signalExitCode, type Invocation } from './execute.js';
import { firstDivergentOp } from '../runs/op-trace.js';
import { compareData, firstDivergence, loadRun, table, type RunDetails } from './inspect.js';

function verdict(a: RunDetails, b: RunDetails): string {
  if (a.epochs.length === 0 || b.epochs.length === 0) return `no training recorded (${a.summary.status}, ${b.summary.status})`;
  const d = firstDivergence(a, b);
  if (d === undefined) return 'identical';
  if (d === 'length') return `differ: ${a.epochs.length} and ${b.epochs.length} epoch records`;
  return `differ from fit ${d.fit}, epoch ${d.epoch}${d.epoch === 0 ? ' (initial weights)' : ''}: ${d.what.join(', ')}${d.layers?.length ? ` (layers ${d.layers.join(', ')})` : ''}`;
}

function dataVerdict(a: RunDetails, b: RunDetails): string {
  const { content, order } = compareData(a, b);
  if (content.length) return `content differs: ${content.map((c) => c.split(':')[0]).join(', ')}`;
  if (order.length) return `same examples, order differs: ${order.map((c) => c.split(':')[0]).join(', ')}`;
  return 'same content and order';
}

/** The first step (fit, epoch, step) whose loss bits or weights digest differ, when both runs traced steps. */
function firstDivergentStep(a: RunDetails, b: RunDetails): string | undefined {
  const i = a.steps.findIndex((s, k) => s.digest !== b.steps[k]?.digest || s.lossBits !== b.steps[k]?.lossBits);
  if (i < 0) return undefined;
  const s = a.steps[i]!;
  return `fit ${s.fit}, epoch ${s.epoch}, step ${s.step}`;
}

interface RandomSite {
  site: string;
  count: number;
}

function randomSites(run: RunDetails): RandomSite[] {
  try {
    return (JSON.parse(readFileSync(join(run.summary.dir, 'math-random.json'), 'utf8')) as RandomSite[]).sort((x, y) => y.count - x.count);
  } catch {
    return [];
  }
}

export async function doctor(parsed: Parsed, out: (text: string) => void): Promise<number> {
  const [script] = parsed.positionals;
  if (!script || parsed.positionals.length > 1) throw new UsageError(`Expected one script. Received: ${JSON.stringify(parsed.positionals)}`);
  if (!isScriptName(script)) throw new UsageError(`Expected a ${SCRIPT_KINDS} script. Received: script=${script}`);
  const seed = seedText('seed', stringFlag(parsed, 'seed') ?? '1');
  const store = mkdtempSync(join(tmpdir(), 'verbatim-doctor-'));
  out(`verbatim doctor: ${script} (seed pinned to ${seed} for every run; runs kept in ${store})`);

  // The probe must load before the script and its dependencies, to see who calls Math.random.
  const probe = pathToFileURL(fileURLToPath(new URL('./doctor-probe.js', import.meta.url))).href;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${probe}`.trim();
  const trace = stringFlag(parsed, 'trace');
  if (trace !== undefined && trace !== 'ops') throw new UsageError(`Expected --trace ops. Received: --trace ${trace}`);
  const seeded: Invocation = { script, args: parsed.rest, name: 'doctor', seed };
  const traced: Invocation = { ...seeded, trace: trace === 'ops' ? 'ops' : 'steps' };
  const variants: Invocation[] = [
    traced, traced, { ...seeded, threads: 1 }, { ...seeded, threads: 2 }, { ...seeded, backend: 'reference' },
  ];
  const executions = await executeAll(store, variants, 1, () => undefined, () => undefined);
  const signal = interruptedBy();
  if (signal) return signalExitCode(signal);
  const [first, second, oneThread, twoThreads, reference] = executions.map((e) => loadRun(store, e.id)) as [RunDetails, RunDetails, RunDetails, RunDetails, RunDetails];

  const dir1 = join(store, 'in-process-1');
  const dir2 = join(store, 'in-process-2');
  const randomLog = join(store, 'math-random.json');
  const require = createRequire(import.meta.url);
  const driver = fileURLToPath(new URL('./doctor-driver.js', import.meta.url));
  const typescript = runsThroughTsx(script) ? ['--import', require.resolve('tsx')] : [];
  const env: Record<string, string | undefined> = { ...process.env, VERBATIM_SCRIPT: resolve(script), VERBATIM_SEED: seed };
  delete env.VERBATIM_RUN_DIR;
  spawnSync(process.execPath, ['--import', require.resolve('./preload.js'), ...typescript, driver, dir1, dir2, randomLog, resolve(script), ...parsed.rest], { env, stdio: 'ignore' });
  const pass = (dir: string) => loadRun(store, dir.split(/[\\/]/).at(-1)!);

  const data = dataVerdict(first, second);
  const inProcess = verdict(pass(dir1), pass(dir2));
  const processes = verdict(first, second);
  const threads = verdict(oneThread, twoThreads);
  const backends = verdict(reference, oneThread);
  out(table([
    ['check', 'result'],
    ['input data, two processes', data],
    ['twice in one process', inProcess],
    ['twice in two processes', processes],
    ['1 thread vs 2 threads', threads],
    ['reference vs wasm backend', backends],
  ]));

  // The first cause in the chain; what follows from it is not blamed on anything else.
  const sites = randomSites(first);
  const siteLines = sites.slice(0, 5).map((s) => `  Math.random called ${s.count} time(s) at ${s.site}`);
  const cause: string[] = [];
  if (data !== 'same content and order') {
    cause.push(`cause: the input data differ between two processes with the same seed (${data})${sites.length ? ', because of Math.random:' : ''}`, ...siteLines);
    cause.push('the rest is explained by it: training on different data gives different weights; fix the data first (draw from vb.random with a key, or a seeded vb.data pipeline)');
  } else if (processes !== 'identical') {
    const step = firstDivergentStep(first, second);
    const op = first.ops.length && second.ops.length ? firstDivergentOp(first.ops, second.ops) : undefined;
    cause.push(`cause: the same data and seed train differently in two processes (${processes}${step ? `; first divergent step: ${step}` : ''}${op ? `; first divergent ${op}` : ''})${sites.length ? '; Math.random was called:' : ''}`, ...siteLines);
    if (sites.length === 0) cause.push('  no Math.random calls seen: look for clocks, unordered iteration or state kept between runs');
  } else if (sites.length > 0 && [inProcess, threads, backends].some((v) => v !== 'identical' && !v.startsWith('no training'))) {
    // Two draws of Math.random can agree by chance (a small perturbation rounded away in float32).
    cause.push('cause: runs differ although two processes agreed; Math.random was called, so its values decide by chance:', ...siteLines);
  } else if (inProcess !== 'identical' && !inProcess.startsWith('no training')) {
    cause.push(`cause: two processes agree but two runs in one process differ (${inProcess}): state kept between runs (module-level variables, caches, counters) changes the second run`);
  } else if (threads !== 'identical' || backends !== 'identical') {
    cause.push(`cause: runs on one backend agree but ${threads !== 'identical' ? 'thread counts' : 'the reference and wasm backends'} disagree: please report this as a verbatim bug (with this output)`);
  }
  out(cause.length ? cause.join('\n') : 'cause: none, every check is bit-identical');

  const risks: string[] = [];
  if (first.manifest.scriptSeed === undefined || first.manifest.scriptSeed === null) risks.push(`no seed set: the script never calls vb.setRandomSeed; doctor pinned ${seed} (pass --seed to verbatim run, or set one)`);
  let inProcessCalls: { caller: string; count: number }[] = [];
  try {
    inProcessCalls = JSON.parse(readFileSync(randomLog, 'utf8')) as typeof inProcessCalls;
  } catch {
    risks.push('the in-process passes did not finish; see the runs in the store');
  }
  if (cause.length === 0 || data === 'same content and order') {
    for (const { caller, count } of inProcessCalls) risks.push(`Math.random called ${count} time(s) during training, from ${caller}`);
  }
  const manifest = first.manifest as { lockfile?: unknown; unpinnedDependencies?: string[] };
  if (!manifest.lockfile) risks.push('no lockfile (package-lock.json): dependency versions can change between installs');
  if (manifest.unpinnedDependencies?.length) risks.push(`unpinned dependency ranges: ${manifest.unpinnedDependencies.join(', ')}`);
  out(risks.length ? `risks:\n  ${risks.join('\n  ')}` : 'risks: none found');
  return cause.length === 0 ? 0 : 1;
}
