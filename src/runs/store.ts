/**
 * The run store: one directory per run under ./.verbatim/runs (or --store / VERBATIM_STORE),
 * holding plain JSON and JSONL files a person can read. JSON files are written whole to a
 * temporary name and renamed into place (the temporary removed when the write fails, a full disk
 * included); JSONL files are appended to, and a reader ignores a torn last line, so a run killed
 * at any moment leaves readable files and never touches other runs. Reading is defensive: a store
 * entry that cannot be read (a symlink loop, an unreadable directory, a malformed line) is listed
 * with its reason and never stops the others. Run ids sort by start time and are unique across
 * parallel processes (time, process id, random suffix).
 */
import { UsageError } from '../errors.js';
import { builtin, nodeProcess } from '../util/node.js';
import { concatenateBytes } from '../util/bytes.js';
import { Stopwatch } from '../util/stopwatch.js';
import { writeFailure } from '../util/write-failure.js';
import { agreesWithBits, finalValues, NON_FINITE, valueFromBits } from './values.js';
import { finalFitOf } from './final-fit.js';
import { readEvaluations, readPredictions } from './results.js';
import { checkTraceRecords, checkWholeRecords, isBits, isIndex, isRecord, readJsonl, readObjects, readStoreJson, RECORD_FILES, StoreError } from './record-files.js';

type Fs = {
  mkdirSync(p: string, o?: object): void;
  writeFileSync(p: string, d: string | Uint8Array): void;
  openSync(p: string, flags: string): number;
  writeSync(fd: number, d: string | Uint8Array): number;
  closeSync(fd: number): void;
  renameSync(a: string, b: string): void;
  readFileSync(p: string, e?: string): string | Uint8Array;
  readdirSync(p: string): string[];
  existsSync(p: string): boolean;
  rmSync(p: string, o?: object): void;
  statSync(p: string): { isDirectory(): boolean; size: number };
  fstatSync(fd: number): { size: number };
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  ftruncateSync(fd: number, length: number): void;
};

type Path = { join(...p: string[]): string; resolve(...p: string[]): string; dirname(p: string): string };

const UTF8 = new TextEncoder();

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface StatusRecord {
  status: RunStatus;
  pid: number;
  /** The process's start time (Linux /proc/<pid>/stat field 22), telling the run's process from a later one with the same pid. */
  pidStartTime?: string;
  startedAt: string;
  /** Where training stood when the run ended early: the fit, epoch (1-based) and step reached. */
  reached?: { fit: number; epoch: number; step: number };
  /** The run ended early outside any fit: the fit that had ended last (older runs name it in `reached` instead). */
  afterFit?: number;
  endedAt?: string;
  error?: { message: string; stack?: string };
  /** The signal that ended the run (SIGTERM, SIGKILL, ...), when one did: the CLI exits with 128 + its number. */
  signal?: string;
}

export interface RunSummary {
  id: string;
  dir: string;
  name: string | null;
  seed: string | null;
  status: RunStatus | 'corrupt';
  finalMetrics: Record<string, number>;
  digest: string | null;
  /** The last value of each custom value (`vb.runs.log`). */
  values: Record<string, number>;
  /** Why the run is corrupt, or why it ended (failed, interrupted), when known. */
  problem?: string;
}

export function defaultStore(): string {
  const p = nodeProcess();
  return p?.env.VERBATIM_STORE ?? builtin<Path>('node:path').join(p?.cwd() ?? '.', '.verbatim', 'runs');
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').replace('Z', '');
  const random = new Uint8Array(3);
  globalThis.crypto.getRandomValues(random);
  const pid = nodeProcess()?.pid ?? 0;
  return `${stamp}-${pid}-${Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Writes a file whole: to a temporary name first, then renamed into place; a failed write leaves no temporary behind. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const fs = builtin<Fs>('node:fs');
  const pid = nodeProcess()?.pid ?? 0;
  const temporary = `${file}.${pid}.tmp`;
  try {
    fs.writeFileSync(temporary, data);
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw writeFailure(file, error);
  }
}

export function writeJson(file: string, value: unknown): void {
  writeAtomic(file, `${JSON.stringify(value, jsonNumber, 2)}\n`);
}

/**
 * Writes a run's status. On a full disk the atomic write has no room for its temporary, so the
 * file is overwritten in place (truncated, then written into the space that frees), without the
 * error's stack: a status that says why the run failed is worth the small risk of a torn file.
 */
export function writeStatus(file: string, record: StatusRecord): void {
  try {
    writeJson(file, record);
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
    const { stack: _stack, ...shortError } = record.error ?? { message: '' };
    builtin<Fs>('node:fs').writeFileSync(file, JSON.stringify({ ...record, ...(record.error ? { error: shortError } : {}) }, jsonNumber));
  }
}

/** A JSON file of a run (a regular file; errors name it). */
export const readJson = readStoreJson;

/**
 * A run's append-only files (the JSONL records, the per-fit weight snapshots), each opened once,
 * written in batches (at most FLUSH_INTERVAL_MS apart) and flushed by close(): recording costs
 * the same at epoch 4000 as at epoch 1, and little next to training. A process killed with
 * SIGKILL loses at most the last batch; one killed mid-write leaves a torn last record, which
 * the readers ignore. Every other end (exit, a signal, an exception) closes, and so flushes.
 */
export class AppendFiles {
  private static readonly FLUSH_INTERVAL_MS = 100;
  /** Each fit has its own snapshot file: a script of thousands of fits must not run out of file descriptors. */
  private static readonly MAX_OPEN_FILES = 16;
  private readonly open = new Map<string, number>();
  private readonly pending = new Map<string, (string | Uint8Array)[]>();
  private readonly sinceFlush = new Stopwatch();
  /** The flush FLUSH_INTERVAL_MS after data came, if nothing flushed it before (training ended, the script does other things). */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** What that flush could not write, reported by the next call. */
  private failure: unknown;

  /** beforeFlush appends what its owner holds back until a flush (the recorder's epoch records). */
  constructor(private readonly beforeFlush: () => void = () => {}) {}

  append(file: string, data: string | Uint8Array): void {
    const chunks = this.pending.get(file) ?? this.pending.set(file, []).get(file)!;
    const last = chunks.at(-1);
    // Consecutive pieces of one buffer (the recorder's snapshots, taken from a BytePool) are written as one.
    if (last instanceof Uint8Array && data instanceof Uint8Array && last.buffer === data.buffer && last.byteOffset + last.length === data.byteOffset) {
      chunks[chunks.length - 1] = new Uint8Array(data.buffer, last.byteOffset, last.length + data.length);
    } else {
      chunks.push(data);
    }
    this.flushIfDue();
  }

  /** Flushes when the last flush is FLUSH_INTERVAL_MS ago, else makes sure a flush comes by then. */
  flushIfDue(): void {
    this.reportFailure();
    // What beforeFlush appends is written by the flush that asked for it, never by a flush inside it.
    if (this.flushing) return;
    if (this.sinceFlush.elapsedMs() >= AppendFiles.FLUSH_INTERVAL_MS) {
      this.flush();
    } else if (!this.timer) {
      this.timer = globalThis.setTimeout(() => {
        this.timer = undefined;
        try {
          this.flush();
        } catch (error) {
          this.failure ??= error;
        }
      }, AppendFiles.FLUSH_INTERVAL_MS);
      // The pending flush never keeps a process alive: its end closes, and so flushes.
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  private reportFailure(): void {
    if (this.failure === undefined) return;
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }

  /** Records whose numbers are finite (callers write NaN and Infinity as strings: see jsonNumber); no replacer keeps this fast. */
  jsonl(file: string, records: readonly unknown[]): void {
    this.append(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  /** Set while beforeFlush runs. */
  private flushing = false;

  flush(): void {
    const fs = builtin<Fs>('node:fs');
    this.sinceFlush.restart();
    this.flushing = true;
    try {
      this.beforeFlush();
    } finally {
      this.flushing = false;
    }
    let failure: Error | undefined;
    for (const [file, chunks] of this.pending) {
      this.pending.delete(file);
      try {
        let fd = this.open.get(file);
        if (fd !== undefined) {
          // Most recently written last: the file closed when too many are open is the longest unwritten.
          this.open.delete(file);
          this.open.set(file, fd);
        } else {
          fd = fs.openSync(file, 'a+');
          this.open.set(file, fd);
          if (this.open.size > AppendFiles.MAX_OPEN_FILES) this.closeOldest(fs);
          // A record cut short by an earlier kill is cut off before appending to the file again (a resumed run).
          if (typeof chunks[0] === 'string') {
            const size = fs.fstatSync(fd).size;
            const end = completeLength(fs, fd, size);
            if (end < size) fs.ftruncateSync(fd, end);
          }
        }
        const data = typeof chunks[0] === 'string' ? UTF8.encode(chunks.join('')) : concatenateBytes(chunks as Uint8Array[]);
        // A full disk may take part of a write without an error: the rest is written again, which then fails (ENOSPC).
        for (let done = 0; done < data.length;) done += fs.writeSync(fd, data.subarray(done));
      } catch (error) {
        // The other files are still written (a full disk may refuse a large snapshot and take a small record).
        failure ??= writeFailure(file, error);
      }
    }
    if (failure) throw failure;
  }

  /** Closes the file written longest ago (opened again, appending, if written again). */
  private closeOldest(fs: Fs): void {
    const [file, fd] = this.open.entries().next().value!;
    this.open.delete(file);
    fs.closeSync(fd);
  }

  close(): void {
    const fs = builtin<Fs>('node:fs');
    globalThis.clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.flush();
      this.reportFailure();
    } finally {
      for (const fd of this.open.values()) {
        try {
          fs.closeSync(fd);
        } catch {
          // Closing cannot lose what was written.
        }
      }
      this.open.clear();
      this.pending.clear();
    }
  }
}

/** The length of the file up to and including its last newline (read backwards in blocks). */
function completeLength(fs: Fs, fd: number, size: number): number {
  const block = new Uint8Array(4096);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - block.length);
    const n = fs.readSync(fd, block, 0, end - start, start);
    const at = block.subarray(0, n).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** A process's state (R, S, Z, ...) and start time in clock ticks since boot (Linux /proc/<pid>/stat); undefined where it cannot be read. */
function processStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const stat = builtin<Fs>('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    // Field 2 (the command) may hold spaces and parentheses: count fields after its closing ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/** A process's start time in clock ticks since boot (Linux); undefined where /proc is unavailable. */
export function processStartTime(pid: number): string | undefined {
  return processStat(pid)?.startTime;
}

/**
 * Why a status that says 'running' cannot be believed, or undefined when its process is alive.
 * Where start times can be read (Linux), only the recorded pid with the recorded start time
 * proves it: a status without one (hand-written, or not verbatim's) could name any later process
 * with that pid. Elsewhere a live pid is all there is to go by.
 */
function staleReason(record: StatusRecord): string | undefined {
  const pid = record.pid;
  const ended = 'ended without recording how the run ended (killed by SIGKILL, or the machine stopped)';
  const gone = `its process (pid ${pid}) ${ended}`;
  // 0 and negative pids name process groups (kill(0, 0) always succeeds): no run's process.
  if (!(pid > 0)) return `its status names pid ${pid}, which is no process`;
  try {
    (globalThis as unknown as { process: { kill(pid: number, signal: number): void } }).process.kill(pid, 0);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EPERM') return gone;
  }
  const startTimesReadable = processStat(nodeProcess()?.pid ?? 0) !== undefined;
  if (!startTimesReadable) return undefined;
  const now = processStat(pid);
  // A zombie (killed, its parent gone too, not yet reaped) is no longer running.
  if (now === undefined || now.state === 'Z') return gone;
  if (record.pidStartTime === undefined) {
    return `its status names pid ${pid} without that process's start time, so it cannot be told from another process that got the pid: taken as stale (the run's process ended without recording how, or the status was not written by verbatim)`;
  }
  if (now.startTime !== record.pidStartTime) return `pid ${pid} is another process now (started at tick ${now.startTime} after boot, the run's at ${record.pidStartTime}): the run's process ${ended}`;
  return undefined;
}

/**
 * The status to show, with why: a 'running' run whose process cannot be proven alive (gone,
 * another process now, or no start time to tell) is interrupted, and the reason says which.
 */
export function effectiveStatus(record: StatusRecord): { status: RunStatus; stale?: string } {
  const stale = record.status === 'running' ? staleReason(record) : undefined;
  return stale === undefined ? { status: record.status } : { status: 'interrupted', stale };
}

export function runDirectory(store: string, id: string): string {
  return builtin<Path>('node:path').join(store, id);
}

/**
 * The store's entries (none when it does not exist yet); a store that is not a directory, or
 * cannot be read (a symlink loop, a parent that is a file, no permission), is a usage error:
 * listing it as a store without runs would hide the mistake.
 */
function storeEntries(store: string): string[] {
  const fs = builtin<Fs>('node:fs');
  const unreadable = (error: unknown) => {
    const { code, message } = error as NodeJS.ErrnoException;
    return new UsageError(`Expected a store directory. Received: store=${store} (not readable: ${code ?? message})`, { cause: error });
  };
  let stats: ReturnType<Fs['statSync']>;
  try {
    stats = fs.statSync(store);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw unreadable(error);
  }
  if (!stats.isDirectory()) throw new UsageError(`Expected a store directory. Received: store=${store} (not a directory)`);
  try {
    return fs.readdirSync(store).filter((id) => !id.startsWith('.'));
  } catch (error) {
    throw unreadable(error);
  }
}

/** Runs in the store, oldest first; an entry that cannot be read is listed as corrupt, with the reason. */
export function listRuns(store: string): RunSummary[] {
  const fs = builtin<Fs>('node:fs');
  const path = builtin<Path>('node:path');
  return storeEntries(store).sort().flatMap((id) => {
    try {
      if (!fs.statSync(path.join(store, id)).isDirectory()) return [];
    } catch (error) {
      // A symlink loop, a dangling link: still an entry of the store, so listed with its reason.
      return [corrupt(store, id, error)];
    }
    return [summarizeRun(store, id)];
  });
}

function corrupt(store: string, id: string, error: unknown): RunSummary {
  const dir = builtin<Path>('node:path').join(store, id);
  return { id, dir, name: null, seed: null, status: 'corrupt', finalMetrics: {}, digest: null, values: {}, problem: (error as Error).message };
}

/** Models up to this size keep every epoch's weights (weights/fit-F.bin: the k-th epoch record's at k times the size), for diff. */
export const MAX_EPOCH_WEIGHT_BYTES = 16 * 1024 * 1024;

export interface EpochLine {
  fit: number;
  epoch: number;
  logs: Record<string, number>;
  logBits: Record<string, string>;
  digest: string;
  layers: Record<string, string>;
}

const strings = (v: unknown): Record<string, string> => (isRecord(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string> : {});

export function jsonNumber(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/**
 * A run's epoch records, checked: fit and epoch non-negative integers, a digest; each metric a
 * number, a non-finite one restored from its recorded float32 bits (or its NaN/Infinity string);
 * a metric of any other type is left out rather than passed on to code that formats numbers. A
 * metric whose value is not the one its float32 bits record (one of them edited) makes the run corrupt.
 */
export function readEpochs(file: string): EpochLine[] {
  const lastEpoch = new Map<number, number>();
  return readJsonl<unknown>(file).map((line, i) => {
    if (!isRecord(line) || !isIndex(line.fit) || !isIndex(line.epoch) || typeof line.digest !== 'string') {
      throw new StoreError(`${file} record ${i + 1}: Expected {fit, epoch, digest, logs} with non-negative integer fit and epoch`);
    }
    // The recorder appends a fit's epochs in order: lines out of order were moved by hand.
    if (line.epoch <= (lastEpoch.get(line.fit) ?? -1)) {
      throw new StoreError(`${file} record ${i + 1}: Expected fit ${line.fit}'s epochs in increasing order (epoch ${line.epoch} after ${lastEpoch.get(line.fit)})`);
    }
    lastEpoch.set(line.fit, line.epoch);
    const logBits = Object.fromEntries(Object.entries(strings(line.logBits)).filter(([, b]) => isBits(b)));
    const logs: Record<string, number> = {};
    for (const [k, v] of Object.entries(isRecord(line.logs) ? line.logs : {})) {
      if (logBits[k] !== undefined && !agreesWithBits(v, logBits[k]!)) {
        throw new StoreError(`${file} record ${i + 1} (fit ${line.fit}, epoch ${line.epoch}): metric ${JSON.stringify(k)} is ${JSON.stringify(v)}, but its recorded float32 bits ${logBits[k]} (logBits) are ${valueFromBits(logBits[k]!)}: one of them was changed`);
      }
      if (typeof v === 'number') logs[k] = v;
      else if (logBits[k] !== undefined) logs[k] = valueFromBits(logBits[k]!);
      else if (typeof v === 'string' && v in NON_FINITE) logs[k] = NON_FINITE[v]!;
    }
    return { fit: line.fit, epoch: line.epoch, logs, logBits, digest: line.digest, layers: strings(line.layers) };
  });
}

const STATUSES: readonly string[] = ['running', 'completed', 'failed', 'interrupted'];

/** The run's status record, checked; a run stopped before it wrote one was interrupted. */
export function readStatus(dir: string): StatusRecord | undefined {
  const file = builtin<Path>('node:path').join(dir, 'status.json');
  if (!builtin<Fs>('node:fs').existsSync(file)) return undefined;
  const record = readJson<unknown>(file);
  if (!isRecord(record) || typeof record.status !== 'string' || !STATUSES.includes(record.status) || !isIndex(record.pid)) {
    throw new StoreError(`${file}: Expected {status: ${STATUSES.join(' | ')}, pid}`);
  }
  return record as unknown as StatusRecord;
}

/**
 * Where training stood, in words. `reached` records the epoch (1-based, as epochs.jsonl) and the
 * steps trained in it (a count): said as the last step trained, numbered from 0 as steps.jsonl
 * and diff number them (the record's form is unchanged, so older stores read the same).
 */
function reachedText(fit: number, epoch: number, steps: number): string {
  if (epoch === 0 || steps === 0) return `at fit ${fit}${epoch === 0 ? '' : `, epoch ${epoch}`}, before its first step`;
  return `at fit ${fit}, epoch ${epoch}, after its step${steps === 1 ? ' 0' : `s 0-${steps - 1}`}`;
}

/** Why a run ended as it did, in words, when it did not complete. */
export function endReason(status: StatusRecord | undefined): string | undefined {
  if (!status) return 'stopped before it recorded a status (killed while starting)';
  // The record is read from disk: a `reached` of the wrong shape (a hand-edited or foreign file) is said as such, never as "fit undefined".
  const { reached, afterFit } = status as { reached?: unknown; afterFit?: unknown };
  const where = reached !== undefined
    ? isRecord(reached) && isIndex(reached.fit) && isIndex(reached.epoch) && isIndex(reached.step) ? reachedText(reached.fit, reached.epoch, reached.step)
      : `at an unreadable point (reached=${JSON.stringify(reached)})`
    : afterFit !== undefined ? isIndex(afterFit) ? `after fit ${afterFit} ended` : `at an unreadable point (afterFit=${JSON.stringify(afterFit)})` : undefined;
  const message = isRecord(status.error) && typeof status.error.message === 'string' ? status.error.message : undefined;
  if (message !== undefined) return where ? `${message} (${where})` : message;
  return where && status.status !== 'completed' ? `stopped ${where}` : undefined;
}

export function summarizeRun(store: string, id: string): RunSummary {
  const path = builtin<Path>('node:path');
  const fs = builtin<Fs>('node:fs');
  const dir = path.join(store, id);
  try {
    // Listing the directory first: an unreadable one is corrupt (EACCES), not a run without files.
    const files = fs.readdirSync(dir);
    // run.json is written first, by the CLI before the script starts; a run killed even earlier has none.
    const meta = files.includes('run.json') ? readJson<unknown>(path.join(dir, 'run.json')) : missingRunFile(dir, files);
    if (!isRecord(meta)) throw new StoreError(`${path.join(dir, 'run.json')}: Expected an object`);
    checkManifest(dir, files);
    const record = readStatus(dir);
    const { status, stale } = record ? effectiveStatus(record) : { status: 'interrupted' as const, stale: undefined };
    const epochs = readEpochs(path.join(dir, 'epochs.jsonl'));
    // Read like epochs.jsonl: a malformed line makes the run corrupt, not a run without fits or with fewer evaluations (or predictions).
    const fits = readObjects(path.join(dir, 'fits.jsonl'), 'an object with a non-negative integer fit', (line) => isIndex(line.fit));
    readEvaluations(dir);
    readPredictions(dir);
    checkTraceRecords(dir, meta.trace, epochs.some((e) => e.epoch > 0));
    checkTrainingRecords(dir, files, status, fits.length > 0, epochs.length > 0);
    if (record?.status === 'completed') checkWholeRecords(dir);
    const final = finalFitOf(fits as { fit: number }[]);
    const last = (final === undefined ? epochs : epochs.filter((e) => e.fit === final)).at(-1) ?? epochs.at(-1);
    // The weights the run ended with: its final fit's end (after every onTrainEnd), else its last epoch's.
    const end = (fits as { fit: number; finalDigest?: unknown }[]).filter((f) => f.fit === last?.fit && typeof f.finalDigest === 'string').at(-1);
    const finalDigest = end?.finalDigest as string | undefined;
    const problem = status === 'completed' ? undefined : stale ?? endReason(record);
    return {
      id, dir, name: typeof meta.name === 'string' ? meta.name : null, seed: typeof meta.seed === 'string' ? meta.seed : null,
      status, finalMetrics: last?.logs ?? {}, digest: finalDigest ?? last?.digest ?? null, values: finalValues(dir), ...(problem ? { problem } : {}),
    };
  } catch (error) {
    return corrupt(store, id, error);
  }
}

/**
 * A run without run.json: one stopped before the CLI wrote it has nothing else either (or only the
 * failed status of a run that could not start); any other file means run.json was lost.
 */
function missingRunFile(dir: string, files: readonly string[]): Record<string, never> {
  const others = files.filter((f) => f !== 'status.json' && !f.endsWith('.tmp') && !(f === 'weights' && isEmptyDirectory(builtin<Path>('node:path').join(dir, f))));
  if (others.length > 0) throw new StoreError(`${builtin<Path>('node:path').join(dir, 'run.json')} is missing, though the run recorded ${firstNames(others)}: the run record is lost`);
  return {};
}

/** A directory's files named in a reason: a run has about ten, any other directory (`ls --store /proc/1`) may have thousands. */
const NAMED_FILES = 10;
function firstNames(files: readonly string[]): string {
  const sorted = [...files].sort();
  const rest = sorted.length - NAMED_FILES;
  return `${sorted.slice(0, NAMED_FILES).join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}

/**
 * The run's environment (manifest.json) is written as its recorder starts, before any record:
 * damaged, or lost while records exist, it makes the run corrupt. Read as absent, diff would name
 * every environment field a difference and show every fit's backend the script's own choice.
 */
function checkManifest(dir: string, files: readonly string[]): void {
  const file = builtin<Path>('node:path').join(dir, 'manifest.json');
  if (files.includes('manifest.json')) {
    if (!isRecord(readJson<unknown>(file))) throw new StoreError(`${file}: Expected an object`);
    return;
  }
  const records = files.filter((f) => (RECORD_FILES as readonly string[]).includes(f) || ['history.json', 'model.json', 'weights.bin'].includes(f));
  if (records.length > 0) throw new StoreError(`${file} is missing, though the run recorded ${records.sort().join(', ')}: the record of its environment is lost`);
}

function isEmptyDirectory(dir: string): boolean {
  try {
    return builtin<Fs>('node:fs').readdirSync(dir).length === 0;
  } catch {
    return false;
  }
}

/**
 * A run whose fits ran has both fits.jsonl and epoch records; a lost one is a corrupt run, never a
 * run without training. The recorder appends a fit's line before its epoch records and writes
 * history.json (and the final weights) only after both; a run killed between the first two is
 * not completed, so only a completed run or an ended fit proves the epoch records were written.
 */
function checkTrainingRecords(dir: string, files: readonly string[], status: RunStatus, hasFits: boolean, hasEpochs: boolean): void {
  const path = builtin<Path>('node:path');
  const fs = builtin<Fs>('node:fs');
  const ended = ['history.json', 'model.json', 'weights.bin'].filter((f) => files.includes(f));
  const snapshots = files.includes('weights') && fs.statSync(path.join(dir, 'weights')).isDirectory()
    ? fs.readdirSync(path.join(dir, 'weights')).filter((f) => /^fit-\d+(-epoch-\d+)?\.bin$/.test(f)).map((f) => `weights/${f}`) : [];
  const missing = (file: string, evidence: string[]) => new StoreError(`${path.join(dir, file)} is missing or empty, though ${evidence.join(', ')} show${evidence.length === 1 ? 's' : ''} that fits ran`);
  if (!hasFits && (hasEpochs || ended.length > 0 || snapshots.length > 0)) throw missing('fits.jsonl', [...(hasEpochs ? ['epochs.jsonl'] : []), ...ended, ...snapshots.slice(0, 3)]);
  if (!hasEpochs && (ended.length > 0 || (hasFits && status === 'completed'))) throw missing('epochs.jsonl', ended.length > 0 ? ended : ['fits.jsonl of a completed run']);
}

/** The run with this id, or the one run whose id starts with it; an empty, path-like or ambiguous query is an error. */
export function resolveRun(store: string, query: string): string {
  // An empty id is a prefix of every id: `rm ""` must not pick the store's only run.
  if (typeof query !== 'string' || query.trim() === '') throw new UsageError(`Expected a non-empty run id. Received: run=${JSON.stringify(query)}`);
  if (!/^[\w-][\w.-]*$/.test(query)) {
    throw new UsageError(`Expected a run id (or a prefix of one): letters, digits, '-', '_' and '.'. Received: run=${JSON.stringify(query)}`);
  }
  const ids = storeEntries(store);
  if (ids.includes(query)) return query;
  const matches = ids.filter((id) => id.startsWith(query));
  if (matches.length === 1) return matches[0]!;
  throw new UsageError(matches.length === 0
    ? `Expected the id of a run in ${store}. Received: run=${JSON.stringify(query)} (no such run)`
    : `Expected an id that names one run. Received: run=${JSON.stringify(query)}, which matches ${matches.length} runs (${matches.slice(0, 3).join(', ')}${matches.length > 3 ? ', ...' : ''})`);
}

export function removeRun(store: string, id: string): void {
  builtin<Fs>('node:fs').rmSync(runDirectory(store, id), { recursive: true, force: true });
}

/**
 * Creates the directory and its missing parents, one level at a time: Node's recursive mkdir
 * loops forever where mkdir says ENOENT of an existing parent (under /proc).
 */
export function ensureDirectory(dir: string): void {
  const fs = builtin<Fs>('node:fs');
  const path = builtin<Path>('node:path');
  const missing: string[] = [];
  for (let at = path.resolve(dir); !fs.existsSync(at); at = path.dirname(at)) {
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    try {
      fs.mkdirSync(at);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
}
