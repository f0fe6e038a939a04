/**
 * Training callbacks (TF.js-style objects with optional async hooks), History, EarlyStopping and
 * the progress display. Timing here only feeds the display, never a number of the model.
 */
import { invalid, refuseUnknownOptions } from '../errors.js';
import type { Optimizer } from '../optimizers/optimizer.js';
import type { Variable } from '../tensor/tensor.js';

export type Logs = Record<string, number>;

export interface TrainingModel {
  stopTraining: boolean;
  /** Its weights in order (optimizer slots are named after them). */
  readonly weights: Variable[];
  getWeightValues(): Float32Array[];
  setWeightValues(values: readonly Float32Array[]): void;
  readonly optimizer?: Optimizer | undefined;
  /** The input shapes it was built for (undefined until built: a Sequential without an input shape builds at its first batch). */
  expectedInputShapes?(): (number | null)[][] | undefined;
  ensureBuilt?(inputShapes: (number | null)[][], context: string): void;
}

/** A callback's state for backups: JSON-like values, numbers of any kind, and Float32Arrays. */
export type CallbackState = number | string | boolean | null | undefined | Float32Array | CallbackState[] | { [key: string]: CallbackState };

export interface Callback {
  setModel?(model: TrainingModel): void;
  setParams?(params: TrainingParams): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  /** Gives the callback every callback of the fit (backupAndRestore saves their states). */
  setCallbacks?(callbacks: readonly Callback[]): void;
  /** After every onTrainBegin: restores a saved training state; returns where to resume. */
  restoreTraining?(): Promise<TrainingPosition | undefined>;
  /** Gives the callback where training stands at any moment (backupAndRestore saves it mid-epoch). */
  setPosition?(position: () => TrainingPosition): void;
  /** Callbacks whose state carries across epochs save it here and restore it in setState. */
  getState?(): CallbackState;
  setState?(state: CallbackState): void;
}

/**
 * TF.js's tf.Callback, the base class of callbacks written as classes: subclass it and define
 * the hooks you need; fit gives it `model` and `params` before training. (The class merges with
 * the interface above, so a plain object of hooks is still a Callback.)
 */
export class Callback {
  model?: TrainingModel;
  params?: TrainingParams;

  setModel?(model: TrainingModel): void {
    this.model = model;
  }

  setParams?(params: TrainingParams): void {
    this.params = params;
  }

  // The hooks do nothing here (no promise, so fit awaits nothing for them), so that a subclass's
  // hook may call super's, as TF.js's may.
  onTrainBegin?(_logs?: Logs): void | Promise<void> {}
  onTrainEnd?(_logs?: Logs): void | Promise<void> {}
  onEpochBegin?(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd?(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onBatchBegin?(_batch: number, _logs?: Logs): void | Promise<void> {}
  onBatchEnd?(_batch: number, _logs?: Logs): void | Promise<void> {}
}

/**
 * Where training stands: the epoch, the batches of it already trained, and the epoch's running
 * state (the loss means' and the metrics' accumulators, in the training loop's order), which is
 * what a resumed epoch needs to end with the same logs.
 */
export interface TrainingPosition {
  epoch: number;
  step: number;
  accumulators: number[][];
  /**
   * For a position in the middle of an epoch, what restores the model's state of that moment once
   * the epoch's onEpochBegin hooks have run again (a stateful layer's carried states, which a hook
   * resetting them at each epoch's start would otherwise undo; the learning rate, which a hook
   * changing it there would otherwise change twice). A backup saved at an epoch's start needs none:
   * it was saved before that epoch's onEpochBegin hooks ran.
   */
  restoreMidEpoch?: () => void;
}

export interface TrainingParams {
  epochs: number;
  initialEpoch: number;
  /** Batches per epoch, when known. */
  steps: number | null;
  samples: number | null;
  batchSize: number | null;
  verbose: number;
  /** Whether each epoch is validated (TF.js's params have it). */
  doValidation: boolean;
  metrics: string[];
}

/** What fit returns: per-epoch logs (loss, metrics, val_ entries). */
export class History implements Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  params: TrainingParams | undefined;

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [name, value] of Object.entries(logs)) (this.history[name] ??= []).push(value);
  }

  getState(): CallbackState {
    return { epoch: [...this.epoch], history: Object.fromEntries(Object.entries(this.history).map(([k, v]) => [k, [...v]])) };
  }

  setState(state: CallbackState): void {
    const { epoch, history } = state as { epoch: number[]; history: Record<string, number[]> };
    this.epoch.splice(0, this.epoch.length, ...epoch);
    for (const key of Object.keys(this.history)) delete this.history[key];
    Object.assign(this.history, history);
  }
}

export class CallbackList {
  /** The callbacks that keep backups (restoreTraining), then the others: see epochBegin, trainEnd and batchEnd. */
  private readonly backupsFirst: readonly Callback[];
  private readonly backupsLast: readonly Callback[];

  constructor(readonly callbacks: readonly Callback[]) {
    const backups = callbacks.filter((c) => c.restoreTraining);
    const others = callbacks.filter((c) => !c.restoreTraining);
    this.backupsFirst = [...backups, ...others];
    this.backupsLast = [...others, ...backups];
  }

  setup(model: TrainingModel, params: TrainingParams, position: () => TrainingPosition): void {
    for (const c of this.callbacks) {
      c.setModel?.(model);
      c.setParams?.(params);
      c.setCallbacks?.(this.callbacks);
      c.setPosition?.(position);
    }
  }

  /** Where a restored backup resumes, if any callback restored one. */
  async restoreTraining(): Promise<TrainingPosition | undefined> {
    let position: TrainingPosition | undefined;
    for (const c of this.callbacks) position = (await c.restoreTraining?.()) ?? position;
    return position;
  }

  trainBegin(logs: Logs = {}): Promise<void> | undefined {
    return this.each((c) => c.onTrainBegin?.(logs));
  }

  /**
   * Callbacks that keep backups end first: a backup kept at the end holds the state the last epoch
   * ended with, before another callback's onTrainEnd changes the model (earlyStopping's
   * restoreBestWeights), so that a fit continuing it with more epochs is one longer fit.
   */
  trainEnd(logs: Logs = {}): Promise<void> | undefined {
    return this.each((c) => c.onTrainEnd?.(logs), this.backupsFirst);
  }

  /**
   * Callbacks that keep backups begin first: a backup saved at an epoch's start holds the state the
   * previous epoch left after every onEpochEnd, before any callback's onEpochBegin changes it (a
   * learning rate halved, a counter of its own), which a fit resumed from it runs again, once.
   */
  epochBegin(epoch: number, logs: Logs = {}): Promise<void> | undefined {
    return this.each((c) => c.onEpochBegin?.(epoch, logs), this.backupsFirst);
  }

  /**
   * Every callback receives the same logs object, as in Keras and TF.js: an entry a callback adds
   * (a metric it computes, `val_f1` say) is seen by the callbacks after it (earlyStopping
   * monitoring it, History recording it).
   */
  epochEnd(epoch: number, logs: Logs): Promise<void> | undefined {
    return this.each((c) => c.onEpochEnd?.(epoch, logs));
  }

  batchBegin(batch: number, logs: Logs): Promise<void> | undefined {
    return this.each((c) => c.onBatchBegin?.(batch, logs));
  }

  /**
   * Callbacks that keep backups end last: a backup saved after a batch holds what every other
   * callback's onBatchEnd did at that batch (a resetStates() of stateful layers, a learning rate it
   * set), which a fit resumed from it does not run again.
   */
  batchEnd(batch: number, logs: Logs): Promise<void> | undefined {
    return this.each((c) => c.onBatchEnd?.(batch, logs), this.backupsLast);
  }

  /**
   * Calls a hook of every callback in order, each after the previous one's promise settled. Hooks
   * that return no promise (most, at every step) are not awaited: no turn of the microtask queue
   * for them, and undefined when none returned a promise, which the training loop does not await.
   */
  private each(hook: (c: Callback) => void | Promise<void>, callbacks = this.callbacks, from = 0): Promise<void> | undefined {
    for (let i = from; i < callbacks.length; i++) {
      const pending: unknown = hook(callbacks[i]!);
      // A JavaScript hook may return anything: only a thenable is waited for, as await would.
      if (typeof (pending as PromiseLike<void> | undefined)?.then === 'function') return Promise.resolve(pending as PromiseLike<void>).then(() => this.each(hook, callbacks, i + 1));
    }
    return undefined;
  }
}

export interface EarlyStoppingArgs {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
  restoreBestWeights?: boolean;
  /** Epochs of warm-up before the monitored quantity is watched (Keras 3's start_from_epoch). */
  startFromEpoch?: number;
  verbose?: number;
}

/**
 * Stops training when `monitor` has not improved by more than minDelta for `patience` epochs
 * (Keras semantics; mode 'auto' maximises accuracy-like metrics and minimises the rest), and
 * optionally restores the weights of the best epoch when training ends, stopped early or not
 * (Keras 3's on_train_end).
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  model: TrainingModel | undefined;
  private wait = 0;
  private best = Infinity;
  private bestWeights: Float32Array[] | undefined;
  /** Whether this fit was told that the monitored quantity is missing from its logs (said once per fit). */
  private warnedMissing = false;
  stoppedEpoch = 0;

  constructor(args: EarlyStoppingArgs = {}) {
    refuseUnknownOptions('earlyStopping', args, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch', 'verbose']);
    this.monitor = args.monitor ?? 'val_loss';
    this.minDelta = Math.abs(args.minDelta ?? 0);
    this.patience = args.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw invalid('earlyStopping', 'Expected patience to be a non-negative integer', { patience: args.patience });
    }
    const mode = args.mode ?? 'auto';
    if (!['auto', 'min', 'max'].includes(mode)) throw invalid('earlyStopping', "Expected mode 'auto', 'min' or 'max'", { mode });
    this.mode = mode === 'auto' ? (/acc|auc|precision|recall/.test(this.monitor) ? 'max' : 'min') : mode;
    this.baseline = args.baseline;
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.startFromEpoch = args.startFromEpoch ?? 0;
    if (!Number.isInteger(this.startFromEpoch) || this.startFromEpoch < 0) {
      throw invalid('earlyStopping', 'Expected startFromEpoch to be a non-negative integer', { startFromEpoch: args.startFromEpoch });
    }
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  private improved(current: number, reference: number): boolean {
    return this.mode === 'min' ? current < reference - this.minDelta : current > reference + this.minDelta;
  }

  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestWeights = undefined;
    this.warnedMissing = false;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    // As Keras and TF.js: a quantity the logs lack (val_loss without validation data) is warned
    // about and watched no further that epoch (nothing stops, no weights are kept); said once per fit.
    if (current === undefined) {
      if (!this.warnedMissing) console.warn(`earlyStopping: the monitored quantity ${JSON.stringify(this.monitor)} is not among the epoch's logs (${Object.keys(logs).join(', ')}): training is not stopped early`);
      this.warnedMissing = true;
      return;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === undefined) this.bestWeights = this.model!.getWeightValues();
    this.wait++;
    if (this.improved(current, this.best)) {
      this.best = current;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeightValues();
      if (this.baseline === undefined || this.improved(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (this.restoreBestWeights && this.bestWeights) this.model!.setWeightValues(this.bestWeights);
  }

  getState(): CallbackState {
    return { wait: this.wait, best: this.best, stoppedEpoch: this.stoppedEpoch, bestWeights: this.bestWeights };
  }

  setState(state: CallbackState): void {
    const s = state as { wait: number; best: number; stoppedEpoch: number; bestWeights: Float32Array[] | undefined };
    this.wait = s.wait;
    this.best = s.best;
    this.stoppedEpoch = s.stoppedEpoch;
    this.bestWeights = s.bestWeights;
  }
}

/** Whether a log key is TF.js's `acc` alias of an `accuracy` entry in the same logs (src/models/tfjs-logs.ts): not displayed twice. */
function isTfjsAlias(key: string, logs: Logs): boolean {
  return key.endsWith('acc') && `${key}uracy` in logs;
}

type Write = (text: string) => void;

function defaultWrite(): { write: Write; interactive: boolean } {
  const stdout = (globalThis as { process?: { stdout?: { write(s: string): void; isTTY?: boolean } } }).process?.stdout;
  if (stdout) return { write: (s) => stdout.write(s), interactive: Boolean(stdout.isTTY) };
  let line = '';
  return {
    write: (s) => {
      line += s.replace(/\r/g, '');
      const parts = line.split('\n');
      line = parts.pop()!;
      for (const p of parts) console.log(p);
    },
    interactive: false,
  };
}

/** A log's value as the progress bar shows it; a callback may have added any value to the shared logs. */
function formatValue(value: unknown): string {
  if (typeof value !== 'number') return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(4) : value.toFixed(4);
}

function formatDuration(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  return `${Math.round(seconds)}s`;
}

/**
 * Keras-style output. verbose 1: "Epoch 1/3" and a progress bar with ETA and running metrics
 * (redrawn in place on a terminal, printed once per epoch otherwise); verbose 2: one line per epoch.
 */
export class ProgressLogger implements Callback {
  params: TrainingParams | undefined;
  private epochStart = 0;
  private lastDraw = 0;
  private readonly write: Write;
  private readonly interactive: boolean;

  constructor(private readonly verbose: number, sink?: { write: Write; interactive: boolean }) {
    const target = sink ?? defaultWrite();
    this.write = target.write;
    this.interactive = target.interactive;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  onEpochBegin(epoch: number): void {
    this.epochStart = performance.now();
    this.write(`Epoch ${epoch + 1}/${this.params!.epochs}\n`);
  }

  private metricsText(logs: Logs): string {
    return Object.entries(logs).filter(([k]) => k !== 'batch' && k !== 'size' && !isTfjsAlias(k, logs)).map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join('');
  }

  private bar(done: number, total: number | null): string {
    if (total === null) return `${done}/Unknown`;
    const width = 30;
    const filled = total === 0 ? width : Math.floor((done / total) * width);
    const body = filled > 0 ? `${'='.repeat(filled - 1)}${done < total ? '>' : '='}` : '';
    return `${String(done).padStart(String(total).length)}/${total} [${body}${'.'.repeat(width - filled)}]`;
  }

  onBatchEnd(batch: number, logs: Logs = {}): void {
    if (this.verbose !== 1 || !this.interactive) return;
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const done = batch + 1;
    const total = this.params!.steps;
    const perStep = (now - this.epochStart) / 1000 / done;
    const eta = total === null ? '' : ` - ETA: ${formatDuration(perStep * (total - done))}`;
    this.write(`\r${this.bar(done, total)}${eta}${this.metricsText(logs)}`);
  }

  onEpochEnd(_epoch: number, logs: Logs = {}): void {
    const seconds = (performance.now() - this.epochStart) / 1000;
    const steps = this.params!.steps;
    const perStep = steps ? ` ${Math.round((seconds * 1000) / steps)}ms/step` : '';
    const head = this.verbose === 1 ? `${this.interactive ? '\r' : ''}${this.bar(steps ?? 0, steps)} - ` : `${steps ?? '?'}/${steps ?? '?'} - `;
    this.write(`${head}${formatDuration(seconds)}${perStep}${this.metricsText(logs)}\n`);
  }
}
