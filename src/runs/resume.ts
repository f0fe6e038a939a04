/**
 * Resuming a recorded run (`verbatim run --resume <run>`). A run recorded by the CLI backs each
 * fit up into backups/fit-F of its directory (weights, optimizer state, epoch and batch, running
 * metrics: backupAndRestore's format), flushing its records first, so that the records on disk
 * always reach at least as far as the backup. The resumed script runs from its start into the
 * same directory; each fit restores its backup and trains on, and the fits that had finished
 * restore their final state and train no further. Before that, the records are cut back to the
 * backups: what was recorded after a fit's backup is recorded again by the resumed training, with
 * the same bits. Each cut file is rewritten atomically.
 */
import { builtin } from '../util/node.js';
import { parseStoreJson, readJsonl, readStoreText } from './record-files.js';
import { writeAtomic } from './store.js';
import type { BackupPoint } from '../models/backup.js';
import { LoggingCounter, valueKey } from './values.js';

type Fs = {
  existsSync(p: string): boolean;
  statSync(p: string): { size: number };
  truncateSync(p: string, length: number): void;
  rmSync(p: string, o: { recursive?: boolean; force?: boolean }): void;
  readdirSync(p: string): string[];
};
type Path = { join(...p: string[]): string };

/** Where a fit's automatic backup puts it. */
export function backupDirectory(runDir: string, fit: number): string {
  return builtin<Path>('node:path').join(runDir, 'backups', `fit-${fit}`);
}

export function removeBackups(runDir: string): void {
  builtin<Fs>('node:fs').rmSync(builtin<Path>('node:path').join(runDir, 'backups'), { recursive: true, force: true });
}

/**
 * A fit's backup point, or why its backup cannot be used (the file is written whole, by a rename:
 * an unreadable one was damaged afterwards); undefined when the fit has none.
 */
function backupPoint(runDir: string, fit: number): BackupPoint | string | undefined {
  const file = builtin<Path>('node:path').join(backupDirectory(runDir, fit), 'backup.json');
  const fs = builtin<Fs>('node:fs');
  if (!fs.existsSync(file)) return undefined;
  let backup: Partial<BackupPoint> | null;
  try {
    backup = parseStoreJson<Partial<BackupPoint> | null>(readStoreText(file));
  } catch (error) {
    return `${file} is not readable JSON (${(error as Error).message.slice(0, 80)})`;
  }
  if (!Number.isSafeInteger(backup?.epoch) || !Number.isSafeInteger(backup?.step) || backup!.epoch! < 0 || backup!.step! < 0) {
    return `${file} holds no non-negative integer epoch and step`;
  }
  return { epoch: backup!.epoch!, step: backup!.step!, finished: backup!.finished === true };
}

/** What a resumed run's recorder must not record twice. */
export interface KeptRecords {
  /** The fits that resume from a backup, with its point (their beginning and first-epoch data are recorded). */
  fits: ReadonlyMap<number, BackupPoint>;
  /** The fits whose end (final digest) is recorded. */
  ended: Set<number>;
  /** Custom values kept (valueKey: name, step and which logging of that name and step). */
  values: Set<string>;
  /** Per fit that resumes from a backup, the custom values logged inside it before that backup was saved, in order. */
  fitValues: Map<number, { name: string; step: number }[]>;
  /** The op trace of the first step is recorded. */
  ops: boolean;
  /** Evaluations recorded (the resumed script makes them again, in the same order). */
  evaluations: number;
  /** Predictions recorded (likewise). */
  predictions: number;
}

interface FitLine { fit: number; kind?: string; weights?: { shape: number[] }[]; finalDigest?: string }
/**
 * A custom value's line: `at`, where the fit open when it was logged stood and the backup of that
 * fit saved last before it (none before its first); no `at` outside fits.
 */
interface ValueLine { name: string; step: number; at?: { fit: number; epoch: number; step: number; backup?: BackupPoint } }

interface EpochLine { fit: number; epoch: number }
interface StepLine { fit: number; epoch: number; step: number }

const lines = (records: readonly unknown[]) => records.map((r) => `${JSON.stringify(r)}\n`).join('');

/** The fits a resume restores from their backups, with their points: those before the first fit without a usable backup. */
function resumePoints(runDir: string, fits: readonly FitLine[], warn: (message: string) => void): Map<number, BackupPoint> {
  const points = new Map<number, BackupPoint>();
  for (const line of fits.filter((l) => l.kind !== undefined)) {
    const point = backupPoint(runDir, line.fit);
    if (typeof point === 'string') warn(`${point}: fit ${line.fit} and the fits after it are trained again`);
    if (typeof point !== 'object') break;
    points.set(line.fit, point);
  }
  return points;
}

/** Whether a resume keeps an epoch's record: its fit resumes from a backup at or past that epoch. */
function keptEpochs(points: ReadonlyMap<number, BackupPoint>): (fit: number, epoch: number) => boolean {
  return (fit, epoch) => {
    const point = points.get(fit);
    return point !== undefined && (point.finished || epoch <= point.epoch);
  };
}

/** The epoch records a resume of the run would keep (cutBackToBackups' choice, read only: nothing is changed). */
export function epochsKeptByResume(runDir: string): (fit: number, epoch: number) => boolean {
  return keptEpochs(resumePoints(runDir, readJsonl<FitLine>(builtin<Path>('node:path').join(runDir, 'fits.jsonl')), () => {}));
}

/**
 * Cuts the run's records back to its fits' backups: the fits up to the first without a usable
 * backup keep the epochs (and traced steps) up to their backups, and their per-epoch weight
 * snapshots as many; that fit and every later one are forgotten, their backups removed, and
 * trained again (with the same bits). Backups are written in fit order, so only the first fits
 * have them, unless the run lost some: a kill while a completed run removed its backups, a
 * damaged file. A later fit's backup must not be restored after earlier fits are trained again:
 * its records would follow theirs out of order.
 */
export function cutBackToBackups(runDir: string, warn: (message: string) => void = () => {}): KeptRecords {
  const fs = builtin<Fs>('node:fs');
  const path = builtin<Path>('node:path');
  const file = (name: string) => path.join(runDir, name);
  const fits = readJsonl<FitLine>(file('fits.jsonl'));
  const points = resumePoints(runDir, fits, warn);
  for (const entry of fs.existsSync(file('backups')) ? fs.readdirSync(file('backups')) : []) {
    const fit = /^fit-(\d+)$/.exec(entry)?.[1];
    if (fit !== undefined && !points.has(Number(fit))) fs.rmSync(path.join(file('backups'), entry), { recursive: true, force: true });
  }
  const keepEpoch = keptEpochs(points);
  // The first epoch's data fingerprints are written at its end: kept when the backup is past it.
  // A fit's end only when its backup is its final state (one held and lost leaves an earlier backup: the fit ends again).
  const keptFits = fits.filter((l) => points.has(l.fit) && (l.finalDigest !== undefined ? points.get(l.fit)!.finished : l.kind !== undefined || keepEpoch(l.fit, 1)));
  const epochs = readJsonl<EpochLine>(file('epochs.jsonl')).filter((l) => keepEpoch(l.fit, l.epoch));
  const steps = readJsonl<StepLine>(file('steps.jsonl')).filter((l) => {
    const point = points.get(l.fit);
    // Step lines count epochs from 1 and steps from 0.
    return point !== undefined && (point.finished || l.epoch <= point.epoch || (l.epoch === point.epoch + 1 && l.step < point.step));
  });
  writeAtomic(file('fits.jsonl'), lines(keptFits));
  writeAtomic(file('epochs.jsonl'), lines(epochs));
  if (fs.existsSync(file('steps.jsonl'))) writeAtomic(file('steps.jsonl'), lines(steps));
  const ops = points.has(0) && fs.existsSync(file('ops.jsonl'));
  if (!ops) fs.rmSync(file('ops.jsonl'), { force: true });
  for (const line of fits.filter((l) => l.kind !== undefined)) {
    const snapshots = file(`weights/fit-${line.fit}.bin`);
    if (!fs.existsSync(snapshots)) continue;
    if (!points.has(line.fit)) {
      fs.rmSync(snapshots, { force: true });
      continue;
    }
    const modelBytes = (line.weights ?? []).reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    const length = modelBytes * epochs.filter((e) => e.fit === line.fit).length;
    if (fs.statSync(snapshots).size > length) fs.truncateSync(snapshots, length);
  }
  const { values, fitValues } = cutValues(file('values.jsonl'), points);
  const ended = new Set(keptFits.filter((l) => l.finalDigest !== undefined).map((l) => l.fit));
  return { fits: points, ended, values, fitValues, ops, evaluations: readJsonl(file('evaluations.jsonl')).length, predictions: readJsonl(file('predictions.jsonl')).length };
}

/**
 * Cuts the custom values back with the records: a value logged inside a fit is kept when it was
 * logged before the fit's backup was saved (the resumed fit does not log it again: training goes
 * on after that point), else it and every value logged after it are cut (logged again, in the same
 * order, by the resumed script). Which backup a value followed decides, not where training stood:
 * at one position hooks run before a backup (onBatchEnd) and after it (the next onBatchBegin, the
 * epoch's onEpochEnd after its last batch's backup). Values logged outside fits (or by runs that
 * did not record where) are logged again too: kept, and the recorder skips them by their key; so
 * are those logged after a fit's final backup (its onTrainEnd: backups end first), which a later
 * fit's kept records may follow. The file holds a prefix of what was logged (a kill loses what was
 * not written yet): skipped by key, those the kill lost are logged again.
 */
function cutValues(file: string, points: ReadonlyMap<number, BackupPoint>): Pick<KeptRecords, 'values' | 'fitValues'> {
  const records = readJsonl<ValueLine>(file);
  const counts = (...n: unknown[]) => n.every((v) => Number.isSafeInteger(v) && (v as number) >= 0);
  const isPosition = (at: ValueLine['at']) => at !== null && typeof at === 'object' && counts(at.fit, at.epoch, at.step);
  const isPoint = (b: unknown): b is BackupPoint => b !== null && typeof b === 'object' && counts((b as BackupPoint).epoch, (b as BackupPoint).step) && typeof (b as BackupPoint).finished === 'boolean';
  // A fit's backups are saved in the order of their points (epoch, then step), its final one last.
  const savedBefore = (a: BackupPoint, b: BackupPoint) => !a.finished && (b.finished || a.epoch < b.epoch || (a.epoch === b.epoch && a.step < b.step));
  const isKept = ({ fit, backup }: NonNullable<ValueLine['at']>) => {
    const point = points.get(fit);
    return point !== undefined && (backup === undefined || (isPoint(backup) && (savedBefore(backup, point) || (backup.finished && point.finished))));
  };
  const cut = records.findIndex((l) => isPosition(l.at) && !isKept(l.at!));
  const kept = cut === -1 ? records : records.slice(0, cut);
  if (cut !== -1) writeAtomic(file, lines(kept));
  const loggings = new LoggingCounter();
  const values = new Set<string>();
  const fitValues = new Map<number, { name: string; step: number }[]>();
  for (const { name, step, at } of kept) {
    values.add(valueKey(name, step, loggings.next(name, step)));
    if (!isPosition(at) || at!.backup?.finished === true) continue;
    const inFit = fitValues.get(at!.fit) ?? fitValues.set(at!.fit, []).get(at!.fit)!;
    inFit.push({ name, step });
  }
  return { values, fitValues };
}
