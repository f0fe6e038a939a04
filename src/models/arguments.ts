/**
 * The arguments of a model with several inputs and outputs, as Keras takes them: data as one
 * tensor, a list in input (output) order or a record by input (output) name; losses, loss
 * weights and metrics as one value for every output, a list by position or a record by output
 * name.
 */
import { invalid } from '../errors.js';
import { getLoss, type Loss, type LossFn } from '../losses/index.js';
import { getMetric, type Metric, type MetricFn } from '../metrics/index.js';
import * as ops from '../ops/index.js';
import type { TensorLike } from '../ops/creation.js';
import { getOptimizer, type Optimizer } from '../optimizers/index.js';
import { Tensor, type Variable } from '../tensor/tensor.js';

export type LossIdentifier = string | Loss | LossFn;
export type MetricIdentifier = string | Metric | MetricFn;

export interface CompileArgs {
  optimizer: string | Optimizer;
  /** One loss for every output, a list by output, or a record by output name. */
  loss: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  /** Scales each output's loss in the total: a list by output or a record by output name. */
  lossWeights?: number[] | Record<string, number>;
  /** Metrics for every output, a list of lists by output, or a record by output name. */
  metrics?: MetricIdentifier[] | MetricIdentifier[][] | Record<string, MetricIdentifier | MetricIdentifier[]>;
}

export interface CompiledOutput {
  /** The output's name (its layer's name), the prefix of its log entries with several outputs. */
  name: string;
  loss: Loss;
  /** undefined: the loss enters the total unscaled (no multiplication at all). */
  weight: number | undefined;
  metrics: Metric[];
}

export interface Compiled {
  optimizer: Optimizer;
  outputs: CompiledOutput[];
  /**
   * The weights fit trains, taken at compile (TF.js, Keras 2; Keras 3 asks to compile again after
   * changing trainable), or at the first step when the model was not built yet.
   */
  trainableWeights?: Variable[];
}

/** Data as Keras takes it: a tensor (one input), a list in order, or a record by name. */
export type Data = TensorLike | TensorLike[] | Record<string, TensorLike>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v);

/** One value per name from a list (by position) or a record (by name); `single` for anything else. */
function perName<T>(value: unknown, names: readonly string[], argument: string, context: string, single: (v: unknown) => boolean): unknown[] {
  if (single(value)) return names.map(() => value);
  if (Array.isArray(value)) {
    if (value.length !== names.length) throw invalid(context, `Expected ${argument} to have one entry per output (${names.join(', ')})`, { [`${argument}.length`]: value.length });
    return value;
  }
  if (isRecord(value)) {
    const unknown = Object.keys(value).filter((k) => !names.includes(k));
    if (unknown.length > 0) throw invalid(context, `Expected ${argument} keys among the output names (${names.join(', ')})`, { keys: unknown });
    return names.map((n) => (value as Record<string, T>)[n]);
  }
  throw invalid(context, `Expected ${argument} to be a list or a record by output name`, { [argument]: value });
}

export function compileOutputs(args: CompileArgs, names: readonly string[], context: string): Compiled {
  if (!args || typeof args !== 'object') throw invalid(context, 'Expected {optimizer, loss, metrics?}', { args });
  if (args.optimizer === undefined) throw invalid(context, 'Expected an optimizer', { optimizer: undefined });
  if (args.loss === undefined) throw invalid(context, 'Expected a loss', { loss: undefined });
  const oneLoss = (v: unknown) => typeof v === 'string' || typeof v === 'function' || (isRecord(v) && typeof v.call === 'function');
  const losses = perName<LossIdentifier>(args.loss, names, 'loss', context, oneLoss);
  const weights = args.lossWeights === undefined ? names.map(() => undefined) : perName<number>(args.lossWeights, names, 'lossWeights', context, () => false);
  const metricLists = metricsPerOutput(args.metrics, names, context);
  const outputs = names.map((name, i): CompiledOutput => {
    const lossId = losses[i];
    if (lossId === undefined) throw invalid(context, 'Expected a loss for every output', { output: name });
    const weight = weights[i] ?? (args.lossWeights === undefined ? undefined : 1);
    if (weight !== undefined && !(typeof weight === 'number' && Number.isFinite(weight))) throw invalid(context, 'Expected finite loss weights', { [`lossWeights.${name}`]: weight });
    return { name, loss: getLoss(lossId as LossIdentifier, context), weight: weight as number | undefined, metrics: metricLists[i]!.map((m) => getMetric(m, context)) };
  });
  const seen = new Set<Metric>();
  for (const m of outputs.flatMap((o) => o.metrics)) {
    if (seen.has(m)) throw invalid(context, 'Expected each metric object for one output only (its state is per output)', { metric: m.name });
    seen.add(m);
  }
  return { optimizer: getOptimizer(args.optimizer, context), outputs };
}

function metricsPerOutput(metrics: CompileArgs['metrics'], names: readonly string[], context: string): MetricIdentifier[][] {
  if (metrics === undefined) return names.map(() => []);
  const asList = (v: unknown): MetricIdentifier[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as MetricIdentifier]);
  // A flat list applies to every output (TF.js and Keras 2); a list of lists goes by position.
  if (Array.isArray(metrics) && !metrics.some(Array.isArray)) return names.map(() => metrics as MetricIdentifier[]);
  if (Array.isArray(metrics) && !metrics.every(Array.isArray)) throw invalid(context, 'Expected metrics as a flat list or a list of lists', { metrics });
  return perName<MetricIdentifier[]>(metrics, names, 'metrics', context, () => false).map(asList);
}

/** The log names of a compiled model in order: loss, per-output losses, then metrics. */
export function logNames(compiled: Compiled): string[] {
  const many = compiled.outputs.length > 1;
  return [
    'loss',
    ...(many ? compiled.outputs.map((o) => `${o.name}_loss`) : []),
    ...compiled.outputs.flatMap((o) => o.metrics.map((m) => (many ? `${o.name}_${m.name}` : m.name))),
  ];
}

/** Each metric with its log name (prefixed by the output's name when there are several). */
export function namedMetrics(compiled: Compiled): [string, Metric][] {
  const many = compiled.outputs.length > 1;
  return compiled.outputs.flatMap((o) => o.metrics.map((m): [string, Metric] => [many ? `${o.name}_${m.name}` : m.name, m]));
}

/**
 * Data given for inputs (outputs) of these names as a list of tensors in order. With one name, a
 * tensor-like value is that input; a list of exactly one tensor is accepted too.
 */
export function tensorList(value: unknown, names: readonly string[], argument: string, context: string): { tensors: Tensor[]; converted: Tensor[] } {
  let items: unknown[];
  if (isRecord(value)) {
    const unknown = Object.keys(value).filter((k) => !names.includes(k));
    const missing = names.filter((n) => !(n in value));
    if (unknown.length > 0 || missing.length > 0) {
      throw invalid(context, `Expected ${argument} keys to be the names ${names.join(', ')}`, { keys: Object.keys(value) });
    }
    items = names.map((n) => value[n]);
  } else if (names.length === 1) {
    // A list of tensors is one tensor per input; an array of numbers is the data of the one input.
    if (Array.isArray(value) && value.some((v) => v instanceof Tensor) && value.length !== 1) {
      throw invalid(context, `Expected ${argument} as one tensor (the model has one: ${names[0]})`, { [argument]: `a list of ${value.length} tensors` });
    }
    items = Array.isArray(value) && value.length === 1 && value[0] instanceof Tensor ? value : [value];
  } else {
    if (!Array.isArray(value) || value.length !== names.length) {
      throw invalid(context, `Expected ${argument} as a list of ${names.length} tensors (${names.join(', ')}) or a record by name`, { [argument]: Array.isArray(value) ? `a list of ${value.length}` : value });
    }
    items = value;
  }
  const converted: Tensor[] = [];
  const tensors = items.map((item, i) => {
    const t = ops.convertToTensor(item as TensorLike, argName(argument, i, names.length), context, 'float32');
    if (t !== item) converted.push(t);
    return t;
  });
  return { tensors, converted };
}

/** 'x' for one input, 'x[i]' for several: how messages name a tensor of the data. */
export function argName(argument: string, index: number, count: number): string {
  return count === 1 ? argument : `${argument}[${index}]`;
}
