/**
 * backupAndRestore (Keras 3 semantics): a training killed at any moment resumes, when the same
 * script runs again, from the last backup, and ends bit-identical to a run never killed. That
 * holds because everything a step depends on is either saved here or a function of what is
 * saved: the weights, the optimizer state (its step count drives learning-rate schedules, bias
 * corrections and the keys of dropout and augmentation), the epoch and the batches of it already
 * trained (fit's shuffle order is permutation(foldIn(key, epoch)); a vb.data pipeline runs pass
 * [epoch], a pure function of the pass, so its shuffle, map and repeat state is rebuilt by running
 * that pass up to the saved batch), the epoch's running loss and metric accumulators, and every
 * callback's state (History, earlyStopping).
 */
import { invalid } from '../errors.js';
import { optionalBuiltin } from '../util/node.js';
import { Stopwatch } from '../util/stopwatch.js';
import { writeFailure } from '../util/write-failure.js';
import { tensor } from '../ops/index.js';
import { Variable } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import type { Callback, CallbackState, Logs, TrainingModel, TrainingParams, TrainingPosition } from './callbacks.js';
import { carriedStatesOf, restoreCarriedStates, statefulLayers } from './stateful.js';
import type { CarriedStates } from '../layers/recurrent.js';

export interface BackupAndRestoreArgs {
  /** The directory of the backup (created if missing). */
  backupDir: string;
  /** When to save: 'epoch' (at the end of each epoch) or every N batches (and at the end of each epoch). */
  saveFreq?: 'epoch' | number;
  /** Delete the backup when training ends normally (default true). */
  deleteCheckpoint?: boolean;
}

/**
 * For backups that verbatim makes itself (a recorded run's, for `verbatim run --resume`), not
 * part of the Keras API: save when at least `intervalSeconds` passed since the last save (at a
 * batch's end when the metrics can save their state, else at an epoch's start), never at a fixed
 * count; flush the run's records first. When a backup is written changes where a restart
 * resumes, never a number: the clock only decides when to save.
 */
export interface AutomaticBackup {
  intervalSeconds: number;
  beforeSave: () => void;
  /** The run's backups of ended fits that are not written yet (shared by the run's fits). */
  held: HeldBackups;
  /** Told of each backup as it is saved (written now or held): the run notes which backup each custom value follows. */
  saving?: (point: BackupPoint) => void;
  /**
   * Told when training passes where backups are saved, at each epoch's start (before every other
   * callback's onEpochBegin) and at onTrainEnd, or, in a fit resumed in the middle of an epoch,
   * once that epoch's onEpochBegin hooks ran again: a fit restored from a backup has then run again
   * every hook that had run before its backup was saved (onTrainBegin, and the resumed epoch's
   * onEpochBegin for a backup saved in that epoch), and what its hooks do from then on was done
   * after the backup.
   */
  passing?: () => void;
}

/** Where a backup resumes: at this epoch, after `step` of its batches; or a fit's final state. */
export interface BackupPoint {
  epoch: number;
  step: number;
  finished: boolean;
}

/**
 * A fit's final state (a restart trains that fit no further) is written when the interval has
 * passed since the run's last backup; otherwise it is held, and written before any later backup
 * of the run, or when the run ends other than completed. The fits with a backup on disk are
 * then always the first ones, which is what resuming needs (it cuts the records back to the
 * backups and trains again from the first fit without one), and a script of many short fits
 * writes no backup files at all (a completed run removes its backups). A SIGKILL loses the held
 * states: those fits are trained again, bit for bit, on resume.
 */
export class HeldBackups {
  /** Held states above this size are written at once rather than kept in memory. */
  private static readonly MAX_HELD_BYTES = 1 << 24;
  private readonly writes: (() => void)[] = [];
  private bytes = 0;
  // Non-numeric: the clock decides only when backups are written.
  private readonly sinceWrite = new Stopwatch();

  due(intervalSeconds: number): boolean {
    return this.sinceWrite.elapsedMs() >= intervalSeconds * 1000;
  }

  /** Holds a backup's write; false (nothing held) when it would hold too much: the caller writes it, with the records first. */
  hold(write: () => void, bytes: number): boolean {
    if (this.bytes + bytes > HeldBackups.MAX_HELD_BYTES) return false;
    this.writes.push(write);
    this.bytes += bytes;
    return true;
  }

  /** Writes the held backups, oldest first; the caller writes a later one after them. */
  writeAll(): void {
    this.sinceWrite.restart();
    this.bytes = 0;
    for (const write of this.writes.splice(0)) write();
  }
}

type Fs = {
  existsSync(p: string): boolean;
  mkdirSync(p: string, o: { recursive: boolean }): void;
  readFileSync(p: string, encoding: 'utf8'): string;
  openSync(p: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  rmSync(p: string, o: { force: boolean }): void;
};
type Path = { join(...p: string[]): string };

const FILE = 'backup.json';
const FORMAT = 'verbatim-backup-2';

/** An optimizer slot's name (<variable>/m) moved to this model's variable of the same position ('iter' stays). */
function slotName(name: string, renamed: ReadonlyMap<string, string>): string {
  const at = name.lastIndexOf('/');
  const variable = at < 0 ? undefined : renamed.get(name.slice(0, at));
  return variable === undefined ? name : variable + name.slice(at);
}

/** JSON of callback states, keeping every float bit: Float32Arrays as base64, -0/NaN/Infinity tagged. */
function encode(value: CallbackState): unknown {
  if (value instanceof Float32Array) return { $f32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0) ? value : { $f64: String(value) };
  if (value === undefined) return { $undefined: true };
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  return value;
}

function decode(value: unknown): CallbackState {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$f32 === 'string') {
      const bytes = Buffer.from(o.$f32, 'base64');
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    }
    if (typeof o.$f64 === 'string') return Number(o.$f64);
    if (o.$undefined === true) return undefined;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decode(v)]));
  }
  return value as CallbackState;
}

interface Backup {
  format: string;
  /** Training resumes at this epoch... */
  epoch: number;
  /** ...after this many of its batches, with the epoch's running loss and metrics as they were. */
  step: number;
  accumulators: number[][];
  weights: Float32Array[];
  /**
   * The weights' names in the model that saved it: the optimizer's slots are named after them, and
   * a model made again in the same process has another name (sequential_1), so they are renamed.
   */
  weightNames?: string[];
  /** The step counter (int32) as plain numbers, float32 slots as Float32Arrays. */
  optimizer: { name: string; dtype: DType; shape: number[]; values: Float32Array | number[] }[];
  /** The optimizer's learning rate when a number, which setLearningRate may have changed (absent in older backups and for a schedule). */
  learningRate?: number;
  callbacks: { kind: string; state: CallbackState }[];
  /**
   * Written when training ended (deleteCheckpoint false): a restart with the same epochs trains no
   * further; one asking for more continues at `epoch` (Keras), unless training was stopped early.
   */
  finished: boolean;
  /** With finished: the epochs that fit asked for, and whether a callback stopped it before them (absent in older backups: no further). */
  epochs?: number;
  stopped?: boolean;
  /** Stateful recurrent layers' carried states (null at zeros), in layer order; absent without such layers. */
  carriedStates?: (CarriedStates | null)[];
  /** The shapes the model was built for: a restart builds a model that builds at its first batch from them before restoring. */
  inputShapes?: (number | null)[][];
}

export class BackupAndRestore implements Callback {
  readonly backupDir: string;
  readonly deleteCheckpoint: boolean;
  readonly saveFreq: 'epoch' | number;
  private readonly fs: Fs;
  private position: (() => TrainingPosition) | undefined;
  private batchesSinceSave = 0;
  private readonly sinceSave = new Stopwatch();
  /** Automatic backups save mid-epoch only while every metric can save its state. */
  private midEpoch = true;
  private readonly file: string;
  model: TrainingModel | undefined;
  private callbacks: readonly Callback[] = [];
  params: TrainingParams | undefined;
  private startEpoch = 0;
  private completedEpochs = 0;
  /** Restored in the middle of startEpoch: training passes the backup after that epoch's onEpochBegin hooks (restoreMidEpoch). */
  private resumesMidEpoch = false;

  constructor(args: BackupAndRestoreArgs, private readonly automatic?: AutomaticBackup) {
    const context = 'backupAndRestore';
    if (typeof args !== 'object' || args === null || typeof args.backupDir !== 'string' || args.backupDir === '') {
      throw invalid(context, 'Expected {backupDir: a non-empty string}', { backupDir: args?.backupDir });
    }
    const saveFreq = args.saveFreq ?? 'epoch';
    if (saveFreq !== 'epoch' && !(Number.isInteger(saveFreq) && saveFreq > 0)) {
      throw invalid(context, "Expected saveFreq 'epoch' or a positive integer number of batches", { saveFreq });
    }
    this.saveFreq = saveFreq;
    const fs = optionalBuiltin<Fs>('node:fs');
    const path = optionalBuiltin<Path>('node:path');
    if (!fs || !path) throw invalid(context, 'Expected Node.js: backups are written to the file system', { backupDir: args.backupDir });
    this.fs = fs;
    this.backupDir = args.backupDir;
    this.file = path.join(args.backupDir, FILE);
    this.deleteCheckpoint = args.deleteCheckpoint ?? true;
  }

  setModel(model: TrainingModel): void {
    this.model = model;
  }

  setParams(params: TrainingParams): void {
    this.params = params;
  }

  setCallbacks(callbacks: readonly Callback[]): void {
    this.callbacks = callbacks;
  }

  setPosition(position: () => TrainingPosition): void {
    this.position = position;
  }

  private stateful(): Callback[] {
    return this.callbacks.filter((c) => c !== this && c.getState && c.setState);
  }

  async restoreTraining(): Promise<TrainingPosition | undefined> {
    this.startEpoch = 0;
    this.completedEpochs = 0;
    this.resumesMidEpoch = false;
    this.batchesSinceSave = 0;
    this.sinceSave.restart();
    if (!this.fs.existsSync(this.file)) return undefined;
    const context = `backupAndRestore (${this.file})`;
    let backup: Backup;
    try {
      backup = decode(JSON.parse(this.fs.readFileSync(this.file, 'utf8'))) as unknown as Backup;
    } catch (e) {
      throw invalid(context, 'Expected a readable backup file', { error: (e as Error).message });
    }
    if (backup?.format !== FORMAT) throw invalid(context, `Expected format ${FORMAT}`, { format: backup?.format });
    if (!Number.isInteger(backup.epoch) || backup.epoch < 0 || !Number.isInteger(backup.step) || backup.step < 0 || !Array.isArray(backup.accumulators)) {
      throw invalid(context, 'Expected a backup with a non-negative integer epoch and step', { epoch: backup.epoch, step: backup.step });
    }
    const model = this.model!;
    // A model that builds at its first batch (fitDataset without an input shape) has no weights yet at a restart.
    if (model.expectedInputShapes?.() === undefined && backup.inputShapes !== undefined) {
      const shapes = backup.inputShapes;
      const dimension = (d: unknown) => d === null || (Number.isSafeInteger(d) && (d as number) > 0);
      if (!Array.isArray(shapes) || !shapes.every((s) => Array.isArray(s) && s.every(dimension))) {
        throw invalid(context, 'Expected the input shapes of the backup\'s model as lists of positive integers or null', { inputShapes: JSON.stringify(shapes) });
      }
      model.ensureBuilt?.(shapes, context);
    }
    const current = model.getWeightValues();
    if (current.length !== backup.weights.length || current.some((w, i) => w.length !== backup.weights[i]!.length)) {
      throw invalid(context, 'Expected the backup to hold the weights of this model', { weights: backup.weights.length });
    }
    const stateful = this.stateful();
    if (stateful.map((c) => c.constructor.name).join() !== backup.callbacks.map((c) => c.kind).join()) {
      throw invalid(context, 'Expected the same callbacks as the run that wrote the backup', { callbacks: backup.callbacks.map((c) => c.kind) });
    }
    const names = model.weights.map((w) => w.name);
    const saved = backup.weightNames;
    if (saved !== undefined && !(Array.isArray(saved) && saved.length === names.length && saved.every((n) => typeof n === 'string'))) {
      throw invalid(context, `Expected the backup's weight names as ${names.length} strings, one per weight`, { weightNames: JSON.stringify(saved) });
    }
    const renamed = new Map((saved ?? []).map((name, i) => [name, names[i]!]));
    model.setWeightValues(backup.weights);
    if (model.optimizer) {
      const tensors = backup.optimizer.map((w) => ({ name: slotName(w.name, renamed), tensor: tensor(w.dtype === 'int32' ? Int32Array.from(w.values) : (w.values as Float32Array), w.shape, w.dtype) }));
      try {
        await model.optimizer.setWeights(tensors);
      } finally {
        for (const t of tensors) t.tensor.dispose();
      }
      if (backup.learningRate !== undefined) {
        if (!(typeof backup.learningRate === 'number' && Number.isFinite(backup.learningRate) && backup.learningRate >= 0)) {
          throw invalid(context, 'Expected the backup\'s learningRate to be a finite number >= 0', { learningRate: backup.learningRate });
        }
        model.optimizer.setLearningRate(backup.learningRate);
      }
    }
    stateful.forEach((c, i) => c.setState!(backup.callbacks[i]!.state));
    // Checked and restored now (a backup of a model without stateful layers holds none: [] checks the
    // model has none either); in the middle of an epoch, again after its onEpochBegin hooks, with
    // the learning rate: what those hooks set again (a resetStates(), lr *= 0.5) is then as it was
    // when the backup was saved, not done twice.
    const carried = backup.carriedStates ?? [];
    const restoreCarried = () => restoreCarriedStates(model, carried, context);
    restoreCarried();
    const restoreMidEpoch = () => {
      restoreCarried();
      if (backup.learningRate !== undefined) model.optimizer?.setLearningRate(backup.learningRate);
      this.automatic?.passing?.();
    };
    this.startEpoch = backup.epoch;
    this.completedEpochs = backup.epoch;
    if (backup.finished && !this.continues(backup)) return { epoch: Number.MAX_SAFE_INTEGER, step: 0, accumulators: [] };
    this.resumesMidEpoch = backup.step > 0;
    return { epoch: backup.epoch, step: backup.step, accumulators: backup.accumulators, ...(backup.step > 0 ? { restoreMidEpoch } : {}) };
  }

  /**
   * Whether a finished backup is continued: the fit asks for more epochs than the one that wrote it
   * ran out of, as an uninterrupted fit of the new length would have gone on there (one stopped
   * early, by earlyStopping or stopTraining, would have stopped there too: no further).
   */
  private continues(backup: Backup): boolean {
    return backup.stopped === false && Number.isInteger(backup.epochs) && backup.epoch === backup.epochs && this.params!.epochs > backup.epochs!;
  }

  /**
   * Saves at the start of each epoch after the first (the state of the epoch just completed, after
   * every callback's onEpochEnd and before any onEpochBegin: backups begin first).
   */
  onEpochBegin(epoch: number): Promise<void> | undefined {
    if (this.resumesMidEpoch && epoch === this.startEpoch) return undefined;
    this.automatic?.passing?.();
    return epoch > this.startEpoch && this.due() ? this.save({ epoch, step: 0, accumulators: [] }, false) : undefined;
  }

  /**
   * With saveFreq N: saves after every N batches (the epoch and batches done, the epoch's running
   * loss and metrics). Not async: a promise only when it saves (it is asked after every step).
   */
  onBatchEnd(_batch?: number, logs?: Logs): Promise<void> | undefined {
    if (this.automatic) {
      if (!this.midEpoch || !this.due()) return undefined;
      let position: TrainingPosition;
      try {
        position = this.position!();
      } catch {
        this.midEpoch = false; // A custom metric without getState: epoch boundaries only.
        return undefined;
      }
      return this.saveUnlessStopping(position, logs);
    }
    if (this.saveFreq === 'epoch' || ++this.batchesSinceSave < this.saveFreq) return undefined;
    this.batchesSinceSave = 0;
    return this.saveUnlessStopping(this.position!(), logs);
  }

  /**
   * Saves at a batch's end unless training stops after that batch (a callback asked, also in a
   * microtask of its onBatchEnd, or the batch's loss is not finite): a restart from there would
   * train on where the fit stopped; its end saves the state it stopped with.
   */
  private async saveUnlessStopping(position: TrainingPosition, logs: Logs | undefined): Promise<void> {
    await undefined; // after the microtasks the other callbacks queued (their onBatchEnd ran before this one's)
    if (this.model!.stopTraining || (typeof logs?.loss === 'number' && !Number.isFinite(logs.loss))) return;
    await this.save(position, false);
  }

  private due(): boolean {
    return !this.automatic || this.sinceSave.elapsedMs() >= this.automatic.intervalSeconds * 1000;
  }

  onEpochEnd(epoch: number): void {
    this.completedEpochs = epoch + 1;
  }

  private async save({ epoch, step, accumulators }: TrainingPosition, finished: boolean): Promise<void> {
    // Non-numeric: the clock decides only when backups are written.
    this.sinceSave.restart();
    this.automatic?.saving?.({ epoch, step, finished });
    const model = this.model!;
    const optimizer = model.optimizer ? await model.optimizer.getWeights() : [];
    const backup: Backup = {
      format: FORMAT,
      epoch,
      step,
      accumulators,
      weights: model.getWeightValues().map((w) => new Float32Array(w)),
      weightNames: model.weights.map((w) => w.name),
      optimizer: optimizer.map(({ name, tensor: t }) => ({ name, dtype: t.dtype, shape: [...t.shape], values: t.dtype === 'int32' ? Array.from(t.dataSync()) : Float32Array.from(t.dataSync()) })),
      ...(typeof model.optimizer?.learningRate === 'number' ? { learningRate: model.optimizer.learningRate } : {}),
      callbacks: this.stateful().map((c) => ({ kind: c.constructor.name, state: c.getState!() })),
      finished,
      ...(finished ? { epochs: this.params!.epochs, stopped: model.stopTraining } : {}),
      ...(model.expectedInputShapes?.() ? { inputShapes: model.expectedInputShapes()! } : {}),
      ...(statefulLayers(model).length > 0 ? { carriedStates: carriedStatesOf(model) } : {}),
    };
    for (const { tensor: t } of optimizer) if (!(t instanceof Variable)) t.dispose();
    const automatic = this.automatic;
    if (automatic && finished && !automatic.held.due(automatic.intervalSeconds)) {
      const bytes = [...backup.weights, ...backup.optimizer.map((o) => o.values)].reduce((n, v) => n + 4 * v.length, 0);
      if (automatic.held.hold(() => this.write(backup), bytes)) return;
    }
    // The run's records are flushed first, and every held backup of an earlier fit written before this one.
    automatic?.beforeSave();
    automatic?.held.writeAll();
    this.write(backup);
  }

  /**
   * Writes a temporary file, then renames it: a kill at any moment leaves the previous backup or
   * the new one, whole. The user's backups are also flushed to the disk (a power cut); a recorded
   * run's automatic ones are not, as its records are not.
   */
  private write(backup: Backup): void {
    const temporary = `${this.file}.tmp`;
    try {
      this.fs.mkdirSync(this.backupDir, { recursive: true });
      const fd = this.fs.openSync(temporary, 'w');
      try {
        const bytes = new TextEncoder().encode(JSON.stringify(encode(backup as unknown as CallbackState)));
        // A full disk may take part of a write without an error: the rest is written again, which then fails (ENOSPC)
        // instead of a cut-short backup renamed over the last whole one.
        for (let done = 0; done < bytes.length;) done += this.fs.writeSync(fd, bytes.subarray(done));
        if (!this.automatic) this.fs.fsyncSync(fd);
      } finally {
        this.fs.closeSync(fd);
      }
      this.fs.renameSync(temporary, this.file);
    } catch (error) {
      // A write that failed (a full disk) leaves the previous backup, and no temporary beside it.
      // The error names the backup and says a full disk in words, as a run's records do.
      this.fs.rmSync(temporary, { force: true });
      throw writeFailure(this.file, error);
    }
  }

  async onTrainEnd(): Promise<void> {
    this.automatic?.passing?.();
    if (this.deleteCheckpoint) this.fs.rmSync(this.file, { force: true });
    else await this.save({ epoch: this.completedEpochs, step: 0, accumulators: [] }, true);
  }
}
