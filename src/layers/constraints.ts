/**
 * Weight constraints (Keras 3's and TF.js's MaxNorm, MinMaxNorm, NonNeg, UnitNorm): projections
 * that optimizers apply to a weight right after each update of it (src/optimizers/optimizer.ts),
 * as Keras 3's optimizer does (`variable.assign(variable.constraint(variable))`). The norms are
 * fl(sqrt(sum of fl(w * w))) over `axis`, kept as size-1 dimensions, with `sum`'s order
 * (NUMERICS.md, "Weight constraints").
 */
import { ENGINE } from '../engine/engine.js';
import { invalid, refuseUnknownOptions } from '../errors.js';
import * as ops from '../ops/index.js';
import { normalizeAxes } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** Keras's backend epsilon, added to the norms before dividing by them. */
const EPSILON = 1e-7;

export type ConstraintClassName = 'MaxNorm' | 'MinMaxNorm' | 'NonNeg' | 'UnitNorm';
/** TF.js's identifiers (and the class names, and Keras's snake_case names). */
export type ConstraintIdentifier = 'maxNorm' | 'minMaxNorm' | 'nonNeg' | 'unitNorm' | ConstraintClassName;

/** What a layer's constraint options take: a name, a constraint, its config, or null for none. */
export type ConstraintOption = ConstraintIdentifier | Constraint | ConstraintConfig | null;

/** A constraint as configs hold it: TF.js's serialized form ({className, config}). */
export interface ConstraintConfig {
  className: ConstraintClassName;
  config: Record<string, number | number[]>;
}

export interface MaxNormArgs {
  /** The largest norm each slice along `axis` may have (default 2). */
  maxValue?: number;
  /** The axis or axes the norms are taken over (default 0: each column of a Dense kernel). */
  axis?: number | number[];
}

export interface MinMaxNormArgs {
  /** Default 0. */
  minValue?: number;
  /** Default 1. */
  maxValue?: number;
  /** How far each step moves the norm into [minValue, maxValue]: 1 (default) all the way. */
  rate?: number;
  axis?: number | number[];
}

export interface UnitNormArgs {
  axis?: number | number[];
}

/** A weight constraint: apply(w) is the projected weight (TF.js's Constraint.apply, Keras's __call__). */
export abstract class Constraint {
  abstract readonly className: ConstraintClassName;
  abstract apply(w: Tensor): Tensor;
  /** The arguments, as TF.js's getConfig() gives them (camelCase). */
  abstract getConfig(): Record<string, number | number[]>;

  /** Refuses a weight this constraint cannot project (an axis outside its shape), naming the weight. */
  checkWeight(_shape: readonly number[], _context: string, _weight: string): void {}
}

function checkNumber(context: string, argument: string, value: unknown, atLeast: number, atMost = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < atLeast || value > atMost) {
    const range = atMost === Infinity ? `>= ${atLeast}` : `in [${atLeast}, ${atMost}]`;
    throw invalid(context, `Expected ${argument} to be a finite number ${range}`, { [argument]: value });
  }
  return value;
}

/** Refuses arguments that are not an options object, or options the factory does not have (a misspelt maxValue would leave the default). */
function checkOptions(context: string, args: unknown, known: string[]): void {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw invalid(context, 'Expected an options object', { args });
  refuseUnknownOptions(context, args, known);
}

/** The axis of a factory's arguments, once they are checked. */
function checkedAxis(context: string, args: object, known: string[]): number | number[] {
  checkOptions(context, args, known);
  const value = (args as { axis?: unknown }).axis ?? 0;
  const valid = Number.isInteger(value) || (Array.isArray(value) && value.length > 0 && value.every((a) => Number.isInteger(a)));
  if (!valid) throw invalid(context, 'Expected axis to be an integer or a non-empty list of integers', { axis: value });
  return Array.isArray(value) ? [...value] as number[] : value as number;
}

/** A constraint whose projection scales each slice along `axis` by a factor of its L2 norm. */
abstract class NormConstraint extends Constraint {
  constructor(readonly axis: number | number[]) {
    super();
  }

  /** fl(sqrt(sum of fl(w * w))) over the axes, keeping them as size-1 dimensions. */
  protected norms(w: Tensor): Tensor {
    return ops.sqrt(ops.sum(ops.square(w), this.axis, true));
  }

  /** w * fl(desired / fl(norms + epsilon)), as Keras 3 and TF.js compute it. */
  protected rescaled(w: Tensor, desired: (norms: Tensor) => Tensor): Tensor {
    return ENGINE.tidy(() => {
      const norms = this.norms(w);
      return ops.mul(w, ops.div(desired(norms), ops.add(norms, EPSILON)));
    });
  }

  override checkWeight(shape: readonly number[], context: string, weight: string): void {
    try {
      normalizeAxes(this.axis, shape.length, context);
    } catch {
      throw invalid(context, `Expected ${this.className}'s axis among the axes of ${weight} (shape ${JSON.stringify(shape)})`, { axis: this.axis });
    }
  }
}

export class MaxNorm extends NormConstraint {
  readonly className = 'MaxNorm';
  readonly maxValue: number;

  constructor(args: MaxNormArgs = {}) {
    super(checkedAxis('constraints.maxNorm', args, ['maxValue', 'axis']));
    this.maxValue = checkNumber('constraints.maxNorm', 'maxValue', args.maxValue ?? 2, 0);
  }

  apply(w: Tensor): Tensor {
    return this.rescaled(w, (norms) => ops.clipByValue(norms, 0, this.maxValue));
  }

  getConfig() {
    return { maxValue: this.maxValue, axis: this.axis };
  }
}

export class MinMaxNorm extends NormConstraint {
  readonly className = 'MinMaxNorm';
  readonly minValue: number;
  readonly maxValue: number;
  readonly rate: number;

  constructor(args: MinMaxNormArgs = {}) {
    const context = 'constraints.minMaxNorm';
    super(checkedAxis(context, args, ['minValue', 'maxValue', 'rate', 'axis']));
    this.minValue = checkNumber(context, 'minValue', args.minValue ?? 0, 0);
    this.maxValue = checkNumber(context, 'maxValue', args.maxValue ?? 1, this.minValue);
    this.rate = checkNumber(context, 'rate', args.rate ?? 1, 0, 1);
  }

  apply(w: Tensor): Tensor {
    // fl(fl(rate * clip(norms)) + fl((1 - rate) * norms)), 1 - rate taken in float64 as Keras does in Python.
    return this.rescaled(w, (norms) => ops.add(ops.mul(ops.clipByValue(norms, this.minValue, this.maxValue), this.rate), ops.mul(norms, 1 - this.rate)));
  }

  getConfig() {
    return { minValue: this.minValue, maxValue: this.maxValue, rate: this.rate, axis: this.axis };
  }
}

export class UnitNorm extends NormConstraint {
  readonly className = 'UnitNorm';

  constructor(args: UnitNormArgs = {}) {
    super(checkedAxis('constraints.unitNorm', args, ['axis']));
  }

  apply(w: Tensor): Tensor {
    return ENGINE.tidy(() => ops.div(w, ops.add(this.norms(w), EPSILON)));
  }

  getConfig() {
    return { axis: this.axis };
  }
}

export class NonNeg extends Constraint {
  readonly className = 'NonNeg';

  constructor(args: Record<string, never> = {}) {
    checkOptions('constraints.nonNeg', args, []);
    super();
  }

  /** Keras 3's maximum(w, 0): negative weights and -0 become +0, NaN stays NaN. */
  apply(w: Tensor): Tensor {
    return ops.maximum(w, 0);
  }

  getConfig() {
    return {};
  }
}

// TF.js's factories; null arguments (as undefined) give the defaults.
export const maxNorm = (args?: MaxNormArgs | null): Constraint => new MaxNorm(args ?? {});
export const minMaxNorm = (args?: MinMaxNormArgs | null): Constraint => new MinMaxNorm(args ?? {});
export const nonNeg = (args?: Record<string, never> | null): Constraint => new NonNeg(args ?? {});
export const unitNorm = (args?: UnitNormArgs | null): Constraint => new UnitNorm(args ?? {});

/** Each class's factory from its config. */
const CLASSES: Record<ConstraintClassName, (config: Record<string, unknown>) => Constraint> = {
  MaxNorm: (c) => new MaxNorm(c), MinMaxNorm: (c) => new MinMaxNorm(c), NonNeg: (c) => new NonNeg(c as Record<string, never>), UnitNorm: (c) => new UnitNorm(c),
};

/** A class name from any of its spellings: TF.js's maxNorm, the class name MaxNorm, Keras's max_norm. */
export function constraintClass(name: string): ConstraintClassName | undefined {
  const key = name.replace(/_/g, '').toLowerCase();
  return (Object.keys(CLASSES) as ConstraintClassName[]).find((c) => c.toLowerCase() === key);
}

const EXPECTED = "a constraint: 'maxNorm', 'minMaxNorm', 'nonNeg', 'unitNorm' (or the class names MaxNorm, ...), a vb.constraints object or its {className, config}";

/**
 * A constraint from an identifier (TF.js's getConstraint): a name, a constraint, or its config
 * ({className, config}, as getConfig() gives it); undefined and null mean none.
 */
export function getConstraint(identifier: unknown, context: string, argument = 'constraint'): Constraint | undefined {
  if (identifier === undefined || identifier === null) return undefined;
  if (identifier instanceof Constraint) return identifier;
  if (typeof identifier === 'string') {
    const className = constraintClass(identifier);
    if (className === undefined) throw invalid(context, `Expected ${argument} to be ${EXPECTED}`, { [argument]: identifier });
    return CLASSES[className]({});
  }
  const isConfig = typeof identifier === 'object' && !Array.isArray(identifier) && Object.keys(identifier).every((k) => k === 'className' || k === 'config');
  const { className, config = {} } = (isConfig ? identifier : {}) as { className?: unknown; config?: unknown };
  const known = typeof className === 'string' ? constraintClass(className) : undefined;
  if (known === undefined || typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw invalid(context, `Expected ${argument} to be ${EXPECTED}`, { [argument]: identifier });
  }
  return CLASSES[known](config as Record<string, unknown>);
}

/** A constraint's config, as a layer's getConfig() reports it. */
export function constraintConfig(constraint: Constraint): ConstraintConfig {
  return { className: constraint.className, config: constraint.getConfig() };
}

/** The layer options of the constraints that are set ({kernelConstraint: config, ...}): a layer without any reports none. */
export function constraintOptions(constraints: Record<string, Constraint | undefined>): Record<string, ConstraintConfig> {
  return Object.fromEntries(Object.entries(constraints).flatMap(([option, c]) => (c ? [[option, constraintConfig(c)]] : [])));
}
