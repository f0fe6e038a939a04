/**
 * BatchNormalization and LayerNormalization (TF.js option names, Keras 3 semantics), both
 * computed by the batchNorm op from two-pass moments (src/ops/reduction.ts).
 *
 * BatchNormalization's moving statistics are non-trainable weights that the layer assigns
 * itself in a training call, as Keras 3 does: no gradient reaches them and the optimizer never
 * sees them. The assignment happens inside the training step's forward pass, with recording
 * paused, so the gradient tape holds nothing of it; the new values depend only on the batch and
 * the old values, so the update is as deterministic as the rest of the step.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { normalizeAxes } from '../tensor/shape.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { constraintOptions, getConstraint, type Constraint, type ConstraintOption } from './constraints.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2' | Regularizer;

interface NormalizationArgs extends LayerArgs {
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: InitializerIdentifier | Initializer;
  gammaInitializer?: InitializerIdentifier | Initializer;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
  betaConstraint?: ConstraintOption;
  gammaConstraint?: ConstraintOption;
}

export interface BatchNormalizationArgs extends NormalizationArgs {
  /** The features axis (default -1): statistics are taken over every other axis. */
  axis?: number;
  momentum?: number;
  movingMeanInitializer?: InitializerIdentifier | Initializer;
  movingVarianceInitializer?: InitializerIdentifier | Initializer;
}

export interface LayerNormalizationArgs extends NormalizationArgs {
  /** The axis or axes normalized over (default -1), per example. */
  axis?: number | number[];
}

/** The options and affine weights (gamma, beta) both layers share. */
abstract class Normalization extends Layer {
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  protected readonly betaInitializer: Initializer;
  protected readonly gammaInitializer: Initializer;
  protected readonly betaRegularizer: Regularizer | undefined;
  protected readonly gammaRegularizer: Regularizer | undefined;
  protected readonly betaConstraint: Constraint | undefined;
  protected readonly gammaConstraint: Constraint | undefined;
  gamma: Variable | undefined;
  beta: Variable | undefined;

  constructor(className: string, args: NormalizationArgs) {
    super(className, args);
    const { epsilon = 0.001, center = true, scale = true } = args;
    if (typeof epsilon !== 'number' || !(epsilon > 0) || !Number.isFinite(epsilon)) throw invalid(className, 'Expected epsilon to be a positive number', { epsilon });
    if (typeof center !== 'boolean') throw invalid(className, 'Expected center to be a boolean', { center });
    if (typeof scale !== 'boolean') throw invalid(className, 'Expected scale to be a boolean', { scale });
    this.epsilon = epsilon;
    this.center = center;
    this.scale = scale;
    this.betaInitializer = getInitializer(args.betaInitializer, 'zeros', className);
    this.gammaInitializer = getInitializer(args.gammaInitializer, 'ones', className);
    this.betaRegularizer = getRegularizer(args.betaRegularizer, className);
    this.gammaRegularizer = getRegularizer(args.gammaRegularizer, className);
    this.betaConstraint = getConstraint(args.betaConstraint, className, 'betaConstraint');
    this.gammaConstraint = getConstraint(args.gammaConstraint, className, 'gammaConstraint');
  }

  /** gamma then beta, Keras's order. */
  protected addAffineWeights(shape: number[]): void {
    if (this.scale) this.gamma = this.addWeight('gamma', shape, this.gammaInitializer, this.gammaRegularizer, true, this.gammaConstraint);
    if (this.center) this.beta = this.addWeight('beta', shape, this.betaInitializer, this.betaRegularizer, true, this.betaConstraint);
  }

  /** Input shapes with every dimension of `axes` known. */
  protected knownDims(inputShape: SymbolicShape, axes: readonly number[]): number[] {
    const dims = axes.map((a) => inputShape[a]);
    if (!dims.every((d): d is number => typeof d === 'number')) {
      throw invalid(`${this.className} (${this.name})`, 'Expected an input whose normalized axes have known sizes', { inputShape });
    }
    return dims;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  protected affineConfig(): Record<string, unknown> {
    return {
      epsilon: this.epsilon, center: this.center, scale: this.scale,
      betaInitializer: this.betaInitializer.name, gammaInitializer: this.gammaInitializer.name,
      betaRegularizer: this.betaRegularizer?.config ?? null, gammaRegularizer: this.gammaRegularizer?.config ?? null,
      ...constraintOptions({ betaConstraint: this.betaConstraint, gammaConstraint: this.gammaConstraint }),
    };
  }
}

/** A [C] parameter viewed with C on `axis` of a rank-`rank` input (itself when axis is last). */
function alongAxis(p: Tensor, axis: number, rank: number): Tensor {
  return axis === rank - 1 ? p : ops.reshape(p, Array.from({ length: rank }, (_, i) => (i === axis ? p.size : 1)));
}

/** Each BatchNormalization layer by its moving_mean: data-parallel training updates the layer whose statistics it combined. */
const byMovingMean = new WeakMap<Variable, BatchNormalization>();

/** The BatchNormalization layer whose moving_mean is `variable`, if any. */
export function batchNormalizationOf(variable: Variable): BatchNormalization | undefined {
  return byMovingMean.get(variable);
}

/** Keras's backend.epsilon(), which the masked moments add to their count of unmasked positions. */
const KERAS_EPSILON = 1e-7;

/**
 * Keras 3's masked moments (BatchNormalization._moments with a mask), [features] each: the mask
 * (the input's shape without its last axis) repeated along the last axis says which positions
 * count; mean = sum of those values / (their count + 1e-7), variance = sum of their squared
 * deviations from it / (count + 1e-7), so a feature with no unmasked position gets 0 and 0. The
 * sums run in ops.sum's one order (increasing flat index) with masked positions as 0: for two or
 * more unmasked positions (count + 1e-7 rounds to count) they are ops.moments' bits over the
 * unmasked positions alone.
 */
function maskedMoments(x: Tensor, mask: Tensor, axes: number[], features: number): { mean: Tensor; variance: Tensor } {
  const keep = ops.broadcastTo(ops.expandDims(ops.cast(mask, 'bool'), -1), x.shape);
  const count = ops.add(ops.sum(ops.cast(keep, 'float32'), axes, true), KERAS_EPSILON);
  const mean = ops.div(ops.sum(ops.where(keep, x, 0), axes, true), count);
  const variance = ops.div(ops.sum(ops.square(ops.where(keep, ops.sub(x, mean), 0)), axes, true), count);
  return { mean: ops.reshape(mean, [features]), variance: ops.reshape(variance, [features]) };
}

/**
 * Normalizes each feature (the `axis` dimension). Training (and trainable): with the batch's mean
 * and biased variance over every other axis (over the unmasked positions only when the input
 * carries a mask, as Keras 3: maskedMoments), and moving = moving * momentum + batch * (1 -
 * momentum) for moving_mean and moving_variance. Inference, or trainable false (Keras 3): with
 * the moving statistics. The mask passes on. In data-parallel training (CallContext
 * batchStatistics) the batch is a micro-batch, and its statistics go to the caller, which updates
 * the moving ones once per step.
 */
export class BatchNormalization extends Normalization {
  override supportsMasking = true;
  readonly axis: number;
  readonly momentum: number;
  private readonly movingMeanInitializer: Initializer;
  private readonly movingVarianceInitializer: Initializer;
  private featureAxis = -1;
  movingMean: Variable | undefined;
  movingVariance: Variable | undefined;

  constructor(args: BatchNormalizationArgs = {}) {
    super('BatchNormalization', args);
    const { axis = -1, momentum = 0.99 } = args;
    if (!Number.isInteger(axis)) throw invalid('BatchNormalization', 'Expected axis to be an integer', { axis });
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) throw invalid('BatchNormalization', 'Expected momentum in [0, 1]', { momentum });
    this.axis = axis;
    this.momentum = momentum;
    this.movingMeanInitializer = getInitializer(args.movingMeanInitializer, 'zeros', 'BatchNormalization');
    this.movingVarianceInitializer = getInitializer(args.movingVarianceInitializer, 'ones', 'BatchNormalization');
  }

  override build(inputShape: SymbolicShape): void {
    const [axis] = normalizeAxes(this.axis, inputShape.length, `BatchNormalization (${this.name})`);
    this.featureAxis = axis!;
    const shape = this.knownDims(inputShape, [axis!]);
    this.addAffineWeights(shape);
    this.movingMean = this.addWeight('moving_mean', shape, this.movingMeanInitializer, undefined, false);
    this.movingVariance = this.addWeight('moving_variance', shape, this.movingVarianceInitializer, undefined, false);
    byMovingMean.set(this.movingMean, this);
    this.built = true;
  }

  call(x: Tensor, context: CallContext): Tensor {
    const axis = this.featureAxis;
    const features = this.movingMean!.size;
    if (x.rank <= axis || x.shape[axis] !== features) {
      throw invalid(`BatchNormalization (${this.name})`, `Expected inputs with ${features} features on axis ${axis}`, { 'inputs.shape': x.shape });
    }
    const { mask } = context;
    // Keras: a mask of one axis less than the input, broadcast along its last axis (each dimension equal or 1).
    if (mask && (mask.rank !== x.rank - 1 || !mask.shape.every((d, k) => d === x.shape[k] || d === 1))) {
      throw invalid(`BatchNormalization (${this.name})`, `Expected a mask of shape ${JSON.stringify(x.shape.slice(0, -1))} (the inputs' without the last axis)`, { 'mask.shape': mask.shape, 'inputs.shape': x.shape });
    }
    const view = (p: Tensor | undefined) => (p ? alongAxis(p, axis, x.rank) : undefined);
    if (!(context.training && this.trainable)) {
      return ENGINE.tidy(() => ops.batchNorm(x, view(this.movingMean!)!, view(this.movingVariance!)!, view(this.beta), view(this.gamma), this.epsilon));
    }
    return ENGINE.tidy(() => {
      const reduced = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== axis);
      const { mean, variance } = mask ? maskedMoments(x, mask, reduced, features) : ops.moments(x, reduced);
      if (context.batchStatistics) context.batchStatistics(this.movingMean!, mean, variance);
      else this.updateMovingStatistics(mean, variance);
      return ops.batchNorm(x, view(mean)!, view(variance)!, view(this.beta), view(this.gamma), this.epsilon);
    });
  }

  /** moving = moving * momentum + statistic * (1 - momentum), for the mean and the variance ([features] each). */
  updateMovingStatistics(mean: Tensor, variance: Tensor): void {
    ENGINE.withoutRecording(() => ENGINE.tidy(() => {
      const decay = 1 - this.momentum;
      this.movingMean!.assign(ops.add(ops.mul(this.movingMean!, this.momentum), ops.mul(mean, decay)));
      this.movingVariance!.assign(ops.add(ops.mul(this.movingVariance!, this.momentum), ops.mul(variance, decay)));
    }));
  }

  getConfig(): Record<string, unknown> {
    return {
      axis: this.axis, momentum: this.momentum, ...this.affineConfig(),
      movingMeanInitializer: this.movingMeanInitializer.name, movingVarianceInitializer: this.movingVarianceInitializer.name,
    };
  }
}

/**
 * Normalizes each example over `axis` (the last by default) with its own mean and biased
 * variance, then scales by gamma and shifts by beta (shaped like the normalized axes), in
 * training and inference alike.
 */
export class LayerNormalization extends Normalization {
  /** The input's mask passes on (each example is normalized alone), as Keras's and TF.js's. */
  override supportsMasking = true;
  readonly axis: number | number[];
  private normalizedAxes: number[] = [];

  constructor(args: LayerNormalizationArgs = {}) {
    super('LayerNormalization', args);
    const { axis = -1 } = args;
    const ok = Number.isInteger(axis) || (Array.isArray(axis) && axis.length > 0 && axis.every((a) => Number.isInteger(a)));
    if (!ok) throw invalid('LayerNormalization', 'Expected axis to be an integer or a non-empty array of integers', { axis });
    this.axis = Array.isArray(axis) ? [...axis] : axis;
  }

  override build(inputShape: SymbolicShape): void {
    const context = `LayerNormalization (${this.name})`;
    const axes = normalizeAxes(this.axis, inputShape.length, context);
    if (axes.includes(0)) throw invalid(context, 'Expected axes other than the batch axis 0', { axis: this.axis });
    if (new Set(axes).size !== axes.length) throw invalid(context, 'Expected distinct axes', { axis: this.axis });
    this.normalizedAxes = [...axes].sort((a, b) => a - b);
    this.addAffineWeights(this.knownDims(inputShape, this.normalizedAxes));
    this.built = true;
  }

  call(x: Tensor): Tensor {
    const axes = this.normalizedAxes;
    const expected = this.gamma ?? this.beta;
    const dims = axes.map((a) => x.shape[a]);
    if (axes.some((a) => a >= x.rank) || (expected && dims.some((d, i) => d !== expected.shape[i]))) {
      throw invalid(`LayerNormalization (${this.name})`, `Expected inputs of rank ${axes.at(-1)! + 1} or more with sizes ${JSON.stringify(expected?.shape ?? dims)} on axes ${JSON.stringify(axes)}`, { 'inputs.shape': x.shape });
    }
    return ENGINE.tidy(() => {
      const { mean, variance } = ops.moments(x, axes, true);
      const broadcastShape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
      const view = (p: Tensor | undefined) => (p ? ops.reshape(p, broadcastShape) : undefined);
      return ops.batchNorm(x, mean, variance, view(this.beta), view(this.gamma), this.epsilon);
    });
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis, ...this.affineConfig() };
  }
}
