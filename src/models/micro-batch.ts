/**
 * One micro-batch of data-parallel training (src/models/data-parallel.ts): its share of the
 * batch's loss and that share's gradients, computed the same way in the main thread and in a
 * worker thread (src/models/data-parallel-worker.ts), and the fixed tree that sums the shares.
 */
import { variableGrads } from '../autograd/grad.js';
import { ENGINE } from '../engine/engine.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { callModel, classSampleWeights, totalLoss, type TrainableModel } from './training.js';

const f = Math.fround;

/** A tensor as bytes that cross threads and processes. */
export interface WireTensor {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype: DType;
}

export function toWire(t: Tensor): WireTensor {
  const data = t.dataSync();
  const values = t.dtype === 'float32' ? Float32Array.from(data as Float32Array) : Int32Array.from(data as ArrayLike<number>);
  return { values, shape: [...t.shape], dtype: t.dtype === 'float32' ? 'float32' : 'int32' };
}

export function fromWire(w: WireTensor): Tensor {
  return ENGINE.makeTensor(w.values, w.shape, w.dtype);
}

/** Micro-batch `index` of a training batch: its rows start at `offset` of the batch's `batchSize`. */
export interface MicroBatchTask {
  index: number;
  offset: number;
  xs: WireTensor[];
  ys: WireTensor[];
}

export interface MicroBatchResult {
  index: number;
  /** The share's loss (fl(sum of its examples' losses / batch size), the penalties in share 0). */
  loss: number;
  outputLosses: number[];
  /** The share's gradient of each trainable weight (fit's order); null where the loss does not reach it. */
  grads: (Float32Array | null)[];
  /** The model's outputs on the micro-batch, for the batch's metrics. */
  predictions: WireTensor[];
}

/** What every micro-batch of one step shares. */
export interface StepContext {
  /** The optimizer's iteration count before the step: Dropout's masks are keyed by it, as in plain fit. */
  step: number;
  batchSize: number;
  classWeight?: Record<number, number>;
}

/**
 * The gradient of the micro-batch's loss share with respect to `trainable` (weights in the fit's
 * order). The model runs in training mode with the micro-batch's rows of its batch (CallContext
 * rows), so Dropout draws the rows of the batch's mask that plain fit would draw.
 */
export function microBatchGradients(model: TrainableModel, trainable: readonly Variable[], task: MicroBatchTask, context: StepContext): MicroBatchResult {
  const compiled = model.compiledOrThrow('fit');
  return ENGINE.tidy(() => {
    const xs = task.xs.map(fromWire);
    const ys = task.ys.map(fromWire);
    const sampleWeights = context.classWeight ? classSampleWeights(ys[0]!, context.classWeight) : undefined;
    let predictions: Tensor[] = [];
    const outputTerms: Tensor[] = [];
    const { value, grads } = variableGrads(() => {
      predictions = callModel(model, xs, { training: true, step: context.step, rows: { offset: task.offset, total: context.batchSize } }).map((p) => ENGINE.keep(p));
      return totalLoss(model, compiled, ys, predictions, sampleWeights, (t) => outputTerms.push(ENGINE.keep(t)), { batchSize: context.batchSize, penalties: task.index === 0 });
    }, trainable);
    const result: MicroBatchResult = {
      index: task.index,
      loss: value.dataSync()[0]!,
      outputLosses: outputTerms.map((t) => t.dataSync()[0]!),
      grads: trainable.map((v) => (grads[v.name] ? Float32Array.from(grads[v.name]!.dataSync() as Float32Array) : null)),
      predictions: predictions.map(toWire),
    };
    for (const t of [...predictions, ...outputTerms]) t.dispose();
    return result;
  });
}

/**
 * The sum of items 0..n-1 over a fixed binary tree: the left subtree holds the largest power of
 * two below n items, so 4 items are (0 + 1) + (2 + 3), 3 are (0 + 1) + 2, 5 are
 * ((0 + 1) + (2 + 3)) + 4. It depends only on n, never on who computed the items.
 */
export function treeSum<T>(items: readonly T[], add: (a: T, b: T) => T, lo = 0, hi = items.length): T {
  const n = hi - lo;
  if (n === 1) return items[lo]!;
  let left = 1;
  while (left * 2 < n) left *= 2;
  return add(treeSum(items, add, lo, lo + left), treeSum(items, add, lo + left, hi));
}

export const addScalars = (a: number, b: number): number => f(a + b);

/** Elementwise float32 sum (a double sum of two float32 values rounds once to float32 exactly). */
export function addArrays(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}
