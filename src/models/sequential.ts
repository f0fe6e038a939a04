/**
 * The Sequential model. Models are named uniquely in the process in creation order (sequential,
 * sequential_1, ... as in Keras) and layers uniquely within their model (dense, dense_1, ...);
 * weights are named `<model>/<layer>/<weight>` and their unseeded initial values come from keys
 * of those names.
 */
import type { Dataset, Element } from '../data/dataset.js';
import { ENGINE } from '../engine/engine.js';
import { ValueError, invalid } from '../errors.js';
import { Layer, snakeCase, uniqueName, type CallContext, type SymbolicShape } from '../layers/layer.js';
import { callWithMask } from '../layers/masking.js';
import { getLoss, type Loss, type LossFn } from '../losses/index.js';
import { getMetric, type Metric, type MetricFn } from '../metrics/index.js';
import * as ops from '../ops/index.js';
import type { TensorLike } from '../ops/creation.js';
import { getOptimizer, type Optimizer } from '../optimizers/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { littleEndianBytes } from '../util/bytes.js';
import { Sha256 } from '../util/sha256.js';
import type { History } from './callbacks.js';
import { notify } from './observers.js';
import {
  checkInputShape, checkPair, datasetPairs, disposingPairs, evaluateBatches, fitTensors, rowBatches, runTraining, trainStep,
  validationFor, type Compiled, type FitArgs, type TrainableModel,
} from './training.js';

const modelCounts = new Map<string, number>();

/** Forgets the model names handed out (verbatim doctor's second pass in one process). */
export function resetModelNames(): void {
  modelCounts.clear();
}

function nextModelName(base: string): string {
  const n = modelCounts.get(base) ?? 0;
  modelCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | Loss | LossFn;
  metrics?: (string | Metric | MetricFn)[];
}

function formatShape(shape: SymbolicShape | undefined): string {
  if (!shape) return '?';
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** Weight values' raw little-endian float32 bytes, hashed with their name and shape. */
function hashWeights(hash: Sha256, weights: readonly Variable[]): Sha256 {
  for (const w of weights) {
    const bytes = littleEndianBytes(w.dataSync() as Float32Array);
    hash.update(w.name).update('\0').update(JSON.stringify(w.shape)).update('\0').update(bytes);
  }
  return hash;
}

export class Sequential implements TrainableModel {
  readonly name: string;
  readonly layers: Layer[] = [];
  stopTraining = false;
  private inputShape: SymbolicShape | undefined;
  private outputShape: SymbolicShape | undefined;
  private compiled: Compiled | undefined;

  constructor(args: { layers?: Layer[]; name?: string } = {}) {
    this.name = args.name ?? nextModelName('sequential');
    for (const layer of args.layers ?? []) this.add(layer);
  }

  /** Appends a layer; builds it at once when the model's input shape is known. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw invalid(`${this.name}.add`, 'Expected a layer', { layer });
    if (this.layers.includes(layer) || layer.path) {
      throw invalid(`${this.name}.add`, 'Expected a layer that is not already in a model', { layer: layer.name });
    }
    if (layer.declaredInputShape && this.layers.length > 0) {
      throw invalid(`${this.name}.add`, 'Expected inputShape only on the first layer', { layer: layer.name ?? layer.className, inputShape: layer.declaredInputShape });
    }
    layer.name ??= uniqueName(snakeCase(layer.className), (n) => this.layers.some((l) => l.name === n));
    if (this.layers.some((l) => l.name === layer.name)) {
      throw invalid(`${this.name}.add`, 'Expected layer names unique within the model', { name: layer.name });
    }
    layer.path = `${this.name}/${layer.name}`;
    this.layers.push(layer);
    if (this.layers.length === 1 && layer.declaredInputShape) this.inputShape = [null, ...layer.declaredInputShape];
    if (this.inputShape) this.outputShape = this.buildLayer(layer, this.outputShape ?? this.inputShape);
  }

  private buildLayer(layer: Layer, inputShape: SymbolicShape): SymbolicShape {
    if (!layer.built) layer.build(inputShape);
    return layer.computeOutputShape(inputShape);
  }

  /** Builds every layer for inputs of this shape (batch first, null), if not built yet. */
  ensureBuilt(inputShape: SymbolicShape, context: string): void {
    if (this.layers.length === 0) throw invalid(context, 'Expected a model with at least one layer', { model: this.name });
    if (this.inputShape) return;
    this.inputShape = inputShape;
    let shape = inputShape;
    for (const layer of this.layers) shape = this.buildLayer(layer, shape);
    this.outputShape = shape;
  }

  expectedInputShape(): SymbolicShape | undefined {
    return this.inputShape;
  }

  get weights(): Variable[] {
    return this.layers.flatMap((l) => l.weights.map((w) => w.variable));
  }

  get trainableWeights(): Variable[] {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  call(x: Tensor, context: CallContext): Tensor {
    let y = x;
    let mask: Tensor | undefined;
    for (const layer of this.layers) ({ output: y, mask } = callWithMask(layer, y, mask, context));
    return y;
  }

  regularizationLosses(): Tensor[] {
    return this.layers.flatMap((l) => l.regularizationLosses());
  }

  compile(args: CompileArgs): void {
    if (!args || typeof args !== 'object') throw invalid(`${this.name}.compile`, 'Expected {optimizer, loss, metrics?}', { args });
    const context = `${this.name}.compile`;
    if (args.optimizer === undefined) throw invalid(context, 'Expected an optimizer', { optimizer: undefined });
    if (args.loss === undefined) throw invalid(context, 'Expected a loss', { loss: undefined });
    this.compiled?.optimizer.dispose();
    this.compiled = {
      optimizer: getOptimizer(args.optimizer, context),
      loss: getLoss(args.loss, context),
      metrics: (args.metrics ?? []).map((m) => getMetric(m, context)),
    };
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

  private toTensor(x: TensorLike, argument: string, context: string): Tensor {
    const t = ops.convertToTensor(x, argument, context, 'float32');
    return t;
  }

  /** Trains for a number of epochs on tensors, or on a dataset of [x, y] batches. */
  async fit(x: TensorLike | Dataset<Element>, y?: TensorLike | FitArgs, args: FitArgs = {}): Promise<History> {
    if (isDataset(x)) return this.fitDataset(x, (y as FitArgs | undefined) ?? args);
    if (y === undefined) throw invalid('fit', 'Expected labels y', { y });
    const xt = this.toTensor(x, 'x', 'fit');
    const yt = this.toTensor(y as TensorLike, 'y', 'fit');
    try {
      return await fitTensors(this, xt, yt, args);
    } finally {
      if (xt !== x) xt.dispose();
      if (yt !== y) yt.dispose();
    }
  }

  /** Trains on a dataset whose elements are [x, y] or {xs, ys} batches. */
  async fitDataset(dataset: Dataset<Element>, args: FitArgs = {}): Promise<History> {
    const context = 'fitDataset';
    if (!isDataset(dataset)) throw invalid(context, 'Expected a Dataset', { dataset });
    const limit = args.batchesPerEpoch;
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw invalid(context, 'Expected batchesPerEpoch to be a positive integer', { batchesPerEpoch: limit });
    const model = this;
    const batchesFor = (epoch: number) => (async function* checked() {
      for await (const [xb, yb] of datasetPairs(dataset, [epoch], limit, context)) {
        checkPair(model, xb, yb, context);
        yield [xb, yb] as [Tensor, Tensor];
      }
    })();
    const steps = limit ?? dataset.size;
    const validate = validationFor(this, args.validationData, args.batchSize ?? 32, context);
    notify('fitBegin', { model: this, kind: 'fitDataset', options: { ...args }, data: {} });
    return runTraining(this, batchesFor, steps, null, validate, args, context);
  }

  /** One step on one batch; returns the batch's loss, and its metrics when compiled with any. */
  async trainOnBatch(x: TensorLike, y: TensorLike): Promise<number | number[]> {
    const context = 'trainOnBatch';
    const xt = this.toTensor(x, 'x', context);
    const yt = this.toTensor(y, 'y', context);
    try {
      checkPair(this, xt, yt, context);
      const { metrics } = this.compiledOrThrow(context);
      for (const metric of metrics) metric.reset();
      const { loss } = trainStep(this, xt, yt);
      return metrics.length === 0 ? loss : [loss, ...metrics.map((m) => m.result())];
    } finally {
      if (xt !== x) xt.dispose();
      if (yt !== y) yt.dispose();
    }
  }

  /** Loss (and metrics) in inference mode: a scalar, or [loss, ...metrics] as scalars (TF.js). */
  evaluate(x: TensorLike, y: TensorLike, args: { batchSize?: number; verbose?: number } = {}): Tensor | Tensor[] {
    const context = 'evaluate';
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(context, 'Expected batchSize to be a positive integer', { batchSize });
    const xt = this.toTensor(x, 'x', context);
    const yt = this.toTensor(y, 'y', context);
    try {
      checkPair(this, xt, yt, context);
      this.compiledOrThrow(context);
      notify('evaluate', { model: this, data: { x: xt, y: yt } });
      const logs = evaluateBatches(this, disposingPairs(xt, yt, batchSize));
      const values = Object.values(logs).map((v) => ops.scalar(v));
      return values.length === 1 ? values[0]! : values;
    } finally {
      if (xt !== x) xt.dispose();
      if (yt !== y) yt.dispose();
    }
  }

  /** Outputs in inference mode, computed batchSize rows at a time. */
  predict(x: TensorLike, args: { batchSize?: number } = {}): Tensor {
    const context = 'predict';
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(context, 'Expected batchSize to be a positive integer', { batchSize });
    const xt = this.toTensor(x, 'x', context);
    try {
      this.ensureBuilt([null, ...xt.shape.slice(1)], context);
      checkInputShape(this, xt, context);
      return ENGINE.tidy(() => {
        const outputs = [...rowBatches([xt], batchSize)].map(([xb]) => this.call(xb!, { training: false, step: 0 }));
        return outputs.length === 1 ? outputs[0]! : ops.concat(outputs, 0);
      });
    } finally {
      if (xt !== x) xt.dispose();
    }
  }

  /** Copies of the weights' values, in layer order (kernel, bias, ...). */
  getWeights(trainableOnly = false): Tensor[] {
    return (trainableOnly ? this.trainableWeights : this.weights).map((w) => ops.tensor(w.dataSync(), w.shape, w.dtype));
  }

  setWeights(weights: readonly Tensor[]): void {
    const own = this.weights;
    if (!Array.isArray(weights) || weights.length !== own.length) {
      throw invalid(`${this.name}.setWeights`, `Expected ${own.length} tensors (${own.map((w) => w.name).join(', ')})`, { 'weights.length': Array.isArray(weights) ? weights.length : weights });
    }
    own.forEach((w, i) => {
      const value: Tensor = weights[i]!;
      if (value.rank !== w.rank || value.shape.some((d, k) => d !== w.shape[k])) {
        throw invalid(`${this.name}.setWeights`, `Expected weights[${i}] (${w.name}) of shape ${JSON.stringify(w.shape)}`, { [`weights[${i}].shape`]: value.shape });
      }
      w.assign(value.dtype === 'float32' ? value : ENGINE.tidy(() => ops.cast(value, 'float32')));
    });
  }

  getWeightValues(): Float32Array[] {
    return this.weights.map((w) => w.dataSync() as Float32Array);
  }

  setWeightValues(values: readonly Float32Array[]): void {
    this.weights.forEach((w, i) => ENGINE.tidy(() => w.assign(ENGINE.makeTensor(values[i]!, w.shape, 'float32'))));
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /**
   * SHA-256 (hex) over every weight in order: its name, a NUL, its shape as JSON, a NUL, and its
   * float32 values as little-endian bytes. Equal digests mean bitwise-equal models.
   */
  weightsDigest(): string {
    return hashWeights(new Sha256(), this.weights).hex();
  }

  /** One digest per layer (same encoding), to locate where two models differ. */
  layerDigests(): Record<string, string> {
    return Object.fromEntries(this.layers.map((l) => [l.name!, hashWeights(new Sha256(), l.weights.map((w) => w.variable)).hex()]));
  }

  /** A Keras-style table of layers, output shapes and parameter counts. */
  summary(lineLength = 65, positions = [0.45, 0.85, 1], printFn: (line: string) => void = console.log): void {
    const columns = positions.map((p) => Math.floor(p * lineLength));
    const row = (cells: string[]) => cells.reduce((line, cell, i) => (line + cell).padEnd(columns[i]!).slice(0, columns[i]!), '');
    printFn(`Model: "${this.name}"`);
    printFn('_'.repeat(lineLength));
    printFn(row([' Layer (type)', 'Output Shape', 'Param #']));
    printFn('='.repeat(lineLength));
    let shape = this.inputShape;
    this.layers.forEach((layer, i) => {
      shape = shape && layer.built ? layer.computeOutputShape(shape) : undefined;
      printFn(row([` ${layer.name} (${layer.className})`, formatShape(shape), String(layer.countParams())]));
      if (i < this.layers.length - 1) printFn('');
    });
    const total = this.countParams();
    const trainable = this.trainableWeights.reduce((n, w) => n + w.size, 0);
    printFn('='.repeat(lineLength));
    printFn(`Total params: ${total}`);
    printFn(`Trainable params: ${trainable}`);
    printFn(`Non-trainable params: ${total - trainable}`);
    printFn('_'.repeat(lineLength));
  }

  /** The architecture and training configuration, for run records. */
  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      inputShape: this.inputShape ?? null,
      layers: this.layers.map((l) => ({ className: l.className, name: l.name, config: l.getConfig() })),
      optimizer: this.compiled?.optimizer.getConfig() ?? null,
      loss: this.compiled?.loss.name ?? null,
      metrics: this.compiled?.metrics.map((m) => m.name) ?? [],
    };
  }

  dispose(): void {
    for (const layer of this.layers) layer.dispose();
    this.compiled?.optimizer.dispose();
  }
}

function isDataset(value: unknown): value is Dataset<Element> {
  return value !== null && typeof value === 'object' && typeof (value as Dataset<Element>).iterator === 'function'
    && typeof (value as Dataset<Element>).batch === 'function';
}

export function sequential(args: { layers?: Layer[]; name?: string } = {}): Sequential {
  return new Sequential(args);
}
