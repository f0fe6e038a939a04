/**
 * doctor's checks: each pair of runs that should agree (twice in two processes, twice in one
 * process, 1 vs 2 threads, reference vs wasm backend) compared in the order of the chain of
 * causes: did both runs train, then the data fed to training and the config, then training, then
 * the results after training (model.evaluate's and model.predict's), then the custom values. The first pair with a difference names the cause; verbatim itself is
 * suspected only when runs on one backend agree and data and config agree across threads or
 * backends while training does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstDivergentOp } from '../runs/op-trace.js';
import { compareData, configOf, fieldDifferences, firstDivergence, fitCompute, resultDifferences, valueDifferences, type RunDetails } from './inspect.js';

export type PairKind = 'processes' | 'in-process' | 'threads' | 'backends';

export interface PairCheck {
  kind: PairKind;
  /** The check as the table names it. */
  name: string;
  a: RunDetails;
  b: RunDetails;
  /** Why the runs could not be compared (a run failed, was interrupted or trained nothing). */
  notRun?: string;
  /** The first difference in the chain (data, config, training, results after training, custom values), in words. */
  difference?: { what: 'data' | 'config' | 'training' | 'results' | 'values'; text: string };
}

const NAMES: Record<PairKind, string> = {
  processes: 'twice in two processes',
  'in-process': 'twice in one process',
  threads: '1 thread vs 2 threads',
  backends: 'reference vs wasm backend',
};

/** Why a run says nothing about reproducibility: it did not complete, or it never trained. */
function runProblem(kind: PairKind, label: string, run: RunDetails): string | undefined {
  const { status, problem } = run.summary;
  if (status !== 'completed') return `${label} ${status}${problem ? `: ${problem}` : ''}`;
  // A pass ends when the script's module has loaded: training it started without awaiting comes later.
  if (run.epochs.length === 0) return `${label}: no training recorded ${kind === 'in-process' ? 'before the script\'s module finished loading (is its main promise awaited?)' : '(the script never called fit)'}`;
  return undefined;
}

function trainingDifference(a: RunDetails, b: RunDetails): string | undefined {
  const d = firstDivergence(a, b);
  if (d === undefined) return undefined;
  if (d === 'length') return `training differs: ${a.epochs.length} and ${b.epochs.length} epoch records`;
  const where = `training differs from fit ${d.fit}, epoch ${d.epoch}${d.epoch === 0 ? ' (initial weights)' : ''}: ${d.what.join(', ')}${d.layers?.length ? ` (layers ${d.layers.join(', ')})` : ''}`;
  const step = firstDivergentStep(a, b);
  const op = a.ops.length && b.ops.length ? firstDivergentOp(a.ops, b.ops) : undefined;
  return `${where}${step ? `; first divergent step: ${step}` : ''}${op ? `; first divergent ${op}` : ''}`;
}

/** The first step (fit, epoch, step) whose loss bits or weights digest differ, when both runs traced steps. */
function firstDivergentStep(a: RunDetails, b: RunDetails): string | undefined {
  const i = a.steps.findIndex((s, k) => s.digest !== b.steps[k]?.digest || s.lossBits !== b.steps[k]?.lossBits);
  if (i < 0) return undefined;
  const s = a.steps[i]!;
  return `fit ${s.fit}, epoch ${s.epoch}, step ${s.step}`;
}

/**
 * For the threads and backends pairs: why they compared nothing, when every fit of both runs
 * trained with the same thread count (backend) because the script chose its own after doctor set
 * them (each fit records where it trained; runs recorded before that are compared as they are).
 */
function chosenByScript(kind: PairKind, a: RunDetails, b: RunDetails): string | undefined {
  const field = kind === 'threads' ? 'threads' : kind === 'backends' ? 'backend' : undefined;
  if (!field) return undefined;
  const [x, y] = [fitCompute(a), fitCompute(b)];
  const fits = Object.keys(x);
  if (fits.length === 0 || fits.some((fit) => y[fit]?.[field] === undefined || y[fit]![field] !== x[fit]![field])) return undefined;
  const used = [...new Set(fits.map((fit) => String(x[fit]![field])))].join(', ');
  return `the script sets its own ${field === 'threads' ? 'thread count' : 'backend'}: every fit of both runs trained with ${field === 'threads' ? `${used} thread(s)` : `the ${used} backend`}`;
}

export function checkPair(kind: PairKind, a: RunDetails, b: RunDetails, labels: [string, string]): PairCheck {
  const check: PairCheck = { kind, name: NAMES[kind], a, b };
  const problems = [runProblem(kind, labels[0], a), runProblem(kind, labels[1], b)].filter((p) => p !== undefined);
  if (problems.length) return { ...check, notRun: problems.join('; ') };
  const chosen = chosenByScript(kind, a, b);
  if (chosen) return { ...check, notRun: chosen };
  const { content, order } = compareData(a, b);
  const names = (lines: string[]) => lines.map((l) => l.split(':')[0]).join(', ');
  const config = fieldDifferences(configOf(a), configOf(b));
  const training = trainingDifference(a, b);
  const results = resultDifferences(a, b);
  const values = valueDifferences(a, b);
  const difference = content.length ? { what: 'data' as const, text: `input data differ: content differs: ${names(content)}` }
    : order.length ? { what: 'data' as const, text: `input data differ: same examples, order differs: ${names(order)}` }
      : config.length ? { what: 'config' as const, text: `config differs: ${config.join(', ')}` }
        : training ? { what: 'training' as const, text: training }
          : results.length ? { what: 'results' as const, text: `results after training differ: ${results.join(', ')}` }
            : values.length ? { what: 'values' as const, text: `custom values differ: ${values.join(', ')}` }
              : undefined;
  return difference ? { ...check, difference } : check;
}

/** The check's result in the table. */
export function resultText(check: PairCheck): string {
  if (check.notRun) return `not compared: ${check.notRun}`;
  return check.difference?.text ?? 'identical';
}

export interface RandomSite {
  site: string;
  count: number;
}

export function randomSites(file: string): RandomSite[] {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as RandomSite[]).sort((x, y) => y.count - x.count);
  } catch {
    return [];
  }
}

export const runRandomSites = (run: RunDetails): RandomSite[] => randomSites(join(run.summary.dir, 'math-random.json'));

export const siteLines = (sites: readonly RandomSite[]): string[] => sites.slice(0, 5).map((s) => `  Math.random called ${s.count} time(s) at ${s.site}`);

/** Where a run's script read the thread count or the backend (doctor's probe: which function, where), most frequent first. */
function settingReads(run: RunDetails, setting: 'threads' | 'backend'): (RandomSite & { read: string })[] {
  try {
    const all = JSON.parse(readFileSync(join(run.summary.dir, 'setting-reads.json'), 'utf8')) as (RandomSite & { read: string; setting: string })[];
    return all.filter((r) => r.setting === setting).sort((x, y) => y.count - x.count);
  } catch {
    return [];
  }
}

/**
 * What a further pair of processes, with Math.random returning the same sequence in both, showed
 * about the data: 'agree' (Math.random made the difference), 'differ' (something else does), or
 * undefined when that pair did not run or did not train.
 */
export type RepeatableRandom = 'agree' | 'differ' | undefined;

/** The cause lines for the first check with a difference (none when every compared check agrees). */
export function causeOf(checks: readonly PairCheck[], sites: readonly RandomSite[], repeatable: RepeatableRandom): string[] {
  const first = checks.find((c) => c.difference);
  if (!first?.difference) return [];
  const { what } = first.difference;
  const text = first.difference.text.replace(/^input data differ: /, '');
  const listed = siteLines(sites);
  if (first.kind === 'processes') {
    // Data named 'evaluation N ...' or 'prediction N ...' only: training saw the same data, only what it was evaluated on or predicted from differs.
    const rest = /\bfit \d+ /.test(text) ? 'the rest is explained by it: training on different data gives different weights; fix the data first (draw from vb.random with a key, or a seeded vb.data pipeline)'
      : `training saw the same data; only the data given to ${/\bevaluation \d+ /.test(text) ? 'model.evaluate' : 'model.predict'} differ: fix how it is made (draw from vb.random with a key)`;
    if (what === 'data') {
      if (repeatable === 'agree') {
        return [`cause: the input data differ between two processes with the same seed (${text}), because of Math.random (with it made repeatable, two more processes got the same data):`, ...listed, rest];
      }
      const random = sites.length === 0 ? ['  no Math.random calls seen: look for clocks, the environment, unordered iteration']
        : repeatable === 'differ' ? ['  not because of Math.random alone: with it made repeatable, two more processes still got different data (look for clocks, the environment, unordered iteration); Math.random was also called:', ...listed]
          : ['  Math.random was called (whether it made the data cannot be told):', ...listed];
      return [`cause: the input data differ between two processes with the same seed (${text})`, ...random, rest];
    }
    // A Math.random call seen need not be the cause (it may name a label): the other sources stay named.
    const mathRandom = sites.length ? ['  Math.random was called (it may or may not be the cause; look also for clocks, unordered iteration or state kept between runs):', ...listed]
      : ['  no Math.random calls seen: look for clocks, unordered iteration or state kept between runs'];
    if (what === 'config') return [`cause: the model or fit options differ between two processes with the same seed (${text})`, ...mathRandom];
    if (what === 'training') return [`cause: the same data and seed train differently in two processes (${text})`, ...mathRandom];
    if (what === 'results') {
      return [`cause: training and the data evaluated agree, but the results of model.evaluate or model.predict differ between two processes with the same seed (${text}): what the script does between training and them (weights or compile options changed, another model) is not reproducible`, ...mathRandom];
    }
    return [`cause: training agrees but the custom values (vb.runs.log) differ between two processes with the same seed (${text}): what computes them is not reproducible`, ...mathRandom];
  }
  if (first.kind === 'in-process') {
    // Two draws of Math.random can agree by chance in two processes (a perturbation rounded away in float32).
    return [`cause: two processes agree but two runs in one process differ (${text}): state kept between runs (module-level variables, caches, counters) changes the second run`,
      ...(sites.length ? ['  or Math.random, whose values can agree by chance, was called:', ...listed] : [])];
  }
  const varied = first.kind === 'threads' ? 'the thread count' : 'the backend';
  if (what === 'data' || what === 'config') {
    return [`cause: the script's own ${what === 'data' ? 'data' : 'model or fit options'} depend on ${varied} (${first.name}: ${text}): training on different ${what === 'data' ? 'data' : 'settings'} gives different weights; this is the script's doing, not verbatim's`];
  }
  if (what === 'values') {
    return [`cause: training agrees but the custom values (vb.runs.log) differ with ${varied} (${first.name}: ${text}): what computes them depends on it`];
  }
  if (sites.length > 0) {
    // Two draws of Math.random can agree by chance (a small perturbation rounded away in float32).
    return [`cause: runs differ although two processes agreed (${first.name}: ${text}); Math.random was called, so its values decide by chance:`, ...listed];
  }
  const threads = first.kind === 'threads';
  const setting = threads ? 'thread count (vb.getNumThreads())' : 'backend (vb.getBackend())';
  const [disagree, depends] = what === 'results'
    ? [`cause: training and the data evaluated agree, but the results of model.evaluate or model.predict differ with ${varied} (${first.name}: ${text})`, 'what it does with the model after training']
    : [`cause: runs on one backend agree and their data and config agree, but ${threads ? 'thread counts' : 'the reference and wasm backends'} disagree (${text})`, 'its training'];
  const reads = settingReads(first.a, threads ? 'threads' : 'backend');
  const variable = threads ? 'VERBATIM_THREADS' : 'VERBATIM_BACKEND';
  if (reads.length > 0) {
    return [`${disagree}: the script reads the ${setting}, so ${depends} can depend on it (or on ${variable} in its environment; if on neither, please report this as a verbatim bug, with this output):`,
      ...reads.slice(0, 5).map((r) => `  vb.${r.read}() read ${r.count} time(s) at ${r.site}`)];
  }
  return [`${disagree}: the script never reads the ${setting}; unless ${depends} depends on it another way (${variable} in its environment), please report this as a verbatim bug (with this output)`];
}
