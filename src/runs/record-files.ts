/**
 * Reading a run's JSONL record files: every complete line a record, checked; a torn last line (a
 * process killed mid-write) is ignored, any other damaged line is a StoreError naming file and line.
 */
import { builtin } from '../util/node.js';

/** Bad input from a store file: the file, and what is wrong with it. */
export class StoreError extends Error {
  override name = 'StoreError';
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
/** Float32 bits as recorded: 8 lowercase hex digits. */
export const isBits = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{8}$/.test(v);

type FileStat = { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean };

/** What a path that is not a regular file is, in words. */
function kindOf(stat: FileStat): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return stat.isSocket() ? 'a socket' : 'not a regular file';
}

/**
 * Refuses a store path that is not a regular file (after symlinks): reading a FIFO would wait
 * forever for a writer and a device (a link to /dev/zero) never ends. Errors name the file
 * (Node's do not).
 */
function checkRegularFile(file: string): void {
  let stat: FileStat;
  try {
    stat = builtin<{ statSync(p: string): FileStat }>('node:fs').statSync(file);
  } catch (error) {
    throw new StoreError(`${file}: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new StoreError(`${file}: Expected a regular file. Received: ${kindOf(stat)}`);
}

/** The text of a file of a store, a regular file; errors name it. */
export function readStoreText(file: string): string {
  checkRegularFile(file);
  try {
    return builtin<{ readFileSync(p: string, e: string): string }>('node:fs').readFileSync(file, 'utf8');
  } catch (error) {
    throw new StoreError(`${file}: ${(error as Error).message}`);
  }
}

/**
 * JSON nested deeper than this is damage, not a record: verbatim writes a few dozen levels, and the
 * commands that read a store recurse into what they compare or print (JSON.stringify overflows
 * the stack some thousands of levels deep, "Maximum call stack size exceeded").
 */
const MAX_NESTING = 256;

/** JSON text of a store, parsed; a SyntaxError when damaged or nested deeper than MAX_NESTING. */
export function parseStoreJson<T>(text: string): T {
  const value = JSON.parse(text) as unknown;
  // Walked without recursion, so that the check itself cannot overflow the stack.
  const pending: [object, number][] = typeof value === 'object' && value !== null ? [[value, 1]] : [];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (depth > MAX_NESTING) throw new SyntaxError(`Expected JSON nested at most ${MAX_NESTING} levels deep. Received: deeper`);
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
  return value as T;
}

/** A JSON file of a store, parsed; a damaged one is a StoreError naming it. */
export function readStoreJson<T>(file: string): T {
  const text = readStoreText(file);
  try {
    return parseStoreJson<T>(text);
  } catch (error) {
    throw new StoreError(`${file}: ${(error as Error).message}`);
  }
}

/** The records of a JSONL file; a torn last line (no newline) is ignored, a malformed line is a StoreError naming it. */
export function readJsonl<T>(file: string): T[] {
  if (!builtin<{ existsSync(p: string): boolean }>('node:fs').existsSync(file)) return [];
  const text = readStoreText(file);
  const lines = text.split('\n');
  const complete = lines.slice(0, -1);
  return complete.flatMap((line, i) => {
    if (!line.trim()) return [];
    try {
      return [parseStoreJson<T>(line)];
    } catch (error) {
      throw new StoreError(`${file} line ${i + 1}: ${(error as Error).message}`);
    }
  });
}

/** The run's JSONL record files. */
export const RECORD_FILES = ['fits.jsonl', 'epochs.jsonl', 'evaluations.jsonl', 'predictions.jsonl', 'values.jsonl', 'steps.jsonl', 'ops.jsonl'] as const;

/**
 * A completed run's records are whole: its status is written only after they were flushed, and a
 * resume rewrites or appends to (so cuts) any torn line. A last line cut short there is damage
 * (a truncated copy, an edit), not a kill: ignored, it would lose a record silently (a custom
 * value, a fit's end) and change the run's final metrics and digest.
 */
export function checkWholeRecords(dir: string): void {
  const fs = builtin<{
    existsSync(p: string): boolean; openSync(p: string, f: string): number; closeSync(fd: number): void;
    fstatSync(fd: number): { size: number }; readSync(fd: number, b: Uint8Array, o: number, l: number, p: number): number;
  }>('node:fs');
  const join = builtin<{ join(...p: string[]): string }>('node:path').join;
  for (const name of RECORD_FILES) {
    const file = join(dir, name);
    if (!fs.existsSync(file)) continue;
    checkRegularFile(file);
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const last = new Uint8Array(1);
      if (size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a) {
        throw new StoreError(`${file}: its last line is cut short (no newline at its end), though the run completed, which writes every record whole: a record was lost`);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A JSONL file's records, each an object `valid` accepts: any other line is a StoreError naming it. */
export function readObjects(file: string, expected: string, valid: (line: Record<string, unknown>) => boolean): Record<string, unknown>[] {
  return readJsonl<unknown>(file).map((line, i) => {
    if (!isRecord(line) || !valid(line)) throw new StoreError(`${file} record ${i + 1}: Expected ${expected}`);
    return line;
  });
}

/**
 * The traces of `--trace steps|ops` (steps.jsonl, ops.jsonl), checked like the other records: a
 * damaged line makes the run corrupt, never a run without a trace that diff and verify then skip.
 */
export function checkTraceRecords(dir: string, trace: unknown, trainedSteps: boolean): void {
  const join = builtin<{ join(...p: string[]): string }>('node:path').join;
  const steps = readObjects(join(dir, 'steps.jsonl'), '{fit, epoch, step, lossBits, digest} with non-negative integer fit, epoch and step and 8 hex digits of lossBits',
    (line) => isIndex(line.fit) && isIndex(line.epoch) && isIndex(line.step) && isBits(line.lossBits) && typeof line.digest === 'string');
  // A run that traced steps and trained has step records: without them diff would compare nothing there.
  if ((trace === 'steps' || trace === 'ops') && trainedSteps && steps.length === 0) {
    throw new StoreError(`${join(dir, 'steps.jsonl')} is missing or empty, though run.json says the run traced ${trace} and epochs.jsonl shows that it trained`);
  }
  readObjects(join(dir, 'ops.jsonl'), '{index, op, shape, dtype, digest, site} with a non-negative integer index',
    (line) => isIndex(line.index) && typeof line.op === 'string' && Array.isArray(line.shape) && typeof line.dtype === 'string' && typeof line.digest === 'string' && typeof line.site === 'string');
}
