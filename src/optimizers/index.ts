/**
 * Optimizers with Keras 3 update rules and defaults. Each update is written in Keras's order of
 * operations as float32 tensor ops; scalars (bias corrections, learning rates) are float32.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid, refuseUnknownOptions } from '../errors.js';
import { pow, sqrt } from '../numerics/f32math.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { Optimizer, type OptimizerConfig, type SlotKind } from './optimizer.js';

export { Optimizer, type OptimizerConfig, type LearningRate, type NamedGradients, type NamedTensor } from './optimizer.js';
export { exponentialDecay, cosineDecay, type LearningRateSchedule } from './schedules.js';

const f = Math.fround;

function checkRange(context: string, values: Record<string, number>, lo: number, hi: number): void {
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !(v >= lo && v < hi)) throw invalid(context, `Expected ${k} in [${lo}, ${hi})`, { [k]: v });
  }
}

/**
 * Options that are finite numbers >= 0 (epsilon, weightDecay, initialAccumulatorValue): a string
 * ('1e-7', as from a CLI argument or a JSON config) passed `>= 0` and then failed at the first step
 * naming add, or was coerced by a fused kernel on one backend only; Infinity gave NaN weights.
 */
function checkNonNegative(context: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(context, `Expected ${k} to be a finite number >= 0`, { [k]: v });
  }
}

/** Switches (nesterov, amsgrad, centered): a string 'false' is truthy and would turn the variant on. */
function checkBooleans(context: string, values: Record<string, boolean>): void {
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== 'boolean') throw invalid(context, `Expected ${k} to be true or false`, { [k]: v });
  }
}

/** Gradient descent; with momentum m = momentum m - lr g, then w += m (Nesterov: w += momentum m - lr g). */
export class SGD extends Optimizer {
  protected override readonly slotKinds: readonly SlotKind[] = [{ slot: 'momentum', exported: 'momentum' }];
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(config: OptimizerConfig & { momentum?: number; nesterov?: boolean } = {}) {
    super('sgd', config, 0.01);
    this.momentum = config.momentum ?? 0;
    this.nesterov = config.nesterov ?? false;
    checkRange('sgd', { momentum: this.momentum }, 0, 1);
    checkBooleans('sgd', { nesterov: this.nesterov });
  }

  protected updateStep(v: Variable, g: Tensor, lr: number): void {
    if (this.momentum === 0) {
      if (ENGINE.fusedUpdate('sgd', [v, g], [lr])) return;
      v.assign(ops.sub(v, ops.mul(g, lr)));
      return;
    }
    const m = this.slot(v, 'momentum');
    if (ENGINE.fusedUpdate('momentum', [v, g, m], [lr, f(this.momentum), this.nesterov ? 1 : 0])) return;
    m.assign(ops.sub(ops.mul(m, this.momentum), ops.mul(g, lr)));
    v.assign(ops.add(v, this.nesterov ? ops.sub(ops.mul(m, this.momentum), ops.mul(g, lr)) : m));
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov };
  }
}

interface AdamConfig extends OptimizerConfig {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
}

/**
 * Adam: m += (g - m)(1 - beta1), v += (g^2 - v)(1 - beta2),
 * w -= m alpha / (sqrt(v) + epsilon) with alpha = lr sqrt(1 - beta2^t) / (1 - beta1^t).
 * Backends with a fused update run the same float32 operations in one kernel.
 */
export class Adam extends Optimizer {
  /** vhat (amsgrad) has no TF.js counterpart; it keeps Keras's name. */
  protected override readonly slotKinds: readonly SlotKind[] = [{ slot: 'm', exported: 'm' }, { slot: 'v', exported: 'v' }, { slot: 'vhat', exported: 'vhat' }];
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor(config: AdamConfig = {}, name = 'adam') {
    super(name, config, 0.001);
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.epsilon = config.epsilon ?? 1e-7;
    this.amsgrad = config.amsgrad ?? false;
    checkRange(name, { beta1: this.beta1, beta2: this.beta2 }, 0, 1);
    checkNonNegative(name, { epsilon: this.epsilon });
    checkBooleans(name, { amsgrad: this.amsgrad });
  }

  protected updateStep(v: Variable, g: Tensor, lr: number): void {
    const t = this.iterations + 1;
    const alpha = f(f(lr * sqrt(f(1 - pow(f(this.beta2), t)))) / f(1 - pow(f(this.beta1), t)));
    const c1 = f(1 - this.beta1);
    const c2 = f(1 - this.beta2);
    const m = this.slot(v, 'm');
    const s = this.slot(v, 'v');
    const vHat = this.amsgrad ? this.slot(v, 'vhat') : undefined;
    if (ENGINE.fusedUpdate('adam', [v, g, m, s, ...(vHat ? [vHat] : [])], [c1, c2, alpha, f(this.epsilon)])) return;
    m.assign(ops.add(m, ops.mul(ops.sub(g, m), c1)));
    s.assign(ops.add(s, ops.mul(ops.sub(ops.square(g), s), c2)));
    let second: Tensor = s;
    if (vHat) {
      vHat.assign(ops.maximum(vHat, s));
      second = vHat;
    }
    v.assign(ops.sub(v, ops.div(ops.mul(m, alpha), ops.add(ops.sqrt(second), this.epsilon))));
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** Adam with decoupled weight decay: w -= w * weightDecay * lr before the Adam step. */
export class AdamW extends Adam {
  readonly weightDecay: number;

  constructor(config: AdamConfig & { weightDecay?: number } = {}) {
    super(config, 'adamw');
    this.weightDecay = config.weightDecay ?? 0.004;
    checkNonNegative('adamw', { weightDecay: this.weightDecay });
  }

  protected override updateStep(v: Variable, g: Tensor, lr: number): void {
    v.assign(ops.sub(v, ops.mul(ops.mul(v, this.weightDecay), lr)));
    super.updateStep(v, g, lr);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }
}

/** RMSprop: velocity = rho velocity + (1 - rho) g^2; w -= lr g / sqrt(velocity (- mean g^2) + epsilon). */
export class RMSprop extends Optimizer {
  protected override readonly slotKinds: readonly SlotKind[] = [
    { slot: 'velocity', exported: 'rms' },
    { slot: 'momentum', exported: 'momentum', always: true },
    { slot: 'average_gradient', exported: 'mg' },
  ];
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(config: OptimizerConfig & { rho?: number; momentum?: number; epsilon?: number; centered?: boolean } = {}) {
    super('rmsprop', config, 0.001);
    this.rho = config.rho ?? 0.9;
    this.momentum = config.momentum ?? 0;
    this.epsilon = config.epsilon ?? 1e-7;
    this.centered = config.centered ?? false;
    checkRange('rmsprop', { rho: this.rho, momentum: this.momentum }, 0, 1);
    checkNonNegative('rmsprop', { epsilon: this.epsilon });
    checkBooleans('rmsprop', { centered: this.centered });
  }

  protected updateStep(v: Variable, g: Tensor, lr: number): void {
    const velocity = this.slot(v, 'velocity');
    velocity.assign(ops.add(ops.mul(velocity, this.rho), ops.mul(ops.square(g), 1 - this.rho)));
    let denominator: Tensor;
    if (this.centered) {
      const average = this.slot(v, 'average_gradient');
      average.assign(ops.add(ops.mul(average, this.rho), ops.mul(g, 1 - this.rho)));
      denominator = ops.add(ops.sub(velocity, ops.square(average)), this.epsilon);
    } else {
      denominator = ops.add(velocity, this.epsilon);
    }
    const increment = ops.div(ops.mul(g, lr), ops.sqrt(denominator));
    if (this.momentum > 0) {
      const m = this.slot(v, 'momentum');
      m.assign(ops.add(ops.mul(m, this.momentum), increment));
      v.assign(ops.sub(v, m));
    } else {
      v.assign(ops.sub(v, increment));
    }
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRate, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}

/** Adagrad: accumulator += g^2; w -= lr g / sqrt(accumulator + epsilon). */
export class Adagrad extends Optimizer {
  protected override readonly slotKinds: readonly SlotKind[] = [{ slot: 'accumulator', exported: 'accumulator' }];
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(config: OptimizerConfig & { initialAccumulatorValue?: number; epsilon?: number } = {}) {
    super('adagrad', config, 0.001);
    this.initialAccumulatorValue = config.initialAccumulatorValue ?? 0.1;
    this.epsilon = config.epsilon ?? 1e-7;
    checkNonNegative('adagrad', { initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon });
  }

  protected updateStep(v: Variable, g: Tensor, lr: number): void {
    const accumulator = this.slot(v, 'accumulator', this.initialAccumulatorValue);
    accumulator.assign(ops.add(accumulator, ops.square(g)));
    v.assign(ops.sub(v, ops.div(ops.mul(g, lr), ops.sqrt(ops.add(accumulator, this.epsilon)))));
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}

/** Adamax: m += (g - m)(1 - beta1), u = max(beta2 u, |g|), w -= lr m / ((1 - beta1^t)(u + epsilon)). */
export class Adamax extends Optimizer {
  /** TF.js names the weighted infinity norm u `v` (its Adamax has no getWeights; this follows its slot names). */
  protected override readonly slotKinds: readonly SlotKind[] = [{ slot: 'm', exported: 'm' }, { slot: 'u', exported: 'v' }];
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(config: OptimizerConfig & { beta1?: number; beta2?: number; epsilon?: number } = {}) {
    super('adamax', config, 0.001);
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.epsilon = config.epsilon ?? 1e-7;
    checkRange('adamax', { beta1: this.beta1, beta2: this.beta2 }, 0, 1);
    checkNonNegative('adamax', { epsilon: this.epsilon });
  }

  protected updateStep(v: Variable, g: Tensor, lr: number): void {
    const correction = f(1 - pow(f(this.beta1), this.iterations + 1));
    const m = this.slot(v, 'm');
    const u = this.slot(v, 'u');
    m.assign(ops.add(m, ops.mul(ops.sub(g, m), 1 - this.beta1)));
    u.assign(ops.maximum(ops.mul(u, this.beta2), ops.abs(g)));
    v.assign(ops.sub(v, ops.div(ops.mul(m, lr), ops.mul(ops.add(u, this.epsilon), correction))));
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/**
 * Adadelta (Keras 3): accumulatedGrad = rho accumulatedGrad + (1 - rho) g^2,
 * delta = sqrt(accumulatedDelta + epsilon) g / sqrt(accumulatedGrad + epsilon),
 * accumulatedDelta = rho accumulatedDelta + (1 - rho) delta^2, w -= lr delta. TF.js divides by the
 * accumulator before this step's update; Keras (and TF's kernel) by the updated one: Keras wins.
 */
export class Adadelta extends Optimizer {
  protected override readonly slotKinds: readonly SlotKind[] = [
    { slot: 'accumulated_grad', exported: 'accum_grad' },
    { slot: 'accumulated_delta_var', exported: 'accum_var' },
  ];
  readonly rho: number;
  readonly epsilon: number;

  constructor(config: OptimizerConfig & { rho?: number; epsilon?: number } = {}) {
    super('adadelta', config, 0.001);
    this.rho = config.rho ?? 0.95;
    this.epsilon = config.epsilon ?? 1e-7;
    checkRange('adadelta', { rho: this.rho }, 0, 1);
    checkNonNegative('adadelta', { epsilon: this.epsilon });
  }

  protected updateStep(v: Variable, g: Tensor, lr: number): void {
    const accumulatedGrad = this.slot(v, 'accumulated_grad');
    const accumulatedDelta = this.slot(v, 'accumulated_delta_var');
    accumulatedGrad.assign(ops.add(ops.mul(accumulatedGrad, this.rho), ops.mul(ops.square(g), 1 - this.rho)));
    const rms = (x: Tensor) => ops.sqrt(ops.add(x, this.epsilon));
    const delta = ops.div(ops.mul(rms(accumulatedDelta), g), rms(accumulatedGrad));
    accumulatedDelta.assign(ops.add(ops.mul(accumulatedDelta, this.rho), ops.mul(ops.square(delta), 1 - this.rho)));
    v.assign(ops.sub(v, ops.mul(delta, lr)));
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
  }
}

/**
 * The optimizer, once its config names only options it has: an option it lacks (Keras 2's `lr`,
 * `decay`) would otherwise be dropped and training would run with the default instead.
 */
function withKnownOptions<T extends Optimizer>(optimizer: T, config: object | undefined): T {
  refuseUnknownOptions(optimizer.name, config, [...Object.keys(optimizer.getConfig()).filter((k) => k !== 'name'), 'clipnorm', 'clipvalue', 'globalClipnorm']);
  return optimizer;
}

export const sgd = (config?: ConstructorParameters<typeof SGD>[0]) => withKnownOptions(new SGD(config), config);
export const adam = (config?: AdamConfig) => withKnownOptions(new Adam(config), config);
export const adamw = (config?: ConstructorParameters<typeof AdamW>[0]) => withKnownOptions(new AdamW(config), config);
export const rmsprop = (config?: ConstructorParameters<typeof RMSprop>[0]) => withKnownOptions(new RMSprop(config), config);
export const adagrad = (config?: ConstructorParameters<typeof Adagrad>[0]) => withKnownOptions(new Adagrad(config), config);
export const adamax = (config?: ConstructorParameters<typeof Adamax>[0]) => withKnownOptions(new Adamax(config), config);
export const adadelta = (config?: ConstructorParameters<typeof Adadelta>[0]) => withKnownOptions(new Adadelta(config), config);

const BY_NAME: Record<string, () => Optimizer> = { sgd, adam, adamw, rmsprop, adagrad, adamax, adadelta };
export const OPTIMIZER_NAMES = Object.keys(BY_NAME);

export function getOptimizer(identifier: string | Optimizer, context: string): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  const factory = typeof identifier === 'string' ? BY_NAME[identifier.toLowerCase()] : undefined;
  if (!factory) throw invalid(context, `Expected optimizer to be one of ${OPTIMIZER_NAMES.join(', ')} or an optimizer object`, { optimizer: identifier });
  return factory();
}

/** TF.js-style constructors (tf.train.*), with positional arguments. */
export const train = {
  sgd: (learningRate: number) => new SGD({ learningRate }),
  momentum: (learningRate: number, momentum: number, useNesterov = false) => new SGD({ learningRate, momentum, nesterov: useNesterov }),
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7) => new Adam({ learningRate, beta1, beta2, epsilon }),
  adamax: (learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7) => new Adamax({ learningRate, beta1, beta2, epsilon }),
  adagrad: (learningRate: number, initialAccumulatorValue = 0.1) => new Adagrad({ learningRate, initialAccumulatorValue }),
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false) =>
    new RMSprop({ learningRate, rho: decay, momentum, epsilon, centered }),
  adadelta: (learningRate = 0.001, rho = 0.95, epsilon = 1e-7) => new Adadelta({ learningRate, rho, epsilon }),
};
