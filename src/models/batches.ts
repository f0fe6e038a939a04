/**
 * Where training and evaluation get their batches, checked: the models they take, the checks of
 * the data fit and evaluate are given (shapes, finite values, a dataset's elements being
 * batches), and the batch sources (row batches of tensors, a dataset's (x, y) pairs).
 */
import { indexText } from '../tensor/shape.js';
import { disposeElement, type Element } from '../data/dataset.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import type { CallContext, SymbolicShape } from '../layers/layer.js';
import * as ops from '../ops/index.js';
import { Tensor, type Variable } from '../tensor/tensor.js';
import { yieldToEventLoop } from '../util/yield.js';
import type { TrainingModel } from './callbacks.js';
import { argName, type Compiled } from './arguments.js';
import type { ObservedModel } from './observers.js';

/** A batch: the inputs' and the targets' tensors in the model's order; from fit on tensors also the batch's rows of the data (for observers). */
export type Batch = [xs: Tensor[], ys: Tensor[], rows?: Int32Array];

export interface TrainableModel extends TrainingModel, ObservedModel {
  readonly name: string;
  readonly trainableWeights: Variable[];
  compiledOrThrow(context: string): Compiled;
  /** Keras's Model.call: one tensor for one input (output), a list in order for several. */
  call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[];
  /** The outputs in order and the mask each carries (undefined for none), which masks losses and metrics (Keras 3). */
  callWithMasks(xs: readonly Tensor[], context: CallContext): ModelOutputs;
  regularizationLosses(): Tensor[];
  ensureBuilt(inputShapes: SymbolicShape[], context: string): void;
  expectedInputShapes(): SymbolicShape[] | undefined;
  readonly inputNames: string[];
  readonly outputNames: string[];
}

export interface ModelOutputs {
  outputs: Tensor[];
  masks: (Tensor | undefined)[];
}

/** NaN or Infinity in an input is an error naming the tensor and the first bad index. */
function assertFinite(t: Tensor, argument: string, context: string): void {
  if (t.dtype !== 'float32') return;
  const values = t.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw invalid(context, `Expected finite values in ${argument}`, { [`${argument}${indexText(i, t.shape)}`]: values[i] });
    }
  }
}

export function checkInputShapes(model: TrainableModel, xs: readonly Tensor[], context: string, argument = 'x'): void {
  const expected = model.expectedInputShapes();
  if (!expected) return;
  if (xs.length !== expected.length) throw invalid(context, `Expected ${expected.length} input tensors (${model.inputNames.join(', ')})`, { [`${argument}.length`]: xs.length });
  xs.forEach((x, i) => {
    const shape = expected[i]!;
    const matches = x.rank === shape.length && shape.every((d, k) => d === null || d === x.shape[k]);
    const name = argName(argument, i, xs.length);
    if (!matches) {
      throw invalid(context, `Expected ${name} of shape ${JSON.stringify(shape)} (the model's input shape, batch first)`, { [`${name}.shape`]: x.shape });
    }
  });
}

/** Inputs and targets with one number of examples, of the model's input shapes, finite. */
export function checkPair(model: TrainableModel, xs: readonly Tensor[], ys: readonly Tensor[], context: string, names: [string, string] = ['x', 'y']): void {
  const outputs = model.outputNames.length;
  if (ys.length !== outputs) throw invalid(context, `Expected ${outputs} target tensors (${model.outputNames.join(', ')})`, { [`${names[1]}.length`]: ys.length });
  const all = [...xs.map((t, i): [Tensor, string] => [t, argName(names[0], i, xs.length)]), ...ys.map((t, i): [Tensor, string] => [t, argName(names[1], i, ys.length)])];
  const [first, firstName] = all[0]!;
  // No example gives no loss to report (an empty mean would be a made-up 0, or NaN).
  if (first.rank > 0 && first.shape[0] === 0) throw invalid(context, 'Expected at least one example', { [`${firstName}.shape`]: first.shape });
  for (const [t, name] of all.slice(1)) {
    if (first.rank === 0 || t.rank === 0 || first.shape[0] !== t.shape[0]) {
      throw invalid(context, `Expected ${firstName} and ${name} with the same number of examples (first dimension)`,
        { [`${firstName}.shape`]: first.shape, [`${name}.shape`]: t.shape });
    }
  }
  model.ensureBuilt(xs.map((x) => [null, ...x.shape.slice(1)]), context);
  checkInputShapes(model, xs, context, names[0]);
  for (const [t, name] of all) assertFinite(t, name, context);
}

/** Consecutive batches of rows (a tensor's first axis), in the given order or in place, from batch `skip` on. */
export function* rowBatches(xs: readonly Tensor[], batchSize: number, order?: Int32Array, skip = 0): Generator<Tensor[]> {
  const n = xs[0]!.shape[0]!;
  for (let start = skip * batchSize; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    if (order) {
      const idx = ENGINE.makeTensor(order.subarray(start, start + size), [size], 'int32');
      const batch = xs.map((t) => ops.gather(t, idx));
      idx.dispose();
      yield batch;
    } else {
      yield xs.map((t) => ops.slice(t, [start], [size]));
    }
  }
}

/** Row batches of inputs and targets, in the given order or in place, with their rows. */
export function* pairBatches(xs: readonly Tensor[], ys: readonly Tensor[], batchSize: number, order?: Int32Array, skip = 0): Generator<Batch> {
  let start = skip * batchSize;
  for (const batch of rowBatches([...xs, ...ys], batchSize, order, skip)) {
    const size = batch[0]!.shape[0]!;
    const rows = order ? order.subarray(start, start + size) : Int32Array.from({ length: size }, (_, i) => start + i);
    start += size;
    yield [batch.slice(0, xs.length), batch.slice(xs.length), rows];
  }
}

export const disposeBatch = ([xs, ys]: Batch) => {
  for (const t of [...xs, ...ys]) t.dispose();
};

/** (x, y) row batches in order, each pair disposed once the consumer moves on. */
export function* disposingPairs(xs: readonly Tensor[], ys: readonly Tensor[], batchSize: number): Generator<Batch> {
  for (const batch of pairBatches(xs, ys, batchSize)) {
    try {
      yield batch;
    } finally {
      disposeBatch(batch);
    }
  }
}

/** Turns data given as fit takes it (tensors, lists or records by name) into tensor lists. */
export type ToBatch = (x: unknown, y: unknown, names: [string, string]) => { batch: Batch; converted: Tensor[] };

const tensorsIn = (value: unknown): boolean =>
  value instanceof Tensor || (Array.isArray(value) ? value.length > 0 && value.every((t) => t instanceof Tensor)
    : value !== null && typeof value === 'object' && Object.values(value).length > 0 && Object.values(value).every((t) => t instanceof Tensor));

/** What one side of a dataset's element holds instead of tensors, in a few words. */
function describePart(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length} ${value.every((v) => typeof v === 'number') ? 'number' : 'item'}${value.length === 1 ? '' : 's'}`;
  if (value === undefined || value === null) return String(value);
  return typeof value === 'object' ? 'an object of other values than tensors' : `a ${typeof value}`;
}

/**
 * checkPair for a dataset's element, which must be a batch: a dataset of single examples (no
 * .batch(n)) is named as such, where checkPair's shape errors would not say why.
 */
function checkDatasetBatch(model: TrainableModel, [xs, ys]: Batch, context: string, [xName, yName]: [string, string]): void {
  const expected = model.expectedInputShapes();
  const all = [...xs, ...ys];
  const shapes = () => Object.fromEntries([
    ...xs.map((t, i) => [`${argName(xName, i, xs.length)}.shape`, t.shape]), ...ys.map((t, i) => [`${argName(yName, i, ys.length)}.shape`, t.shape]),
  ]);
  if (expected && xs.length === expected.length
    && xs.every((x, i) => x.rank === expected[i]!.length - 1 && x.shape.every((d, k) => expected[i]![k + 1] === null || expected[i]![k + 1] === d))) {
    throw invalid(context, `Expected a dataset of batches (call .batch(n) on it): ${xName} of shape ${JSON.stringify(expected.length === 1 ? expected[0] : expected)} (the model's input shape, batch first)`, shapes());
  }
  if (!expected && all.some((t) => t.rank === 0 || t.shape[0] !== all[0]!.shape[0])) {
    throw invalid(context, `Expected a dataset of batches (call .batch(n) on it), ${xName} and ${yName} with the same number of examples (first dimension)`, shapes());
  }
  checkPair(model, xs, ys, context, [xName, yName]);
}

/**
 * Checked (x, y) batches from a dataset's elements: [x, y] arrays or {xs, ys} objects, each side
 * a batched tensor, a list of them or a record by input (output) name. `argument`: the argument
 * the dataset was given as where the call has another one (fitDataset's validationData); errors
 * name its batches' tensors argument.xs and argument.ys (x and y are those of the call's dataset).
 */
export async function* datasetPairs(
  model: TrainableModel, it: AsyncIterator<Element>, limit: number | undefined, toBatch: ToBatch, context: string, ranOut?: (taken: number) => void,
  argument?: string,
): AsyncGenerator<Batch> {
  const names: [string, string] = argument === undefined ? ['x', 'y'] : [`${argument}.xs`, `${argument}.ys`];
  for (let n = 0; limit === undefined || n < limit; n++) {
    const r = await it.next();
    if (r.done) {
      if (limit !== undefined) ranOut?.(n);
      return;
    }
    const element = r.value as unknown;
    const pair = Array.isArray(element) ? element : element && typeof element === 'object' ? [(element as Record<string, unknown>).xs, (element as Record<string, unknown>).ys] : [];
    if (!tensorsIn(pair[0]) || !tensorsIn(pair[1])) {
      disposeElement(element);
      const where = argument === undefined ? 'element' : `${argument} element`;
      const sides = Array.isArray(element) ? [`${where}[0]`, `${where}[1]`] : [`${where}.xs`, `${where}.ys`];
      // An element of numbers or arrays is a single example: batch() is what makes tensors of them.
      if (pair.length === 2 && pair.some((side) => side !== undefined)) {
        throw invalid(context, 'Expected dataset elements [x, y] or {xs, ys} of batched tensors (call .batch(n) on a dataset of single examples)',
          Object.fromEntries(pair.flatMap((side, i) => (tensorsIn(side) ? [] : [[sides[i]!, describePart(side)]]))));
      }
      throw invalid(context, 'Expected dataset elements [x, y] or {xs, ys} of batched tensors', { [where]: Array.isArray(element) ? 'an array' : typeof element });
    }
    let batch: Batch;
    try {
      batch = toBatch(pair[0], pair[1], names).batch;
      checkDatasetBatch(model, batch, context, names);
    } catch (e) {
      disposeElement(element);
      throw e;
    }
    yield batch;
  }
}

/** Moves a dataset iterator past n elements (batches trained before a backup), disposing them. */
export async function skipElements(it: AsyncIterator<Element>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) return;
    disposeElement(r.value);
    // Running a pipeline's pass up to a backup may take as long as training it: Ctrl-C is handled meanwhile too.
    await yieldToEventLoop();
  }
}

/** The batch's tensors by the names messages use (x, y; x[i], y[i] with several), for observers. */
export function batchRecord(xs: readonly Tensor[], ys: readonly Tensor[]): Record<string, Tensor> {
  return Object.fromEntries([
    ...xs.map((t, i) => [argName('x', i, xs.length), t] as const),
    ...ys.map((t, i) => [argName('y', i, ys.length), t] as const),
  ]);
}
