/**
 * One micro-batch of data-parallel training (src/models/data-parallel.ts): its share of the
 * batch's loss and that share's gradients, computed the same way in the main thread and in a
 * worker thread (src/models/data-parallel-worker.ts), and the fixed tree that sums the shares.
 */
import { ENGINE } from '../engine/engine.js';
import * as ops from '../ops/index.js';
import type { DataArray, DType } from '../tensor/dtype.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { LabelError } from '../losses/loss.js';
import { disposeOutputs, stepGradients } from './step-loss.js';
import { classSampleWeights } from './training.js';
import type { TrainableModel } from './batches.js';

const f = Math.fround;

/** A tensor as bytes that cross threads and processes. */
export interface WireTensor {
  values: DataArray;
  shape: number[];
  dtype: DType;
}

/** The tensor's values (dataSync's copy: they may be moved to another thread). */
export function toWire(t: Tensor): WireTensor {
  return { values: t.dataSync(), shape: [...t.shape], dtype: t.dtype };
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

/**
 * The sum over the reduction tree's node of micro-batches [lo, hi) (one micro-batch: lo + 1 = hi)
 * of their loss shares (fl(sum of the examples' losses / batch size), the penalties in share 0)
 * and their gradients.
 */
export interface ShareSum {
  lo: number;
  hi: number;
  loss: number;
  outputLosses: number[];
  /** Each trainable weight's gradient (fit's order); null where the loss does not reach it. */
  grads: (Float32Array | null)[];
  /** The model's outputs on each micro-batch in order, for the batch's metrics. */
  predictions: WireTensor[][];
  /**
   * Each BatchNormalization layer's micro-batch statistics, in call order, weighted by the
   * micro-batch's share of the batch: fl(statistic * fl(rows / batch size)), summed over the tree
   * like the gradients (with one micro-batch: the batch's statistics, bit for bit).
   */
  statistics: BatchStatistics[];
}

/** A BatchNormalization layer's (named by its moving_mean) weighted mean and variance. */
export interface BatchStatistics {
  name: string;
  mean: Float32Array;
  variance: Float32Array;
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
export function microBatchGradients(model: TrainableModel, trainable: readonly Variable[], task: MicroBatchTask, context: StepContext): ShareSum {
  const compiled = model.compiledOrThrow('fit');
  return ENGINE.tidy(() => {
    const xs = task.xs.map(fromWire);
    const ys = task.ys.map(fromWire);
    const sampleWeights = context.classWeight ? classSampleWeights(ys[0]!, context.classWeight) : undefined;
    const statistics: BatchStatistics[] = [];
    const share = f(xs[0]!.shape[0]! / context.batchSize);
    const batchStatistics = (movingMean: Variable, mean: Tensor, variance: Tensor) => {
      // A layer called twice in one pass would update its moving statistics twice in plain fit: no single tree sum says that.
      if (statistics.some((s) => s.name === movingMean.name)) throw new Error(`data-parallel: ${movingMean.name} normalizes more than once in one call (a shared BatchNormalization layer)`);
      const weighted = (t: Tensor) => ENGINE.withoutRecording(() => ops.mul(t, share).dataSync() as Float32Array);
      statistics.push({ name: movingMean.name, mean: weighted(mean), variance: weighted(variance) });
    };
    let gradients: ReturnType<typeof stepGradients>;
    try {
      gradients = stepGradients(
        model, compiled, xs, ys, { training: true, step: context.step, rows: { offset: task.offset, total: context.batchSize }, batchStatistics }, sampleWeights, trainable,
        { batchSize: context.batchSize, penalties: task.index === 0 },
      );
    } catch (error) {
      // A bad label's index is the micro-batch's: fit names the data's row from the batch's.
      throw error instanceof LabelError ? error.inBatch(task.offset, context.batchSize) : error;
    }
    const { value, grads, predictions, outputTerms } = gradients;
    const result: ShareSum = {
      lo: task.index,
      hi: task.index + 1,
      loss: value.dataSync()[0]!,
      outputLosses: outputTerms.map((t) => t.dataSync()[0]!),
      grads: trainable.map((v) => (grads[v.name] ? grads[v.name]!.dataSync() as Float32Array : null)),
      predictions: [predictions.outputs.map(toWire)],
      statistics,
    };
    disposeOutputs(predictions);
    for (const t of outputTerms) t.dispose();
    return result;
  });
}

/** The size of the left subtree of a node of n > 1 leaves: the largest power of two below n. */
function leftSize(n: number): number {
  let left = 1;
  while (left * 2 < n) left *= 2;
  return left;
}

/**
 * The sum of items 0..n-1 over a fixed binary tree: the left subtree holds the largest power of
 * two below n items, so 4 items are (0 + 1) + (2 + 3), 3 are (0 + 1) + 2, 5 are
 * ((0 + 1) + (2 + 3)) + 4. It depends only on n, never on who computed the items; a node's
 * subtree is the tree of its own items, so sums of nodes can be computed anywhere.
 */
export function treeSum<T>(items: readonly T[], add: (a: T, b: T) => T, lo = 0, hi = items.length): T {
  const n = hi - lo;
  if (n === 1) return items[lo]!;
  const left = leftSize(n);
  return add(treeSum(items, add, lo, lo + left), treeSum(items, add, lo + left, hi));
}

/**
 * Nodes of the tree over k leaves that partition it, as work for `parts` workers: split widest
 * first (leftmost on ties) until there are at least `parts` and none is wider than k / parts
 * rounded up, or all are leaves.
 */
export function treeNodes(k: number, parts: number): [number, number][] {
  const nodes: [number, number][] = [[0, k]];
  const widest = Math.ceil(k / parts);
  for (;;) {
    let w = 0;
    nodes.forEach(([lo, hi], i) => {
      if (hi - lo > nodes[w]![1] - nodes[w]![0]) w = i;
    });
    const [lo, hi] = nodes[w]!;
    if (hi - lo === 1 || (nodes.length >= parts && hi - lo <= widest)) return nodes;
    const mid = lo + leftSize(hi - lo);
    nodes.splice(w, 1, [lo, mid], [mid, hi]);
  }
}

/** The tree sum of k leaves from the sums of nodes that partition the tree (treeNodes). */
export function combineNodes(k: number, sums: readonly ShareSum[]): ShareSum {
  const byRange = new Map(sums.map((s) => [`${s.lo}:${s.hi}`, s]));
  const node = (lo: number, hi: number): ShareSum => {
    const known = byRange.get(`${lo}:${hi}`);
    if (known) return known;
    if (hi - lo === 1) throw new Error(`data-parallel: no result for micro-batch ${lo}`);
    const mid = lo + leftSize(hi - lo);
    return addShares(node(lo, mid), node(mid, hi));
  };
  return node(0, k);
}

/** Two adjacent nodes' sums added: the parent's (the left one first). */
export function addShares(a: ShareSum, b: ShareSum): ShareSum {
  if (a.statistics.length !== b.statistics.length || a.statistics.some((s, i) => s.name !== b.statistics[i]!.name)) {
    throw new Error(`data-parallel: micro-batches [${a.lo}, ${a.hi}) and [${b.lo}, ${b.hi}) normalize with different BatchNormalization layers`);
  }
  return {
    lo: a.lo,
    hi: b.hi,
    loss: f(a.loss + b.loss),
    outputLosses: a.outputLosses.map((v, o) => f(v + b.outputLosses[o]!)),
    grads: a.grads.map((g, i) => (g === null ? null : addArrays(g, b.grads[i]!))),
    predictions: [...a.predictions, ...b.predictions],
    statistics: a.statistics.map((s, i) => ({ name: s.name, mean: addArrays(s.mean, b.statistics[i]!.mean), variance: addArrays(s.variance, b.statistics[i]!.variance) })),
  };
}

/** Elementwise float32 sum (a double sum of two float32 values rounds once to float32 exactly). */
function addArrays(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** The tree sum of consecutive micro-batches that form a node of the tree (treeNodes). */
export function nodeGradients(model: TrainableModel, trainable: readonly Variable[], tasks: readonly MicroBatchTask[], context: StepContext): ShareSum {
  return treeSum(tasks.map((task) => microBatchGradients(model, trainable, task, context)), addShares);
}

/**
 * Why a worker's answer is not the sums of the nodes it was given, or undefined: a reply from
 * another process is input, and a short gradient would otherwise add NaN into the tree.
 */
export function shareSumsProblem(
  value: unknown, nodes: readonly [number, number][], trainable: readonly Variable[], outputs: number, statisticSizes: ReadonlyMap<string, number>,
): string | undefined {
  // totalLoss reports per-output terms only for a model with several outputs.
  const terms = outputs > 1 ? outputs : 0;
  if (!Array.isArray(value) || value.length !== nodes.length) return `expected ${nodes.length} node sums`;
  for (let n = 0; n < nodes.length; n++) {
    const s = value[n] as Partial<ShareSum> | null;
    const [lo, hi] = nodes[n]!;
    if (s === null || typeof s !== 'object' || s.lo !== lo || s.hi !== hi) return `expected the sum of micro-batches [${lo}, ${hi}) as answer ${n}`;
    if (typeof s.loss !== 'number' || !Array.isArray(s.outputLosses) || s.outputLosses.length !== terms || !s.outputLosses.every((v) => typeof v === 'number')) {
      return `expected a loss and ${terms} output losses for micro-batches [${lo}, ${hi})`;
    }
    if (!Array.isArray(s.grads) || s.grads.length !== trainable.length
      || !s.grads.every((g, i) => g === null || (g instanceof Float32Array && g.length === trainable[i]!.size))) {
      return `expected ${trainable.length} gradients of the weights' sizes for micro-batches [${lo}, ${hi})`;
    }
    const wire = (w: Partial<WireTensor> | null) => w !== null && typeof w === 'object' && Array.isArray(w.shape) && ArrayBuffer.isView(w.values)
      && (w.values as DataArray).length === w.shape.reduce((p: number, d: unknown) => p * (Number.isInteger(d) && (d as number) >= 0 ? (d as number) : Number.NaN), 1);
    if (!Array.isArray(s.predictions) || s.predictions.length !== hi - lo || !s.predictions.every((p) => Array.isArray(p) && p.length === outputs && p.every(wire))) {
      return `expected the predictions of micro-batches [${lo}, ${hi})`;
    }
    const sized = (a: unknown, size: number | undefined) => a instanceof Float32Array && a.length === size;
    if (!Array.isArray(s.statistics) || !s.statistics.every((b: Partial<BatchStatistics> | null) => b !== null && typeof b === 'object' && typeof b.name === 'string'
      && sized(b.mean, statisticSizes.get(b.name)) && sized(b.variance, statisticSizes.get(b.name)))) {
      return `expected the BatchNormalization statistics of micro-batches [${lo}, ${hi})`;
    }
  }
  return undefined;
}
