/** Reading runs back: listing, showing, comparing. */
import { join } from 'node:path';
import type { OpRecord } from '../runs/op-trace.js';
import { layerDigestsAt } from './snapshots.js';
import { LoggingCounter, readValues, valueFromBits, valueKey, type ValueRecord } from '../runs/values.js';
import { readEpochs, readJson, summarizeRun, type EpochLine, type RunSummary, type StatusRecord } from '../runs/store.js';
import { readJsonl } from '../runs/record-files.js';
import { readEvaluations, readPredictions, type DataRecord, type EvaluationRecord, type PredictionRecord, type TensorRecord } from '../runs/results.js';

export type { DataRecord, EvaluationRecord, PredictionRecord } from '../runs/results.js';

/** A run's epoch record as the store reads it (checked, metrics restored from their bits). */
export type EpochRecord = EpochLine;

export interface FitRecord {
  fit: number;
  kind?: string;
  model?: Record<string, unknown>;
  options?: Record<string, unknown>;
  data?: Record<string, DataRecord>;
  /** Per input, the first epoch's examples in the order seen (content and order). */
  /** The backend and thread count the fit began with (recorded since the script may change them). */
  backend?: unknown;
  threads?: unknown;
  datasetFingerprint?: Record<string, string>;
  /** Per input, the multiset of the first epoch's examples (content only). */
  datasetContent?: Record<string, string>;
  weights?: { name: string; shape: number[] }[];
  /** Each layer's weights, as indices into weights. */
  layers?: { name: string; weights: number[] }[];
  /** The weights' digest when the fit ended (after every callback's onTrainEnd): the run's final weights when it is the last fit. */
  finalDigest?: string;
  /** The fits open when this one began: it began inside one's callback, or they ran together. */
  within?: number[];
}

export interface RunDetails {
  summary: RunSummary;
  run: Record<string, unknown>;
  manifest: Record<string, unknown>;
  status: StatusRecord | null;
  fits: FitRecord[];
  epochs: EpochRecord[];
  evaluations: EvaluationRecord[];
  /** The script's model.predict calls made outside any fit: inputs and each output's digest. */
  predictions: PredictionRecord[];
  /** Custom values (`vb.runs.log`), in the order logged. */
  values: ValueRecord[];
  steps: { fit: number; epoch: number; step: number; lossBits: string; digest: string }[];
  /** Op digests of the first training step (recorded with --trace ops). */
  ops: OpRecord[];
}

/**
 * Records in fit order, each fit's in the order written (its epochs, its steps). Fits that train
 * together (under Promise.all) interleave their records as the event loop turns, which the clock
 * decides (fit yields every 25 ms): the same numbers in another order are the same run.
 */
function byFit<T extends { fit: number }>(records: T[]): T[] {
  return records.map((r, i) => [r, i] as const).sort(([a, i], [b, j]) => a.fit - b.fit || i - j).map(([r]) => r);
}

export function loadRun(store: string, id: string): RunDetails {
  const dir = join(store, id);
  const optional = <T>(f: () => T, fallback: T) => {
    try {
      return f();
    } catch {
      return fallback;
    }
  };
  return {
    summary: summarizeRun(store, id),
    run: optional(() => readJson<Record<string, unknown>>(join(dir, 'run.json')), {}),
    manifest: optional(() => readJson<Record<string, unknown>>(join(dir, 'manifest.json')), {}),
    status: optional(() => readJson<StatusRecord>(join(dir, 'status.json')), null),
    fits: optional(() => readJsonl<FitRecord>(join(dir, 'fits.jsonl')), []),
    epochs: byFit(optional(() => readEpochs(join(dir, 'epochs.jsonl')), [])),
    evaluations: optional(() => readEvaluations(dir), []),
    predictions: optional(() => readPredictions(dir), []),
    values: optional(() => readValues(dir), []),
    steps: byFit(optional(() => readJsonl<RunDetails['steps'][number]>(join(dir, 'steps.jsonl')), [])),
    ops: optional(() => readJsonl<OpRecord>(join(dir, 'ops.jsonl')), []),
  };
}

/**
 * Control characters from a store (a run named with terminal escapes) are shown, never obeyed; so
 * are the bidirectional controls (U+202E), which would show the rest of a line reversed, and the
 * line and paragraph separators (U+2028, U+2029), which end a line as a newline does.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function table(rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => r.map((cell) => printable(cell ?? '')));
  // A loop, not Math.max(...): a run's table may have more rows than a call has arguments.
  const widths = cells[0]!.map((_, c) => cells.reduce((w, r) => Math.max(w, (r[c] ?? '').length), 0));
  return cells.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function formatMetrics(metrics: Record<string, number>): string {
  // String(-0) is '0': the sign is kept, as float32Text keeps it.
  return Object.entries(metrics).map(([k, v]) => `${k}=${Object.is(v, -0) ? '-0' : Number(v.toPrecision(6))}`).join(' ');
}

/**
 * A run's final fit metrics and custom values (`vb.runs.log`, last logged), each under its own
 * name: a custom value named like one of the run's fit metrics ('loss') is shown as 'value:loss',
 * never in the metric's place.
 */
export function finalResults(run: Pick<RunSummary, 'finalMetrics' | 'values'>): Record<string, number> {
  // fromEntries defines own properties: a value named __proto__ is kept as one.
  return Object.fromEntries([
    ...Object.entries(run.finalMetrics),
    ...Object.entries(run.values).map(([k, v]) => [Object.hasOwn(run.finalMetrics, k) ? `value:${k}` : k, v] as const),
  ]);
}

/**
 * What makes two runs repeats of one another: the script's SHA-256 and its arguments. Runs of
 * another script or other arguments differ by what they were asked to do, not by their bits.
 */
export function commandKey(run: RunDetails): string {
  const script = run.manifest.script as { sha256?: unknown; path?: unknown } | undefined;
  const invocation = run.run.invocation as { args?: unknown } | undefined;
  return JSON.stringify([script?.sha256 ?? script?.path ?? null, invocation?.args ?? []]);
}

/** The repeats a run is one of: its seed, script and arguments (a run without a recorded seed, of an older store, is its own). */
export function seedKey(run: RunDetails): string {
  return run.run.seed === undefined ? `\0${run.summary.id}` : `${commandKey(run)}\0${String(run.run.seed)}`;
}

/** The command of a group of repeats in words: the script's file name and its arguments. */
function commandLabel(run: RunDetails): string {
  const path = String((run.manifest.script as { path?: unknown } | undefined)?.path ?? '?');
  const args = (run.run.invocation as { args?: unknown } | undefined)?.args;
  return printable([path.slice(path.lastIndexOf('/') + 1), ...(Array.isArray(args) ? args.map(String) : [])].join(' '));
}

/**
 * The completed runs grouped by seed, script and arguments: the repeats of one seed. A label
 * per group, the seed, with the script and its arguments when the runs are of more than one.
 * A run stopped early ends where it was stopped: it says nothing about reproducibility.
 */
export function seedGroups(runs: readonly RunDetails[]): [string, RunDetails[]][] {
  const completed = runs.filter((run) => run.summary.status === 'completed');
  const commands = new Set(completed.map(commandKey));
  const groups = new Map<string, [string, RunDetails[]]>();
  for (const r of completed) {
    const seed = r.run.seed === undefined ? '?' : String(r.run.seed);
    const label = commands.size > 1 ? `${seed} (${commandLabel(r)})` : seed;
    (groups.get(seedKey(r)) ?? groups.set(seedKey(r), [label, []]).get(seedKey(r))!)[1].push(r);
  }
  return [...groups.values()];
}

/** The seeds run to completion more than once (of one script with the same arguments), with their runs. */
export function repeatedSeeds(runs: readonly RunDetails[]): [string, RunDetails[]][] {
  return seedGroups(runs).filter(([, group]) => group.length > 1);
}

/** One name's final values: one per seed (repeats of a seed are one sample: bit-identical by construction). */
export interface SeedValues {
  /** Per seed, its first run's value. */
  values: number[];
  /** The completed runs that recorded it. */
  runs: number;
  /** Seeds whose repeats disagree on it (the "same seed, different bits" finding). */
  disagreeing: number;
}

/**
 * Per name, the final value of each seed's completed runs: fit metrics (last epoch) and custom
 * values (`vb.runs.log`, last logged); only `metric` when given. A failed or interrupted run's
 * last values are where it stopped, not a result: they are left out (the summary says how many).
 */
export function summaryValues(runs: readonly RunDetails[], metric?: string): Map<string, SeedValues> {
  const out = new Map<string, SeedValues>();
  for (const [, group] of seedGroups(runs)) {
    const perName = new Map<string, number[]>();
    for (const r of group) {
      for (const [k, v] of Object.entries(finalResults(r.summary))) {
        if ((metric !== undefined && k !== metric) || typeof v !== 'number') continue;
        (perName.get(k) ?? perName.set(k, []).get(k)!).push(v);
      }
    }
    for (const [k, values] of perName) {
      const entry = out.get(k) ?? out.set(k, { values: [], runs: 0, disagreeing: 0 }).get(k)!;
      entry.values.push(values[0]!);
      entry.runs += values.length;
      if (values.some((v) => !Object.is(v, values[0]))) entry.disagreeing++;
    }
  }
  return out;
}

export function lsTable(runs: readonly RunSummary[]): string {
  return table([
    ['id', 'name', 'seed', 'status', 'final metrics and values', 'digest'],
    ...runs.map((r) => [r.id, r.name ?? '', r.seed ?? '', r.status, formatMetrics(finalResults(r)), r.digest?.slice(0, 12) ?? '']),
  ]);
}

/**
 * Fields of two objects that differ, as "key: a -> b", each named by its path down to the value
 * that differs ("fit 0.options.verbose: 0 -> 2"), so that a long config does not hide it.
 */
export function fieldDifferences(a: Record<string, unknown>, b: Record<string, unknown>, ignore: readonly string[] = []): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !ignore.includes(k)).sort();
  return keys.flatMap((k) => pathDifferences(k, a[k], b[k]));
}

function pathDifferences(path: string, a: unknown, b: unknown): string[] {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x === y) return [];
  // Objects, and arrays of one length, are compared member by member.
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)
    && (!Array.isArray(a) || a.length === (b as unknown[]).length)) {
    const [p, q] = [a as Record<string, unknown>, b as Record<string, unknown>];
    return [...new Set([...Object.keys(p), ...Object.keys(q)])].flatMap((k) => pathDifferences(Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`, p[k], q[k]));
  }
  const short = (s: string | undefined) => (s === undefined ? 'absent' : s.length > 80 ? `${s.slice(0, 77)}...` : s);
  return [`${path}: ${short(x)} -> ${short(y)}`];
}

/** Environment fields expected to differ between any two runs. */
export const VOLATILE_ENVIRONMENT = ['startedAt', 'endedAt', 'environmentVariables'];

/**
 * The environment differences of two runs: their manifests' fields but the volatile ones, with a
 * run's resumptions reduced to those that ran in another environment than its first process (a
 * resumption in the same environment differs from none only by its time, which is no difference).
 */
export function environmentDifferences(a: RunDetails, b: RunDetails): string[] {
  const environment = ({ resumptions, ...manifest }: Record<string, unknown>) => {
    const elsewhere = (Array.isArray(resumptions) ? resumptions as unknown[] : []).flatMap((r) => {
      if (typeof r !== 'object' || r === null) return [r];
      const { at: _at, ...fields } = r as Record<string, unknown>;
      return Object.entries(fields).some(([k, v]) => JSON.stringify(v) !== JSON.stringify(manifest[k])) ? [fields] : [];
    });
    return elsewhere.length > 0 ? { ...manifest, resumedElsewhere: elsewhere } : manifest;
  };
  return [
    ...fieldDifferences(environment(a.manifest), environment(b.manifest), VOLATILE_ENVIRONMENT),
    ...fieldDifferences(fitCompute(a), fitCompute(b)),
  ];
}

/** Each fit's backend and thread count as its beginning recorded them (runs recorded before it: none). */
export function fitCompute(run: RunDetails): Record<string, { backend: unknown; threads: unknown }> {
  // A corrupt run's lines are shown too: any of them may be other than a fit record.
  return Object.fromEntries(run.fits.filter((f) => typeof f === 'object' && f !== null && (f.backend !== undefined || f.threads !== undefined)).map((f) => [`fit ${f.fit}`, { backend: f.backend, threads: f.threads }]));
}

/** The fits that trained elsewhere than the manifest says the run started (the script chose its backend or threads), in words. */
export function computeChanges(run: RunDetails): string[] {
  return Object.entries(fitCompute(run))
    .filter(([, c]) => c.backend !== run.manifest.backend || c.threads !== run.manifest.threads)
    .map(([fit, c]) => `${fit}: ${printable(String(c.backend))}, ${printable(String(c.threads))} thread(s)`);
}

export interface Divergence {
  fit: number;
  epoch: number;
  /** 'digest' or a metric name whose bits differ. */
  what: string[];
  /** The layers whose weights differ; undefined when the records cannot tell (no snapshot kept). */
  layers: string[] | undefined;
}

/**
 * Custom values (`vb.runs.log`) of two runs that differ, as "name step s: a -> b", each value
 * with its float32 bits (two NaNs can differ in them): they are results like the metrics, so a
 * difference in them is a difference.
 */
export function valueDifferences(a: RunDetails, b: RunDetails): string[] {
  const shown = (bits: string | undefined) => (bits === undefined ? 'absent' : `${valueFromBits(bits)} (bits ${bits})`);
  // A name and step logged more than once (`{step: epoch}` in every fit) is compared logging by
  // logging, in the order logged: against only the last, the earlier loggings of identical runs differ.
  const keyed = (values: readonly ValueRecord[]) => {
    const loggings = new LoggingCounter();
    return new Map(values.map((v) => {
      const n = loggings.next(v.name, v.step);
      return [valueKey(v.name, v.step, n), { ...v, label: `${printable(v.name)} step ${v.step}${n > 0 ? ` (logging ${n + 1})` : ''}` }];
    }));
  };
  const [va, vb] = [keyed(a.values), keyed(b.values)];
  return [
    ...[...va].filter(([k, v]) => vb.get(k)?.bits !== v.bits).map(([k, v]) => `${v.label}: ${shown(v.bits)} -> ${shown(vb.get(k)?.bits)}`),
    ...[...vb].filter(([k]) => !va.has(k)).map(([, v]) => `${v.label}: absent -> ${shown(v.bits)}`),
  ];
}

/** A float32 in the fewest digits that give it back (0.1234, not 0.12340000271797180), from its bits. */
export function float32Text(bits: string): string {
  const value = valueFromBits(bits);
  if (!Number.isFinite(value)) return String(value);
  // String(-0) is '0': shown as such, a sign bit that differs would look like no difference.
  if (Object.is(value, -0)) return '-0';
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(Number(value.toPrecision(9)));
}

/** A list of batch sizes in few words: [32], or [4 x 3, 2] for runs of equal sizes. */
function batchSizesText(sizes: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < sizes.length;) {
    let j = i;
    while (j < sizes.length && sizes[j] === sizes[i]) j++;
    runs.push(j - i > 1 ? `${sizes[i]} x ${j - i}` : String(sizes[i]));
    i = j;
  }
  return `[${runs.join(', ')}]`;
}

/**
 * The results of the evaluations both runs recorded that differ, as "evaluation 0: loss 0.1234
 * != 0.1235 (bits ...)", and the predictions whose outputs differ. Calls made in one run only
 * are data differences (compareData names their inputs absent); runs recorded before results
 * were have none to compare.
 */
export function resultDifferences(a: RunDetails, b: RunDetails): string[] {
  const evaluations = a.evaluations.flatMap((x, i) => {
    const y = b.evaluations[i];
    // evaluate and evaluateDataset of the same data can agree bit for bit: which call it was is compared too.
    const calls = x.kind !== undefined && y?.kind !== undefined && x.kind !== y.kind ? [`evaluation ${i}: ${printable(x.kind)} != ${printable(y.kind)}`] : [];
    // The batching decides the order of the sums: a different one explains results that differ.
    const [sizesX, sizesY] = [JSON.stringify(x.batchSizes), JSON.stringify(y?.batchSizes)];
    if (x.batchSizes !== undefined && y?.batchSizes !== undefined && sizesX !== sizesY) calls.push(`evaluation ${i}: batch sizes ${batchSizesText(x.batchSizes)} != ${batchSizesText(y.batchSizes)}`);
    if (!x.resultBits || !y?.resultBits) return calls;
    const [p, q] = [x.resultBits, y.resultBits];
    const shown = (bits: string | undefined) => (bits === undefined ? 'absent' : float32Text(bits));
    return [...calls, ...[...new Set([...Object.keys(p), ...Object.keys(q)])].filter((k) => p[k] !== q[k])
      .map((k) => `evaluation ${i}: ${printable(k)} ${shown(p[k])} != ${shown(q[k])} (bits ${p[k] ?? 'absent'} != ${q[k] ?? 'absent'})`)];
  });
  const output = (t: TensorRecord | undefined) => (t === undefined ? 'absent' : printable(`${t.dtype} ${JSON.stringify(t.shape)} ${t.sha256.slice(0, 16)}`));
  const predictions = a.predictions.flatMap((x, i) => {
    const y = b.predictions[i];
    if (!y) return [];
    return Array.from({ length: Math.max(x.outputs.length, y.outputs.length) }, (_, o) => [o, output(x.outputs[o]), output(y.outputs[o])] as const)
      .filter(([, p, q]) => p !== q).map(([o, p, q]) => `prediction ${i}: output ${o} ${p} != ${q}`);
  });
  return [...evaluations, ...predictions];
}

/** At most this many differences of a kind in a one-line verdict: `verbatim diff` lists them all. */
const LISTED_IN_A_LINE = 3;

/**
 * What differs after training, in words, for one-line verdicts (run's same-seed line, the
 * report): evaluation and prediction results, then custom values, the first few of each with
 * how many more. Both are results: runs of one seed that differ in either are not bit-identical.
 */
export function afterTrainingDifferences(a: RunDetails, b: RunDetails): string[] {
  const listed = (items: string[]) => items.slice(0, LISTED_IN_A_LINE).join('; ') + (items.length > LISTED_IN_A_LINE ? `; and ${items.length - LISTED_IN_A_LINE} more` : '');
  const [results, values] = [resultDifferences(a, b), valueDifferences(a, b)];
  return [...(results.length ? [`results after training differ: ${listed(results)}`] : []), ...(values.length ? [`custom values differ: ${listed(values)}`] : [])];
}

/** The first recorded epoch where the runs' weights digests or metric bits differ. */
export function firstDivergence(runA: RunDetails, runB: RunDetails): Divergence | 'length' | undefined {
  const [a, b] = [withFitEnds(runA), withFitEnds(runB)];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if ('end' in x || 'end' in y) {
      // The weights as each fit left them (after every onTrainEnd: restored best weights, an average).
      if ('end' in x && 'end' in y && x.end === y.end) continue;
      // One fit ended where the other trained on (more epochs): every epoch before agreed.
      if ('end' in x !== 'end' in y && x.fit === y.fit && ('end' in x ? x : y as { last: boolean }).last) return 'length';
      return { fit: x.fit, epoch: x.epoch, what: ['final weights (after the fit\'s onTrainEnd)'], layers: undefined };
    }
    const what = [
      ...(x.digest !== y.digest ? ['weights'] : []),
      ...[...new Set([...Object.keys(x.logBits ?? {}), ...Object.keys(y.logBits ?? {})])].filter((k) => x.logBits?.[k] !== y.logBits?.[k]),
    ];
    if (what.length > 0) {
      const [layersA, layersB] = [layerDigestsAt(runA, x.fit, x.epoch), layerDigestsAt(runB, y.fit, y.epoch)];
      // Names from a store are shown, never obeyed (terminal escapes).
      const layers = layersA && layersB ? Object.keys({ ...layersA, ...layersB }).filter((l) => layersA[l] !== layersB[l]).map(printable) : undefined;
      return { fit: x.fit, epoch: x.epoch, what, layers };
    }
  }
  return a.length === b.length ? undefined : 'length';
}

/**
 * Runs of different lengths (firstDivergence's 'length') in words: every epoch record they share
 * agrees; which one trained on, and to where.
 */
export function lengthText(a: RunDetails, b: RunDetails): string {
  // The last epoch each fit reached (epoch 0 is its initial weights).
  const fits = (r: RunDetails) => [...new Map(r.epochs.map((e) => [e.fit, e.epoch]))].map(([fit, epoch]) => `fit ${fit} to epoch ${epoch}`).join(', ') || 'nothing';
  const [x, y] = [a.epochs.length, b.epochs.length];
  // The same epochs, and a fit's end (its final weights' digest) recorded in one run only: a record lost, not training.
  const ended = (r: RunDetails) => new Set(r.fits.filter((f) => typeof f?.finalDigest === 'string').map((f) => f.fit));
  const [endsA, endsB] = [ended(a), ended(b)];
  const unmatched = [...new Set([...endsA, ...endsB])].filter((fit) => endsA.has(fit) !== endsB.has(fit)).sort((p, q) => p - q);
  if (fits(a) === fits(b) && unmatched.length > 0) {
    return `different records: the same ${x} epoch records agree, but the end of ${unmatched.map((fit) => `fit ${fit} (its final weights' digest) is recorded in ${endsA.has(fit) ? 'A' : 'B'} only`).join(', ')}`;
  }
  const longer = x === y ? 'their fits end at different epochs' : `${x > y ? 'A' : 'B'} trained longer`;
  return `different lengths: every epoch record both runs have agrees; A trained ${fits(a)}, B ${fits(b)} (${x} and ${y} epoch records): ${longer}`;
}

/** A run's epoch records with, after each fit's last epoch, its end's digest where recorded (runs before it have none). */
function withFitEnds(run: RunDetails): (RunDetails['epochs'][number] | { fit: number; epoch: number; end: string; last: boolean })[] {
  const ends = new Map(run.fits.filter((f) => typeof f.finalDigest === 'string').map((f) => [f.fit, f.finalDigest!]));
  const lastRecord = new Map(run.epochs.map((e, i) => [e.fit, i]));
  return run.epochs.flatMap((e, i) => {
    const next = run.epochs[i + 1];
    const end = (next === undefined || next.fit !== e.fit) && ends.get(e.fit);
    // last: the fit has no later record (a fit begun inside another's callback interleaves theirs).
    return end ? [e, { fit: e.fit, epoch: e.epoch, end, last: lastRecord.get(e.fit) === i }] : [e];
  });
}

/** A divergence's differing layers in words. */
export function layersText(layers: string[] | undefined): string {
  return layers === undefined ? '(unknown: no kept weight snapshot matches the records of this epoch)' : layers.join(', ') || 'none';
}

/** The data a run's fits, evaluations and predictions were given, per input: a fit's tensors, its dataset batches of the first epoch, each evaluation's and prediction's tensors. */
function dataRecords(run: RunDetails): Map<string, DataRecord> {
  const out = new Map<string, DataRecord>();
  for (const f of run.fits) {
    for (const [k, v] of Object.entries(f.data ?? {})) out.set(`fit ${f.fit} ${k}`, v);
    for (const [k, v] of Object.entries(f.datasetFingerprint ?? {})) out.set(`fit ${f.fit} batches ${k}`, { sha256: v, content: f.datasetContent?.[k] });
  }
  run.evaluations.forEach((e, i) => {
    for (const [k, v] of Object.entries(e?.data ?? {})) out.set(`evaluation ${i} ${k}`, v);
  });
  run.predictions.forEach((p, i) => {
    for (const [k, v] of Object.entries(p?.data ?? {})) out.set(`prediction ${i} ${k}`, v);
  });
  return out;
}

/** An input's dtype and shape as recorded (a dataset's batches record neither). */
const form = (d: DataRecord | undefined) => (d?.shape === undefined && d?.dtype === undefined ? undefined : printable(`${String(d.dtype)} ${JSON.stringify(d.shape)}`));

const shortDigest = (d: DataRecord | undefined) => (typeof d?.sha256 === 'string' ? d.sha256.slice(0, 16) : 'absent');

export interface DataComparison {
  /** Inputs whose examples differ (as multisets), or whose content was not recorded and whose bytes differ, or whose recorded dtype or shape differ. */
  content: string[];
  /** Inputs with the same examples in a different order. */
  order: string[];
}

const NATURAL_ORDER = new Intl.Collator('en', { numeric: true });

/** Which inputs differ in content and which only in the order of their examples. */
export function compareData(a: RunDetails, b: RunDetails): DataComparison {
  const [dataA, dataB] = [dataRecords(a), dataRecords(b)];
  const content: string[] = [];
  const order: string[] = [];
  // Numbers in their order: evaluation 2 before evaluation 10.
  for (const key of [...new Set([...dataA.keys(), ...dataB.keys()])].sort(NATURAL_ORDER.compare)) {
    const [x, y] = [dataA.get(key), dataB.get(key)];
    const [formX, formY] = [form(x), form(y)];
    // The SHA-256 covers dtype and shape: with the same one, a different dtype or shape is a record edited, said as such.
    if (formX !== undefined && formY !== undefined && formX !== formY) content.push(`${key}: ${formX} -> ${formY}`);
    else if (x?.sha256 === y?.sha256) continue;
    else if (x?.content !== undefined && x.content === y?.content) order.push(`${key}: the same examples in a different order`);
    else content.push(`${key}: ${shortDigest(x)} -> ${shortDigest(y)}`);
  }
  return { content, order };
}

export function configOf(run: RunDetails): Record<string, unknown> {
  return Object.fromEntries(run.fits.filter((f) => f.model).map((f) => [`fit ${f.fit}`, { model: f.model, options: f.options }]));
}
