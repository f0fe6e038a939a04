/**
 * The layer base class. A layer's weights are variables named `<model>/<layer>/<weight>`; an
 * unseeded weight's initial values come from keyFor('<model>/<layer>/<weight>'), so they depend
 * on names alone and never on how many numbers anything else drew.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { keyFor } from '../random/seed.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import type { Initializer } from './initializers.js';
import type { Regularizer } from './regularizers.js';

/** A shape whose unknown dimensions (the batch) are null. */
export type SymbolicShape = (number | null)[];

export interface CallContext {
  /** Training mode: dropout and other noise layers are active. */
  training: boolean;
  /** The training step, from which per-step randomness (dropout masks) is derived. */
  step: number;
}

export interface LayerArgs {
  name?: string;
  /** The shape of one example (without the batch dimension); only for the first layer. */
  inputShape?: number[];
  /** Shorthand for inputShape [inputDim]. */
  inputDim?: number;
  trainable?: boolean;
}

export interface LayerWeight {
  variable: Variable;
  regularizer?: Regularizer;
  /** State that no gradient or optimizer touches (BatchNormalization's moving statistics). */
  nonTrainable?: true;
}

/**
 * Keras's default layer name from a class name (its to_snake_case): Dense -> dense, Conv2D ->
 * conv2d, MaxPooling2D -> max_pooling2d, SimpleRNN -> simple_rnn.
 */
export function snakeCase(name: string): string {
  return name.replace(/\W+/g, '').replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

const standaloneCounts = new Map<string, number>();

/** Forgets the standalone layer names handed out (verbatim doctor's second pass). */
export function resetLayerNames(): void {
  standaloneCounts.clear();
}

/** name, name_1, name_2, ... given the names already taken. */
export function uniqueName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  let i = 1;
  while (taken(`${base}_${i}`)) i++;
  return `${base}_${i}`;
}

export abstract class Layer {
  name: string | undefined;
  /** `<model>/<layer>`: the prefix of weight names and keys. Set when the layer joins a model. */
  path = '';
  trainable: boolean;
  built = false;
  readonly weights: LayerWeight[] = [];
  /** The per-example input shape declared with inputShape or inputDim. */
  readonly declaredInputShape: number[] | undefined;
  protected outputShapeCache: SymbolicShape | undefined;

  constructor(readonly className: string, args: LayerArgs = {}) {
    this.name = args.name;
    this.trainable = args.trainable ?? true;
    if (args.inputShape !== undefined && args.inputDim !== undefined) {
      throw invalid(className, 'Expected inputShape or inputDim, not both', { inputShape: args.inputShape, inputDim: args.inputDim });
    }
    const shape = args.inputShape ?? (args.inputDim !== undefined ? [args.inputDim] : undefined);
    if (shape !== undefined && (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0))) {
      throw invalid(className, 'Expected inputShape to be an array of positive integers (one example, no batch dimension)', { inputShape: shape });
    }
    this.declaredInputShape = shape;
  }

  /** Creates the weights for inputs of this shape (batch dimension first, null). */
  build(_inputShape: SymbolicShape): void {
    this.built = true;
  }

  abstract computeOutputShape(inputShape: SymbolicShape): SymbolicShape;

  abstract call(x: Tensor, context: CallContext): Tensor;

  /** The layer's options, for summaries and run records. */
  abstract getConfig(): Record<string, unknown>;

  /** A weight named `<path>/<name>`; trainable false makes it state the layer assigns itself. */
  protected addWeight(name: string, shape: number[], initializer: Initializer, regularizer?: Regularizer, trainable = true): Variable {
    const path = `${this.path}/${name}`;
    const values = initializer.values(shape, keyFor(path));
    const variable = ENGINE.tidy(() => ENGINE.makeVariable(ENGINE.makeTensor(values, shape, 'float32'), this.trainable && trainable, path));
    this.weights.push({ variable, ...(regularizer ? { regularizer } : {}), ...(trainable ? {} : { nonTrainable: true as const }) });
    return variable;
  }

  /** Ensures a name and path for use outside a model (dense, dense_1, ... per process). */
  ensureStandaloneName(): void {
    if (this.path) return;
    if (!this.name) {
      const base = snakeCase(this.className);
      const n = standaloneCounts.get(base) ?? 0;
      standaloneCounts.set(base, n + 1);
      this.name = n === 0 ? base : `${base}_${n}`;
    }
    this.path = this.name;
  }

  /** Runs the layer on x (building it on first use), in inference mode unless told otherwise. */
  apply(x: Tensor, context: Partial<CallContext> = {}): Tensor {
    this.ensureStandaloneName();
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return this.call(x, { training: context.training ?? false, step: context.step ?? 0 });
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? this.weights.filter((w) => !w.nonTrainable).map((w) => w.variable) : [];
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.variable.size, 0);
  }

  regularizationLosses(): Tensor[] {
    return this.weights.flatMap((w) => (w.regularizer ? [w.regularizer.penalty(w.variable)] : []));
  }

  dispose(): void {
    for (const w of this.weights) w.variable.dispose();
    this.weights.length = 0;
    this.built = false;
  }
}
