/**
 * TF.js's tf.metrics: functions of (yTrue, yPred) that return a tensor, per example (reduced over
 * the last axis) or, for precision, recall and r2Score, one scalar for the batch. compile maps
 * each of these functions to the Keras metric of the same name (stateful over the epoch).
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { TensorLike } from '../ops/creation.js';
import { binaryCrossentropy as binaryLoss, categoricalCrossentropy as categoricalLoss, sparseCategoricalCrossentropy as sparseLoss } from '../losses/index.js';
import { cosineSimilarity, meanAbsolutePercentageError as mapeLoss } from '../losses/keras.js';
import type { Tensor } from '../tensor/tensor.js';

type MetricFunction = (yTrue: TensorLike, yPred: TensorLike) => Tensor;

/** A metric function on converted arguments, inside tidy (converted tensors are disposed). */
function metric(name: string, fn: (yTrue: Tensor, yPred: Tensor) => Tensor): MetricFunction {
  const wrapped = (yTrue: TensorLike, yPred: TensorLike): Tensor => ENGINE.tidy(() =>
    fn(ops.convertToTensor(yTrue, 'yTrue', name, 'float32'), ops.convertToTensor(yPred, 'yPred', name, 'float32')));
  Object.defineProperty(wrapped, 'name', { value: name });
  return wrapped;
}

export const binaryAccuracy = metric('binaryAccuracy', (y, p) => ops.mean(ops.cast(ops.equal(y, ops.cast(ops.greater(p, 0.5), y.dtype)), 'float32'), -1));
export const categoricalAccuracy = metric('categoricalAccuracy', (y, p) => ops.cast(ops.equal(ops.argMax(y, -1), ops.argMax(p, -1)), 'float32'));
export const sparseCategoricalAccuracy = metric('sparseCategoricalAccuracy', (y, p) => {
  const labels = y.rank === p.rank ? ops.squeeze(y, [y.rank - 1]) : y;
  return ops.cast(ops.equal(ops.cast(labels, 'int32'), ops.argMax(p, -1)), 'float32');
});

/** Counts of (label, prediction) pairs equal to (a, b), as float32 (TF.js compares with 1 and 0 exactly). */
const count = (y: Tensor, p: Tensor, a: number, b: number) => ops.sum(ops.cast(ops.logicalAnd(ops.equal(y, a), ops.equal(p, b)), 'float32'));

/** TP / (TP + other), 0 when that is 0; predictions must already be 0 or 1 (TF.js). */
const ratio = (name: string, otherLabel: number, otherPrediction: number) => metric(name, (y, p) => {
  const tp = count(y, p, 1, 1);
  const denominator = ops.add(tp, count(y, p, otherLabel, otherPrediction));
  return ops.where(ops.greater(denominator, 0), ops.div(tp, ops.maximum(denominator, 1)), 0);
});

/** TF.js's precision of binary predictions (no threshold): TP / (TP + FP). */
export const precisionFn = ratio('precision', 0, 1);
/** TF.js's recall of binary predictions (no threshold): TP / (TP + FN). */
export const recallFn = ratio('recall', 1, 0);

export const meanSquaredError = metric('meanSquaredError', (y, p) => ops.mean(ops.square(ops.sub(p, y)), -1));
export const meanAbsoluteError = metric('meanAbsoluteError', (y, p) => ops.mean(ops.abs(ops.sub(p, y)), -1));
export const meanAbsolutePercentageError = metric('meanAbsolutePercentageError', (y, p) => mapeLoss().call(y, p));
export const cosineProximity = metric('cosineProximity', (y, p) => cosineSimilarity().call(y, p));
export const binaryCrossentropy = metric('binaryCrossentropy', (y, p) => binaryLoss().call(y, p));
export const categoricalCrossentropy = metric('categoricalCrossentropy', (y, p) => categoricalLoss().call(y, p));
export const sparseCategoricalCrossentropy = metric('sparseCategoricalCrossentropy', (y, p) => sparseLoss().call(y, p));

/** 1 - sum((y - p)^2) / sum((y - mean(y))^2), over all elements (TF.js's r2Score). */
export const r2Score = metric('r2Score', (y, p) => {
  if (y.size === 0) throw invalid('r2Score', 'Expected at least one value', { 'yTrue.shape': y.shape });
  const residual = ops.sum(ops.square(ops.sub(y, p)));
  const total = ops.sum(ops.square(ops.sub(y, ops.mean(y))));
  return ops.sub(1, ops.div(residual, total));
});

export { meanSquaredError as mse, meanSquaredError as MSE, meanAbsoluteError as mae, meanAbsoluteError as MAE };
export { meanAbsolutePercentageError as mape, meanAbsolutePercentageError as MAPE };
