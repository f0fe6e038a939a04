/**
 * Stateful metrics with Keras semantics: update() per batch, result() for the epoch so far.
 * State is kept in float32 (each accumulation rounded with Math.fround), as Keras keeps it in
 * float32 variables.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid, refuseUnknownOptions } from '../errors.js';
import * as ops from '../ops/index.js';
import type { TensorLike } from '../ops/creation.js';
import { getLoss } from '../losses/index.js';
import { valuesMask } from '../losses/loss.js';
import { isTensorArgument } from '../losses/tfjs.js';
import type { Tensor } from '../tensor/tensor.js';
import * as tfjs from './tfjs.js';

export {
  binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, meanSquaredError, meanAbsoluteError, meanAbsolutePercentageError,
  cosineProximity, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy, r2Score, mse, MSE, mae, MAE, mape, MAPE,
} from './tfjs.js';

const f = Math.fround;

export interface Metric {
  readonly name: string;
  /**
   * Accumulates a batch. `mask`: the mask the model's output carries, if any (bool, e.g. [batch,
   * time]); the mean metrics count only its unmasked entries (Keras 3), the confusion-matrix
   * metrics (precision, recall, auc) ignore it (Keras 3 too).
   */
  update(yTrue: Tensor, yPred: Tensor, mask?: Tensor): void;
  result(): number;
  reset(): void;
  /** The accumulators, exactly (backupAndRestore saves them mid-epoch); optional for custom metrics. */
  getState?(): number[];
  setState?(state: readonly number[]): void;
}

/** Checks a saved metric state's length before it is restored. */
function checkState(name: string, state: readonly number[], length: number): void {
  if (!Array.isArray(state) || state.length !== length || !state.every((v) => typeof v === 'number')) {
    throw invalid(`metric ${name}`, `Expected a saved state of ${length} numbers`, { state });
  }
}

export type MetricFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

/**
 * The running mean of per-example values: total += sum(values), count += their number. With a
 * mask (Keras 3's MeanMetricWrapper): total += sum(values * mask), count += the number of
 * unmasked values, sums in row-major order.
 */
export class MeanMetricWrapper implements Metric {
  private total = 0;
  private count = 0;

  constructor(readonly name: string, private readonly fn: MetricFn) {}

  update(yTrue: Tensor, yPred: Tensor, mask?: Tensor): void {
    const [sum, n] = ENGINE.tidy(() => {
      const values = ops.cast(this.fn(yTrue, yPred), 'float32');
      if (!mask) return [ops.sum(values).dataSync()[0]!, values.size] as const;
      const kept = valuesMask(values, mask, `metric ${this.name}`);
      return [ops.sum(ops.mul(values, kept)).dataSync()[0]!, ops.sum(kept).dataSync()[0]!] as const;
    });
    this.total = f(this.total + sum);
    this.count = f(this.count + n);
  }

  result(): number {
    return this.count === 0 ? 0 : f(this.total / this.count);
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }

  getState(): number[] {
    return [this.total, this.count];
  }

  setState(state: readonly number[]): void {
    checkState(this.name, state, 2);
    [this.total, this.count] = state as [number, number];
  }
}

function sparseLabels(yTrue: Tensor, yPred: Tensor): Tensor {
  return yTrue.rank === yPred.rank && yTrue.shape.at(-1) === 1 ? ops.squeeze(yTrue, [-1]) : yTrue;
}

export const binaryAccuracyFn = (threshold = 0.5): MetricFn => (yTrue, yPred) =>
  ops.mean(ops.cast(ops.equal(yTrue, ops.cast(ops.greater(yPred, threshold), yTrue.dtype)), 'float32'), -1);

export const categoricalAccuracyFn: MetricFn = (yTrue, yPred) =>
  ops.cast(ops.equal(ops.argMax(yTrue, -1), ops.argMax(yPred, -1)), 'float32');

export const sparseCategoricalAccuracyFn: MetricFn = (yTrue, yPred) =>
  ops.cast(ops.equal(ops.cast(sparseLabels(yTrue, yPred), 'int32'), ops.argMax(yPred, -1)), 'float32');

const mseFn: MetricFn = (yTrue, yPred) => ops.mean(ops.square(ops.sub(yPred, yTrue)), -1);
const maeFn: MetricFn = (yTrue, yPred) => ops.mean(ops.abs(ops.sub(yPred, yTrue)), -1);

/** Counts of predictions above each threshold, split by label (1 or 0). */
class ConfusionCounts {
  readonly tp: number[];
  readonly fp: number[];
  readonly fn: number[];
  readonly tn: number[];

  constructor(readonly thresholds: readonly number[]) {
    this.tp = thresholds.map(() => 0);
    this.fp = thresholds.map(() => 0);
    this.fn = thresholds.map(() => 0);
    this.tn = thresholds.map(() => 0);
  }

  update(yTrue: Tensor, yPred: Tensor): void {
    const labels = yTrue.dataSync();
    const scores = yPred.dataSync();
    if (labels.length !== scores.length) {
      throw invalid('metrics', 'Expected yTrue and yPred with the same number of elements', { 'yTrue.shape': yTrue.shape, 'yPred.shape': yPred.shape });
    }
    this.thresholds.forEach((t, i) => {
      for (let j = 0; j < scores.length; j++) {
        const positive = scores[j]! > t;
        if (labels[j]) positive ? this.tp[i]!++ : this.fn[i]!++;
        else positive ? this.fp[i]!++ : this.tn[i]!++;
      }
    });
  }

  reset(): void {
    for (const counts of [this.tp, this.fp, this.fn, this.tn]) counts.fill(0);
  }

  getState(): number[] {
    return [...this.tp, ...this.fp, ...this.fn, ...this.tn];
  }

  setState(name: string, state: readonly number[]): void {
    const n = this.thresholds.length;
    checkState(name, state, 4 * n);
    [this.tp, this.fp, this.fn, this.tn].forEach((counts, i) => counts.splice(0, n, ...state.slice(i * n, (i + 1) * n)));
  }
}

/** TP / (TP + other) at a threshold, 0 when the denominator is 0: precision (other = FP) or recall (FN). */
function thresholdRatio(name: string, other: 'fp' | 'fn', threshold: number): Metric {
  const counts = new ConfusionCounts([threshold]);
  return {
    name,
    update: (yTrue, yPred) => counts.update(yTrue, yPred),
    result: () => {
      const tp = counts.tp[0]!;
      const denominator = tp + counts[other][0]!;
      return denominator === 0 ? 0 : f(tp / denominator);
    },
    reset: () => counts.reset(),
    getState: () => counts.getState(),
    setState: (state) => counts.setState(name, state),
  };
}

interface ThresholdConfig {
  threshold?: number;
  name?: string;
}

const THRESHOLD_OPTIONS = ['threshold', 'name'];

/**
 * Keras's stateful Precision (TP / (TP + FP) at a threshold, 0 when nothing was predicted
 * positive) from a config; with tensors, TF.js's tf.metrics.precision(yTrue, yPred) of binary
 * predictions, a scalar tensor.
 */
export function precision(config?: ThresholdConfig): Metric;
export function precision(yTrue: TensorLike, yPred: TensorLike): Tensor;
export function precision(first: ThresholdConfig | TensorLike = {}, yPred?: TensorLike): Metric | Tensor {
  if (yPred !== undefined || isTensorArgument(first)) return tfjs.precisionFn(first as TensorLike, yPred!);
  const config = first as ThresholdConfig;
  refuseUnknownOptions('precision', config, THRESHOLD_OPTIONS);
  return thresholdRatio(config.name ?? 'precision', 'fp', config.threshold ?? 0.5);
}

/**
 * Keras's stateful Recall (TP / (TP + FN) at a threshold, 0 when there were no positives); with
 * tensors, TF.js's tf.metrics.recall(yTrue, yPred) of binary predictions, a scalar tensor.
 */
export function recall(config?: ThresholdConfig): Metric;
export function recall(yTrue: TensorLike, yPred: TensorLike): Tensor;
export function recall(first: ThresholdConfig | TensorLike = {}, yPred?: TensorLike): Metric | Tensor {
  if (yPred !== undefined || isTensorArgument(first)) return tfjs.recallFn(first as TensorLike, yPred!);
  const config = first as ThresholdConfig;
  refuseUnknownOptions('recall', config, THRESHOLD_OPTIONS);
  return thresholdRatio(config.name ?? 'recall', 'fn', config.threshold ?? 0.5);
}

/**
 * Area under the ROC curve, as Keras's AUC: numThresholds thresholds spread evenly over [0, 1]
 * (the first just below 0, the last just above 1), and the trapezoidal rule over the
 * (false positive rate, true positive rate) points.
 */
export function auc(config: { numThresholds?: number; name?: string } = {}): Metric {
  // Keras's curve: 'PR' (and summationMethod, ...) would be dropped, giving the ROC area under that name.
  refuseUnknownOptions('auc', config, ['numThresholds', 'name']);
  const n = config.numThresholds ?? 200;
  if (!Number.isInteger(n) || n < 3) throw invalid('auc', 'Expected numThresholds to be an integer >= 3', { numThresholds: n });
  const thresholds = [-1e-7, ...Array.from({ length: n - 2 }, (_, i) => f((i + 1) / (n - 1))), 1 + 1e-7];
  const counts = new ConfusionCounts(thresholds);
  const rate = (a: number, b: number) => (a + b === 0 ? 0 : f(a / (a + b)));
  return {
    name: config.name ?? 'auc',
    update: (yTrue, yPred) => counts.update(yTrue, yPred),
    result() {
      const tpr = thresholds.map((_, i) => rate(counts.tp[i]!, counts.fn[i]!));
      const fpr = thresholds.map((_, i) => rate(counts.fp[i]!, counts.tn[i]!));
      let area = 0;
      for (let i = 0; i < n - 1; i++) area = f(area + f(f(fpr[i]! - fpr[i + 1]!) * f(f(tpr[i]! + tpr[i + 1]!) / 2)));
      return area;
    },
    reset: () => counts.reset(),
    getState: () => counts.getState(),
    setState(state) {
      counts.setState(this.name, state);
    },
  };
}

export type MetricIdentifier =
  | 'accuracy' | 'acc' | 'binaryAccuracy' | 'categoricalAccuracy' | 'sparseCategoricalAccuracy'
  | 'mse' | 'meanSquaredError' | 'mae' | 'meanAbsoluteError' | 'precision' | 'recall' | 'auc';

const BY_NAME: Record<string, (name: string) => Metric> = {
  binaryAccuracy: (name) => new MeanMetricWrapper(name, binaryAccuracyFn()),
  binary_accuracy: (name) => new MeanMetricWrapper(name, binaryAccuracyFn()),
  categoricalAccuracy: (name) => new MeanMetricWrapper(name, categoricalAccuracyFn),
  categorical_accuracy: (name) => new MeanMetricWrapper(name, categoricalAccuracyFn),
  sparseCategoricalAccuracy: (name) => new MeanMetricWrapper(name, sparseCategoricalAccuracyFn),
  sparse_categorical_accuracy: (name) => new MeanMetricWrapper(name, sparseCategoricalAccuracyFn),
  mse: (name) => new MeanMetricWrapper(name, mseFn),
  meanSquaredError: (name) => new MeanMetricWrapper(name, mseFn),
  mae: (name) => new MeanMetricWrapper(name, maeFn),
  meanAbsoluteError: (name) => new MeanMetricWrapper(name, maeFn),
  precision: (name) => precision({ name }),
  recall: (name) => recall({ name }),
  auc: (name) => auc({ name }),
  ...Object.fromEntries([
    'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'hinge', 'squaredHinge', 'squared_hinge', 'logcosh', 'poisson',
    'kld', 'kullbackLeiblerDivergence', 'kl_divergence', 'mape', 'meanAbsolutePercentageError', 'mean_absolute_percentage_error',
    'msle', 'meanSquaredLogarithmicError', 'mean_squared_logarithmic_error', 'cosine', 'cosineProximity', 'cosine_similarity',
  ].map((lossName) => [lossName, (name: string) => new MeanMetricWrapper(name, getLoss(lossName, 'metrics').call)])),
};

/**
 * 'accuracy' as Keras resolves it: binary when the output's last dimension is 1, sparse
 * categorical when the labels have lower rank (or a last dimension of 1 against several
 * classes), categorical otherwise. Resolved on the first batch, when the shapes are known.
 */
class Accuracy implements Metric {
  private inner: MeanMetricWrapper | undefined;
  /** Which accuracy the first batch resolved: its index in ACCURACY_KINDS. */
  private kind = -1;

  constructor(readonly name: string) {}

  private resolve(kind: number): MeanMetricWrapper {
    this.kind = kind;
    return (this.inner = new MeanMetricWrapper(this.name, ACCURACY_KINDS[kind]!()));
  }

  update(yTrue: Tensor, yPred: Tensor, mask?: Tensor): void {
    if (!this.inner) {
      const binary = yPred.shape.at(-1) === 1;
      const sparse = yTrue.rank < yPred.rank || (yTrue.shape.at(-1) === 1 && (yPred.shape.at(-1) ?? 1) > 1);
      this.resolve(binary ? 0 : sparse ? 1 : 2);
    }
    this.inner!.update(yTrue, yPred, mask);
  }

  result(): number {
    return this.inner?.result() ?? 0;
  }

  reset(): void {
    this.inner?.reset();
  }

  getState(): number[] {
    return [this.kind, ...(this.inner?.getState() ?? [0, 0])];
  }

  setState(state: readonly number[]): void {
    checkState(this.name, state, 3);
    const [kind, ...accumulators] = state;
    if (kind === -1) {
      this.inner = undefined;
      this.kind = -1;
      return;
    }
    if (!Number.isInteger(kind) || ACCURACY_KINDS[kind!] === undefined) throw invalid(`metric ${this.name}`, 'Expected a saved accuracy kind 0, 1 or 2', { kind });
    this.resolve(kind!).setState(accumulators);
  }
}

const ACCURACY_KINDS: readonly (() => MetricFn)[] = [binaryAccuracyFn, () => sparseCategoricalAccuracyFn, () => categoricalAccuracyFn];

export const METRIC_NAMES = ['accuracy', 'acc', ...Object.keys(BY_NAME)];

/** TF.js's metric functions given to compile: each trains as the Keras metric of its name. */
const TFJS_FUNCTIONS = new Map<unknown, string>([
  [tfjs.binaryAccuracy, 'binaryAccuracy'], [tfjs.categoricalAccuracy, 'categoricalAccuracy'], [tfjs.sparseCategoricalAccuracy, 'sparseCategoricalAccuracy'],
  [tfjs.meanSquaredError, 'meanSquaredError'], [tfjs.meanAbsoluteError, 'meanAbsoluteError'], [tfjs.meanAbsolutePercentageError, 'meanAbsolutePercentageError'],
  [tfjs.cosineProximity, 'cosineProximity'], [tfjs.binaryCrossentropy, 'binaryCrossentropy'], [tfjs.categoricalCrossentropy, 'categoricalCrossentropy'],
  [tfjs.sparseCategoricalCrossentropy, 'sparseCategoricalCrossentropy'], [precision, 'precision'], [recall, 'recall'],
]);

export function getMetric(identifier: string | Metric | MetricFn, context: string): Metric {
  const tfjsName = TFJS_FUNCTIONS.get(identifier);
  if (tfjsName) return BY_NAME[tfjsName]!(tfjsName);
  if (typeof identifier === 'function') return new MeanMetricWrapper(identifier.name || 'custom', identifier);
  if (typeof identifier === 'object' && identifier !== null && typeof identifier.update === 'function') return identifier;
  if (identifier === 'accuracy' || identifier === 'acc') return new Accuracy(identifier);
  const factory = typeof identifier === 'string' ? BY_NAME[identifier] : undefined;
  if (!factory) throw invalid(context, `Expected metric to be one of ${METRIC_NAMES.join(', ')}, a metric object or a function`, { metric: identifier });
  return factory(identifier as string);
}
