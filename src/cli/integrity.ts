/**
 * A run's weight files checked against the digests its records hold, before `diff` or `verify`
 * trusts them: every kept snapshot (weights/fit-F.bin) against its epoch record, and the final
 * weights (weights.bin, TF.js format) against model.json and the digest the end of the fit they
 * come from recorded. A file changed while the JSONL records were not makes the run corrupt, named with
 * the file, the epoch and both digests. Each file is read once, front to back, in pieces of at
 * most READ_BYTES, whatever its size. Before them, the order of fits.jsonl's lines, which says
 * which fit's weights weights.bin holds.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { digestHeader } from '../models/weight-digest.js';
import { MAX_EPOCH_WEIGHT_BYTES, type EpochLine } from '../runs/store.js';
import { finalFitOf } from '../runs/final-fit.js';
import { parseStoreJson, readStoreText, StoreError } from '../runs/record-files.js';
import { snapshotBytes, snapshotLocation, weightLayout, type RecordedWeights, type WeightEntry } from './snapshots.js';

const READ_BYTES = 1 << 20;

/** Reads a file front to back through one buffer, handing each requested range on in one or more pieces. */
class SequentialReader {
  private readonly buffer: Uint8Array;
  private position = 0;
  private start = 0;
  private end = 0;

  constructor(private readonly fd: number, length: number) {
    this.buffer = new Uint8Array(Math.min(READ_BYTES, Math.max(length, 1)));
  }

  take(length: number, use: (piece: Uint8Array) => void): void {
    while (length > 0) {
      if (this.start === this.end) {
        this.end = readSync(this.fd, this.buffer, 0, this.buffer.length, this.position);
        if (this.end === 0) throw new Error('the file ended while it was read (changed meanwhile)');
        this.position += this.end;
        this.start = 0;
      }
      const n = Math.min(length, this.end - this.start);
      use(this.buffer.subarray(this.start, this.start + n));
      this.start += n;
      length -= n;
    }
  }
}

/** For these weights, the digest weightsDigest gives the next snapshot a reader holds (the headers encoded once). */
function snapshotDigester(layout: readonly WeightEntry[]): (reader: SequentialReader) => string {
  const headers = layout.map((w) => Buffer.from(digestHeader(w.name, w.shape)));
  return (reader) => {
    const hash: Hash = createHash('sha256');
    layout.forEach((w, i) => {
      hash.update(headers[i]!);
      reader.take(w.size * 4, (piece) => hash.update(piece));
    });
    return hash.digest('hex');
  };
}

/** Runs fn on a reader of the file (of this length), closing the file after. */
function reading<T>(file: string, length: number, fn: (reader: SequentialReader) => T): T {
  const fd = openSync(file, 'r');
  try {
    return fn(new SequentialReader(fd, length));
  } catch (error) {
    // Node's message does not name the file (EISDIR: a directory where a weight file should be).
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  } finally {
    closeSync(fd);
  }
}

interface CheckedRun extends RecordedWeights {
  summary: { dir: string; status: string };
  fits: readonly (RecordedWeights['fits'][number] & { finalDigest?: string })[];
}

/** What fits.jsonl says of a fit, one line each: its beginning (kind), its first epoch's data, its end. */
interface FitLine {
  fit: number;
  kind?: unknown;
  datasetFingerprint?: unknown;
  finalDigest?: unknown;
  within?: unknown;
}

const FIT_PARTS = ['beginning', 'first-epoch data', 'end'] as const;

/**
 * The first line of fits.jsonl out of the recorder's order, in words (none when every line is in
 * it). The recorder writes each fit's beginning, its first epoch's data and its end at most once,
 * in that order, and begins fits in the order of their numbers; only a fit whose model is built by
 * its first batch is recorded then, after the fits begun while it was open (which list it in
 * `within`). A line repeated or moved by hand would change what diff compares and which fit's
 * weights weights.bin is checked against.
 */
export function fitRecordProblems(run: { fits: readonly FitLine[] }): string[] {
  const reached = new Map<number, { part: number; record: number }>();
  const begun: { fit: number; within: unknown; record: number }[] = [];
  for (const [i, line] of run.fits.entries()) {
    const part = [line.kind, line.datasetFingerprint, line.finalDigest].findIndex((v) => v !== undefined);
    if (part < 0) continue;
    const [what, at, before] = [`fit ${line.fit}'s ${FIT_PARTS[part]}`, `fits.jsonl record ${i + 1}`, reached.get(line.fit)];
    if (before === undefined && part > 0) return [`${at}: ${what} comes before its beginning`];
    if (before?.part === part) return [`${at}: ${what} is recorded twice (records ${before.record} and ${i + 1})`];
    if (before !== undefined && before.part > part) return [`${at}: ${what} comes after its ${FIT_PARTS[before.part]} (record ${before.record})`];
    const later = part === 0 && begun.find((b) => b.fit > line.fit && !(Array.isArray(b.within) && b.within.includes(line.fit)));
    if (later) return [`${at}: ${what} comes after fit ${later.fit}'s (record ${later.record}), which did not begin while it was open`];
    if (part === 0) begun.push({ fit: line.fit, within: line.within, record: i + 1 });
    reached.set(line.fit, { part, record: i + 1 });
  }
  return [];
}

const relativeName = (run: CheckedRun, file: string) => file.slice(run.summary.dir.length + 1);

/**
 * The problems of a fit's kept snapshots: the first snapshot of each file whose digest is not its
 * record's, a file that is not whole snapshots where records need them, and (in a completed run,
 * or one to resume) a record whose snapshot is missing. Epochs whose record carries layer digests
 * had no snapshot kept (too large, or not the weights the fit lists); snapshots past the last
 * record are those of a run killed between writing a snapshot and its record. Of a run to resume,
 * only the records the resume keeps are checked: it cuts those after the fits' backups, and their
 * snapshots, and records them again (a full disk may have refused their snapshots).
 */
function snapshotProblems(run: CheckedRun, fit: number, layout: readonly WeightEntry[], keptByResume?: KeptEpochs): string[] {
  const epochBytes = snapshotBytes(layout);
  if (epochBytes === 0) return [];
  const digestOf = snapshotDigester(layout);
  const records = run.epochs.filter((e) => e.fit === fit && (keptByResume?.(fit, e.epoch) ?? true));
  const byFile = new Map<string, { index: number; record: EpochLine }[]>();
  for (const record of records) {
    const { file, index } = snapshotLocation(run, fit, record.epoch);
    (byFile.get(file) ?? byFile.set(file, []).get(file)!).push({ index, record });
  }
  const completed = run.summary.status === 'completed';
  const problems: string[] = [];
  for (const [file, kept] of byFile) {
    const name = relativeName(run, file);
    const expected = kept.filter(({ record }) => Object.keys(record.layers).length === 0);
    const length = existsSync(file) ? statSync(file).size : 0;
    const whole = Math.floor(length / epochBytes);
    const missing = expected.find(({ index }) => index >= whole);
    if ((completed || keptByResume) && missing) {
      const held = existsSync(file) ? `holds ${length} bytes, ${whole} whole snapshot(s) of the ${epochBytes} bytes the recorded weight shapes need` : 'is missing';
      problems.push(`${name} ${held}, but the weights of fit ${fit} from epoch ${missing.record.epoch} on were kept there`);
    }
    // A completed run wrote every snapshot with its record: bytes past the last are not its own.
    const needed = expected.length === 0 ? 0 : (Math.max(...expected.map(({ index }) => index)) + 1) * epochBytes;
    if (completed && !missing && length > needed) {
      problems.push(`${name} holds ${length} bytes, more than the ${needed} of the ${expected.length} snapshot(s) of fit ${fit} its records list`);
    }
    const present = kept.filter(({ index }) => index < whole);
    if (present.length === 0) continue;
    const bad = reading(file, length, (reader) => {
      let next = 0;
      for (const { index, record } of present.sort((a, b) => a.index - b.index)) {
        // Snapshots of epochs kept in files of their own are passed over.
        reader.take((index - next) * epochBytes, () => undefined);
        next = index + 1;
        const digest = digestOf(reader);
        if (digest !== record.digest) return { index, record, digest };
      }
      return undefined;
    });
    if (bad) problems.push(`${name}, snapshot ${bad.index + 1} (fit ${fit}, epoch ${bad.record.epoch}): expected digest ${bad.record.digest} (epochs.jsonl), the file holds ${bad.digest}`);
  }
  return problems;
}

/**
 * The ends of the fits whose model the run's files may hold, the likeliest first. The run's end
 * writes the model of its final fit (finalFitOf: the fit that ended last, or of fits that
 * overlapped the first begun); a model over MAX_EPOCH_WEIGHT_BYTES is written at its fit's end,
 * after that fit's records, so a run that did not complete (killed before its end), or whose last
 * fit never built its model, may hold the last such fit's.
 */
function fitsHoldingFinalFiles(run: CheckedRun, layouts: Map<number, WeightEntry[]>): { fit: number; finalDigest: string }[] {
  const ends = run.fits.filter((f): f is CheckedRun['fits'][number] & { finalDigest: string } => typeof f.finalDigest === 'string');
  const final = finalFitOf(run.fits);
  const last = ends.filter((f) => f.fit === final).at(-1);
  if (!last) return [];
  const large = ends.filter((f) => snapshotBytes(layouts.get(f.fit) ?? []) > MAX_EPOCH_WEIGHT_BYTES).at(-1);
  const lastWroteNone = layouts.get(last.fit)?.length === 0;
  return large && large !== last && (run.summary.status !== 'completed' || lastWroteNone) ? [last, large] : [last];
}

/**
 * The final weights' problems. weights.bin holds every weight of the fit that wrote it in the
 * fit's weight order (TF.js Layers format, as model.json lists them), so its digest under that
 * fit's recorded names is the digest the fit's end recorded (after every callback's onTrainEnd,
 * which may restore the best weights or average them): another fit's weights are not the run's,
 * whatever their shapes. In runs recorded before fits recorded their end, it is one of the epoch
 * digests of a fit with model.json's shapes. A fit whose recorded weights are not model.json's
 * cannot be checked this way and is not.
 */
function finalWeightProblems(run: CheckedRun, layouts: Map<number, WeightEntry[]>): string[] {
  const dir = run.summary.dir;
  const [weights, model] = [join(dir, 'weights.bin'), join(dir, 'model.json')];
  // The recorder writes weights.bin, then model.json: a run killed between them is not completed.
  if (!existsSync(model)) return existsSync(weights) && run.summary.status === 'completed' ? ['weights.bin is there without model.json, which lists its weights'] : [];
  if (!existsSync(weights)) return ['model.json names weights.bin, which is missing'];
  let specs: WeightEntry[];
  try {
    const json = parseStoreJson<{ weightsManifest?: { weights?: unknown }[] }>(readStoreText(model));
    const listed = json.weightsManifest?.[0]?.weights;
    const layout = weightLayout(Array.isArray(listed) ? listed : undefined, Number.POSITIVE_INFINITY);
    if (typeof layout === 'string') return [`model.json: its weights manifest is not readable ${layout}`];
    specs = layout;
  } catch (error) {
    // readStoreText's errors name the file already (a FIFO where model.json should be).
    return [error instanceof StoreError ? error.message : `model.json: ${(error as Error).message}`];
  }
  const length = statSync(weights).size;
  const needed = snapshotBytes(specs);
  if (length !== needed) return [`weights.bin holds ${length} bytes, model.json's weights need ${needed}`];
  const shapes = JSON.stringify(specs.map((w) => w.shape));
  const withShapes = (fit: number) => JSON.stringify(layouts.get(fit)?.map((w) => w.shape)) === shapes;
  const digests = new Map<string, string>();
  const digestAs = (fit: number) => {
    const layout = layouts.get(fit)!;
    const key = JSON.stringify(layout);
    return digests.get(key) ?? digests.set(key, reading(weights, length, snapshotDigester(layout))).get(key)!;
  };
  const holders = fitsHoldingFinalFiles(run, layouts);
  if (holders.length > 0) {
    const candidates = holders.filter((end) => withShapes(end.fit));
    if (candidates.length === 0 || candidates.some((end) => digestAs(end.fit) === end.finalDigest)) return [];
    const { fit, finalDigest } = candidates[0]!;
    return [`weights.bin (the final weights of fit ${fit}): expected digest ${finalDigest} (fits.jsonl, the end of fit ${fit}), the file holds ${digestAs(fit)}`];
  }
  // Recorded before fits recorded their end: one of the epochs of the last fit with these shapes, or of an earlier one.
  const fits = [...layouts.keys()].filter(withShapes).reverse();
  if (fits.length === 0 || fits.some((fit) => run.epochs.some((e) => e.fit === fit && e.digest === digestAs(fit)))) return [];
  const expected = run.epochs.filter((e) => e.fit === fits[0]).at(-1)?.digest ?? '(no epoch record)';
  return [`weights.bin (the final weights of fit ${fits[0]}): expected digest ${expected} (the last epoch record of fit ${fits[0]}, or an earlier one's where the best weights were restored), the file holds ${digestAs(fits[0]!)}`];
}

/** Which epoch records a resume of the run keeps (each must then have its snapshot). */
export type KeptEpochs = (fit: number, epoch: number) => boolean;

/**
 * Every problem of the run's weight files, in words; none when every file agrees with the records.
 * keptByResume: the run is to be resumed, keeping these epoch records (see snapshotProblems).
 */
export function weightFileProblems(run: CheckedRun, keptByResume?: KeptEpochs): string[] {
  const layouts = new Map<number, WeightEntry[]>();
  for (const f of run.fits) {
    // Read in pieces, so a model of any size (its snapshots not kept, its weights.bin checked).
    const layout = f.weights && weightLayout(f.weights, Number.POSITIVE_INFINITY);
    // A layout the records cannot give (a hostile shape) is diff's to report, next to the weights it cannot compare.
    if (Array.isArray(layout) && !layouts.has(f.fit)) layouts.set(f.fit, layout);
  }
  try {
    return [...[...layouts].flatMap(([fit, layout]) => snapshotProblems(run, fit, layout, keptByResume)), ...finalWeightProblems(run, layouts)];
  } catch (error) {
    return [`a weight file could not be read: ${(error as Error).message}`];
  }
}
