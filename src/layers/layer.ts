/**
 * The layer base class. A layer's weights are variables named `<model>/<layer>/<weight>`; an
 * unseeded weight's initial values come from keyFor('<model>/<layer>/<weight>'), so they depend
 * on names alone and never on how many numbers anything else drew.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { keyFor, SeedScopedNames } from '../random/seed.js';
import type { Key } from '../random/keys.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import { Tensor, type Variable } from '../tensor/tensor.js';
import { getConstraint, type Constraint, type ConstraintOption } from './constraints.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

/** A shape whose unknown dimensions (the batch) are null. */
export type SymbolicShape = (number | null)[];

/** The options layer.apply takes (CallContext's fields). */
const CALL_OPTIONS = ['training', 'step', 'mask'];

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
  /**
   * The mask each input of a list carries (undefined where it carries none), given instead of
   * `mask` to layers with masksPerInput called on a list (Keras passes them as a list).
   */
  inputMasks?: InputMasks;
  /**
   * Set by data-parallel training (src/models/data-parallel.ts): the call sees rows
   * [offset, offset + its batch) of a training batch of `total` examples, so that per-example
   * randomness (Dropout's mask) is that batch's, whichever micro-batch or worker computes the rows.
   */
  rows?: BatchRows;
  /**
   * Set by data-parallel training: a layer that normalizes with batch statistics
   * (BatchNormalization) gives them here, per call (a micro-batch), instead of updating its
   * moving statistics; the trainer combines them and updates once per step.
   */
  batchStatistics?: (movingMean: Variable, mean: Tensor, variance: Tensor) => void;
}

/** One mask per input of a list, undefined for an input that carries none. */
export type InputMasks = (Tensor | undefined)[];

/**
 * What layer.apply takes besides the inputs: CallContext's fields (a layer with masksPerInput
 * called on a list takes `mask` as a list, one per input), and for recurrent layers TF.js's initialState.
 */
export interface ApplyOptions extends Partial<Omit<CallContext, 'mask' | 'inputMasks'>> {
  mask?: Tensor | InputMasks;
  /** A recurrent layer's initial states (apply(x, {initialState}) is apply([x, ...initialState])); an error for other layers. */
  initialState?: readonly Tensor[] | readonly SymbolicTensor[];
}

/** Where a micro-batch's rows lie in their training batch. */
export interface BatchRows {
  offset: number;
  total: number;
}

/**
 * The index of a call's first draw in its batch's draws, for noise drawn `count` values for the
 * `batch` rows of the call (count / batch per row): 0 unless the call is a micro-batch (rows).
 */
export function firstDraw(rows: BatchRows | undefined, count: number, batch: number): number {
  return rows === undefined || batch === 0 ? 0 : rows.offset * (count / batch);
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
  /**
   * The shape of one example (without the batch dimension), null for a dimension that varies (a
   * sequence's length); only for the first layer.
   */
  inputShape?: (number | null)[];
  /** Shorthand for inputShape [inputDim]. */
  inputDim?: number;
  /** TF.js's [batch, ...inputShape]: its batch size is not kept (every batch size is accepted). */
  batchInputShape?: (number | null)[];
  /** TF.js's fixed batch size along inputShape: not kept, as batchInputShape's. */
  batchSize?: number;
  /** TF.js's layer dtype: layers compute in float32 ('int32' inputs are indices). */
  dtype?: 'float32' | 'int32';
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

/** Whether live variables are named under `<name>/`: a model (or standalone layer) of that name holds weights. */
export function holdsVariables(name: string): boolean {
  for (const v of ENGINE.variables.keys()) if (v.startsWith(`${name}/`)) return true;
  return false;
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

/** A layer class as TF.js names it: its static className, else its JS name. */
type LayerClass = { className?: string; name: string };

export abstract class Layer {
  readonly className: string;
  name: string | undefined;
  /** `<model>/<layer>`: the prefix of weight names and keys. Set when the layer joins a model. */
  path = '';
  private trainableValue = true;
  built = false;
  readonly weights: LayerWeight[] = [];
  /** The per-example input shape declared with inputShape or inputDim. */
  readonly declaredInputShape: (number | null)[] | undefined;
  protected outputShapeCache: SymbolicShape | undefined;
  /** Keras's supports_masking: the layer receives the input's mask and passes one on (computeMask). */
  supportsMasking = false;
  /**
   * Whether the layer ignores its inputs' masks without a warning, its output carrying none
   * (Keras's Dot: its inputs' time axes may differ, so their masks are never merged).
   */
  ignoresMasks = false;
  /**
   * Whether the layer, called on a list, receives each input's mask (context.inputMasks, and the
   * list in computeMask) rather than their logical and: Keras's Concatenate and MultiHeadAttention.
   */
  masksPerInput = false;
  /**
   * Whether the layer takes TF.js's `initialState` option (recurrent layers): apply(x,
   * {initialState}) is apply([x, ...initialState]), and the mask is the first input's.
   */
  takesInitialState = false;
  /**
   * Whether the layer takes a list of inputs (merge layers, attention, recurrent layers with their
   * initial state, models as layers, users' layers). Any other takes one tensor: a list of one is
   * that tensor (TF.js), a longer list an error (it would fail deep inside, or pass silently).
   */
  takesInputList = false;
  /**
   * How many of the layer's first outputs carry computeMask's mask in graphs: 1, or 2 for
   * Bidirectional's forward and backward sequences with mergeMode null (Keras, TF.js); states carry none.
   */
  get maskedOutputs(): number {
    return 1;
  }
  /**
   * For a layer whose outputs' masks come out of its call rather than from computeMask (a model
   * standing as a layer: its graph's outputs carry what its own layers gave them), the call with
   * one mask per output (undefined for none); src/layers/masking.ts calls it instead of call.
   */
  callWithOutputMasks?(input: Tensor | Tensor[], context: CallContext): { output: Tensor | Tensor[]; masks: InputMasks };
  /** The nodes that call this layer in graphs (TF.js's inboundNodes), for outputShape. */
  readonly inboundNodes: Node[] = [];

  /**
   * Built-in layers pass their class name and options; a user's subclass (TF.js's contract:
   * `class MyLayer extends vb.layers.Layer { constructor(config) { super(config); } ... }`) passes
   * only its config, and its class name is its static `className` (else its JS class name).
   */
  constructor(classNameOrConfig: string | LayerArgs = {}, args: LayerArgs = {}) {
    const custom = typeof classNameOrConfig !== 'string';
    const className = custom ? ((new.target as unknown as LayerClass).className ?? new.target.name) : classNameOrConfig;
    if (custom) args = classNameOrConfig ?? {};
    this.className = className;
    this.name = args.name;
    this.trainable = args.trainable ?? true;
    const given = (['inputShape', 'inputDim', 'batchInputShape'] as const).filter((k) => args[k] !== undefined);
    if (given.length > 1) {
      throw invalid(className, 'Expected one of inputShape, inputDim and batchInputShape', { [given[0]!]: args[given[0]!], [given[1]!]: args[given[1]!] });
    }
    if (args.batchInputShape !== undefined && (!Array.isArray(args.batchInputShape) || args.batchInputShape.length < 2)) {
      throw invalid(className, 'Expected batchInputShape to be [batch size or null, ...one example\'s shape]', { batchInputShape: args.batchInputShape });
    }
    const shape = args.inputShape ?? (args.inputDim !== undefined ? [args.inputDim] : args.batchInputShape?.slice(1));
    if (shape !== undefined && (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && d > 0)))) {
      throw invalid(className, 'Expected inputShape to be an array of positive integers or null (one example, no batch dimension)', { inputShape: shape });
    }
    this.declaredInputShape = shape;
    // TF.js marks a layer built after build() returns; a user's build need not set it.
    if (custom) {
      const build = this.build;
      this.build = (inputShape) => {
        build.call(this, inputShape);
        this.built = true;
      };
    }
  }

  /**
   * Whether fit trains the layer's weights (Keras: false makes every weight non-trainable, and
   * BatchNormalization runs in inference mode). A model's trainable weights are taken at compile.
   */
  get trainable(): boolean {
    return this.trainableValue;
  }

  set trainable(value: boolean) {
    this.trainableValue = value;
    for (const w of this.weights) w.variable.trainable = value && !w.nonTrainable;
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

  /** TF.js's hook that custom layers call at the start of call(); verbatim needs none. */
  invokeCallHook(_inputs: Tensor | Tensor[], _kwargs?: Partial<CallContext>): void {}

  /** The output shape of the layer's calls in graphs (TF.js and Keras), a list for several outputs. */
  get outputShape(): SymbolicShape | SymbolicShape[] {
    return this.ofOneNode('outputShape', (node) => node.outputs.map((t) => t.shape));
  }

  /** The input shape of the layer's calls in graphs, a list for several inputs. */
  get inputShape(): SymbolicShape | SymbolicShape[] {
    return this.ofOneNode('inputShape', (node) => node.inputs.map((t) => t.shape));
  }

  /** The symbolic output of the layer's call in a graph (TF.js's layer.output), a list for several. */
  get output(): SymbolicTensor | SymbolicTensor[] {
    return this.ofOneNode('output', (node) => node.outputs);
  }

  /** The symbolic input of the layer's call in a graph (TF.js's layer.input), a list for several. */
  get input(): SymbolicTensor | SymbolicTensor[] {
    return this.ofOneNode('input', (node) => [...node.inputs]);
  }

  /** TF.js's getClassName(): the class name that configs and saved models use. */
  getClassName(): string {
    return this.className;
  }

  /** What `of` gives for the layer's one node (its only call in graphs, or calls that agree), unwrapped when single. */
  private ofOneNode<T>(property: string, of: (node: Node) => T[]): T | T[] {
    const key = (node: Node) => JSON.stringify(of(node).map((t) => (t instanceof SymbolicTensor ? t.shape : t)));
    const context = `${this.name ?? this.className}.${property}`;
    if (this.inboundNodes.length === 0) throw invalid(context, 'Expected a layer called in a model (it has no nodes yet)', { layer: this.name ?? this.className });
    const distinct = [...new Set(this.inboundNodes.map(key))];
    if (property.endsWith('Shape') && distinct.length > 1) {
      throw invalid(context, `Expected one ${property.replace('Shape', ' shape')} (the layer is called on several)`, { shapes: distinct.join(' ') });
    }
    if (!property.endsWith('Shape') && this.inboundNodes.length > 1) {
      throw invalid(context, `Expected the layer to be called once (it has ${this.inboundNodes.length} nodes)`, { layer: this.name ?? this.className });
    }
    const values = of(this.inboundNodes[0]!);
    return values.length === 1 ? values[0]! : values;
  }

  /**
   * The mask of the output, given the input and its mask (Keras's compute_mask): by default the
   * input's; given each input's (masksPerInput), the first input's, as Keras gives its first output.
   */
  computeMask(_input: Tensor | Tensor[], mask: Tensor | InputMasks | undefined): Tensor | undefined {
    return Array.isArray(mask) ? mask[0] : mask;
  }

  /** The layer's options, for summaries and run records. */
  abstract getConfig(): Record<string, unknown>;

  /**
   * A weight named `<path>/<name>`, its unseeded values from keyFor of that path. Two forms:
   * verbatim's (name, shape, initializer, regularizer?, trainable?) and TF.js's (name, shape,
   * dtype?, initializer?, regularizer?, trainable?), initializer and regularizer given as objects
   * or names (default glorotUniform). trainable false makes it state the layer assigns itself.
   * A constraint (a name, a vb.constraints object or its config) is applied by optimizers after
   * each update of the weight.
   */
  protected addWeight(name: string, shape: number[], initializer: Initializer, regularizer?: Regularizer, trainable?: boolean, constraint?: Constraint): Variable;
  protected addWeight(
    name: string, shape: number[], dtype?: DType | null, initializer?: Initializer | InitializerIdentifier | string | null,
    regularizer?: Regularizer | 'l1' | 'l2' | 'l1l2' | null, trainable?: boolean | null, constraint?: ConstraintOption,
  ): Variable;
  protected addWeight(name: string, shape: number[], ...rest: unknown[]): Variable {
    const context = `${this.name ?? this.className}.addWeight`;
    const tfjsForm = rest[0] === undefined || rest[0] === null || DTYPES.includes(rest[0] as DType);
    const [dtype, initializerArg, regularizerArg, trainableArg, constraintArg] = tfjsForm ? rest : [undefined, ...rest];
    if (dtype !== undefined && dtype !== null && dtype !== 'float32') throw invalid(context, 'Expected dtype float32 (verbatim weights are float32)', { dtype });
    if (typeof name !== 'string' || name === '') throw invalid(context, 'Expected a non-empty weight name', { name });
    const constraint = getConstraint(constraintArg, context);
    constraint?.checkWeight(shape, context, name);
    const path = `${this.path}/${name}`;
    if (this.weights.some((w) => w.variable.name === path)) throw invalid(context, 'Expected weight names unique within the layer', { name });
    const initializer = getInitializer((initializerArg ?? undefined) as Initializer | string | undefined, 'glorotUniform', context);
    const regularizer = getRegularizer((regularizerArg ?? undefined) as Regularizer | 'l1' | undefined, context);
    const trainable = (trainableArg ?? true) as boolean;
    const values = loadBudget ? budgetedZeros(shape, path) : initializer.values(shape, keyForPath(path));
    const variable = ENGINE.tidy(() => ENGINE.makeVariable(ENGINE.makeTensor(values, shape, 'float32'), this.trainable && trainable, path));
    variable.constraint = constraint ?? null;
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
  apply(x: SymbolicTensor | SymbolicTensor[], context?: ApplyOptions): SymbolicTensor;
  apply(x: Tensor | Tensor[], context?: ApplyOptions): Tensor;
  apply(x: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], context: ApplyOptions = {}): Tensor | SymbolicTensor {
    // An option verbatim does not have (TF.js's initialState for recurrent layers) is an error, never silently ignored.
    const options = this.takesInitialState ? [...CALL_OPTIONS, 'initialState'] : CALL_OPTIONS;
    const unknown = Object.keys(context ?? {}).filter((k) => !options.includes(k));
    if (unknown.length > 0) throw invalid(`${this.name ?? this.className}.apply`, `Expected options among ${options.join(', ')}`, { option: unknown.join(', ') });
    const { initialState, ...rest } = context;
    if (initialState !== undefined) {
      if (!Array.isArray(initialState) || Array.isArray(x) || initialState.some((t) => !(t instanceof Tensor) && !(t instanceof SymbolicTensor))) {
        throw invalid(`${this.name ?? this.className}.apply`, 'Expected one input tensor and initialState a list of tensors', { initialState });
      }
      return this.apply([x, ...initialState] as Tensor[], rest);
    }
    if (Array.isArray(x) && !this.takesInputList) {
      if (x.length !== 1) {
        throw invalid(`${this.name ?? this.className}.apply`, `Expected one input tensor (${this.className} takes one; merge layers such as concatenate take a list)`, { inputs: `a list of ${x.length}` });
      }
      x = x[0]!;
    }
    if (isSymbolic(x)) return this.applySymbolic(x) as SymbolicTensor;
    if (Array.isArray(x) ? x.some((t) => t instanceof SymbolicTensor) : x instanceof SymbolicTensor) {
      throw invalid(`${this.name ?? this.className}.apply`, 'Expected only symbolic tensors or only real tensors', { inputs: x });
    }
    const tensors = x as Tensor | Tensor[];
    return this.call(tensors, this.prepareToApply(tensors, context)) as Tensor;
  }

  /** Names and builds the layer for x if needed; the full call context (a mask only if supported). */
  protected prepareToApply(x: Tensor | Tensor[], context: Omit<ApplyOptions, 'initialState'>): CallContext {
    this.ensureStandaloneName();
    if (!this.built) this.build(Array.isArray(x) ? x.map((t) => [null, ...t.shape.slice(1)]) : [null, ...x.shape.slice(1)]);
    const base = { training: context.training ?? false, step: context.step ?? 0 };
    const { mask } = context;
    if (!this.supportsMasking || mask === undefined || mask === null) return base;
    const where = `${this.name ?? this.className}.apply`;
    if (this.masksPerInput && Array.isArray(x)) {
      const list = Array.isArray(mask) ? mask.map((m) => m ?? undefined) : undefined;
      if (!list || list.length !== x.length || !list.every((m) => m === undefined || m instanceof Tensor)) {
        throw invalid(where, `Expected mask to be a list of ${x.length} masks, one per input (null for an input without one)`, { mask: Array.isArray(mask) ? `a list of ${mask.length}` : mask });
      }
      return { ...base, inputMasks: list };
    }
    if (!(mask instanceof Tensor)) throw invalid(where, 'Expected mask to be one tensor (the mask of the layer\'s input)', { mask: Array.isArray(mask) ? `a list of ${mask.length}` : mask });
    return { ...base, mask };
  }

  /** Adds a node calling this layer on symbolic inputs; returns its output (or outputs). */
  applySymbolic(x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor | SymbolicTensor[] {
    const asList = Array.isArray(x);
    const inputs = asList ? x : [x];
    const shapes = this.computeOutputShape(asList ? inputs.map((t) => t.shape) : inputs[0]!.shape);
    const node = new Node(this, inputs, asList);
    this.inboundNodes.push(node);
    const many = shapes.length > 0 && Array.isArray(shapes[0]);
    const outputShapes = (many ? shapes : [shapes]) as SymbolicShape[];
    for (const [i, shape] of outputShapes.entries()) node.outputs.push(new SymbolicTensor(shape, inputs[0]!.dtype, node, i));
    return many ? node.outputs : node.outputs[0]!;
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? this.weights.filter((w) => !w.nonTrainable).map((w) => w.variable) : [];
  }

  /** The weights fit does not train: the layer's state, or every weight of a frozen layer (Keras). */
  get nonTrainableWeights(): Variable[] {
    const trainable = new Set(this.trainableWeights);
    return this.weights.map((w) => w.variable).filter((v) => !trainable.has(v));
  }

  /** Copies of the weights' values in creation order (kernel, bias, ...), or only the trainable ones. */
  getWeights(trainableOnly = false): Tensor[] {
    const variables = trainableOnly ? this.trainableWeights : this.weights.map((w) => w.variable);
    return variables.map((v) => ENGINE.makeTensor(v.dataSync().slice(), v.shape, v.dtype));
  }

  /** Assigns the weights' values in creation order (one tensor each, of the weight's shape). */
  setWeights(weights: readonly Tensor[]): void {
    assignWeights(`${this.name ?? this.className}.setWeights`, this.weights.map((w) => w.variable), weights);
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

/** Assigns tensors to variables one by one, after checking the count and every shape. */
export function assignWeights(context: string, variables: readonly Variable[], weights: readonly Tensor[]): void {
  if (!Array.isArray(weights) || weights.length !== variables.length) {
    throw invalid(context, `Expected ${variables.length} tensors (${variables.map((w) => w.name).join(', ')})`, { 'weights.length': Array.isArray(weights) ? weights.length : weights });
  }
  variables.forEach((w, i) => {
    const value: Tensor = weights[i]!;
    if (value.rank !== w.rank || value.shape.some((d, k) => d !== w.shape[k])) {
      throw invalid(context, `Expected weights[${i}] (${w.name}) of shape ${JSON.stringify(w.shape)}`, { [`weights[${i}].shape`]: value.shape });
    }
    if (value.dtype === 'float32') w.assign(value);
    else ENGINE.tidy(() => w.assign(ENGINE.makeTensor(Float32Array.from(value.dataSync()), value.shape, 'float32')));
  });
}
