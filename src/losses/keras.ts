/**
 * The Keras 3 losses that compile accepts by name beyond the common ones: hinge, squared hinge,
 * log-cosh, Poisson, KL divergence, MAPE, MSLE and cosine similarity. Each returns one value per
 * example (reduced over the last axis), as every Keras loss here; epsilon is Keras's 1e-7.
 */
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { EPSILON, checkShapes, type Loss } from './loss.js';

/** Keras 3 converts labels that are all 0 or 1 to -1 or 1 for the hinge losses. One read of the labels. */
function hingeLabels(yTrue: Tensor): Tensor {
  const values = yTrue.dataSync();
  for (let i = 0; i < values.length; i++) if (values[i] !== 0 && values[i] !== 1) return yTrue;
  return ops.sub(ops.mul(yTrue, 2), 1);
}

function perExample(name: string, fn: (yTrue: Tensor, yPred: Tensor) => Tensor): () => Loss {
  return () => ({
    name,
    call(yTrue, yPred) {
      checkShapes(name, yTrue, yPred);
      return fn(yTrue, yPred);
    },
  });
}

/** mean(max(1 - y p, 0)) with y in {-1, 1} (0/1 labels converted). */
export const hinge = perExample('hinge', (y, p) => ops.mean(ops.relu(ops.sub(1, ops.mul(hingeLabels(y), p))), -1));

/** mean(max(1 - y p, 0)^2) with y in {-1, 1} (0/1 labels converted). */
export const squaredHinge = perExample('squaredHinge', (y, p) => ops.mean(ops.square(ops.relu(ops.sub(1, ops.mul(hingeLabels(y), p)))), -1));

/** mean(x + softplus(-2x) - log 2) with x = p - y: log(cosh(x)) without overflow. */
export const logcosh = perExample('logcosh', (y, p) => {
  const x = ops.sub(p, y);
  return ops.mean(ops.sub(ops.add(x, ops.softplus(ops.mul(x, -2))), Math.LN2), -1);
});

/** mean(p - y log(p + epsilon)). */
export const poisson = perExample('poisson', (y, p) => ops.mean(ops.sub(p, ops.mul(y, ops.log(ops.add(p, EPSILON)))), -1));

/** sum(y log(y / p)) with y and p clipped to [epsilon, 1] (Keras 3 clips both, also the factor y). */
export const kullbackLeiblerDivergence = perExample('kullbackLeiblerDivergence', (y, p) => {
  const yc = ops.clipByValue(y, EPSILON, 1);
  const pc = ops.clipByValue(p, EPSILON, 1);
  return ops.sum(ops.mul(yc, ops.log(ops.div(yc, pc))), -1);
});

/** 100 mean(|y - p| / max(|y|, epsilon)). */
export const meanAbsolutePercentageError = perExample('meanAbsolutePercentageError', (y, p) =>
  ops.mul(ops.mean(ops.abs(ops.div(ops.sub(y, p), ops.maximum(ops.abs(y), EPSILON))), -1), 100));

/** mean((log(max(p, epsilon) + 1) - log(max(y, epsilon) + 1))^2). */
export const meanSquaredLogarithmicError = perExample('meanSquaredLogarithmicError', (y, p) => {
  const logOf = (t: Tensor) => ops.log(ops.add(ops.maximum(t, EPSILON), 1));
  return ops.mean(ops.square(ops.sub(logOf(p), logOf(y))), -1);
});

/** x / sqrt(max(sum(x^2), 1e-12)) along the last axis (Keras's l2 normalization). */
export function l2Normalize(x: Tensor): Tensor {
  return ops.div(x, ops.sqrt(ops.maximum(ops.sum(ops.square(x), -1, true), 1e-12)));
}

/** -sum(normalize(y) normalize(p)): Keras 3's cosine_similarity loss (TF.js's cosineProximity). */
export const cosineSimilarity = perExample('cosineSimilarity', (y, p) => ops.neg(ops.sum(ops.mul(l2Normalize(y), l2Normalize(p)), -1)));
