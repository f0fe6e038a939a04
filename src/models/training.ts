/**
 * The training loop shared by fit (tensors or a dataset) and fitDataset. Keras semantics:
 * validationSplit takes the last fraction of the examples before any shuffling; each epoch's
 * order is permutation(foldIn(keyFor('fit/shuffle'), epoch)); the final partial batch is kept;
 * the epoch's loss is the batch losses' mean weighted by batch size; a non-finite loss stops
 * training (TerminateOnNaN).
 */
import { variableGrads } from '../autograd/grad.js';
import { disposeElement, type Dataset, type Element } from '../data/dataset.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import type { CallContext, SymbolicShape } from '../layers/layer.js';
import type { Loss } from '../losses/index.js';
import type { Metric } from '../metrics/index.js';
import * as ops from '../ops/index.js';
import type { Optimizer } from '../optimizers/index.js';
import { foldIn } from '../random/keys.js';
import { permutationValues } from '../random/samplers.js';
import { keyFor } from '../random/seed.js';
import { Tensor, type Variable } from '../tensor/tensor.js';
import {
  CallbackList, History, ProgressLogger, type Callback, type Logs, type TrainingModel, type TrainingParams,
} from './callbacks.js';
import { notify, type ObservedModel } from './observers.js';

const f = Math.fround;

export interface Compiled {
  optimizer: Optimizer;
  loss: Loss;
  metrics: Metric[];
}

export interface TrainableModel extends TrainingModel, ObservedModel {
  readonly name: string;
  readonly trainableWeights: Variable[];
  compiledOrThrow(context: string): Compiled;
  call(x: Tensor, context: CallContext): Tensor;
  regularizationLosses(): Tensor[];
  ensureBuilt(inputShape: SymbolicShape, context: string): void;
  expectedInputShape(): SymbolicShape | undefined;
}

/** A float32 running mean kept as Keras's Mean metric: total += value * weight, count += weight. */
export class RunningMean {
  private total = 0;
  private count = 0;

  add(value: number, weight: number): void {
    this.total = f(this.total + f(value * weight));
    this.count = f(this.count + weight);
  }

  result(): number {
    return this.count === 0 ? 0 : f(this.total / this.count);
  }
}

function indexText(flat: number, shape: readonly number[]): string {
  const coords: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    coords.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return coords.map((c) => `[${c}]`).join('');
}

/** NaN or Infinity in an input is an error naming the tensor and the first bad index. */
export function assertFinite(t: Tensor, argument: string, context: string): void {
  if (t.dtype !== 'float32') return;
  const values = t.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw invalid(context, `Expected finite values in ${argument}`, { [`${argument}${indexText(i, t.shape)}`]: values[i] });
    }
  }
}

export function checkInputShape(model: TrainableModel, x: Tensor, context: string, argument = 'x'): void {
  const expected = model.expectedInputShape();
  if (!expected) return;
  const matches = x.rank === expected.length && expected.every((d, i) => d === null || d === x.shape[i]);
  if (!matches) {
    throw invalid(context, `Expected ${argument} of shape ${JSON.stringify(expected)} (the model's input shape, batch first)`, { [`${argument}.shape`]: x.shape });
  }
}

export function checkPair(model: TrainableModel, x: Tensor, y: Tensor, context: string, names: [string, string] = ['x', 'y']): void {
  if (x.rank === 0 || y.rank === 0 || x.shape[0] !== y.shape[0]) {
    throw invalid(context, `Expected ${names[0]} and ${names[1]} with the same number of examples (first dimension)`,
      { [`${names[0]}.shape`]: x.shape, [`${names[1]}.shape`]: y.shape });
  }
  model.ensureBuilt([null, ...x.shape.slice(1)], context);
  checkInputShape(model, x, context, names[0]);
  assertFinite(x, names[0], context);
  assertFinite(y, names[1], context);
}

/** Per-example weights from classWeight: by the label, or the argmax of a one-hot label row. */
function classSampleWeights(y: Tensor, classWeight: Record<number, number>): Tensor {
  return ENGINE.tidy(() => {
    const labels = y.rank >= 2 && y.shape.at(-1)! > 1 ? ops.argMax(y, -1) : ops.cast(ops.round(ops.reshape(y, [y.shape[0]!])), 'int32');
    const weights = Array.from(labels.dataSync(), (c) => classWeight[c] ?? 1);
    return ops.tensor1d(weights);
  });
}

export interface StepResult {
  loss: number;
}

/** One optimisation step on a batch; updates the metrics with the batch's predictions. */
export function trainStep(model: TrainableModel, x: Tensor, y: Tensor, classWeight?: Record<number, number>): StepResult {
  const { optimizer, loss, metrics } = model.compiledOrThrow('fit');
  const step = optimizer.iterations;
  let prediction: Tensor | undefined;
  const sampleWeights = classWeight ? classSampleWeights(y, classWeight) : undefined;
  const { value, grads } = variableGrads(() => {
    prediction = ENGINE.keep(model.call(x, { training: true, step }));
    const perExample = loss.call(y, prediction);
    let total = sampleWeights
      ? ops.div(ops.sum(ops.mul(perExample, ops.reshape(sampleWeights, [perExample.shape[0]!, ...perExample.shape.slice(1).map(() => 1)]))), perExample.size)
      : ops.mean(perExample);
    for (const penalty of model.regularizationLosses()) total = ops.add(total, penalty);
    return total;
  }, model.trainableWeights);
  optimizer.applyGradients(grads);
  for (const g of Object.values(grads)) g.dispose();
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  sampleWeights?.dispose();
  for (const metric of metrics) metric.update(y, prediction!);
  prediction!.dispose();
  return { loss: lossValue };
}

/** Loss and metrics of the model on (x, y), in inference mode, batch by batch. */
export function evaluateBatches(model: TrainableModel, batches: Iterable<[Tensor, Tensor]>): Logs {
  const { loss, metrics } = model.compiledOrThrow('evaluate');
  const meanLoss = new RunningMean();
  for (const metric of metrics) metric.reset();
  for (const [x, y] of batches) {
    ENGINE.tidy(() => {
      const prediction = model.call(x, { training: false, step: 0 });
      let value = ops.mean(loss.call(y, prediction));
      for (const penalty of model.regularizationLosses()) value = ops.add(value, penalty);
      meanLoss.add(value.dataSync()[0]!, x.shape[0]!);
      for (const metric of metrics) metric.update(y, prediction);
    });
  }
  const logs: Logs = { loss: meanLoss.result() };
  for (const metric of metrics) logs[metric.name] = metric.result();
  return logs;
}

/** Consecutive batches of rows (a tensor's first axis), in the given order or in place. */
export function* rowBatches(xs: readonly Tensor[], batchSize: number, order?: Int32Array): Generator<Tensor[]> {
  const n = xs[0]!.shape[0]!;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    if (order) {
      const idx = ENGINE.makeTensor(order.subarray(start, start + size), [size], 'int32');
      const batch = xs.map((t) => ops.gather(t, idx));
      idx.dispose();
      yield batch;
    } else {
      yield xs.map((t) => ops.slice(t, [start], [size]));
    }
  }
}

/** (x, y) row batches in order, each pair disposed once the consumer moves on. */
export function* disposingPairs(x: Tensor, y: Tensor, batchSize: number): Generator<[Tensor, Tensor]> {
  for (const [xb, yb] of rowBatches([x, y], batchSize)) {
    try {
      yield [xb!, yb!];
    } finally {
      xb!.dispose();
      yb!.dispose();
    }
  }
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  verbose?: 0 | 1 | 2;
  validationSplit?: number;
  validationData?: [Tensor, Tensor] | Dataset<Element>;
  callbacks?: Callback | Callback[];
  initialEpoch?: number;
  classWeight?: Record<number, number>;
  /** With a dataset: batches per epoch (default: until the dataset ends). */
  batchesPerEpoch?: number;
}

/** A source of (x, y) batches for one epoch; the loop disposes each batch after its step. */
type EpochBatches = (epoch: number) => AsyncIterable<[Tensor, Tensor]> | Iterable<[Tensor, Tensor]>;

function checkFitArgs(args: FitArgs, context: string): Required<Pick<FitArgs, 'epochs' | 'batchSize' | 'verbose' | 'initialEpoch'>> {
  const { epochs = 1, batchSize = 32, verbose = 1, initialEpoch = 0 } = args;
  if (!Number.isInteger(epochs) || epochs < 0) throw invalid(context, 'Expected epochs to be a non-negative integer', { epochs });
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(context, 'Expected batchSize to be a positive integer', { batchSize });
  if (![0, 1, 2].includes(verbose)) throw invalid(context, 'Expected verbose to be 0, 1 or 2', { verbose });
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw invalid(context, 'Expected initialEpoch to be a non-negative integer', { initialEpoch });
  return { epochs, batchSize, verbose, initialEpoch };
}

/** (x, y) pairs from a dataset's elements: [x, y] arrays or {xs, ys} objects. */
export async function* datasetPairs(dataset: Dataset<Element>, pass: readonly number[], limit: number | undefined, context: string): AsyncGenerator<[Tensor, Tensor]> {
  const it = dataset.iterator(pass);
  for (let n = 0; limit === undefined || n < limit; n++) {
    const r = await it.next();
    if (r.done) return;
    const element = r.value as unknown;
    const pair = Array.isArray(element) ? element : element && typeof element === 'object' ? [(element as Record<string, unknown>).xs, (element as Record<string, unknown>).ys] : [];
    if (!(pair[0] instanceof Tensor) || !(pair[1] instanceof Tensor)) {
      disposeElement(element);
      throw invalid(context, 'Expected dataset elements [x, y] or {xs, ys} of batched tensors', { element: Array.isArray(element) ? 'an array' : typeof element });
    }
    yield [pair[0], pair[1]];
  }
}

export async function runTraining(
  model: TrainableModel, batchesFor: EpochBatches, steps: number | null, samples: number | null,
  validate: (() => Promise<Logs>) | undefined, args: FitArgs, context: string,
): Promise<History> {
  const { epochs, verbose, initialEpoch } = checkFitArgs(args, context);
  const compiled = model.compiledOrThrow(context);
  const history = new History();
  const userCallbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const callbacks = new CallbackList([history, ...userCallbacks, ...(verbose > 0 ? [new ProgressLogger(verbose)] : [])]);
  const params: TrainingParams = {
    epochs, initialEpoch, steps, samples, batchSize: args.batchSize ?? null, verbose,
    metrics: ['loss', ...compiled.metrics.map((m) => m.name)],
  };
  callbacks.setup(model, params);
  model.stopTraining = false;
  await callbacks.trainBegin();
  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    await callbacks.epochBegin(epoch);
    for (const metric of compiled.metrics) metric.reset();
    const meanLoss = new RunningMean();
    let batch = 0;
    for await (const [x, y] of batchesFor(epoch)) {
      const size = x.shape[0]!;
      if (epoch === initialEpoch) notify('batch', { epoch: epoch - initialEpoch, x, y });
      await callbacks.batchBegin(batch, { batch, size });
      let result: StepResult;
      try {
        result = trainStep(model, x, y, args.classWeight);
      } finally {
        x.dispose();
        y.dispose();
      }
      meanLoss.add(result.loss, size);
      notify('stepEnd', { model, epoch, step: batch, loss: result.loss });
      const logs: Logs = { batch, size, loss: meanLoss.result() };
      for (const metric of compiled.metrics) logs[metric.name] = metric.result();
      await callbacks.batchEnd(batch, logs);
      if (!Number.isFinite(result.loss)) {
        console.warn(`${context}: epoch ${epoch + 1}, step ${batch + 1}: invalid loss (${result.loss}), terminating training`);
        model.stopTraining = true;
      }
      batch++;
      if (model.stopTraining) break;
    }
    const logs: Logs = { loss: meanLoss.result() };
    for (const metric of compiled.metrics) logs[metric.name] = metric.result();
    if (validate) {
      for (const [name, value] of Object.entries(await validate())) logs[`val_${name}`] = value;
    }
    notify('epochEnd', { model, epoch, logs });
    await callbacks.epochEnd(epoch, logs);
  }
  await callbacks.trainEnd();
  notify('fitEnd', { model, history });
  return history;
}

/** fit on tensors: validation split, per-epoch keyed shuffle, batches by row. */
export async function fitTensors(model: TrainableModel, x: Tensor, y: Tensor, args: FitArgs): Promise<History> {
  const context = 'fit';
  const { batchSize } = checkFitArgs(args, context);
  checkPair(model, x, y, context);
  const split = args.validationSplit ?? 0;
  if (!(split >= 0 && split < 1)) throw invalid(context, 'Expected validationSplit in [0, 1)', { validationSplit: split });
  if (split > 0 && args.validationData) throw invalid(context, 'Expected validationSplit or validationData, not both', { validationSplit: split });
  const n = x.shape[0]!;
  const trainCount = split > 0 ? Math.floor(n * (1 - split)) : n;
  const [xTrain, yTrain] = split > 0 ? [ops.slice(x, [0], [trainCount]), ops.slice(y, [0], [trainCount])] : [x, y];
  const [xVal, yVal] = split > 0 ? [ops.slice(x, [trainCount]), ops.slice(y, [trainCount])] : [undefined, undefined];
  try {
    const shuffleKey = keyFor('fit/shuffle');
    const batchesFor = (epoch: number) => {
      const order = args.shuffle === false ? undefined : permutationValues(foldIn(shuffleKey, epoch), trainCount);
      return (function* pairs(): Generator<[Tensor, Tensor]> {
        for (const [xb, yb] of rowBatches([xTrain, yTrain], batchSize, order)) yield [xb!, yb!];
      })();
    };
    const validate = validationFor(model, args.validationData ?? (xVal && yVal ? [xVal, yVal] : undefined), batchSize, context);
    notify('fitBegin', { model, kind: 'fit', options: { ...args }, data: { x, y } });
    return await runTraining(model, batchesFor, Math.ceil(trainCount / batchSize), trainCount, validate, args, context);
  } finally {
    if (split > 0) for (const t of [xTrain, yTrain, xVal!, yVal!]) t.dispose();
  }
}

export function validationFor(model: TrainableModel, data: FitArgs['validationData'], batchSize: number, context: string): (() => Promise<Logs>) | undefined {
  if (!data) return undefined;
  if (Array.isArray(data)) {
    const [xv, yv] = data as [Tensor, Tensor];
    checkPair(model, xv, yv, context, ['validationData[0]', 'validationData[1]']);
    return async () => evaluateBatches(model, disposingPairs(xv, yv, batchSize));
  }
  const dataset = data as Dataset<Element>;
  return async () => {
    const pairs: [Tensor, Tensor][] = [];
    for await (const pair of datasetPairs(dataset, [0], undefined, context)) pairs.push(pair);
    try {
      return evaluateBatches(model, pairs);
    } finally {
      for (const [xb, yb] of pairs) { xb.dispose(); yb.dispose(); }
    }
  };
}
