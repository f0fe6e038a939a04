/**
 * The training loop shared by fit (tensors or a dataset) and fitDataset. Keras semantics:
 * validationSplit takes the last fraction of the examples before any shuffling; each epoch's
 * order is permutation(foldIn(keyFor('fit/shuffle'), epoch)); the final partial batch is kept;
 * the epoch's loss is the batch losses' mean weighted by batch size; a non-finite loss stops
 * training (TerminateOnNaN).
 */
import type { Dataset, Element } from '../data/dataset.js';
import { ENGINE } from '../engine/engine.js';
import { invalid, type ValueError } from '../errors.js';
import { LabelError } from '../losses/loss.js';
import { indexText } from '../tensor/shape.js';
import type { CallContext } from '../layers/layer.js';
import * as ops from '../ops/index.js';
import { foldIn } from '../random/keys.js';
import { permutationValues } from '../random/samplers.js';
import { keyFor } from '../random/seed.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  CallbackList, History, ProgressLogger, type Callback, type Logs, type TrainingParams,
} from './callbacks.js';
import { logNames, namedMetrics, type Compiled } from './arguments.js';
import { notify, observed, observerCallbacks } from './observers.js';
import { checkFitOptionNames, type DataParallelOptions, type TfjsFitOptions } from './fit-options.js';
import { alignTarget, withTfjsAliases } from './tfjs-logs.js';
import { disposeOutputs, stepGradients, totalLoss, type StepGradients } from './step-loss.js';
import { checkWholeBatches } from './stateful.js';
import { yieldToEventLoop } from '../util/yield.js';
import {
  batchRecord, checkPair, datasetPairs, disposeBatch, disposingPairs, pairBatches, skipElements, type Batch, type ModelOutputs, type ToBatch, type TrainableModel,
} from './batches.js';

const f = Math.fround;

/** The model's outputs as a list, its inputs given as a list (one tensor goes as itself). */
export function callModel(model: TrainableModel, xs: readonly Tensor[], context: CallContext): Tensor[] {
  const outputs = model.call(xs.length === 1 ? xs[0]! : [...xs], context);
  return Array.isArray(outputs) ? outputs : [outputs];
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

  getState(): number[] {
    return [this.total, this.count];
  }

  setState(state: readonly number[]): void {
    [this.total, this.count] = state as [number, number];
  }
}

/**
 * classWeight's preconditions (Keras's): one output, whose targets are class indices or one-hot
 * rows (rank 1 or 2); sequence targets ([batch, time, ...]) have no one class per example.
 */
export function checkClassWeightTargets(model: TrainableModel, ys: readonly Tensor[], context: string): void {
  if (ys.length > 1) throw invalid(context, 'Expected classWeight only for a model with one output (Keras)', { outputs: model.outputNames });
  if (ys[0]!.rank > 2) {
    throw invalid(context, 'Expected classWeight only for targets of rank 1 or 2, one class per example (Keras and TF.js refuse it for sequence targets)', { 'y.shape': ys[0]!.shape });
  }
}

/** Per-example weights from classWeight: by the label, or the argmax of a one-hot label row. */
export function classSampleWeights(y: Tensor, classWeight: Record<number, number>): Tensor {
  return ENGINE.tidy(() => {
    const labels = y.rank >= 2 && y.shape.at(-1)! > 1 ? ops.argMax(y, -1) : ops.cast(ops.round(ops.reshape(y, [y.shape[0]!])), 'int32');
    const weights = Array.from(labels.dataSync(), (c) => classWeight[c] ?? 1);
    return ops.tensor1d(weights);
  });
}

export interface StepResult {
  loss: number;
  /** Each output's (weighted) loss, with several outputs; empty with one. */
  outputLosses: number[];
}

/** Each output's metrics on its predictions; a mask the output carries goes to each metric (Keras 3: the mean metrics count its unmasked entries only). */
export function updateMetrics(compiled: Compiled, ys: readonly Tensor[], { outputs: predictions, masks }: ModelOutputs): void {
  ENGINE.tidy(() => compiled.outputs.forEach((output, i) => {
    for (const metric of output.metrics) metric.update(alignTarget(ys[i]!, predictions[i]!), predictions[i]!, masks[i]);
  }));
}

function resetMetrics(compiled: Compiled): void {
  for (const output of compiled.outputs) for (const metric of output.metrics) metric.reset();
}

/** The names an epoch's logs have (TF.js's aliases and validation's included), as History.params lists them (TF.js). */
function epochLogNames(compiled: Compiled, validating: boolean): string[] {
  const names = logNames(compiled);
  return Object.keys(withTfjsAliases(compiled, Object.fromEntries([...names, ...(validating ? names.map((n) => `val_${n}`) : [])].map((n) => [n, 0]))));
}

/** The logs of an epoch (or of the batches so far): loss, per-output losses, metrics. */
function epochLogs(compiled: Compiled, loss: RunningMean, outputLosses: readonly RunningMean[]): Logs {
  const logs: Logs = { loss: loss.result() };
  compiled.outputs.forEach((output, i) => {
    if (outputLosses[i]) logs[`${output.name}_loss`] = outputLosses[i]!.result();
  });
  for (const [name, metric] of namedMetrics(compiled)) logs[name] = metric.result();
  return logs;
}

const lossMeans = (compiled: Compiled) => (compiled.outputs.length > 1 ? compiled.outputs.map(() => new RunningMean()) : []);

/** The epoch's running state in one order: the loss mean, the per-output loss means, each metric. */
function accumulators(compiled: Compiled, meanLoss: RunningMean, outputMeans: readonly RunningMean[]): number[][] {
  return [meanLoss.getState(), ...outputMeans.map((m) => m.getState()), ...namedMetrics(compiled).map(([name, metric]) => {
    if (!metric.getState) throw invalid('backupAndRestore', 'Expected metrics with getState() and setState() to save in the middle of an epoch (or saveFreq \'epoch\')', { metric: name });
    return metric.getState();
  })];
}

function restoreAccumulators(compiled: Compiled, meanLoss: RunningMean, outputMeans: readonly RunningMean[], saved: readonly number[][], context: string): void {
  const metrics = namedMetrics(compiled);
  const valid = Array.isArray(saved) && saved.length === 1 + outputMeans.length + metrics.length
    && saved.slice(0, 1 + outputMeans.length).every((s) => Array.isArray(s) && s.length === 2 && s.every((v) => typeof v === 'number'));
  if (!valid) throw invalid(context, `Expected a backup of this model's ${1 + outputMeans.length} loss means and ${metrics.length} metrics`, { accumulators: Array.isArray(saved) ? saved.length : saved });
  meanLoss.setState(saved[0]!);
  outputMeans.forEach((m, i) => m.setState(saved[1 + i]!));
  metrics.forEach(([name, metric], i) => {
    if (!metric.setState) throw invalid(context, 'Expected metrics with getState() and setState() to resume in the middle of an epoch', { metric: name });
    metric.setState(saved[1 + outputMeans.length + i]!);
  });
}

/** A bad label named by its row in the data (y[17]), not by its place in the (shuffled) batch. */
function atDataRow(error: LabelError, rows: Int32Array, context: string): ValueError {
  const { perRow } = error;
  const y = error.output === undefined ? 'y' : `y[${error.output}]`;
  return invalid(context, `${error.expectation} (${error.context})`, { [`${y}[${rows[Math.floor(error.index / perRow)]!}]${indexText(error.index % perRow, error.labelShape.slice(1))}`]: error.value });
}

/** One optimisation step on a batch; updates the metrics with the batch's predictions. */
export function trainStep(model: TrainableModel, xs: Tensor[], ys: Tensor[], classWeight?: Record<number, number>): StepResult {
  const compiled = model.compiledOrThrow('fit');
  const { optimizer } = compiled;
  if (classWeight) checkClassWeightTargets(model, ys, 'fit');
  const sampleWeights = classWeight ? classSampleWeights(ys[0]!, classWeight) : undefined;
  let gradients: StepGradients;
  try {
    gradients = stepGradients(model, compiled, xs, ys, { training: true, step: optimizer.iterations }, sampleWeights, compiled.trainableWeights ??= model.trainableWeights);
  } finally {
    sampleWeights?.dispose();
  }
  const { value, grads, predictions, outputTerms } = gradients;
  optimizer.applyGradients(grads);
  for (const g of Object.values(grads)) g.dispose();
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  const outputLosses = outputTerms.map((t) => t.dataSync()[0]!);
  for (const t of outputTerms) t.dispose();
  updateMetrics(compiled, ys, predictions);
  disposeOutputs(predictions);
  return { loss: lossValue, outputLosses };
}

/** The optimisation step on each batch of a fit, and what it holds until the fit ends. */
export interface BatchStepper {
  step(xs: Tensor[], ys: Tensor[], classWeight?: Record<number, number>): StepResult | Promise<StepResult>;
  close(): Promise<void>;
}

/** Data-parallel training (src/models/data-parallel.ts) installs the stepper for fits given dataParallel. */
let dataParallelStepper: ((model: TrainableModel, args: FitArgs, context: string) => BatchStepper) | undefined;

export function installDataParallel(factory: typeof dataParallelStepper): void {
  dataParallelStepper = factory;
}

function batchStepper(model: TrainableModel, args: FitArgs, context: string): BatchStepper {
  if (args.dataParallel === undefined) return { step: (xs, ys, classWeight) => trainStep(model, xs, ys, classWeight), close: async () => undefined };
  if (!dataParallelStepper) throw invalid(context, "Expected verbatim's data-parallel module loaded (import from 'verbatim')", { dataParallel: args.dataParallel });
  return dataParallelStepper(model, args, context);
}

/** Loss and metrics of the model on (x, y), in inference mode, batch by batch. */
export function evaluateBatches(model: TrainableModel, batches: Iterable<Batch>): Logs {
  const compiled = model.compiledOrThrow('evaluate');
  const meanLoss = new RunningMean();
  const outputMeans = lossMeans(compiled);
  resetMetrics(compiled);
  for (const [xs, ys] of batches) {
    ENGINE.tidy(() => {
      const predictions = model.callWithMasks(xs, { training: false, step: 0 });
      const size = xs[0]!.shape[0]!;
      let i = 0;
      const value = totalLoss(model, compiled, ys, predictions, undefined, (t) => outputMeans[i++]!.add(t.dataSync()[0]!, size));
      meanLoss.add(value.dataSync()[0]!, size);
      updateMetrics(compiled, ys, predictions);
    });
  }
  return epochLogs(compiled, meanLoss, outputMeans);
}

export interface FitArgs extends TfjsFitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  verbose?: 0 | 1 | 2;
  validationSplit?: number;
  /** [x, y] (each a tensor, a list or a record by name, as fit takes them) or a dataset. */
  validationData?: [unknown, unknown] | Dataset<Element>;
  /** Callback objects (TF.js's plain {onEpochEnd, ...} objects too); null for none. */
  callbacks?: Callback | Callback[] | null;
  initialEpoch?: number;
  classWeight?: Record<number, number>;
  /**
   * With a dataset: batches per epoch, drawn from one iterator that goes on across epochs (as
   * TF.js and Keras's steps_per_epoch); default: each epoch is a whole pass of the dataset.
   */
  batchesPerEpoch?: number;
  /** With a dataset as validationData: the batches of each validation (default: the whole dataset). */
  validationBatches?: number;
  /** Data-parallel training (README, "Data-parallel training"). */
  dataParallel?: DataParallelOptions;
}

/**
 * A source of (x, y) batches for one epoch, from its batch `skip` on (the batches before it were
 * trained before a backup was restored); the loop disposes each batch after its step.
 */
type EpochBatches = (epoch: number, skip: number) => AsyncIterable<Batch> | Iterable<Batch>;

function checkFitArgs(args: FitArgs, context: string): Required<Pick<FitArgs, 'epochs' | 'batchSize' | 'verbose' | 'initialEpoch'>> {
  checkFitOptionNames(args, context);
  const { epochs = 1, batchSize = 32, verbose = 1, initialEpoch = 0 } = args;
  if (!Number.isInteger(epochs) || epochs < 0) throw invalid(context, 'Expected epochs to be a non-negative integer', { epochs });
  if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid(context, 'Expected batchSize to be a positive integer', { batchSize });
  if (![0, 1, 2].includes(verbose)) throw invalid(context, 'Expected verbose to be 0, 1 or 2', { verbose });
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0) throw invalid(context, 'Expected initialEpoch to be a non-negative integer', { initialEpoch });
  return { epochs, batchSize, verbose, initialEpoch };
}

export async function runTraining(
  model: TrainableModel, batchesFor: EpochBatches, steps: number | null, samples: number | null,
  validate: Validation | undefined, args: FitArgs, context: string,
): Promise<History> {
  checkFitArgs(args, context);
  const stepper = batchStepper(model, args, context);
  try {
    return await trainEpochs(model, batchesFor, steps, samples, validate, args, context, stepper);
  } catch (error) {
    notify('fitFailed', { model, error });
    throw error;
  } finally {
    await stepper.close();
  }
}

async function trainEpochs(
  model: TrainableModel, batchesFor: EpochBatches, steps: number | null, samples: number | null,
  validate: Validation | undefined, args: FitArgs, context: string, stepper: BatchStepper,
): Promise<History> {
  const { epochs, verbose, initialEpoch } = checkFitArgs(args, context);
  const compiled = model.compiledOrThrow(context);
  const history = new History();
  const userCallbacks = args.callbacks === undefined || args.callbacks === null ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  // History after the user's callbacks (Keras 3, TF.js): it records what they add to an epoch's logs.
  const callbacks = new CallbackList([...userCallbacks, history, ...observerCallbacks(), ...(verbose > 0 ? [new ProgressLogger(verbose)] : [])]);
  const params: TrainingParams = {
    epochs, initialEpoch, steps, samples, batchSize: args.batchSize ?? null, verbose,
    doValidation: validate !== undefined, metrics: epochLogNames(compiled, validate !== undefined),
  };
  let epoch = initialEpoch;
  /** Batches of the epoch trained so far (the batch being trained included, once its step is done). */
  let trained = 0;
  let meanLoss = new RunningMean();
  let outputMeans = lossMeans(compiled);
  callbacks.setup(model, params, () => ({ epoch, step: trained, accumulators: accumulators(compiled, meanLoss, outputMeans) }));
  model.stopTraining = false;
  const reached = { epoch: 0, step: 0 };
  let lastLogs: Logs = {};
  notify('trainBegin', { reached });
  const observeSteps = observed('stepEnd');
  await callbacks.trainBegin();
  const resume = await callbacks.restoreTraining();
  // stopTraining is read after a step and after an epoch, never before the first (Keras 3): set
  // in onTrainBegin or onEpochBegin, it ends training after one step, its epoch recorded.
  for (epoch = Math.max(initialEpoch, resume?.epoch ?? 0); epoch < epochs; epoch++) {
    await callbacks.epochBegin(epoch);
    resetMetrics(compiled);
    meanLoss = new RunningMean();
    outputMeans = lossMeans(compiled);
    // A backup saved in the middle of this epoch: its running loss and metrics, and the batches after it.
    const skip = resume && epoch === resume.epoch ? resume.step : 0;
    if (skip > 0) {
      restoreAccumulators(compiled, meanLoss, outputMeans, resume!.accumulators, context);
      resume!.restoreMidEpoch?.();
    }
    // In the first epoch the batches before the backup are still made and shown to the observers
    // (a recorded run fingerprints the first epoch's data), then dropped untrained.
    const first = epoch === initialEpoch;
    let batch = first ? 0 : skip;
    trained = skip;
    for await (const [xs, ys, rows] of batchesFor(epoch, first ? 0 : skip)) {
      const size = xs[0]!.shape[0]!;
      if (first) notify('batch', { model, epoch: 0, data: batchRecord(xs, ys), ...(rows ? { rows } : {}) });
      if (batch < skip) {
        disposeBatch([xs, ys]);
        batch++;
        await yieldToEventLoop();
        continue;
      }
      await callbacks.batchBegin(batch, { batch, size });
      let result: StepResult;
      try {
        result = await stepper.step(xs, ys, args.classWeight);
      } catch (error) {
        throw rows && error instanceof LabelError ? atDataRow(error, rows, context) : error;
      } finally {
        disposeBatch([xs, ys]);
      }
      meanLoss.add(result.loss, size);
      result.outputLosses.forEach((value, i) => outputMeans[i]!.add(value, size));
      trained = batch + 1;
      reached.epoch = epoch + 1;
      reached.step = batch + 1;
      if (observeSteps) notify('stepEnd', { model, epoch, step: batch, loss: result.loss });
      // Awaited even when no hook returned a promise: a stop a hook asked for in a microtask is seen at this step, as in TF.js.
      await callbacks.batchEnd(batch, { batch, size, ...withTfjsAliases(compiled, epochLogs(compiled, meanLoss, outputMeans)) });
      if (!Number.isFinite(result.loss)) {
        console.warn(`${context}: epoch ${epoch + 1}, step ${batch + 1}: invalid loss (${result.loss}), terminating training`);
        model.stopTraining = true;
      }
      batch++;
      if (model.stopTraining) break;
      await yieldToEventLoop();
    }
    // The data ran out (batchesPerEpoch) before this epoch's first step: there is no epoch to record.
    if (batch === 0 && model.stopTraining) break;
    const logs = epochLogs(compiled, meanLoss, outputMeans);
    if (validate) {
      for (const [name, value] of Object.entries(await validate(epoch))) logs[`val_${name}`] = value;
    }
    notify('epochEnd', { model, epoch, logs });
    lastLogs = withTfjsAliases(compiled, logs);
    await callbacks.epochEnd(epoch, lastLogs);
    if (model.stopTraining) break;
  }
  // Keras 3: onTrainEnd gets the last epoch's logs (with what callbacks added to them).
  await callbacks.trainEnd(lastLogs);
  notify('fitEnd', { model, history });
  return history;
}

/** fit on tensors: validation split, per-epoch keyed shuffle, batches by row. */
export async function fitTensors(model: TrainableModel, xs: Tensor[], ys: Tensor[], args: FitArgs, toBatch: ToBatch): Promise<History> {
  const context = 'fit';
  const { batchSize } = checkFitArgs(args, context);
  checkPair(model, xs, ys, context);
  const split = args.validationSplit ?? 0;
  if (!(typeof split === 'number' && split >= 0 && split < 1)) throw invalid(context, 'Expected validationSplit in [0, 1)', { validationSplit: split });
  if (split > 0 && args.validationData) throw invalid(context, 'Expected validationSplit or validationData, not both', { validationSplit: split });
  const n = xs[0]!.shape[0]!;
  const trainCount = split > 0 ? Math.floor(n * (1 - split)) : n;
  if (trainCount === 0) throw invalid(context, 'Expected at least one example left to train on after validationSplit', { examples: n, validationSplit: split });
  // As Keras: a split too small to take a whole example (1e-17 of ten) validates on nothing.
  if (split > 0 && trainCount === n) throw invalid(context, 'Expected at least one example left to validate on after validationSplit', { examples: n, validationSplit: split });
  checkWholeBatches(model, trainCount, batchSize, context, split > 0 ? 'examples left to train on after validationSplit' : 'examples');
  const head = (list: Tensor[]) => (split > 0 ? list.map((t) => ops.slice(t, [0], [trainCount])) : list);
  const tail = (list: Tensor[]) => list.map((t) => ops.slice(t, [trainCount]));
  const [xTrain, yTrain] = [head(xs), head(ys)];
  const validation: [Tensor[], Tensor[]] | undefined = split > 0 ? [tail(xs), tail(ys)] : undefined;
  const owned: Tensor[] = [];
  try {
    const shuffleKey = keyFor('fit/shuffle');
    const batchesFor = (epoch: number, skip: number) => {
      const order = args.shuffle === false ? undefined : permutationValues(foldIn(shuffleKey, epoch), trainCount);
      return pairBatches(xTrain, yTrain, batchSize, order, skip);
    };
    const validationData: Record<string, Tensor> = {};
    const validate = validationFor(model, args.validationData ?? validation, args, toBatch, context, owned, validationData);
    notify('fitBegin', { model, kind: 'fit', options: { ...args }, data: { ...batchRecord(xs, ys), ...validationData } });
    return await runTraining(model, batchesFor, Math.ceil(trainCount / batchSize), trainCount, validate, args, context);
  } finally {
    if (split > 0) for (const t of [...xTrain, ...yTrain, ...validation![0], ...validation![1]]) t.dispose();
    for (const t of owned) t.dispose();
  }
}

/**
 * fitDataset: each epoch a pass of the dataset, or with batchesPerEpoch the next batchesPerEpoch
 * batches of one iterator that goes on across epochs (TF.js); if it runs out, training stops with
 * TF.js's warning.
 */
export async function fitDatasetBatches(model: TrainableModel, dataset: Dataset<Element>, args: FitArgs, toBatch: ToBatch): Promise<History> {
  const context = 'fitDataset';
  // A dataset cannot be split (Keras refuses it too); TF.js ignores it, which trained without validating.
  if (args.validationSplit) {
    throw invalid(context, 'Expected no validationSplit with a dataset (it can only split tensors: give validationData, as in Keras)', { validationSplit: args.validationSplit });
  }
  const limit = args.batchesPerEpoch;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw invalid(context, 'Expected batchesPerEpoch to be a positive integer', { batchesPerEpoch: limit });
  if (limit === undefined && dataset.size === Infinity) {
    throw invalid(context, 'Expected batchesPerEpoch with an infinite dataset (an epoch would never end)', { 'dataset.size': Infinity });
  }
  const ranOut = (taken: number) => {
    console.warn(`${context}: You provided \`batchesPerEpoch\` as ${limit}, but your dataset iterator ran out of data after ${taken} batches; `
      + 'interrupting training. Make sure that your dataset can generate at least `batchesPerEpoch * epochs` batches '
      + `(in this case, ${limit! * (args.epochs ?? 1)} batches). You may need to use the repeat() function when building your dataset.`);
    model.stopTraining = true;
  };
  let shared: AsyncIterator<Element> | undefined;
  const initialEpoch = args.initialEpoch ?? 0;
  const batchesFor = (epoch: number, skip: number) => (async function* checked() {
    let it: AsyncIterator<Element>;
    let trained = skip;
    if (limit === undefined) it = dataset.iterator([epoch]);
    else {
      // One iterator goes on across epochs: a fit resumed at a later epoch starts it as the first
      // epoch did and moves it past the batches the epochs before took.
      if (!shared) trained += (epoch - initialEpoch) * limit;
      it = shared ??= dataset.iterator([initialEpoch]);
    }
    try {
      await skipElements(it, trained);
      let batches = 0;
      for await (const [xs, ys] of datasetPairs(model, it, limit === undefined ? undefined : limit - skip, toBatch, context, ranOut)) {
        batches++;
        yield [xs, ys] as Batch;
      }
      // Keras's error: an epoch without data has no loss (it was recorded as 0). Running out under batchesPerEpoch stops instead.
      if (limit === undefined && batches === 0 && skip === 0) {
        throw invalid(context, 'Expected a dataset with at least one batch in each epoch', { dataset: `a dataset of 0 batches in epoch ${epoch + 1}` });
      }
    } finally {
      // An epoch's own pass, stopped early (stopTraining, an error): its buffers free their elements.
      if (it !== shared) await it.return?.();
    }
  })();
  const owned: Tensor[] = [];
  try {
    const validationData: Record<string, Tensor> = {};
    const validate = validationFor(model, args.validationData, args, toBatch, context, owned, validationData);
    notify('fitBegin', { model, kind: 'fitDataset', options: { ...args }, data: validationData });
    return await runTraining(model, batchesFor, limit ?? dataset.size, null, validate, args, context);
  } finally {
    for (const t of owned) t.dispose();
    // The iterator batchesPerEpoch shares across epochs is left part way: close it.
    await shared?.return?.();
  }
}

/** The loss and metrics at the end of an epoch. */
export type Validation = (epoch: number) => Promise<Logs>;

/**
 * Evaluation on a dataset's first `batches` batches (all of it without), on pass [epoch] (a new
 * iteration each time, as TF.js and Keras make one, so a reshuffling dataset is validated in a
 * new order each epoch) or, without an epoch, on the pass iterator() gives. Checked now:
 * `batches` a positive integer, and an infinite dataset needs it (an evaluation that never ends
 * is an error, not a hang). `names` are the arguments as messages call them (validationData and
 * validationBatches in fit, whose batches' tensors are named after `argument`: see datasetPairs).
 */
export function datasetEvaluation(
  model: TrainableModel, dataset: Dataset<Element>, batches: number | undefined, toBatch: ToBatch, context: string,
  names: { dataset: string; batches: string; argument?: string },
  evaluated?: (batches: readonly Batch[], logs: Logs) => void,
): (epoch?: number) => Promise<Logs> {
  if (batches !== undefined && !(Number.isInteger(batches) && batches > 0)) throw invalid(context, `Expected ${names.batches} to be a positive integer`, { [names.batches]: batches });
  if (batches === undefined && dataset.size === Infinity) {
    throw invalid(context, `Expected ${names.batches} with an infinite ${names.dataset} (an evaluation would never end)`, { [`${names.dataset}.size`]: Infinity });
  }
  const ranOut = (taken: number) => console.warn(`${context}: ${names.dataset} ran out of data after ${taken} batches (${names.batches}=${batches}); `
    + `evaluating on those. Make sure that your dataset can generate at least ${names.batches} batches; you may need to use repeat() when building it.`);
  return async (epoch) => {
    const pairs: Batch[] = [];
    const it = epoch === undefined ? dataset.iterator() : dataset.iterator([epoch]);
    try {
      try {
        for await (const batch of datasetPairs(model, it, batches, toBatch, context, ranOut, names.argument)) pairs.push(batch);
      } finally {
        await it.return?.(); // the pass stops after `batches` or a bad batch: its buffers (a shuffle's) free their elements
      }
      if (pairs.length === 0) {
        throw invalid(context, `Expected ${names.dataset} with at least one batch (nothing evaluated has no loss)`, { [names.dataset]: 'a dataset of 0 batches' });
      }
      const logs = evaluateBatches(model, pairs);
      evaluated?.(pairs, logs);
      return logs;
    } finally {
      pairs.forEach(disposeBatch);
    }
  };
}

/**
 * The validation of fit and fitDataset, on [x, y] or a dataset (its first `validationBatches`
 * batches, or all of it); tensors converted from arrays go to `owned` for the caller to dispose.
 * Tensors given as validationData are added to `recorded`
 * under 'validation x', 'validation y' (...): a recorded run fingerprints them with the fit's data
 * (a dataset's are not).
 */
export function validationFor(
  model: TrainableModel, data: FitArgs['validationData'], args: FitArgs, toBatch: ToBatch, context: string, owned: Tensor[],
  recorded: Record<string, Tensor>,
): Validation | undefined {
  const batches = args.validationBatches;
  if (batches !== undefined && (!data || Array.isArray(data))) {
    throw invalid(context, 'Expected validationBatches only with a dataset as validationData', { validationBatches: batches });
  }
  if (!data) return undefined;
  if (Array.isArray(data)) {
    const { batch: [xv, yv], converted } = toBatch(data[0], data[1], ['validationData[0]', 'validationData[1]']);
    owned.push(...converted);
    checkPair(model, xv, yv, context, ['validationData[0]', 'validationData[1]']);
    const batchSize = args.validationBatchSize ?? args.batchSize ?? 32;
    checkWholeBatches(model, xv[0]!.shape[0]!, batchSize, context, 'validation examples');
    for (const [name, t] of Object.entries(batchRecord(xv, yv))) recorded[`validation ${name}`] = t;
    return async () => evaluateBatches(model, disposingPairs(xv, yv, batchSize));
  }
  return datasetEvaluation(model, data as Dataset<Element>, batches, toBatch, context, { dataset: 'validationData', batches: 'validationBatches', argument: 'validationData' });
}
