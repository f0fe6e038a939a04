/**
 * TF.js's tf.losses: functions of (labels, predictions, weights?, ...) that return a tensor,
 * reduced by default as SUM_BY_NONZERO_WEIGHTS (the weighted sum divided by the number of
 * non-zero weights, or by the number of elements without weights). Each is a composition of ops,
 * so its order is theirs: sums in increasing flat index, then one division.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { TensorLike } from '../ops/creation.js';
import { Tensor } from '../tensor/tensor.js';

/** TF.js's tf.Reduction (the same numeric values). */
export const Reduction = { NONE: 0, MEAN: 1, SUM: 2, SUM_BY_NONZERO_WEIGHTS: 3 } as const;
export type Reduction = typeof Reduction[keyof typeof Reduction];

/** Converts the arguments of one call, runs fn, and disposes what was converted (the result is kept). */
function withTensors(context: string, named: Record<string, TensorLike | null | undefined>, fn: (t: Record<string, Tensor | undefined>) => Tensor): Tensor {
  return ENGINE.tidy(() => {
    const tensors: Record<string, Tensor | undefined> = {};
    for (const [name, value] of Object.entries(named)) {
      tensors[name] = value === null || value === undefined ? undefined : ops.convertToTensor(value, name, context, 'float32');
    }
    return fn(tensors);
  });
}

function assertSameShape(context: string, a: Tensor, b: Tensor, names: [string, string]): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw invalid(context, `Expected ${names[0]} and ${names[1]} of the same shape`, { [`${names[0]}.shape`]: a.shape, [`${names[1]}.shape`]: b.shape });
  }
}

/** Applies weights (broadcast to the losses) and the reduction, as TF.js's computeWeightedLoss. */
export function computeWeightedLoss(losses: TensorLike, weights?: TensorLike | null, reduction: Reduction = Reduction.SUM_BY_NONZERO_WEIGHTS): Tensor {
  const context = 'computeWeightedLoss';
  if (!(Object.values(Reduction) as number[]).includes(reduction)) throw invalid(context, 'Expected a tf.Reduction value (0 to 3)', { reduction });
  return withTensors(context, { losses, weights }, ({ losses: l, weights: w }) => {
    const weighted = w ? ops.mul(l!, w) : l!;
    switch (reduction) {
      case Reduction.NONE: return weighted;
      case Reduction.SUM: return ops.sum(weighted);
      case Reduction.MEAN: {
        if (!w) return ops.mean(weighted);
        const result = ops.div(ops.sum(weighted), ops.sum(w));
        const broadcastFactor = l!.size / w.size;
        return broadcastFactor > 1 ? ops.div(result, broadcastFactor) : result;
      }
      default: {
        if (!w) return ops.div(ops.sum(weighted), l!.size);
        const nonZero = ops.sum(ops.cast(ops.notEqual(ops.mul(w, ops.ones(l!.shape)), 0), 'float32'));
        return ops.div(ops.sum(weighted), nonZero);
      }
    }
  });
}

/** An elementwise loss of (labels, predictions) with TF.js's weights and reduction arguments. */
function elementwiseLoss(context: string, perElement: (labels: Tensor, predictions: Tensor) => Tensor, names: [string, string] = ['labels', 'predictions']) {
  return (labels: TensorLike, predictions: TensorLike, weights?: TensorLike | null, reduction?: Reduction): Tensor =>
    withTensors(context, { labels, predictions }, ({ labels: y, predictions: p }) => {
      assertSameShape(context, y!, p!, names);
      return computeWeightedLoss(perElement(y!, p!), weights, reduction);
    });
}

/** (labels - predictions)^2, reduced. */
export const tfjsMeanSquaredError = elementwiseLoss('meanSquaredError', (y, p) => ops.square(ops.sub(y, p)));

/** |labels - predictions|, reduced. */
export const absoluteDifference = elementwiseLoss('absoluteDifference', (y, p) => ops.abs(ops.sub(y, p)));

/** relu(1 - (2 labels - 1) predictions): labels in {0, 1}. */
export const hingeLoss = elementwiseLoss('hingeLoss', (y, p) => ops.relu(ops.sub(1, ops.mul(ops.sub(ops.mul(y, 2), 1), p))));

/** 0.5 min(e, delta)^2 + delta (e - min(e, delta)) with e = |predictions - labels|. */
export function huberLoss(labels: TensorLike, predictions: TensorLike, weights?: TensorLike | null, delta = 1, reduction?: Reduction): Tensor {
  return elementwiseLoss('huberLoss', (y, p) => {
    const error = ops.abs(ops.sub(p, y));
    const quadratic = ops.minimum(error, delta);
    return ops.add(ops.mul(ops.square(quadratic), 0.5), ops.mul(ops.sub(error, quadratic), delta));
  })(labels, predictions, weights, reduction);
}

/** -labels log(predictions + epsilon) - (1 - labels) log(1 - predictions + epsilon). */
export function logLoss(labels: TensorLike, predictions: TensorLike, weights?: TensorLike | null, epsilon = 1e-7, reduction?: Reduction): Tensor {
  return elementwiseLoss('logLoss', (y, p) => {
    const positive = ops.neg(ops.mul(y, ops.log(ops.add(p, epsilon))));
    return ops.sub(positive, ops.mul(ops.sub(1, y), ops.log(ops.add(ops.sub(1, p), epsilon))));
  })(labels, predictions, weights, reduction);
}

/** 1 - sum(labels predictions) along axis (inputs expected to be unit vectors), reduced. */
export function cosineDistance(labels: TensorLike, predictions: TensorLike, axis: number, weights?: TensorLike | null, reduction?: Reduction): Tensor {
  return elementwiseLoss('cosineDistance', (y, p) => ops.sub(1, ops.sum(ops.mul(y, p), axis, true)))(labels, predictions, weights, reduction);
}

/** max(x, 0) - x z + log1p(exp(-|x|)) per element, labels smoothed toward 0.5. */
export function sigmoidCrossEntropy(multiClassLabels: TensorLike, logits: TensorLike, weights?: TensorLike | null, labelSmoothing = 0, reduction?: Reduction): Tensor {
  return elementwiseLoss('sigmoidCrossEntropy', (y, x) => {
    const z = labelSmoothing > 0 ? ops.add(ops.mul(y, 1 - labelSmoothing), 0.5 * labelSmoothing) : y;
    return ops.add(ops.sub(ops.relu(x), ops.mul(x, z)), ops.log1p(ops.exp(ops.neg(ops.abs(x)))));
  }, ['multiClassLabels', 'logits'])(multiClassLabels, logits, weights, reduction);
}

/** -sum(labels logSoftmax(logits)) over the last axis, labels smoothed toward uniform, reduced. */
export function softmaxCrossEntropy(onehotLabels: TensorLike, logits: TensorLike, weights?: TensorLike | null, labelSmoothing = 0, reduction?: Reduction): Tensor {
  return elementwiseLoss('softmaxCrossEntropy', (y, x) => {
    const classes = y.shape[1] ?? 1;
    const z = labelSmoothing > 0 ? ops.add(ops.mul(y, 1 - labelSmoothing), labelSmoothing / classes) : y;
    return ops.neg(ops.sum(ops.mul(z, ops.logSoftmax(x)), -1));
  }, ['onehotLabels', 'logits'])(onehotLabels, logits, weights, reduction);
}

export function isTensorArgument(x: unknown): boolean {
  return x instanceof Tensor || typeof x === 'number' || Array.isArray(x) || ArrayBuffer.isView(x);
}
