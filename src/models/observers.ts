/**
 * Observers of training (the run recorder is one). They are told about fits, epochs and steps
 * and may read the model; they never change a number of the training.
 */
import type { Tensor, Variable } from '../tensor/tensor.js';
import type { Callback, History, Logs } from './callbacks.js';
import type { WeightLayout, WeightOwner } from './weight-digest.js';

export interface ObservedModel {
  readonly name: string;
  readonly weights: Variable[];
  readonly layers: readonly WeightOwner[];
  weightsDigest(): string;
  layerDigests(): Record<string, string>;
  /** Where the weights sit in the bytes of the model's digest: reads them and their digests (whole and per layer). */
  weightLayout(): WeightLayout;
  getConfig(): Record<string, unknown>;
}

export interface TrainingObserver {
  fitBegin?(info: { model: ObservedModel; kind: 'fit' | 'fitDataset'; options: Record<string, unknown>; data: Record<string, Tensor> }): void;
  /**
   * Every batch of the first epoch, for fingerprinting dataset inputs; rows (fit on tensors) are
   * the batch's rows of the data fitBegin was given.
   */
  batch?(info: { model: ObservedModel; epoch: number; data: Record<string, Tensor>; rows?: Int32Array }): void;
  /**
   * Training begins (after fitBegin); `reached` is where it stands, kept current by the training
   * loop at every step (epoch counted from 1, the steps of it done), read when needed instead of
   * being told every step.
   */
  trainBegin?(info: { reached: { readonly epoch: number; readonly step: number } }): void;
  /** Every step: only observers that trace steps have it (a notification per step costs even when unused). */
  stepEnd?(info: { model: ObservedModel; epoch: number; step: number; loss: number }): void;
  epochEnd?(info: { model: ObservedModel; epoch: number; logs: Logs }): void;
  fitEnd?(info: { model: ObservedModel; history: History }): void;
  /** The fit ended by an error (thrown on to the script, which may catch it and go on). */
  fitFailed?(info: { model: ObservedModel; error: unknown }): void;
  /**
   * A model.evaluate or evaluateDataset call returned: the data it evaluated (a dataset's batches
   * concatenated per input), how it was batched (evaluate's batchSize, or each dataset batch's
   * size), and its results by name, as its logs name them.
   */
  evaluate?(info: { model: ObservedModel; kind: 'evaluate' | 'evaluateDataset'; data: Record<string, Tensor>; batchSizes: number[]; results: Logs }): void;
  /** A model.predict call returned: its inputs and outputs. */
  predict?(info: { model: ObservedModel; data: Record<string, Tensor>; outputs: readonly Tensor[] }): void;
  /** Callbacks the observer adds to every fit (a recorded run's automatic backups). */
  callbacks?(): Callback[];
}

export const TRAINING_OBSERVERS = new Set<TrainingObserver>();

export function notify<K extends keyof TrainingObserver>(event: K, info: Parameters<NonNullable<TrainingObserver[K]>>[0]): void {
  for (const observer of TRAINING_OBSERVERS) (observer[event] as ((i: typeof info) => void) | undefined)?.call(observer, info);
}

/** Whether an observer wants this event (the training loop asks once per fit for the per-step ones). */
export function observed(event: keyof TrainingObserver): boolean {
  for (const observer of TRAINING_OBSERVERS) if (observer[event]) return true;
  return false;
}

/** The callbacks every observer adds to a fit. */
export function observerCallbacks(): Callback[] {
  return [...TRAINING_OBSERVERS].flatMap((observer) => observer.callbacks?.() ?? []);
}
