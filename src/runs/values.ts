/**
 * Custom values: scalars a script records next to its fits (`vb.runs.log('mse', v, {step})`),
 * such as an evaluation the fit's metrics do not cover. Stored in values.jsonl as their exact
 * float32 bits, so NaN and Inf round-trip and the statistics see the values training produced.
 */
import { invalid } from '../errors.js';
import { builtin } from '../util/node.js';
import { isBits, isIndex, readObjects, StoreError } from './record-files.js';

export interface ValueRecord {
  name: string;
  step: number;
  /** float32 bits, 8 hex digits. */
  bits: string;
}

export function valueFromBits(bits: string): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, Number.parseInt(bits, 16));
  return view.getFloat32(0);
}

/** JSON has no NaN or Infinity: non-finite metrics are written as these strings (their exact bits are in logBits). */
export const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** Whether a metric as written in `logs` (a number, a NaN/Infinity string, or null: an old run's NaN) is the value of its float32 bits; other types say no number. */
export function agreesWithBits(written: unknown, bits: string): boolean {
  const recorded = valueFromBits(bits);
  // === takes -0 for 0: JSON writes -0 as 0, its bits keep the sign.
  const same = (v: number) => Math.fround(v) === recorded || (Number.isNaN(v) && Number.isNaN(recorded));
  if (typeof written === 'number') return same(written);
  if (typeof written === 'string' && written in NON_FINITE) return same(NON_FINITE[written]!);
  return written !== null || Number.isNaN(recorded);
}

/**
 * Every recorded value of the run in `dir`, in the order logged. A record that is not one (a
 * damaged line, bits that are not 8 hex digits) or whose value is not the float32 its bits say
 * (null for NaN and Infinity: one of them edited) is a StoreError naming it, as an epoch's metric is.
 */
export function readValues(dir: string): ValueRecord[] {
  const file = builtin<{ join(...p: string[]): string }>('node:path').join(dir, 'values.jsonl');
  const records = readObjects(file, '{name, step, bits, value} with a name, a non-negative integer step and 8 hex digits of bits',
    (line) => typeof line.name === 'string' && isIndex(line.step) && isBits(line.bits));
  return records.map((line, i) => {
    const { name, step, bits, value } = line as unknown as ValueRecord & { value: unknown };
    const agrees = value === null ? !Number.isFinite(valueFromBits(bits)) : typeof value === 'number' && agreesWithBits(value, bits);
    if (!agrees) throw new StoreError(`${file} record ${i + 1} (${JSON.stringify(name)} step ${step}): value ${JSON.stringify(value)}, but its recorded float32 bits ${bits} are ${valueFromBits(bits)}: one of them was changed`);
    return { name, step, bits };
  });
}

/** The last value logged under each name. */
export function finalValues(dir: string): Record<string, number> {
  // fromEntries defines own properties: a value named __proto__ is kept as one, not a prototype.
  return Object.fromEntries(new Map(readValues(dir).map((r) => [r.name, valueFromBits(r.bits)])));
}

/** Checks vb.runs.log's arguments (inside a recorded run or not: a script must not fail only when recorded). */
export function checkLogArguments(name: unknown, value: unknown, options: { step?: unknown }): void {
  if (typeof name !== 'string' || name === '' || name.length > 200) throw invalid('runs.log', 'Expected a non-empty name (at most 200 characters)', { name });
  if (typeof value !== 'number') throw invalid('runs.log', 'Expected a number (NaN and Infinity are recorded exactly)', { value });
  if (typeof options !== 'object' || options === null) throw invalid('runs.log', 'Expected options to be an object such as {step: 3}', { options });
  const step = options.step;
  if (step !== undefined && (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0)) throw invalid('runs.log', 'Expected step to be a non-negative integer', { step });
}

/** A custom value's identity in a run: its name, step and which logging of that name and step it is (from 0). */
export function valueKey(name: string, step: number, logging: number): string {
  return `${name}\0${step}\0${logging}`;
}

/**
 * Which logging of its name and step each custom value is, in the order logged: a name and step
 * can be logged again (`{step: epoch}` in every fit). The recorder, --resume and diff count alike.
 */
export class LoggingCounter {
  private readonly counts = new Map<string, number>();

  /** Counts one logging of this name and step; returns which it is (from 0). */
  next(name: string, step: number): number {
    const key = `${name}\0${step}`;
    const logging = this.counts.get(key) ?? 0;
    this.counts.set(key, logging + 1);
    return logging;
  }
}
