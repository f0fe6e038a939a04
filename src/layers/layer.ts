/**
 * The layer base class. A layer's weights are variables named `<model>/<layer>/<weight>`; an
 * unseeded weight's initial values come from keyFor('<model>/<layer>/<weight>'), so they depend
 * on names alone and never on how many numbers anything else drew.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { keyFor, SeedScopedNames } from '../random/seed.js';
import type { Key } from '../random/keys.js';
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

/**
 * One application of a layer in a graph: the symbolic tensors it was called on and those it
 * returned. `asList` records whether the layer was called on a list (merge layers) or on one
 * tensor, so that the graph calls it the same way on real tensors.
 */
export class Node {
  readonly outputs: SymbolicTensor[] = [];

  constructor(readonly layer: Layer, readonly inputs: readonly SymbolicTensor[], readonly asList: boolean) {}
}

/**
 * A placeholder for a tensor in a graph of layers (Keras's KerasTensor): a shape whose batch
 * dimension is null, a dtype, and the node that produces it. It holds no values.
 */
export class SymbolicTensor {
  constructor(
    readonly shape: SymbolicShape, readonly dtype: 'float32' | 'int32', readonly node: Node,
    /** Which of the node's outputs this is. */
    readonly outputIndex: number,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  /** The producing layer's name (and output index when it has several), for messages. */
  toString(): string {
    const name = this.node.layer.name ?? this.node.layer.className;
    return `SymbolicTensor(${name}${this.node.outputs.length > 1 ? `[${this.outputIndex}]` : ''}, shape=[${this.shape.map(String).join(', ')}])`;
  }
}

export function isSymbolic(x: unknown): x is SymbolicTensor | SymbolicTensor[] {
  return x instanceof SymbolicTensor || (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof SymbolicTensor));
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
const standaloneKeyNames = new SeedScopedNames();

/** The key name of each auto-named model or standalone layer (by its unique name), where it differs. */
const keyNames = new Map<string, string>();

/** Records the name that keys under `uniqueName` use (SeedScopedNames). */
export function setKeyName(uniqueName: string, keyName: string): void {
  if (keyName === uniqueName) keyNames.delete(uniqueName);
  else keyNames.set(uniqueName, keyName);
}

/** The name the keys under a model or standalone layer's unique name use (itself unless recorded). */
export function keyNameOf(uniqueName: string): string {
  return keyNames.get(uniqueName) ?? uniqueName;
}

/**
 * The key of a layer path `<model>/<layer>/...`: keyFor of the path with the model's key name
 * in place of its unique name (the same path for named models).
 */
export function keyForPath(path: string): Key {
  const slash = path.indexOf('/');
  const head = slash < 0 ? path : path.slice(0, slash);
  const keyName = keyNames.get(head);
  return keyFor(keyName === undefined ? path : keyName + path.slice(head.length));
}

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

/**
 * While src/io rebuilds a model from files, the weights' values are about to be replaced by the
 * files': they are made as zeros, nothing is drawn, and at most the files' element count is made
 * in all, so a hostile config cannot allocate more than the file holds.
 */
let loadBudget: { remaining: number } | undefined;

export function withLoadBudget<T>(elements: number, fn: () => T): T {
  const previous = loadBudget;
  loadBudget = { remaining: elements };
  try {
    return fn();
  } finally {
    loadBudget = previous;
  }
}

function budgetedZeros(shape: readonly number[], path: string): Float32Array {
  const budget = loadBudget!;
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw invalid(path, 'Expected a weight shape of non-negative integers', { shape });
    size *= d;
    if (size > budget.remaining) throw invalid(path, `Expected the model's weights to fit in the file's (${budget.remaining} elements left: a weight is missing from the file, or the config asks for larger ones)`, { shape });
  }
  budget.remaining -= size;
  return new Float32Array(size);
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

  /**
   * Creates the weights for inputs of this shape (batch dimension first, null); a layer called on
   * a list of tensors (merge layers) receives a list of shapes.
   */
  build(_inputShape: SymbolicShape | SymbolicShape[]): void {
    this.built = true;
  }

  /** Layers of one input take and return one shape; merge layers take a list. */
  abstract computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[];

  /** Layers of one input take one tensor (most layers); merge layers take a list. */
  abstract call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[];

  /** The mask of the output, given the input and its mask (Keras's compute_mask): by default the input's. */
  computeMask(_input: Tensor | Tensor[], mask: Tensor | undefined): Tensor | undefined {
    return mask;
  }

  /** The layer's options, for summaries and run records. */
  abstract getConfig(): Record<string, unknown>;

  /** A weight named `<path>/<name>`; trainable false makes it state the layer assigns itself. */
  protected addWeight(name: string, shape: number[], initializer: Initializer, regularizer?: Regularizer, trainable = true): Variable {
    const path = `${this.path}/${name}`;
    const values = loadBudget ? budgetedZeros(shape, path) : initializer.values(shape, keyForPath(path));
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
      setKeyName(this.name, standaloneKeyNames.next(base));
    }
    this.path = this.name;
  }

  /**
   * On real tensors: runs the layer (building it on first use), in inference mode unless told
   * otherwise. On symbolic tensors: records a node of the graph and returns its symbolic output;
   * the layer is named and built when a model is made from the graph (its weights' names and
   * keys need the model's name).
   */
  apply(x: SymbolicTensor | SymbolicTensor[], context?: Partial<CallContext>): SymbolicTensor;
  apply(x: Tensor | Tensor[], context?: Partial<CallContext>): Tensor;
  apply(x: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], context: Partial<CallContext> = {}): Tensor | SymbolicTensor {
    if (isSymbolic(x)) return this.applySymbolic(x) as SymbolicTensor;
    const list = Array.isArray(x);
    if (list ? x.some((t) => t instanceof SymbolicTensor) : x instanceof SymbolicTensor) {
      throw invalid(`${this.name ?? this.className}.apply`, 'Expected only symbolic tensors or only real tensors', { inputs: x });
    }
    const tensors = x as Tensor | Tensor[];
    return this.call(tensors, this.prepareToApply(tensors, context)) as Tensor;
  }

  /** Names and builds the layer for x if needed; the full call context (a mask only if supported). */
  protected prepareToApply(x: Tensor | Tensor[], context: Partial<CallContext>): CallContext {
    this.ensureStandaloneName();
    if (!this.built) this.build(Array.isArray(x) ? x.map((t) => [null, ...t.shape.slice(1)]) : [null, ...x.shape.slice(1)]);
    const mask = this.supportsMasking ? context.mask : undefined;
    return { training: context.training ?? false, step: context.step ?? 0, ...(mask ? { mask } : {}) };
  }

  /** Adds a node calling this layer on symbolic inputs; returns its output (or outputs). */
  applySymbolic(x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor | SymbolicTensor[] {
    const asList = Array.isArray(x);
    const inputs = asList ? x : [x];
    const shapes = this.computeOutputShape(asList ? inputs.map((t) => t.shape) : inputs[0]!.shape);
    const node = new Node(this, inputs, asList);
    const many = shapes.length > 0 && Array.isArray(shapes[0]);
    const outputShapes = (many ? shapes : [shapes]) as SymbolicShape[];
    for (const [i, shape] of outputShapes.entries()) node.outputs.push(new SymbolicTensor(shape, inputs[0]!.dtype, node, i));
    return many ? node.outputs : node.outputs[0]!;
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
