/**
 * What a run's model.evaluate, evaluateDataset and predict calls gave the script: per call, the
 * data it was given and its results (evaluations.jsonl: each result by name with its float32
 * bits; predictions.jsonl: each output's SHA-256). Read back checked, as epochs.jsonl is: a
 * result of the wrong type, or whose value is not the float32 its bits say, makes the run corrupt.
 */
import { builtin } from '../util/node.js';
import { isBits, isRecord, readObjects, StoreError } from './record-files.js';
import { agreesWithBits, NON_FINITE, valueFromBits } from './values.js';

/** What a run records of one input it was given: its shape, dtype and SHA-256 (and its examples' as a multiset, for a fit). */
export interface DataRecord {
  shape?: unknown;
  dtype?: unknown;
  sha256: string;
  content?: string;
}

/** One model.evaluate (or evaluateDataset) of a recorded run: the data it evaluated, per input, and what it returned. */
export interface EvaluationRecord {
  kind?: string;
  data: Record<string, DataRecord>;
  /** evaluate's batchSize, or each dataset batch's size (absent in runs recorded before). */
  batchSizes?: number[];
  /** Each returned scalar by name (as the logs name it); runs recorded before results were have none. */
  results?: Record<string, number>;
  /** Each result's float32 bits: what diff and verify compare. */
  resultBits?: Record<string, string>;
}

/** What a tensor is recorded as: its dtype, shape and the SHA-256 of its dtype, shape and bytes. */
export interface TensorRecord {
  shape: readonly number[];
  dtype: string;
  sha256: string;
}

/** One model.predict of a recorded run: its inputs, and each output's digest. */
export interface PredictionRecord {
  data: Record<string, DataRecord>;
  outputs: TensorRecord[];
}

/** A result as written: a number, or NaN/Infinity as a string (JSON has neither). */
const isResultValue = (v: unknown): boolean => typeof v === 'number' || (typeof v === 'string' && v in NON_FINITE);

/** The results as the recorder writes them: values (the float32 each call returned) and their bits. */
export function resultFields(results: Record<string, number>, bits: (value: number) => string): Pick<EvaluationRecord, 'results' | 'resultBits'> {
  const entries = Object.entries(results);
  // JSON has no NaN or Infinity: written as strings, as epochs.jsonl's metrics are.
  const written = entries.map(([k, v]) => [k, Number.isFinite(v) ? Math.fround(v) : String(v)]);
  return { results: Object.fromEntries(written) as Record<string, number>, resultBits: Object.fromEntries(entries.map(([k, v]) => [k, bits(v)])) };
}

/**
 * A run's evaluations, checked: each an object with the data evaluated; its results, when
 * recorded, an object of numbers (NaN/Infinity as strings) with the same names in resultBits,
 * each 8 hex digits that agree with the value. Values are restored from their bits.
 */
export function readEvaluations(dir: string): EvaluationRecord[] {
  const file = builtin<{ join(...p: string[]): string }>('node:path').join(dir, 'evaluations.jsonl');
  // An absent kind: a run recorded before evaluations named theirs.
  const records = readObjects(file, "an object with the data evaluated (a kind, 'evaluate' or 'evaluateDataset', and batchSizes, a list of non-negative integers, where recorded)",
    (line) => isRecord(line.data) && (line.kind === undefined || line.kind === 'evaluate' || line.kind === 'evaluateDataset')
      && (line.batchSizes === undefined || (Array.isArray(line.batchSizes) && line.batchSizes.every((n) => Number.isSafeInteger(n) && (n as number) >= 0))));
  return records.map((line, i) => {
    const { results, resultBits } = line;
    if (results === undefined && resultBits === undefined) return line as unknown as EvaluationRecord;
    const where = `${file} record ${i + 1}`;
    if (!isRecord(results) || !isRecord(resultBits) || !Object.values(results).every(isResultValue) || !Object.values(resultBits).every(isBits)
      || Object.keys(results).join('\0') !== Object.keys(resultBits).join('\0')) {
      throw new StoreError(`${where}: Expected results {name: number} with their float32 bits (resultBits {name: 8 hex digits}, the same names). Received: results=${JSON.stringify(results)}, resultBits=${JSON.stringify(resultBits)}`);
    }
    // fromEntries defines own properties: a result named __proto__ is kept as one.
    const restored = Object.fromEntries(Object.entries(results).map(([name, value]) => {
      const bits = resultBits[name] as string;
      if (!agreesWithBits(value, bits)) {
        throw new StoreError(`${where}: result ${JSON.stringify(name)} is ${JSON.stringify(value)}, but its recorded float32 bits ${bits} (resultBits) are ${valueFromBits(bits)}: one of them was changed`);
      }
      return [name, valueFromBits(bits)];
    }));
    return { ...line, results: restored, resultBits } as unknown as EvaluationRecord;
  });
}

const isTensorRecord = (v: unknown): boolean => isRecord(v) && Array.isArray(v.shape) && typeof v.dtype === 'string' && typeof v.sha256 === 'string';

/** A run's predictions, checked: each with the data predicted on and a list of outputs (shape, dtype, SHA-256). */
export function readPredictions(dir: string): PredictionRecord[] {
  const file = builtin<{ join(...p: string[]): string }>('node:path').join(dir, 'predictions.jsonl');
  return readObjects(file, 'an object with the data predicted on and outputs [{shape, dtype, sha256}]',
    (line) => isRecord(line.data) && Array.isArray(line.outputs) && line.outputs.every(isTensorRecord)) as unknown as PredictionRecord[];
}
