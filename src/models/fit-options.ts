/**
 * The options fit and fitDataset take: TF.js's ModelFitArgs and ModelFitDatasetArgs keys (so a
 * TF.js program's options are all accepted) and verbatim's own. Any other key is an error naming
 * it, so a misspelt option never passes silently. One fit of a model runs at a time.
 */
import { invalid } from '../errors.js';
import type { History } from './callbacks.js';

/** Keys of TF.js 4.22's ModelFitArgs and ModelFitDatasetArgs, and verbatim's own. */
const TFJS_FIT_KEYS = [
  'batchSize', 'epochs', 'verbose', 'callbacks', 'validationSplit', 'validationData', 'shuffle', 'classWeight', 'sampleWeight',
  'initialEpoch', 'stepsPerEpoch', 'validationSteps', 'yieldEvery', 'batchesPerEpoch', 'validationBatchSize', 'validationBatches',
  // verbatim's own:
  'dataParallel',
] as const;

/** TF.js keys verbatim accepts but does not implement: an error when given a value (TF.js 4.22 does not implement sampleWeight either). */
const UNSUPPORTED = ['sampleWeight', 'stepsPerEpoch', 'validationSteps'] as const;

/** Options only TF.js programs pass; none changes a number of the training. */
export interface TfjsFitOptions {
  /**
   * TF.js's schedule for yielding to the event loop ('auto', 'batch', 'epoch', 'never' or a number
   * of milliseconds). Accepted and ignored: verbatim awaits every callback, and no yield changes
   * a number.
   */
  yieldEvery?: 'auto' | 'batch' | 'epoch' | 'never' | number;
  /** With a dataset given as validationData [x, y] tensors: the batch size of validation. */
  validationBatchSize?: number;
  /** Not supported (an error if given). */
  sampleWeight?: never;
  /** Not supported (an error if given). */
  stepsPerEpoch?: never;
  /** Not supported (an error if given). */
  validationSteps?: never;
}

/** fit's dataParallel option (src/models/data-parallel.ts; README, "Data-parallel training"). */
export interface DataParallelOptions {
  /** Worker threads computing micro-batch gradients (a positive integer); the result does not depend on it. */
  workers: number;
  /** Examples per micro-batch (a positive integer); each batch's last micro-batch may be smaller. */
  microBatch: number;
  /** Compute every micro-batch in this thread (the same bits; what happens where worker threads are unavailable). */
  inProcess?: boolean;
  /** Workers in other processes over TCP instead of worker threads (src/models/data-parallel-tcp.ts). */
  processes?: ProcessOptions;
  /**
   * A module (URL or path) each worker imports before rebuilding the model: one that registers
   * the model's custom layers (vb.serialization.registerClass), as the workers run no user code.
   * A worker process imports it only under a path it was started with (--allow-module;
   * src/models/data-parallel-modules.ts).
   */
  workerModule?: string;
  /**
   * Seconds a worker has to answer each request (its setup, each step; default 60): a worker that
   * does not (frozen, partitioned) fails the fit naming it and the step.
   */
  timeout?: number;
}

/** Where fit listens for data-parallel worker processes, and whether it starts them. */
export interface ProcessOptions {
  /** The address to listen on, which started workers connect to (default 127.0.0.1). */
  host?: string;
  /** The port (default 0: a free one). */
  port?: number;
  /** Start the workers on this machine (default true); false: wait for `workers` processes started elsewhere. */
  spawn?: boolean;
  /** Seconds to wait for the workers to connect (default 60). */
  connectTimeout?: number;
}

export function checkFitOptionNames(args: object, context: string): void {
  for (const key of Object.keys(args)) {
    const value = (args as Record<string, unknown>)[key];
    if (!(TFJS_FIT_KEYS as readonly string[]).includes(key)) {
      throw invalid(context, `Expected options among ${TFJS_FIT_KEYS.join(', ')}`, { [key]: value });
    }
    if ((UNSUPPORTED as readonly string[]).includes(key) && value !== undefined && value !== null) {
      throw invalid(context, `Expected no ${key} (not supported; TF.js 4.22 implements none of ${UNSUPPORTED.join(', ')} either)`, { [key]: value });
    }
  }
  const { callbacks } = args as { callbacks?: unknown };
  if (callbacks !== undefined && callbacks !== null) {
    const list: unknown[] = Array.isArray(callbacks) ? callbacks : [callbacks];
    const bad = list.findIndex((c) => c === null || typeof c !== 'object');
    if (bad >= 0) throw invalid(context, 'Expected callbacks as objects of hooks ({onEpochEnd, ...}, vb.callbacks.*), or a list of them', { [Array.isArray(callbacks) ? `callbacks[${bad}]` : 'callbacks']: list[bad] });
  }
  checkOptionValues(args as Record<string, unknown>, context);
  const { yieldEvery } = args as TfjsFitOptions;
  if (yieldEvery !== undefined && !['auto', 'batch', 'epoch', 'never'].includes(yieldEvery as string) && !(typeof yieldEvery === 'number' && yieldEvery >= 0)) {
    throw invalid(context, "Expected yieldEvery 'auto', 'batch', 'epoch', 'never' or a number of milliseconds", { yieldEvery });
  }
}

/**
 * Values that would otherwise train wrong silently or hang: a shuffle of 0 or 'batch' shuffled,
 * a classWeight of 2 weighted nothing, sample weights in validationData were dropped, and a
 * validationBatchSize of 0 never ended the validation.
 */
function checkOptionValues(args: Record<string, unknown>, context: string): void {
  const { shuffle, classWeight, validationData, validationBatchSize } = args;
  if (shuffle !== undefined && shuffle !== null && typeof shuffle !== 'boolean') {
    throw invalid(context, "Expected shuffle to be true or false (TF.js's 'batch' is not implemented)", { shuffle });
  }
  if (classWeight !== undefined && classWeight !== null) {
    // A Map (or a tensor) has no entries of its own: it weighted nothing, without a word.
    const prototype = typeof classWeight === 'object' ? Object.getPrototypeOf(classWeight) : undefined;
    if (prototype !== undefined && prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null) {
      throw invalid(context, 'Expected classWeight to be a plain object mapping class indices to weights, {0: 1, 1: 5} say', { classWeight: `a ${(classWeight as object).constructor?.name ?? 'object'}` });
    }
    const entries = typeof classWeight === 'object' ? Object.entries(classWeight) : [];
    const bad = entries.find(([k, v]) => !/^(0|[1-9]\d*)$/.test(k) || typeof v !== 'number' || !Number.isFinite(v));
    if (typeof classWeight !== 'object' || bad) {
      throw invalid(context, 'Expected classWeight to map class indices (integers >= 0) to finite numbers, {0: 1, 1: 5} say', bad ? { [`classWeight[${JSON.stringify(bad[0])}]`]: bad[1] } : { classWeight });
    }
  }
  if (validationData !== undefined && validationData !== null) {
    const isDataset = typeof (validationData as { iterator?: unknown }).iterator === 'function';
    if (!isDataset && !(Array.isArray(validationData) && validationData.length === 2)) {
      throw invalid(context, 'Expected validationData as [x, y] or a dataset (sample weights are not supported, as in TF.js 4.22)',
        { validationData: Array.isArray(validationData) ? `a list of ${validationData.length}` : validationData });
    }
  }
  if (validationBatchSize !== undefined && !(Number.isInteger(validationBatchSize) && (validationBatchSize as number) > 0)) {
    throw invalid(context, 'Expected validationBatchSize to be a positive integer', { validationBatchSize });
  }
}

/** Models in a fit now: a second fit of one of them would interleave its steps with the first's. */
const training = new WeakSet<{ readonly name: string }>();

/** Runs a fit of the model, refused (before anything is recorded) while another fit of it runs. */
export async function exclusiveFit(model: { readonly name: string }, context: string, fit: () => Promise<History>): Promise<History> {
  if (training.has(model)) {
    throw invalid(context, 'Expected no other fit of this model in progress (await it first, as TF.js requires)', { model: model.name });
  }
  training.add(model);
  try {
    return await fit();
  } finally {
    training.delete(model);
  }
}
