/**
 * The run store: one directory per run under ./.verbatim/runs (or --store / VERBATIM_STORE),
 * holding plain JSON and JSONL files a person can read. Every file is written whole to a
 * temporary name and renamed into place, so a run killed at any moment leaves each file either
 * absent or complete, and never touches other runs. Run ids sort by start time and are unique
 * across parallel processes (time, process id, random suffix).
 */
import { builtin, nodeProcess } from './node.js';
import { finalValues } from './values.js';

type Fs = {
  mkdirSync(p: string, o?: object): void;
  writeFileSync(p: string, d: string | Uint8Array): void;
  renameSync(a: string, b: string): void;
  readFileSync(p: string, e?: string): string | Uint8Array;
  readdirSync(p: string): string[];
  existsSync(p: string): boolean;
  rmSync(p: string, o?: object): void;
  statSync(p: string): { isDirectory(): boolean };
  openSync(p: string, flags: string): number;
  fstatSync(fd: number): { size: number };
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number;
  writeSync(fd: number, data: string): number;
  ftruncateSync(fd: number, length: number): void;
  closeSync(fd: number): void;
};
type Path = { join(...p: string[]): string; resolve(...p: string[]): string };

export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

export interface StatusRecord {
  status: RunStatus;
  pid: number;
  startedAt: string;
  endedAt?: string;
  error?: { message: string; stack?: string };
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

/** Writes a file whole: to a temporary name first, then renamed into place. */
export function writeAtomic(file: string, data: string | Uint8Array): void {
  const fs = builtin<Fs>('node:fs');
  const pid = nodeProcess()?.pid ?? 0;
  const temporary = `${file}.${pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
}

export function writeJson(file: string, value: unknown): void {
  writeAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function readJson<T>(file: string): T {
  return JSON.parse(builtin<Fs>('node:fs').readFileSync(file, 'utf8') as string) as T;
}

/**
 * Appends records to a JSONL file: one write at the end, so recording costs stay linear in the
 * run's length. A write cut short by a kill leaves a last line without its newline: the next
 * append cuts that unfinished record off first, and readJsonl leaves it out.
 */
export function appendJsonl(file: string, records: readonly unknown[]): void {
  const fs = builtin<Fs>('node:fs');
  const fd = fs.openSync(file, 'a+');
  try {
    const size = fs.fstatSync(fd).size;
    const end = completeLength(fs, fd, size);
    if (end < size) fs.ftruncateSync(fd, end);
    fs.writeSync(fd, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  } finally {
    fs.closeSync(fd);
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

/** The records of a JSONL file; a last line without its newline (a write cut short) is left out. */
export function readJsonl<T>(file: string): T[] {
  const fs = builtin<Fs>('node:fs');
  if (!fs.existsSync(file)) return [];
  const lines = (fs.readFileSync(file, 'utf8') as string).split('\n');
  const complete = lines.slice(0, -1);
  return complete.filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

function processAlive(pid: number): boolean {
  try {
    (globalThis as unknown as { process: { kill(pid: number, signal: number): void } }).process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** The status, with a 'running' run whose process is gone reported as interrupted. */
export function effectiveStatus(record: StatusRecord): RunStatus {
  return record.status === 'running' && !processAlive(record.pid) ? 'interrupted' : record.status;
}

export function runDirectory(store: string, id: string): string {
  return builtin<Path>('node:path').join(store, id);
}

/** Runs in the store, oldest first; a run whose files cannot be read is listed as corrupt. */
export function listRuns(store: string): RunSummary[] {
  const fs = builtin<Fs>('node:fs');
  const path = builtin<Path>('node:path');
  if (!fs.existsSync(store)) return [];
  // One bad entry (a symlink loop, an unreadable directory) is listed with its reason, never failing the rest.
  return fs.readdirSync(store).sort().flatMap((id): RunSummary[] => {
    let directory: boolean;
    try {
      directory = fs.statSync(path.join(store, id)).isDirectory();
    } catch (error) {
      return [{ id, dir: path.join(store, id), name: null, seed: null, status: 'corrupt', finalMetrics: {}, digest: null, values: {}, problem: (error as Error).message }];
    }
    return directory ? [summarizeRun(store, id)] : [];
  });
}

interface EpochLine {
  logs?: Record<string, unknown>;
  /** Each metric's float32 bits in hex: exact, also for NaN and infinities (JSON writes them as null). */
  logBits?: Record<string, unknown>;
  digest: string;
}

/** An epoch line's metrics as numbers: from their bits where recorded, NaN for anything unreadable. */
function metricsOf(line: EpochLine): Record<string, number> {
  const view = new DataView(new ArrayBuffer(4));
  const names = Object.keys({ ...(line.logs ?? {}), ...(line.logBits ?? {}) });
  return Object.fromEntries(names.map((name) => {
    const bits = line.logBits?.[name];
    if (typeof bits === 'string' && /^[0-9a-f]{8}$/.test(bits)) {
      view.setUint32(0, parseInt(bits, 16));
      return [name, view.getFloat32(0)];
    }
    const value = line.logs?.[name];
    return [name, typeof value === 'number' ? value : NaN];
  }));
}

export function summarizeRun(store: string, id: string): RunSummary {
  const path = builtin<Path>('node:path');
  const dir = path.join(store, id);
  try {
    const meta = readJson<{ name: string | null; seed: string | null }>(path.join(dir, 'run.json'));
    const status = effectiveStatus(readJson<StatusRecord>(path.join(dir, 'status.json')));
    const epochs = readJsonl<EpochLine>(path.join(dir, 'epochs.jsonl'));
    const last = epochs.at(-1);
    return { id, dir, name: meta.name, seed: meta.seed, status, finalMetrics: last ? metricsOf(last) : {}, digest: last?.digest ?? null, values: finalValues(dir) };
  } catch (error) {
    return { id, dir, name: null, seed: null, status: 'corrupt', finalMetrics: {}, digest: null, values: {}, problem: (error as Error).message };
  }
}

/** The run with this id, or the one run whose id starts with it. */
export function resolveRun(store: string, query: string): string {
  const fs = builtin<Fs>('node:fs');
  // An empty id is a prefix of every id: `rm ""` must not pick the store's only run.
  if (typeof query !== 'string' || query.trim() === '') throw new Error(`Expected a non-empty run id. Received: run=${JSON.stringify(query)}`);
  const ids = fs.existsSync(store) ? fs.readdirSync(store) : [];
  if (ids.includes(query)) return query;
  const matches = ids.filter((id) => id.startsWith(query));
  if (matches.length === 1) return matches[0]!;
  throw new Error(matches.length === 0
    ? `Expected the id of a run in ${store}. Received: run=${JSON.stringify(query)} (no such run)`
    : `Expected an id that names one run. Received: run=${JSON.stringify(query)}, which matches ${matches.length} runs`);
}

export function removeRun(store: string, id: string): void {
  builtin<Fs>('node:fs').rmSync(runDirectory(store, id), { recursive: true, force: true });
}

export function ensureDirectory(dir: string): void {
  builtin<Fs>('node:fs').mkdirSync(dir, { recursive: true });
}
