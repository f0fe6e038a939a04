/**
 * Custom values: scalars a script records next to its fits (`vb.runs.log('mse', v, {step})`),
 * such as an evaluation the fit's metrics do not cover. Stored in values.jsonl as their exact
 * float32 bits, so NaN and Inf round-trip and the statistics see the values training produced.
 */
import { builtin } from '../util/node.js';

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

/** Every recorded value of the run in `dir`, in the order logged; malformed lines are skipped. */
export function readValues(dir: string): ValueRecord[] {
  const file = builtin<{ join(...p: string[]): string }>('node:path').join(dir, 'values.jsonl');
  let text: string;
  try {
    text = builtin<{ readFileSync(p: string, e: string): string }>('node:fs').readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const records = text.split('\n').flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as unknown] : [];
    } catch {
      return [];
    }
  });
  return records.filter((r): r is ValueRecord => {
    const v = r as Partial<ValueRecord> | null;
    return !!v && typeof v.name === 'string' && Number.isInteger(v.step) && typeof v.bits === 'string' && /^[0-9a-f]{8}$/.test(v.bits);
  });
}

/** The last value logged under each name. */
export function finalValues(dir: string): Record<string, number> {
  // fromEntries defines own properties: a value named __proto__ is kept as one, not a prototype.
  return Object.fromEntries(new Map(readValues(dir).map((r) => [r.name, valueFromBits(r.bits)])));
}
