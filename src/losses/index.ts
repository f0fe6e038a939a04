/**
 * Losses with Keras semantics: each returns one value per example (reduced over the last axis),
 * and training takes their mean over the batch ("sum over batch size"). Probabilities are
 * clipped to [1e-7, 1 - 1e-7] unless fromLogits.
 */
import { invalid, refuseUnknownOptions } from '../errors.js';
import * as ops from '../ops/index.js';
import type { TensorLike } from '../ops/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { EPSILON, LabelError, checkShapes, type Loss, type LossFn } from './loss.js';
import { tfjsMeanSquaredError, type Reduction } from './tfjs.js';
import { hinge, kullbackLeiblerDivergence, logcosh, meanAbsolutePercentageError, meanSquaredLogarithmicError, cosineSimilarity, poisson, squaredHinge } from './keras.js';

export {
  Reduction, computeWeightedLoss, absoluteDifference, hingeLoss, huberLoss, logLoss, cosineDistance, sigmoidCrossEntropy, softmaxCrossEntropy,
} from './tfjs.js';
export { hinge, squaredHinge, logcosh, poisson, kullbackLeiblerDivergence, meanAbsolutePercentageError, meanSquaredLogarithmicError, cosineSimilarity } from './keras.js';

export { EPSILON, type Loss, type LossFn } from './loss.js';

function elementwise(name: string, perElement: (error: Tensor) => Tensor): Loss {
  return {
    name,
    call(yTrue, yPred) {
      checkShapes(name, yTrue, yPred);
      return ops.mean(perElement(ops.sub(yPred, yTrue)), -1);
    },
  };
}

const kerasMeanSquaredError = (): Loss => elementwise('meanSquaredError', (e) => ops.square(e));

/**
 * With tensors, TF.js's tf.losses.meanSquaredError(labels, predictions, weights?, reduction?): a
 * tensor (SUM_BY_NONZERO_WEIGHTS by default). Without arguments, Keras's loss object for compile.
 */
export function meanSquaredError(): Loss;
export function meanSquaredError(labels: TensorLike, predictions: TensorLike, weights?: TensorLike | null, reduction?: Reduction): Tensor;
export function meanSquaredError(...args: [TensorLike, TensorLike, (TensorLike | null)?, Reduction?] | []): Loss | Tensor {
  return args.length === 0 ? kerasMeanSquaredError() : tfjsMeanSquaredError(...args);
}
export const meanAbsoluteError = (): Loss => elementwise('meanAbsoluteError', (e) => ops.abs(e));

/** 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) elsewhere. */
export function huber(config: { delta?: number } = {}): Loss {
  refuseUnknownOptions('huber', config, ['delta']);
  const delta = config.delta ?? 1;
  if (!(delta > 0)) throw invalid('huber', 'Expected delta > 0', { delta });
  return elementwise('huber', (e) => {
    const a = ops.abs(e);
    return ops.where(ops.lessEqual(a, delta), ops.mul(ops.square(e), 0.5), ops.mul(ops.sub(a, 0.5 * delta), delta));
  });
}

interface CrossentropyConfig {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

const CROSSENTROPY_OPTIONS = ['fromLogits', 'labelSmoothing'];

function checkSmoothing(name: string, labelSmoothing: number): void {
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw invalid(name, 'Expected labelSmoothing in [0, 1]', { labelSmoothing });
}

/**
 * -(y log p + (1 - y) log(1 - p)) with p clipped; from logits x:
 * max(x, 0) - x y + log1p(exp(-|x|)). Labels smoothed toward 0.5.
 */
export function binaryCrossentropy(config: CrossentropyConfig = {}): Loss {
  refuseUnknownOptions('binaryCrossentropy', config, CROSSENTROPY_OPTIONS);
  const { fromLogits = false, labelSmoothing = 0 } = config;
  checkSmoothing('binaryCrossentropy', labelSmoothing);
  return {
    name: 'binaryCrossentropy',
    call(yTrue, yPred) {
      checkShapes('binaryCrossentropy', yTrue, yPred);
      const y = labelSmoothing > 0 ? ops.add(ops.mul(yTrue, 1 - labelSmoothing), 0.5 * labelSmoothing) : yTrue;
      let perElement: Tensor;
      if (fromLogits) {
        perElement = ops.add(ops.sub(ops.relu(yPred), ops.mul(yPred, y)), ops.log1p(ops.exp(ops.neg(ops.abs(yPred)))));
      } else {
        const p = ops.clipByValue(yPred, EPSILON, 1 - EPSILON);
        perElement = ops.neg(ops.add(ops.mul(y, ops.log(p)), ops.mul(ops.sub(1, y), ops.log(ops.sub(1, p)))));
      }
      return ops.mean(perElement, -1);
    },
  };
}

/** -sum(y log p) over the classes, p normalised to sum to 1 and clipped; labels smoothed toward uniform. */
export function categoricalCrossentropy(config: CrossentropyConfig = {}): Loss {
  refuseUnknownOptions('categoricalCrossentropy', config, CROSSENTROPY_OPTIONS);
  const { fromLogits = false, labelSmoothing = 0 } = config;
  checkSmoothing('categoricalCrossentropy', labelSmoothing);
  return {
    name: 'categoricalCrossentropy',
    call(yTrue, yPred) {
      checkShapes('categoricalCrossentropy', yTrue, yPred);
      const classes = yPred.shape.at(-1)!;
      const y = labelSmoothing > 0 ? ops.add(ops.mul(yTrue, 1 - labelSmoothing), labelSmoothing / classes) : yTrue;
      return crossentropyFromDistribution(y, yPred, fromLogits);
    },
  };
}

function crossentropyFromDistribution(y: Tensor, yPred: Tensor, fromLogits: boolean): Tensor {
  if (fromLogits) return ops.neg(ops.sum(ops.mul(y, ops.logSoftmax(yPred)), -1));
  const p = ops.clipByValue(ops.div(yPred, ops.sum(yPred, -1, true)), EPSILON, 1 - EPSILON);
  return ops.neg(ops.sum(ops.mul(y, ops.log(p)), -1));
}

/**
 * Sparse labels must be integers in [0, classes): anything else would select no class and train
 * silently with a zero loss. One read of the batch's labels, small next to the step itself. A bad
 * one is named by its index in the targets as given (yTrue[13][0] for labels of shape [n, 1]).
 */
function checkLabels(labels: Tensor, classes: number, givenShape: readonly number[]): void {
  const values = labels.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < classes)) throw new LabelError('sparseCategoricalCrossentropy', `Expected integer labels in [0, ${classes})`, i, givenShape, v);
  }
}

/** Categorical crossentropy with integer class labels (shape yPred.shape minus the last axis, or with a last axis of 1). */
export function sparseCategoricalCrossentropy(config: { fromLogits?: boolean } = {}): Loss {
  refuseUnknownOptions('sparseCategoricalCrossentropy', config, ['fromLogits']);
  const { fromLogits = false } = config;
  return {
    name: 'sparseCategoricalCrossentropy',
    call(yTrue, yPred) {
      const classes = yPred.shape.at(-1)!;
      const labels = yTrue.rank === yPred.rank && yTrue.shape.at(-1) === 1 ? ops.squeeze(yTrue, [-1]) : yTrue;
      const batchShape = yPred.shape.slice(0, -1);
      if (labels.shape.length !== batchShape.length || labels.shape.some((d, i) => d !== batchShape[i])) {
        throw invalid('sparseCategoricalCrossentropy', `Expected integer labels of shape ${JSON.stringify(batchShape)}`, { 'yTrue.shape': yTrue.shape, 'yPred.shape': yPred.shape });
      }
      checkLabels(labels, classes, yTrue.shape);
      const oneHot = ops.oneHot(ops.cast(labels, 'int32'), classes);
      return crossentropyFromDistribution(oneHot, yPred, fromLogits);
    },
  };
}

const BY_NAME: Record<string, () => Loss> = {
  meanSquaredError: kerasMeanSquaredError, mse: kerasMeanSquaredError, mean_squared_error: kerasMeanSquaredError,
  meanAbsoluteError, mae: meanAbsoluteError, mean_absolute_error: meanAbsoluteError,
  huber, binaryCrossentropy, binary_crossentropy: binaryCrossentropy,
  categoricalCrossentropy, categorical_crossentropy: categoricalCrossentropy,
  sparseCategoricalCrossentropy, sparse_categorical_crossentropy: sparseCategoricalCrossentropy,
  hinge, squaredHinge, squared_hinge: squaredHinge, logcosh, poisson,
  kullbackLeiblerDivergence, kld: kullbackLeiblerDivergence, kl_divergence: kullbackLeiblerDivergence,
  meanAbsolutePercentageError, mape: meanAbsolutePercentageError, mean_absolute_percentage_error: meanAbsolutePercentageError,
  meanSquaredLogarithmicError, msle: meanSquaredLogarithmicError, mean_squared_logarithmic_error: meanSquaredLogarithmicError,
  cosineSimilarity, cosine: cosineSimilarity, cosineProximity: cosineSimilarity, cosine_similarity: cosineSimilarity,
};

export const LOSS_NAMES = Object.keys(BY_NAME);

export function getLoss(identifier: string | Loss | LossFn, context: string): Loss {
  // TF.js's tf.losses.meanSquaredError given to compile trains as Keras's 'meanSquaredError'.
  if (identifier === meanSquaredError) return kerasMeanSquaredError();
  if (typeof identifier === 'function') return { name: identifier.name || 'custom', call: identifier };
  if (typeof identifier === 'object' && identifier !== null && typeof identifier.call === 'function') return identifier;
  const factory = typeof identifier === 'string' ? BY_NAME[identifier] : undefined;
  if (!factory) throw invalid(context, `Expected loss to be one of ${LOSS_NAMES.join(', ')}, a loss object or a function (yTrue, yPred) => Tensor`, { loss: identifier });
  return factory();
}
