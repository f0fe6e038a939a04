/**
 * Records runs: the environment manifest, each fit's model config, options and data
 * fingerprints, per epoch the metrics with their exact float32 bits and the weights' digests
 * (whole and per layer), optionally per step the loss bits and digest, the final history and
 * the final weights in TF.js Layers format. Epoch 0 is the initial weights; epoch k the weights
 * after k epochs.
 */
import type { History, Logs } from '../models/callbacks.js';
import type { WeightLayout } from '../models/weight-digest.js';
import { TRAINING_OBSERVERS, type ObservedModel, type TrainingObserver } from '../models/observers.js';
import { currentSeed } from '../random/seed.js';
import { bytesSha256, contentFingerprint, dataFingerprints, exampleHashes, sha256, streamedWeightsDigest, tensorFingerprint, type DataFingerprints } from './fingerprints.js';
import { BytePool } from '../util/bytes.js';
import { computeFacts, environment, gitFacts, givenGitFacts, scriptGitInBackground, seedFacts } from './environment.js';
import { builtin, nodeProcess } from '../util/node.js';
import {
  AppendFiles, defaultStore, jsonNumber, MAX_EPOCH_WEIGHT_BYTES, ensureDirectory, newRunId, processStartTime, readJson as readJsonFile, runDirectory, writeAtomic, writeJson, writeStatus,
  type StatusRecord,
} from './store.js';
import { replacesFinalFit } from './final-fit.js';
import { modelArtifacts } from '../io/index.js';
import { modelJson } from '../io/handlers.js';
import { LayersModel } from '../models/model.js';
import { startOpTrace, type OpTrace } from './op-trace.js';
import { backupDirectory, cutBackToBackups, removeBackups, type KeptRecords } from './resume.js';
import { BackupAndRestore, HeldBackups, type BackupPoint } from '../models/backup.js';
import type { Callback } from '../models/callbacks.js';
import type { Tensor } from '../tensor/tensor.js';
import { resultFields, type TensorRecord } from './results.js';
import { epochLine, float32Bits } from './record-lines.js';
import { checkLogArguments, LoggingCounter, valueKey } from './values.js';

/** An epoch recorded, not yet written: its weights' values read, or its digests already made. */
type PendingEpoch = { fit: number; epoch: number; logs: Logs } & ({ layout: WeightLayout; values: Uint8Array } | { digest: string; layers: Record<string, string> });

/** What fit tells its observers at its beginning. */
type FitStart = Parameters<NonNullable<TrainingObserver['fitBegin']>>[0];

/** A fit begun and not ended: its number, and what its records need until its end. */
interface OpenFit {
  readonly fit: number;
  /** The fits open when it began (it began inside one's callback, or they run together). */
  readonly within: number[];
  /** The first fit of the fits that overlapped it (itself, when none was open as it began). */
  readonly groupStart: number;
  /** Where its training stands (its loop keeps it current), since its trainBegin. */
  progress: { readonly epoch: number; readonly step: number } | undefined;
  /** Per input, the hashes of the first epoch's examples in the order training saw them. */
  readonly batchHashes: Map<string, string[]>;
  /** Per input of fit on tensors, its fingerprints: the first epoch's batches name their rows of its examples' hashes. */
  readonly dataHashes: Map<string, DataFingerprints>;
  /** Its beginning, while its model has no weights: recorded at its first batch (or its end, if none came). */
  unbuilt: FitStart | undefined;
  /** Its backup saved last (restored, in a resumed fit): a custom value logged inside it records which it followed. */
  backup: BackupPoint | undefined;
  /** Resuming from its backup, until training passes where it was saved: hooks run again until then (onTrainBegin, onEpochBegin) logged before it. */
  replaying: boolean;
}
/** The model's digest and its layers', hashed a weight at a time by Node's crypto. */
function streamedDigests(model: ObservedModel): { digest: string; layers: Record<string, string> } {
  return { digest: streamedWeightsDigest(model.weights), layers: Object.fromEntries(model.layers.map((l) => [l.name!, streamedWeightsDigest(l.weights.map((w) => w.variable))])) };
}

export interface RecordOptions {
  name?: string;
  store?: string;
  /**
   * 'steps' also records every step's loss bits and weights digest; 'ops' does too, and records
   * the digest of every op's output during the first training step (ops.jsonl).
   */
  trace?: 'epochs' | 'steps' | 'ops';
  /** Extra facts about the run (the CLI records the script's arguments and options). */
  invocation?: Record<string, unknown>;
  /** Back every fit up into backups/fit-F, at most this many seconds apart (src/runs/resume.ts). */
  backupInterval?: number;
  /** Continue the run in this directory from its backups (`verbatim run --resume`). */
  resume?: boolean;
  /**
   * The script's git facts, asked before it started (`verbatim run` does, so that the training
   * process forks no git); without them the recorder asks git in the background.
   */
  git?: { commit: string; dirty: boolean } | null;
}

export class RunRecorder implements TrainingObserver {
  readonly id: string;
  readonly dir: string;
  /** The number of the fit begun last (-1: none yet). */
  private fit = -1;
  /**
   * The fits begun and not yet ended, by model: usually one, but a fit started inside another's
   * callback (or fits run together) has its own, so that every record carries its fit's number.
   * A process that ends inside a fit did not complete its run.
   */
  private readonly openFits = new Map<ObservedModel, OpenFit>();
  /** The fit begun last (its trainBegin follows its fitBegin at once). */
  private current: OpenFit | undefined;
  /** The fit that ended last (by its end or by an error), and where it stopped if an error ended it. */
  private lastEnded: { fit: number; failedAt?: { fit: number; epoch: number; step: number } } | undefined;
  private readonly appends = new AppendFiles(() => this.writePendingEpochs());
  /** Where the epochs' weight snapshots are kept until written. */
  private readonly snapshotBytes = new BytePool();
  /**
   * The epochs recorded since the last flush: their weights' values (or, for a model too large
   * to keep a copy of, their digests) and logs. The flush makes their digests and lines in one
   * loop: cheaper than one by one between steps, where cold code runs slowest.
   */
  private readonly pendingEpochs: PendingEpoch[] = [];
  /** Per fit, the bytes of the weights its record lists: the size of each of its snapshots. */
  private readonly fitWeightBytes: number[] = [];
  private readonly path = builtin<{ join(...p: string[]): string }>('node:path');
  private startedAt = '';
  /** Per custom value name, the step its next logging takes by default (one past the largest logged). */
  private readonly valueCounts = new Map<string, number>();
  /** Which logging of its name and step each custom value is. */
  private readonly loggings = new LoggingCounter();
  private opTrace: OpTrace | undefined;
  /** Resuming: what is recorded already. */
  private kept: KeptRecords | undefined;
  private evaluations = 0;
  private predictions = 0;
  /** Whether the script checkout's git facts, asked for in the background at start, have yet to come. */
  private gitPending = false;
  private finished = false;

  /** Only when steps are traced: untraced, fit does not notify steps at all. */
  readonly stepEnd?: TrainingObserver['stepEnd'];

  constructor(private readonly options: RecordOptions = {}, dir?: string) {
    this.id = dir ? dir.split(/[\\/]/).filter(Boolean).at(-1)! : newRunId();
    this.dir = dir ?? runDirectory(options.store ?? defaultStore(), this.id);
    if (options.trace === 'steps' || options.trace === 'ops') this.stepEnd = (info) => this.recordStep(info);
    this.givenGit = givenGitFacts(options.git);
  }

  /** The script's git facts the options gave (checked), or undefined: asked of git. */
  private readonly givenGit: ReturnType<typeof givenGitFacts>;

  private readonly files = new Map<string, string>();
  private file(name: string): string {
    return this.files.get(name) ?? this.files.set(name, this.path.join(this.dir, name)).get(name)!;
  }

  start(): this {
    ensureDirectory(this.file('weights'));
    this.writeRunFile();
    if (this.options.resume) {
      this.kept = cutBackToBackups(this.dir, (message) => console.warn(`verbatim run --resume: ${message}`));
      // The environment of the first process stays the run's; each resumption is listed.
      const manifest = readJsonFile<Record<string, unknown>>(this.file('manifest.json'));
      const resumptions = Array.isArray(manifest.resumptions) ? manifest.resumptions : [];
      const { node, platform, arch, cpuModel, backend, threads, kernelSha256, lockfile } = environment();
      this.writeManifest({
        ...manifest, resumptions: [...resumptions, { at: new Date().toISOString(), node, platform, arch, cpuModel, backend, threads, kernelSha256, lockfile }],
      });
    } else {
      const git = this.givenGit;
      this.writeManifest({ ...environment({ git: false }), ...(git !== undefined ? { git } : {}) });
      this.writtenSeed = JSON.stringify(seedFacts());
      this.gitPending = git === undefined;
      if (this.gitPending) void scriptGitInBackground().then((git) => {
        // After finish the manifest is complete (finish asked git itself when this had not come).
        if (this.finished) return;
        this.gitPending = false;
        this.updateManifest({ git });
      });
    }
    const pid = nodeProcess()!.pid;
    const pidStartTime = processStartTime(pid);
    this.setStatus({ status: 'running', pid, ...(pidStartTime ? { pidStartTime } : {}), startedAt: new Date().toISOString() });
    TRAINING_OBSERVERS.add(this);
    return this;
  }

  /** run.json and the manifest's seed facts, refreshed when the script may have set its seed. */
  private writeRunFile(): void {
    const seed = currentSeed();
    writeJson(this.file('run.json'), {
      id: this.id, name: this.options.name ?? null, seed: seed === undefined ? null : String(seed), trace: this.options.trace ?? 'epochs',
      invocation: this.options.invocation ?? null,
    });
  }

  /** The seed facts run.json and the manifest hold: rewritten only when the script changed its seed (every fit asks). */
  private writtenSeed: string | undefined;

  private refreshSeed(extra: Record<string, unknown> = {}): void {
    const facts = seedFacts();
    const written = JSON.stringify(facts);
    if (written !== this.writtenSeed) this.writeRunFile();
    if (written !== this.writtenSeed || Object.keys(extra).length > 0) this.updateManifest({ ...facts, ...extra });
    this.writtenSeed = written;
  }

  /** The manifest as last written: facts learned later (git, the seed, the end) are added to it without reading the file back. */
  private manifest: Record<string, unknown> | undefined;

  private writeManifest(manifest: Record<string, unknown>): void {
    this.manifest = manifest;
    writeJson(this.file('manifest.json'), manifest);
  }

  private updateManifest(facts: Record<string, unknown>): void {
    // No manifest yet: start() writes one with these facts.
    if (!this.manifest) return;
    try {
      this.writeManifest({ ...this.manifest, ...facts });
    } catch {
      // A full disk: the facts are kept for the next update, and the run's end reports the disk.
    }
  }

  private setStatus(record: StatusRecord): void {
    this.startedAt ||= record.startedAt;
    writeStatus(this.file('status.json'), { ...record, startedAt: this.startedAt });
  }

  /** The fit still training, if one is (a script whose module returned without awaiting its training). */
  get openFit(): number | undefined {
    return (this.openFits.values().next().value as OpenFit | undefined)?.fit;
  }

  /**
   * Ends the run's record. 'completed' becomes 'interrupted' when a fit is still open (the
   * process exited in the middle of training). Best effort: on a full disk the status may not be
   * writable, and the error that says so must not hide the one being recorded.
   */
  finish(status: 'completed' | 'failed' | 'interrupted', error?: unknown, signal?: string): void {
    TRAINING_OBSERVERS.delete(this);
    this.finished = true;
    this.opTrace?.stop();
    const open = this.openFit;
    if (status === 'completed' && open !== undefined) {
      status = 'interrupted';
      error = new Error(`the process ended during fit ${open}: a run is completed only when every fit it began has ended`);
    }
    const attempt = (write: () => void) => {
      try {
        write();
      } catch {
        // Nothing more can be recorded (the manifest is missing, or the disk is full).
      }
    };
    for (const write of [() => this.appends.close(), () => this.writeFinalFiles()]) {
      try {
        write();
      } catch (writeError) {
        // A run whose records or model could not be written (a full disk) is not completed.
        if (status === 'completed') [status, error] = ['failed', writeError];
      }
    }
    // A run other than completed keeps its backups, and writes those held, for `verbatim run --resume`.
    if (status !== 'completed') attempt(() => this.heldBackups.writeAll());
    const git = this.gitPending ? { git: gitFacts() } : {};
    attempt(() => this.refreshSeed({ ...git, endedAt: new Date().toISOString() }));
    const failure = error instanceof Error ? { message: error.message, ...(error.stack ? { stack: error.stack } : {}) } : error === undefined ? undefined : { message: String(error) };
    attempt(() => this.setStatus({
      status, pid: nodeProcess()!.pid, startedAt: this.startedAt, endedAt: new Date().toISOString(),
      ...(status !== 'completed' ? this.whereTrainingStood() : {}),
      ...(failure ? { error: failure } : {}),
      ...(signal !== undefined && status === 'interrupted' ? { signal } : {}),
    }));
    // A completed run needs no backups: removed once its status says completed, so that a kill
    // during the removal leaves a completed run with backups left over, not an interrupted one
    // with some of them (resuming trains again from the first fit without one).
    if (status === 'completed') attempt(() => removeBackups(this.dir));
  }

  /**
   * Where training stood as the run ended: inside the open fit begun last; with no fit open, where
   * the fit that ended last stopped if an error ended it (the error that fails the run, usually),
   * else after that fit (never inside a fit that ended normally).
   */
  private whereTrainingStood(): Pick<StatusRecord, 'reached' | 'afterFit'> {
    const open = this.latestOpenFit();
    if (open) return { reached: positionOf(open) };
    if (this.lastEnded?.failedAt) return { reached: this.lastEnded.failedAt };
    return this.lastEnded === undefined ? {} : { afterFit: this.lastEnded.fit };
  }

  /**
   * Records a scalar that is not a fit metric (an evaluation, a prediction error), as float32
   * bits; `step` defaults to the number of values logged under this name before.
   */
  log(name: string, value: number, options: { step?: number } = {}): void {
    checkLogArguments(name, value, options);
    const open = this.latestOpenFit();
    // What a resuming fit's hooks log again before training passes its backup is among its kept values, counted at its trainBegin.
    if (open?.replaying) return;
    const step = options.step ?? this.valueCounts.get(name) ?? 0;
    const logging = this.countLogging(name, step);
    // The script run again logs again what was kept outside fits: skipped by which logging it is.
    if (this.kept?.values.has(valueKey(name, step, logging))) return;
    this.appends.jsonl(this.file('values.jsonl'), [{
      name, step, bits: float32Bits(value), value: Number.isFinite(value) ? Math.fround(value) : null,
      ...(open ? { at: { ...positionOf(open), ...(open.backup ? { backup: open.backup } : {}) } } : {}),
    }]);
  }

  /** Counts a logging of this name and step; returns which logging of them it is (from 0). */
  private countLogging(name: string, step: number): number {
    this.valueCounts.set(name, Math.max(step + 1, this.valueCounts.get(name) ?? 0));
    return this.loggings.next(name, step);
  }

  /** The open fit begun last (a value logged while fits overlap is placed in it). */
  private latestOpenFit(): OpenFit | undefined {
    let open: OpenFit | undefined;
    for (const fit of this.openFits.values()) if (!open || fit.fit > open.fit) open = fit;
    return open;
  }

  private epochRecord(fit: number, model: ObservedModel, epoch: number, logs: Logs): void {
    const layout = model.weightLayout();
    // The training loop makes a new logs object for every epoch and never changes it after: kept as it is.
    this.pendingEpochs.push(layout.valueBytes > MAX_EPOCH_WEIGHT_BYTES
      ? { fit, epoch, logs, ...streamedDigests(model) }
      : { fit, epoch, logs, layout, values: layout.read(this.snapshotBytes.take(layout.valueBytes)) });
    this.appends.flushIfDue();
  }

  /**
   * The digest of the model's weights as they are now, read and hashed as the epoch records are
   * (code already compiled in a script of many short fits, where a fit's end runs cold).
   */
  private digestNow(model: ObservedModel): string {
    const layout = model.weightLayout();
    if (layout.valueBytes > MAX_EPOCH_WEIGHT_BYTES) return streamedWeightsDigest(model.weights);
    return layout.digest(bytesSha256, layout.read(this.snapshotBytes.take(layout.valueBytes)));
  }

  /**
   * The epoch records held back, with their digests. A kept snapshot holds every weight's bytes,
   * so per-layer digests are recorded only for epochs whose snapshot is not kept (too large, or
   * not of the weights the fit's record lists: weights that changed during the fit): readers
   * compute them from the snapshot (src/cli/snapshots.ts layerDigestsAt). Every snapshot is
   * appended before any record: a flush writes files in the order appended, so that a kill
   * between writes leaves snapshots without their records (cut off by a resume), never the reverse.
   */
  private writePendingEpochs(): void {
    if (this.pendingEpochs.length === 0) return;
    // Taken at once: this flush writes these epochs, and only these (AppendFiles never flushes
    // from inside beforeFlush, so the appends below cannot write them a second time).
    const epochs = this.pendingEpochs.splice(0);
    let lines = '';
    for (const pending of epochs) {
      const { fit, epoch, logs } = pending;
      if (!('values' in pending)) {
        lines += epochLine(fit, epoch, logs, pending.digest, pending.layers);
        continue;
      }
      const { layout, values } = pending;
      const digest = layout.digest(bytesSha256, values);
      const kept = values.length === this.fitWeightBytes[fit];
      if (kept) this.appends.append(this.snapshotFile(fit), values);
      lines += epochLine(fit, epoch, logs, digest, kept ? undefined : layout.layerDigests(bytesSha256));
    }
    this.appends.append(this.file('epochs.jsonl'), lines);
  }

  private snapshotFiles: string[] = [];
  private snapshotFile(fit: number): string {
    return (this.snapshotFiles[fit] ??= this.file(`weights/fit-${fit}.bin`));
  }

  fitBegin(start: FitStart): void {
    const { model, data } = start;
    this.fit++;
    const within = [...this.openFits.values()];
    const open: OpenFit = {
      fit: this.fit, within: within.map((f) => f.fit), groupStart: within[0]?.groupStart ?? this.fit, progress: undefined, batchHashes: new Map(), dataHashes: new Map(), unbuilt: undefined,
      backup: undefined, replaying: false,
    };
    this.openFits.set(model, open);
    this.current = open;
    for (const [name, t] of Object.entries(data)) open.dataHashes.set(name, dataFingerprints(t));
    this.refreshSeed();
    // A model built by its first batch (fitDataset on a Sequential without an input shape) has no
    // weights yet: its fit is recorded at that batch, built and untrained, so that epoch 0 is the
    // digest of its initial weights and the fit lists them.
    if (model.weights.length === 0) open.unbuilt = start;
    else this.recordFitStart(open, start);
  }

  /** The open fit of this model (the fit begun last, for a model the recorder was not told about). */
  private openFitOf(model: ObservedModel): OpenFit | undefined {
    return this.openFits.get(model) ?? this.current;
  }

  private recordFitStart(open: OpenFit, { model, kind, options, data }: FitStart): void {
    open.unbuilt = undefined;
    const { fit } = open;
    const weights = model.weights;
    this.fitWeightBytes[fit] = weights.reduce((n, w) => n + w.size * 4, 0);
    // A resumed fit's beginning and first-epoch data are recorded; its training goes on from the backup.
    if (this.kept?.fits.has(fit)) return;
    this.appends.jsonl(this.file('fits.jsonl'), [{
      fit, kind, model: model.getConfig(), options: serializable(options), ...computeFacts(),
      ...(open.within.length > 0 ? { within: open.within } : {}),
      data: Object.fromEntries(Object.entries(data).map(([k, t]) => {
        const { sha256: whole, content } = open.dataHashes.get(k)!;
        return [k, { shape: t.shape, dtype: t.dtype, sha256: whole, content }];
      })),
      weights: weights.map((w) => ({ name: w.name, shape: w.shape })),
      // Which weights each layer has (indices into weights): readers compute layer digests from the snapshots.
      layers: model.layers.map((l) => ({ name: l.name, weights: l.weights.map((w) => weights.indexOf(w.variable)) })),
    }]);
    this.epochRecord(fit, model, 0, {});
  }

  /** Ended fits' backups not written yet: written by a later backup, or by an end other than completed. */
  private readonly heldBackups = new HeldBackups();

  /** A recorded run backs every fit up, for `verbatim run --resume`. */
  callbacks(): Callback[] {
    if (this.options.backupInterval === undefined) return [];
    // Asked by the fit begun last (its fitBegin came just before).
    const open = this.current;
    return [new BackupAndRestore(
      { backupDir: backupDirectory(this.dir, this.fit), deleteCheckpoint: false },
      {
        intervalSeconds: this.options.backupInterval, beforeSave: () => this.appends.flush(), held: this.heldBackups,
        saving: (point) => open && (open.backup = point), passing: () => open && (open.replaying = false),
      },
    )];
  }

  batch({ model, epoch, data, rows }: Parameters<NonNullable<TrainingObserver['batch']>>[0]): void {
    const open = this.openFitOf(model);
    if (!open) return;
    if (open.unbuilt) this.recordFitStart(open, open.unbuilt);
    if (this.options.trace === 'ops' && !this.kept?.ops && open.fit === 0 && epoch === 0 && open.batchHashes.size === 0) this.opTrace = startOpTrace();
    if (epoch > 0 && open.batchHashes.size > 0) return;
    for (const [name, t] of Object.entries(data)) {
      const hashes = open.batchHashes.get(name) ?? open.batchHashes.set(name, []).get(name)!;
      const known = rows && open.dataHashes.get(name)?.examples;
      if (known) for (const row of rows) hashes.push(known[row]!);
      else hashes.push(...exampleHashes(t));
    }
  }

  trainBegin({ reached }: Parameters<NonNullable<TrainingObserver['trainBegin']>>[0]): void {
    if (!this.current) return;
    this.current.progress = reached;
    this.current.backup = this.kept?.fits.get(this.current.fit);
    this.current.replaying = this.current.backup !== undefined;
    // A fit resuming from its backup does not log again what it logged before it: counted as logged.
    for (const { name, step } of this.kept?.fitValues.get(this.current.fit) ?? []) this.countLogging(name, step);
  }

  /** A traced step's record (and, with --trace ops, the end of the first step's op trace). */
  private recordStep({ model, epoch, step, loss }: Parameters<NonNullable<TrainingObserver['stepEnd']>>[0]): void {
    if (this.opTrace) {
      this.appends.jsonl(this.file('ops.jsonl'), this.opTrace.stop());
      this.opTrace = undefined;
    }
    this.appends.jsonl(this.file('steps.jsonl'), [{ fit: this.openFitOf(model)?.fit ?? this.fit, epoch: epoch + 1, step, lossBits: float32Bits(loss), loss: jsonNumber('loss', loss), digest: streamedWeightsDigest(model.weights) }]);
  }

  epochEnd({ model, epoch, logs }: Parameters<NonNullable<TrainingObserver['epochEnd']>>[0]): void {
    const open = this.openFitOf(model);
    if (!open) return;
    if (open.unbuilt) this.recordFitStart(open, open.unbuilt);
    // The end of the fit's first epoch (epoch 0, or initialEpoch): the batches were shown for it only.
    if (open.batchHashes.size > 0) {
      // Order: the examples' hashes in the order seen; content: the same hashes as a multiset.
      this.appends.jsonl(this.file('fits.jsonl'), [{
        fit: open.fit,
        datasetFingerprint: Object.fromEntries([...open.batchHashes].map(([k, h]) => [k, sha256(h.join('\n'))])),
        datasetContent: Object.fromEntries([...open.batchHashes].map(([k, h]) => [k, contentFingerprint(h)])),
      }]);
      open.batchHashes.clear();
      open.dataHashes.clear();
    }
    this.epochRecord(open.fit, model, epoch + 1, logs);
  }

  fitEnd({ model, history }: { model: ObservedModel; history: History }): void {
    const open = this.openFitOf(model);
    if (open?.unbuilt) this.recordFitStart(open, open.unbuilt);
    const fit = open?.fit ?? this.fit;
    // The weights as the fit leaves them (a callback may change them after the last epoch: restored best weights, an average).
    if (!this.kept?.ended.has(fit)) this.appends.jsonl(this.file('fits.jsonl'), [{ fit, finalDigest: this.digestNow(model) }]);
    this.openFits.delete(model);
    this.lastEnded = { fit };
    // Not flushed now: the fit's last records are written with the next ones, or within the flush interval.
    this.appends.flushIfDue();
    // The last fit's history and model are the run's: each fit's replaces the one before (of fits
    // that overlapped, the first begun's: replacesFinalFit). They are written when the run ends
    // (three files renamed into place per fit cost more than a short fit's records), except a
    // model too large to hold a copy of until then.
    if (!replacesFinalFit(this.finalFit, fit, open?.groupStart ?? fit)) return;
    this.finalFit = fit;
    // A model never built (its fit saw no batch) has no model files, as it could not be saved.
    const artifacts = model instanceof LayersModel && model.expectedInputShapes() ? modelArtifacts(model) : undefined;
    // A copy (History's backup state): the script may change the History fit returned before the run ends.
    this.finalFiles = { history: { ...(history.getState() as object), params: history.params ?? null }, artifacts };
    const weightBytes = (artifacts?.weightData as ArrayBuffer | undefined)?.byteLength ?? 0;
    if (weightBytes > MAX_EPOCH_WEIGHT_BYTES) {
      // Its records first, its end among them: files written now are those of a fit the records say ended.
      this.appends.flush();
      this.writeFinalFiles();
    }
  }

  /** A fit that ended by an error has ended: a script that catches it and goes on completes its run. */
  fitFailed({ model }: { model: ObservedModel }): void {
    const open = this.openFitOf(model);
    this.lastEnded = open ? { fit: open.fit, failedAt: positionOf(open) } : { fit: this.fit };
    this.openFits.delete(model);
  }

  /** The fit whose history and model are the run's so far (replacesFinalFit). */
  private finalFit: number | undefined;

  /** The last ended fit's history and model, not written yet. */
  private finalFiles: { history: unknown; artifacts: ReturnType<typeof modelArtifacts> | undefined } | undefined;

  /** history.json, and the model in TF.js's Layers format (src/io: tf.loadLayersModel and vb.loadLayersModel read it). */
  private writeFinalFiles(): void {
    if (!this.finalFiles) return;
    const { history, artifacts } = this.finalFiles;
    this.finalFiles = undefined;
    writeJson(this.file('history.json'), history);
    if (!artifacts) return;
    writeAtomic(this.file('weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
    writeJson(this.file('model.json'), modelJson(artifacts, 'weights.bin'));
  }

  /**
   * An evaluation's data and results, one line per call made outside any fit (a resumed run's
   * script makes the recorded ones again, in order: skipped). One made inside a fit (by a
   * callback) is not recorded, as predictions are not: a resumed fit restored past it does not
   * make it again, and counting calls would then skip the wrong ones.
   */
  evaluate({ kind, data, batchSizes, results }: Parameters<NonNullable<TrainingObserver['evaluate']>>[0]): void {
    if (this.openFits.size > 0) return;
    if (++this.evaluations <= (this.kept?.evaluations ?? 0)) return;
    this.appends.jsonl(this.file('evaluations.jsonl'), [{ kind, data: tensorRecords(data), batchSizes, ...resultFields(results, float32Bits) }]);
  }

  /**
   * A prediction's inputs and each output's SHA-256, one line per call made outside any fit: one
   * made inside a fit (by a callback) is not made again by a resumed fit restored past it.
   */
  predict({ data, outputs }: Parameters<NonNullable<TrainingObserver['predict']>>[0]): void {
    if (this.openFits.size > 0) return;
    if (++this.predictions <= (this.kept?.predictions ?? 0)) return;
    this.appends.jsonl(this.file('predictions.jsonl'), [{ data: tensorRecords(data), outputs: outputs.map(tensorRecord) }]);
  }
}

/** A tensor as evaluations and predictions record it: its dtype, shape and SHA-256. */
function tensorRecord(t: Tensor): TensorRecord {
  return { shape: t.shape, dtype: t.dtype, sha256: tensorFingerprint(t) };
}

function tensorRecords(data: Record<string, Tensor>): Record<string, TensorRecord> {
  return Object.fromEntries(Object.entries(data).map(([k, t]) => [k, tensorRecord(t)]));
}

/** Where an open fit's training stands (its epoch from 1, its last step trained). */
function positionOf(open: OpenFit): { fit: number; epoch: number; step: number } {
  return { fit: open.fit, epoch: open.progress?.epoch ?? 0, step: open.progress?.step ?? 0 };
}

function serializable(options: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(options, (key, value) => {
    if (key === 'callbacks') return Array.isArray(value) ? value.map((c) => c?.constructor?.name ?? 'callback') : 'callback';
    if (key === 'validationData') return 'given';
    return value;
  })) as Record<string, unknown>;
}

/** Records the fits made inside fn as one run; the run is marked completed, or failed with the error. */
export async function record<T>(options: RecordOptions, fn: (run: RunRecorder) => Promise<T> | T): Promise<T> {
  const recorder = new RunRecorder(options).start();
  try {
    const result = await fn(recorder);
    recorder.finish('completed');
    return result;
  } catch (error) {
    recorder.finish('failed', error);
    throw error;
  }
}

/**
 * Records a custom scalar into every run being recorded in this process (under `verbatim run`,
 * or inside `record`); without one it only checks its arguments, so scripts run unchanged
 * outside verbatim's run tools.
 */
export function log(name: string, value: number, options: { step?: number } = {}): void {
  const recorders = [...TRAINING_OBSERVERS].filter((o): o is RunRecorder => o instanceof RunRecorder);
  if (recorders.length === 0) {
    checkLogArguments(name, value, options);
    return;
  }
  for (const recorder of recorders) recorder.log(name, value, options);
}
