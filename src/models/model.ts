/**
 * LayersModel: a graph of layers that owns compile, fit, evaluate, predict and the weights (TF.js's
 * tf.LayersModel, Keras's Model). vb.model({inputs, outputs}) makes one from symbolic tensors;
 * Sequential is a LayersModel whose graph is the chain of its added layers. Models are named
 * uniquely in the process in creation order per kind (functional, functional_1, ...; sequential,
 * ...), layers uniquely within their model, and weights `<model>/<layer>/<weight>`.
 */
import type { Dataset, Element } from '../data/dataset.js';
import { ENGINE } from '../engine/engine.js';
import { ValueError, invalid, refuseUnknownOptions } from '../errors.js';
import { Layer, SymbolicTensor, assignWeights, holdsVariables, isSymbolic, type CallContext, type InputMasks, type SymbolicShape } from '../layers/layer.js';
import * as ops from '../ops/index.js';
import type { Optimizer } from '../optimizers/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { WeightLayout, weightsDigest } from './weight-digest.js';
import { exclusiveFit } from './fit-options.js';
import { argName, compileOutputs, namedMetrics, tensorList, type Compiled, type CompileArgs, type Data } from './arguments.js';
import { tfjsMetricsNames } from './tfjs-logs.js';
import type { History } from './callbacks.js';
import { notify, observed } from './observers.js';
import { printSummary } from './summary.js';
import { Graph } from './topology.js';
import { checkWholeBatches, statefulLayers } from './stateful.js';
import { nextModelName } from './model-names.js';
import type { IOHandler, ModelSerializer, SaveConfig, SaveResult } from '../io/types.js';
import { callModel, datasetEvaluation, evaluateBatches, fitDatasetBatches, fitTensors, trainStep, type FitArgs } from './training.js';
import {
  batchRecord, checkInputShapes, checkPair, disposingPairs, rowBatches, type Batch, type ModelOutputs, type ToBatch, type TrainableModel,
} from './batches.js';

/** Saving and toJSON live in src/io (which imports the models); it registers itself here. */
let serializer: ModelSerializer | undefined;

export function registerModelSerializer(value: ModelSerializer): void {
  serializer = value;
}

function serializerOrThrow(context: string): ModelSerializer {
  if (!serializer) throw invalid(context, "Expected verbatim's io module loaded (import from 'verbatim', not from its models alone)", { serializer });
  return serializer;
}

function isDataset(value: unknown): value is Dataset<Element> {
  return value !== null && typeof value === 'object' && typeof (value as Dataset<Element>).iterator === 'function'
    && typeof (value as Dataset<Element>).batch === 'function';
}

export interface ModelArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/** How Sequential constructs its base: its graph comes from add(). */
export interface ChainArgs {
  name?: string;
  chain: true;
}

export class LayersModel implements TrainableModel {
  readonly name: string;
  stopTraining = false;
  protected compiled: Compiled | undefined;
  /** What compile was given (saved as the training config by model.save with includeOptimizer). */
  compileArgs: CompileArgs | undefined;
  private readonly graphValue: Graph | undefined;
  private layerView: ModelLayer | undefined;
  private trainableFlag = true;

  constructor(args: ModelArgs | ChainArgs) {
    if (!args || typeof args !== 'object') throw invalid('model', 'Expected {inputs, outputs, name?}', { args });
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '' || args.name.includes('/'))) {
      throw invalid('model', "Expected name to be a non-empty string without '/'", { name: args.name });
    }
    // Its weights would take another live model's names: checked before any layer joins it, so they stay free for another model.
    if (args.name !== undefined && holdsVariables(args.name)) throw invalid('model', 'Expected a name no live model, layer or variable holds weights under (dispose it, or call vb.disposeVariables())', { name: args.name });
    const chain = 'chain' in args && args.chain;
    this.name = args.name ?? nextModelName(chain ? 'sequential' : 'functional');
    if (chain) return;
    const { inputs, outputs } = args as ModelArgs;
    if (inputs === undefined || outputs === undefined) throw invalid('model', 'Expected {inputs, outputs}', { inputs, outputs });
    const list = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);
    if (list(inputs).length === 0 || list(outputs).length === 0) throw invalid('model', 'Expected at least one input and one output', { inputs, outputs });
    this.graphValue = new Graph(list(inputs), list(outputs), `model (${this.name})`);
    this.graphValue.adopt(this.name, `model (${this.name})`);
  }

  /** 'Functional' or 'Sequential' (Keras's class names). */
  get className(): string {
    return 'Functional';
  }

  /** The graph, once the model knows its input shapes. */
  protected currentGraph(): Graph | undefined {
    return this.graphValue;
  }

  protected graphOrThrow(context: string): Graph {
    const graph = this.currentGraph();
    if (!graph) throw invalid(context, 'Expected a built model (give the first layer an inputShape, or fit it first)', { model: this.name });
    return graph;
  }

  get layers(): Layer[] {
    return this.currentGraph()?.layers ?? [];
  }

  get inputs(): SymbolicTensor[] {
    return [...this.graphOrThrow(`${this.name}.inputs`).inputs];
  }

  get outputs(): SymbolicTensor[] {
    return [...this.graphOrThrow(`${this.name}.outputs`).outputs];
  }

  /** TF.js's model.outputShape: the output's shape, batch first (null), or a list with several outputs. */
  get outputShape(): SymbolicShape | SymbolicShape[] {
    const shapes = this.graphOrThrow(`${this.name}.outputShape`).outputs.map((t) => t.shape);
    return shapes.length === 1 ? shapes[0]! : shapes;
  }

  /** The input layers' names, in input order (TF.js's and Keras's property). */
  get inputNames(): string[] {
    return this.graphOrThrow(this.name).inputNames();
  }

  /** The outputs' names (their layers' names, made unique), in output order (TF.js's and Keras's property). */
  get outputNames(): string[] {
    return this.graphOrThrow(this.name).outputNames();
  }

  /** A functional model is built when it is made; Sequential builds on its first data. */
  ensureBuilt(_inputShapes: SymbolicShape[], context: string): void {
    this.graphOrThrow(context);
  }

  expectedInputShapes(): SymbolicShape[] | undefined {
    return this.currentGraph()?.inputShapes();
  }

  /** The output shapes for these input shapes (batch first, null). */
  outputShapesFor(_inputShapes: SymbolicShape[]): SymbolicShape[] {
    return this.outputs.map((t) => t.shape);
  }

  /** The layer of this name or index in `layers` (TF.js's getLayer(name?, index?) too). */
  getLayer(nameOrIndex?: string | number, index?: number): Layer {
    const layers = this.layers;
    const key = nameOrIndex ?? index;
    const layer = typeof key === 'number' ? layers[key] : layers.find((l) => l.name === key);
    if (!layer) throw invalid(`${this.name}.getLayer`, `Expected the name or index of a layer of the model (${layers.map((l) => l.name).join(', ')})`, { layer: key });
    return layer;
  }

  /** Whether fit trains the model's layers; setting it sets every layer's (Keras, TF.js). Takes effect at the next compile. */
  get trainable(): boolean {
    return this.layerView?.trainable ?? this.trainableFlag;
  }

  set trainable(value: boolean) {
    this.trainableFlag = value;
    if (this.layerView) this.layerView.trainable = value;
    else for (const layer of this.layers) layer.trainable = value;
  }

  get nonTrainableWeights(): Variable[] {
    const trainable = new Set(this.trainableWeights);
    return this.weights.filter((v) => !trainable.has(v));
  }

  /** Every weight once, in layer order (kernel, bias, ...). */
  get weights(): Variable[] {
    return [...new Set(this.layers.flatMap((l) => l.weights.map((w) => w.variable)))];
  }

  get trainableWeights(): Variable[] {
    return [...new Set(this.layers.flatMap((l) => l.trainableWeights))];
  }

  /** Keras's Model.call: one tensor for one input (output), a list in order for several. */
  call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const outputs = this.graphOrThrow('call').run(Array.isArray(x) ? x : [x], context);
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  /** call, with the mask each output carries; `inputMasks`: the masks the inputs carry (none by default). */
  callWithMasks(xs: readonly Tensor[], context: CallContext, inputMasks?: readonly (Tensor | undefined)[]): ModelOutputs {
    return this.graphOrThrow('call').runWithMasks(xs, context, inputMasks);
  }

  regularizationLosses(): Tensor[] {
    return this.layers.flatMap((l) => l.regularizationLosses());
  }

  /**
   * On symbolic tensors: the model as one layer of a larger graph (its weights are shared and keep
   * their names). On real tensors: its outputs in inference mode.
   */
  apply(x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor | SymbolicTensor[];
  apply(x: Tensor | Tensor[]): Tensor | Tensor[];
  apply(x: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[]): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    if (isSymbolic(x)) return this.asLayer().applySymbolic(x);
    return this.asLayer().apply(x as Tensor | Tensor[]);
  }

  /** Whether this model is a layer of another model (added to one, or applied in a functional graph). */
  protected usedAsLayer(): boolean {
    return this.layerView !== undefined && (this.layerView.path !== '' || this.layerView.inboundNodes.length > 0);
  }

  /** The one layer that stands for this model inside other models (so it is shared, not copied). */
  asLayer(): ModelLayer {
    if (!this.layerView) {
      this.layerView = new ModelLayer(this);
      // A model frozen before it became a layer stays frozen as one.
      if (!this.trainableFlag) this.layerView.trainable = false;
    }
    return this.layerView;
  }

  compile(args: CompileArgs): void {
    const context = `${this.name}.compile`;
    if (!args || typeof args !== 'object') throw invalid(context, 'Expected {optimizer, loss, metrics?}', { args });
    // Keras's weightedMetrics, runEagerly, ... would be dropped silently.
    refuseUnknownOptions(context, args, ['optimizer', 'loss', 'lossWeights', 'metrics']);
    const compiled = compileOutputs(args, this.compileNames(context), context);
    if (this.currentGraph()) compiled.trainableWeights = this.trainableWeights;
    this.compiled?.optimizer.dispose();
    this.compiled = compiled;
    this.compileArgs = args;
  }

  /** The output names to compile for (a Sequential may not know its graph yet). */
  protected compileNames(context: string): string[] {
    return this.graphOrThrow(context).outputNames();
  }

  compiledOrThrow(context: string): Compiled {
    if (!this.compiled) {
      throw new ValueError(`${context}: Expected a compiled model; call model.compile({optimizer, loss}) first. Received: model ${this.name}, not compiled`);
    }
    return this.compiled;
  }

  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /** What evaluate's list holds, by TF.js's names (`acc` for 'accuracy'); undefined before compile, as in TF.js. */
  get metricsNames(): string[] | undefined {
    return this.compiled && tfjsMetricsNames(this.compiled);
  }

  /** fit's data as tensor lists in the model's input and output order. */
  private batchOf(context: string): ToBatch {
    return (x, y, names) => {
      const xs = tensorList(x, this.inputNames, names[0], context);
      try {
        const ys = tensorList(y, this.outputNames, names[1], context);
        return { batch: [xs.tensors, ys.tensors], converted: [...xs.converted, ...ys.converted] };
      } catch (e) {
        for (const t of xs.converted) t.dispose();
        throw e;
      }
    };
  }

  /** Runs fn on the data as tensor lists, disposing the tensors converted from arrays. */
  private withData<T>(x: unknown, y: unknown, context: string, fn: (batch: Batch) => T): T {
    const { batch, converted } = this.batchOf(context)(x, y, ['x', 'y']);
    let result: T | undefined;
    try {
      result = fn(batch);
      return result;
    } finally {
      if (result instanceof Promise) void result.finally(() => converted.forEach((t) => t.dispose())).catch(() => undefined);
      else for (const t of converted) t.dispose();
    }
  }

  /**
   * Trains for a number of epochs on tensors, or on a dataset of [x, y] batches. x and y are a
   * tensor each, lists in input (output) order, or records by input (output) name.
   */
  async fit(x: Data | Dataset<Element>, y?: Data | FitArgs, args: FitArgs = {}): Promise<History> {
    if (isDataset(x)) return this.fitDataset(x, (y as FitArgs | undefined) ?? args);
    if (y === undefined) throw invalid('fit', 'Expected labels y', { y });
    return exclusiveFit(this, 'fit', () => this.withData(x, y, 'fit', ([xs, ys]) => fitTensors(this, xs, ys, args, this.batchOf('fit'))));
  }

  /**
   * Trains on a dataset whose elements are [x, y] or {xs, ys} batches. Each epoch is a pass of
   * the dataset, or with batchesPerEpoch the next batchesPerEpoch batches of one iterator that
   * goes on across epochs (TF.js); if it runs out, training stops with TF.js's warning.
   */
  async fitDataset(dataset: Dataset<Element>, args: FitArgs = {}): Promise<History> {
    return exclusiveFit(this, 'fitDataset', () => this.trainOnDataset(dataset, args));
  }

  private async trainOnDataset(dataset: Dataset<Element>, args: FitArgs): Promise<History> {
    if (!isDataset(dataset)) throw invalid('fitDataset', 'Expected a Dataset', { dataset });
    return fitDatasetBatches(this, dataset, args, this.batchOf('fitDataset'));
  }

  /** One step on one batch: the loss, or [loss, per-output losses..., metrics...] when there are more. */
  async trainOnBatch(x: Data, y: Data): Promise<number | number[]> {
    const context = 'trainOnBatch';
    return this.withData(x, y, context, ([xs, ys]) => {
      checkPair(this, xs, ys, context);
      const compiled = this.compiledOrThrow(context);
      for (const [, metric] of namedMetrics(compiled)) metric.reset();
      const { loss, outputLosses } = trainStep(this, xs, ys);
      const values = [loss, ...outputLosses, ...namedMetrics(compiled).map(([, m]) => m.result())];
      return values.length === 1 ? loss : values;
    });
  }

  /** Loss (and per-output losses and metrics) in inference mode: a scalar, or a list of scalars (TF.js). */
  evaluate(x: Data, y: Data, args: { batchSize?: number; verbose?: number } = {}): Tensor | Tensor[] {
    const context = 'evaluate';
    refuseUnknownOptions(context, args, ['batchSize', 'verbose']);
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(context, 'Expected batchSize to be a positive integer', { batchSize });
    return this.withData(x, y, context, ([xs, ys]) => {
      checkPair(this, xs, ys, context);
      this.compiledOrThrow(context);
      checkWholeBatches(this, xs[0]!.shape[0]!, batchSize, context, 'examples');
      const logs = evaluateBatches(this, disposingPairs(xs, ys, batchSize));
      notify('evaluate', { model: this, kind: context, data: batchRecord(xs, ys), batchSizes: [batchSize], results: logs });
      const values = Object.values(logs).map((v) => ops.scalar(v));
      return values.length === 1 ? values[0]! : values;
    });
  }

  /**
   * evaluate on a dataset of [x, y] or {xs, ys} batches (TF.js's evaluateDataset): its first
   * `batches` batches, or all of it; a scalar, or a list of scalars.
   */
  async evaluateDataset(dataset: Dataset<Element>, args: { batches?: number; verbose?: number } = {}): Promise<Tensor | Tensor[]> {
    const context = 'evaluateDataset';
    if (!isDataset(dataset)) throw invalid(context, 'Expected a Dataset', { dataset });
    refuseUnknownOptions(context, args, ['batches', 'verbose']);
    this.compiledOrThrow(context);
    const logs = await datasetEvaluation(this, dataset, args.batches, this.batchOf(context), context, { dataset: 'dataset', batches: 'batches' }, (batches, results) => {
      // Only a recorded run reads the batches: concatenated per input, they are fingerprinted as evaluate's tensors are.
      if (!observed('evaluate')) return;
      const [first] = batches;
      const data = first ? ENGINE.tidy(() => batchRecord(
        first[0].map((_, i) => ops.concat(batches.map(([xs]) => xs[i]!), 0)),
        first[1].map((_, i) => ops.concat(batches.map(([, ys]) => ys[i]!), 0)),
      )) : {};
      try {
        // The batches' sizes too: how the data was split decides the sums' order, so the results' bits.
        notify('evaluate', { model: this, kind: context, data, batchSizes: batches.map(([xs]) => xs[0]?.shape[0] ?? 0), results });
      } finally {
        for (const t of Object.values(data)) t.dispose();
      }
    })();
    const values = Object.values(logs).map((v) => ops.scalar(v));
    return values.length === 1 ? values[0]! : values;
  }

  /** Outputs in inference mode, computed batchSize rows at a time: a tensor, or a list with several outputs. */
  predict(x: Data, args: { batchSize?: number; verbose?: boolean } = {}): Tensor | Tensor[] {
    const context = 'predict';
    refuseUnknownOptions(context, args, ['batchSize', 'verbose']);
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(context, 'Expected batchSize to be a positive integer', { batchSize });
    return this.predictRows(x, batchSize, context);
  }

  /** predict on all of x as one batch (TF.js's predictOnBatch). */
  predictOnBatch(x: Data): Tensor | Tensor[] {
    return this.predictRows(x, Infinity, 'predictOnBatch');
  }

  private predictRows(x: Data, batchSize: number, context: string): Tensor | Tensor[] {
    const { tensors: xs, converted } = tensorList(x, this.inputNames, 'x', context);
    try {
      this.ensureBuilt(xs.map((t) => [null, ...t.shape.slice(1)]), context);
      checkInputShapes(this, xs, context);
      const n = xs[0]!.shape[0];
      if (n === 0) throw invalid(context, 'Expected at least one example', { [xs.length === 1 ? 'x.shape' : 'x[0].shape']: xs[0]!.shape });
      xs.forEach((t, i) => {
        if (t.shape[0] !== n) throw invalid(context, 'Expected every input with the same number of examples', { [`x[${i}].shape`]: t.shape, 'x[0].shape': xs[0]!.shape });
      });
      checkWholeBatches(this, n!, batchSize, context, 'examples');
      const outputs = ENGINE.tidy(() => {
        const perBatch = [...rowBatches(xs, Math.min(batchSize, n))].map((batch) => callModel(this, batch, { training: false, step: 0 }));
        return perBatch[0]!.map((_, o) => (perBatch.length === 1 ? perBatch[0]![o]! : ops.concat(perBatch.map((b) => b[o]!), 0)));
      });
      notify('predict', { model: this, data: batchRecord(xs, []), outputs });
      return outputs.length === 1 ? outputs[0]! : outputs;
    } finally {
      for (const t of converted) t.dispose();
    }
  }

  /** Copies of the weights' values, in layer order (kernel, bias, ...). */
  getWeights(trainableOnly = false): Tensor[] {
    return (trainableOnly ? this.trainableWeights : this.weights).map((w) => ops.tensor(w.dataSync(), w.shape, w.dtype));
  }

  setWeights(weights: readonly Tensor[]): void {
    assignWeights(`${this.name}.setWeights`, this.weights, weights);
  }

  getWeightValues(): Float32Array[] {
    return this.weights.map((w) => w.dataSync() as Float32Array);
  }

  setWeightValues(values: readonly Float32Array[]): void {
    this.weights.forEach((w, i) => ENGINE.tidy(() => w.assign(ENGINE.makeTensor(values[i]!, w.shape, 'float32'))));
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.size, 0);
  }

  /** SHA-256 (hex) of every weight in order (src/models/weight-digest.ts): equal digests mean bitwise-equal models. */
  weightsDigest(): string {
    return weightsDigest(this.weights);
  }

  /** One digest per layer (same encoding), to locate where two models differ. */
  layerDigests(): Record<string, string> {
    return Object.fromEntries(this.layers.map((l) => [l.name!, weightsDigest(l.weights.map((w) => w.variable))]));
  }

  private layout: WeightLayout | undefined;

  /**
   * Where the weights sit in the bytes the model's digest hashes, kept while the layers and their
   * weights stay the same: the run recorder captures the weights and their digest every epoch.
   */
  weightLayout(): WeightLayout {
    const layers = this.layers;
    if (!this.layout?.matches(layers)) this.layout = new WeightLayout(layers);
    return this.layout;
  }

  /** A Keras-style table of layers, output shapes, parameter counts and (functional) connections. */
  summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    const graph = this.graphOrThrow(`${this.name}.summary`);
    const producers = (layer: Layer) => graph.nodes.filter((n) => n.layer === layer);
    const rows = this.layers.map((layer) => {
      const nodes = producers(layer);
      const connections = nodes.flatMap((node) => node.inputs.map((t) => {
        const index = producers(t.node.layer).indexOf(t.node);
        return `${t.node.layer.name}[${index}][${t.outputIndex}]`;
      }));
      return { layer, shape: nodes[0]?.outputs.map((t) => t.shape) ?? [], connections };
    });
    printSummary(this, rows, this.trainableWeights.reduce((n, w) => n + w.size, 0), true, { lineLength, positions, printFn });
  }

  /** The architecture and training configuration, for run records. */
  getConfig(): Record<string, unknown> {
    const graph = this.graphOrThrow(`${this.name}.getConfig`);
    const ref = (t: SymbolicTensor) => [t.node.layer.name, graph.nodes.filter((n) => n.layer === t.node.layer).indexOf(t.node), t.outputIndex];
    return {
      name: this.name,
      className: this.className,
      layers: this.layers.map((l) => ({
        className: l.className, name: l.name, config: l.getConfig(),
        inboundNodes: graph.nodes.filter((n) => n.layer === l && n.inputs.length > 0).map((n) => n.inputs.map(ref)),
      })),
      inputLayers: graph.inputs.map(ref),
      outputLayers: graph.outputs.map(ref),
      ...this.trainingConfig(),
    };
  }

  /**
   * Saves the model in TF.js's format (model.json topology and weights) to a handler or a URL:
   * 'file://dir' (Node), 'localstorage://name', 'indexeddb://name' (browsers). See README.md.
   */
  save(handlerOrUrl: IOHandler | string, config?: SaveConfig): Promise<SaveResult> {
    return serializerOrThrow(`${this.name}.save`).save(this, handlerOrUrl, config);
  }

  /** The topology as TF.js's model.json has it: a JSON string, or the object with returnString false (TF.js). */
  toJSON(_unused?: unknown, returnString = true): string | Record<string, unknown> {
    const json = serializerOrThrow(`${this.name}.toJSON`).toJSON(this);
    return returnString ? JSON.stringify(json) : json;
  }

  protected trainingConfig(): Record<string, unknown> {
    const outputs = this.compiled?.outputs;
    const one = outputs?.length === 1;
    return {
      optimizer: this.compiled?.optimizer.getConfig() ?? null,
      loss: outputs ? (one ? outputs[0]!.loss.name : Object.fromEntries(outputs.map((o) => [o.name, o.loss.name]))) : null,
      ...(outputs?.some((o) => o.weight !== undefined) ? { lossWeights: Object.fromEntries(outputs.map((o) => [o.name, o.weight ?? 1])) } : {}),
      metrics: outputs ? namedMetrics(this.compiled!).map(([name]) => name) : [],
    };
  }

  /** TF.js's resetStates: every stateful recurrent layer starts its next batch from zeros. */
  resetStates(): void {
    for (const layer of statefulLayers(this)) layer.resetStates();
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    this.compiled?.optimizer.dispose();
  }
}

/**
 * A model standing as one layer of a larger model: it runs the model's graph, and its weights
 * are the model's own variables, so they keep their names (`<inner model>/<layer>/<weight>`).
 */
export class ModelLayer extends Layer {
  override readonly takesInputList = true;
  // The masks its inputs carry go to the model's inputs, each to its own (Keras 3's Functional.call
  // takes them; TF.js's Container runs its graph with them), and its outputs carry what the
  // model's layers give them: an embedding with maskZero inside an encoder masks the layers after it.
  override supportsMasking = true;
  override masksPerInput = true;
  constructor(readonly model: LayersModel) {
    super(model.className, { name: model.name });
    this.built = model.expectedInputShapes() !== undefined;
    if (this.built) this.weights.push(...model.layers.flatMap((l) => l.weights));
  }

  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    this.model.ensureBuilt(this.inputShapes(inputShape), `${this.model.name}.build`);
    this.weights.length = 0;
    this.weights.push(...this.model.layers.flatMap((l) => l.weights));
    this.built = true;
  }

  /**
   * The shapes of a call's inputs, checked against the model's inputs (as Keras checks them when
   * the model is applied): one per input, each dimension the model knows equal.
   */
  private inputShapes(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
    const shapes = (inputShape.length > 0 && Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as SymbolicShape[];
    const expected = this.model.expectedInputShapes();
    if (!expected) return shapes;
    const context = `${this.model.name}.apply`;
    if (shapes.length !== expected.length) throw invalid(context, `Expected ${expected.length === 1 ? 'one input tensor' : `${expected.length} input tensors`} (${this.model.inputNames.join(', ')})`, { inputs: shapes.length });
    shapes.forEach((shape, i) => {
      const want = expected[i]!;
      if (shape.length !== want.length || shape.some((d, k) => d !== null && want[k] !== null && d !== want[k])) {
        const name = argName('inputs', i, shapes.length);
        throw invalid(context, `Expected ${name} of shape ${JSON.stringify(want)} (the model's input shape, batch first)`, { [`${name}.shape`]: shape });
      }
    });
    return shapes;
  }

  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const outputs = this.model.outputShapesFor(this.inputShapes(inputShape));
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    return this.callWithOutputMasks(x, context).output;
  }

  override callWithOutputMasks(x: Tensor | Tensor[], context: CallContext): { output: Tensor | Tensor[]; masks: (Tensor | undefined)[] } {
    this.inputShapes(Array.isArray(x) ? x.map((t) => [...t.shape]) : [...x.shape]);
    const { mask, inputMasks, ...rest } = context;
    const { outputs, masks } = this.model.callWithMasks(Array.isArray(x) ? x : [x], rest, inputMasks ?? [mask]);
    return { output: outputs.length === 1 ? outputs[0]! : outputs, masks };
  }

  /** The mask of the model's first output for this input and mask (the model runs, as TF.js's Container computes it). */
  override computeMask(x: Tensor | Tensor[], mask: Tensor | InputMasks | undefined): Tensor | undefined {
    // In a tidy scope: the run's outputs and every tensor its layers made on the way go, only the mask stays.
    return ENGINE.tidy(() => this.callWithOutputMasks(x, { training: false, step: 0, ...(Array.isArray(mask) ? { inputMasks: mask } : { mask }) }).masks[0]);
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? this.model.trainableWeights : [];
  }

  override get trainable(): boolean {
    return super.trainable;
  }

  /** Freezing the model as a layer freezes its layers (Keras). */
  override set trainable(value: boolean) {
    super.trainable = value;
    // The base constructor sets trainable before `model` is assigned.
    if (this.model) for (const layer of this.model.layers) layer.trainable = value;
  }

  getConfig(): Record<string, unknown> {
    return this.model.getConfig();
  }

  override dispose(): void {
    this.model.dispose();
    this.weights.length = 0;
    this.built = false;
  }
}

export function model(args: ModelArgs): LayersModel {
  return new LayersModel(args);
}
