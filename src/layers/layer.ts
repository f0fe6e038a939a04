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
  /**
   * The mask the input carries (bool, e.g. [batch, time] from an embedding with maskZero), given
   * only to layers with supportsMasking; see src/layers/masking.ts.
   */
  mask?: Tensor;
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
}

/** Converts camelCase class names to Keras's snake_case default layer names (Dense -> dense). */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
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
  /** Keras's supports_masking: the layer receives the input's mask and passes one on (computeMask). */
  supportsMasking = false;

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

  /** The mask of the output, given the input and its mask (Keras's compute_mask): by default the input's. */
  computeMask(_input: Tensor, mask: Tensor | undefined): Tensor | undefined {
    return mask;
  }

  abstract call(x: Tensor, context: CallContext): Tensor;

  /** The layer's options, for summaries and run records. */
  abstract getConfig(): Record<string, unknown>;

  protected addWeight(name: string, shape: number[], initializer: Initializer, regularizer?: Regularizer): Variable {
    const path = `${this.path}/${name}`;
    const values = initializer.values(shape, keyFor(path));
    const variable = ENGINE.tidy(() => ENGINE.makeVariable(ENGINE.makeTensor(values, shape, 'float32'), this.trainable, path));
    this.weights.push({ variable, ...(regularizer ? { regularizer } : {}) });
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
    return this.call(x, this.prepareToApply(x, context));
  }

  /** Names and builds the layer for x if needed; the full call context (a mask only if supported). */
  protected prepareToApply(x: Tensor, context: Partial<CallContext>): CallContext {
    this.ensureStandaloneName();
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    const mask = this.supportsMasking ? context.mask : undefined;
    return { training: context.training ?? false, step: context.step ?? 0, ...(mask ? { mask } : {}) };
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? this.weights.map((w) => w.variable) : [];
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
