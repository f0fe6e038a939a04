/**
 * How batch() turns a list of like-structured elements into one batched element, as tf.data's
 * deepBatchConcat does: numbers and booleans become a 1-D tensor, nested arrays of numbers (and
 * typed arrays) a tensor with one more axis in front, tensors are stacked, and plain objects are
 * batched field by field under the first element's keys. One addition: an array holding tensors
 * or objects (such as an [x, y] pair) is batched position by position, where TF.js makes a
 * tensor without values.
 * Strings, null and undefined (an empty CSV field) are errors: verbatim has no string tensors,
 * and TF.js's silent NaN for a missing value would only fail later.
 */
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { Tensor } from '../tensor/tensor.js';

const CONTEXT = 'Dataset.batch';
const PAIR_HINT = ' (an array of numbers is one tensor, as in TF.js: give an [x, y] pair as {xs, ys})';

const isTypedArray = (value: unknown): value is Float32Array | Int32Array | Uint8Array | Float64Array =>
  value instanceof Float32Array || value instanceof Int32Array || value instanceof Uint8Array || value instanceof Float64Array;

/** A number, a boolean, or a (nested) array of them: what tf.tensor takes. */
function isNumeric(value: unknown): boolean {
  if (typeof value === 'number' || typeof value === 'boolean' || isTypedArray(value)) return true;
  return Array.isArray(value) && value.every(isNumeric);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Tensor) return `a tensor of shape ${JSON.stringify(value.shape)}`;
  return typeof value;
}

/** One element's value at `path` as a tensor of its own (freed by the caller's tidy). */
function asTensor(value: unknown, path: string, index: number): Tensor {
  if (value instanceof Tensor) return value;
  if (isNumeric(value)) {
    try {
      return ops.tensor(value as number[]);
    } catch (e) {
      throw invalid(CONTEXT, `Expected a rectangular nested array of numbers${PAIR_HINT} (${(e as Error).message})`, { [`element[${index}]${path}`]: describe(value) });
    }
  }
  const hint = value === undefined && path !== '' ? ' (an empty CSV field needs a default in columnConfigs)' : '';
  throw invalid(CONTEXT, `Expected numbers, booleans, arrays of them or tensors in every element${hint}`, { [`element[${index}]${path}`]: describe(value) });
}

function stackLeaves(items: readonly unknown[], path: string): Tensor {
  if (items.every(isNumeric)) {
    // One tensor straight from the nested array (as tf.tensor(rows)): integer typed arrays stay
    // int32. A ragged batch fails here and is then taken element by element below, whose error
    // names the element that differs.
    const dtype = items[0] instanceof Int32Array || items[0] instanceof Uint8Array ? 'int32' : undefined;
    try {
      return ops.tensor(items as number[], undefined, dtype);
    } catch {
      // fall through
    }
  }
  const tensors = items.map((item, i) => asTensor(item, path, i));
  const first = tensors[0]!;
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.some((d, k) => d !== first.shape[k])) {
      throw invalid(CONTEXT, `Expected every element's value${path === '' ? '' : ` at ${path}`} with one shape and dtype${path === '' && Array.isArray(items[0]) ? PAIR_HINT : ''}`,
        { [`element[0]${path}`]: `${first.dtype} ${JSON.stringify(first.shape)}`, [`element[${i}]${path}`]: `${t.dtype} ${JSON.stringify(t.shape)}` });
    }
  });
  return ops.stack(tensors);
}

/** Stacks items into one batched element; call inside a tidy (the per-item tensors it makes are temporary). */
export function stackElements(items: readonly unknown[], path = ''): unknown {
  const first = items[0];
  const isStructure = first !== null && typeof first === 'object' && !(first instanceof Tensor) && !isNumeric(first);
  if (!isStructure) return stackLeaves(items, path);
  if (Array.isArray(first)) {
    return first.map((_, k) => stackElements(items.map((item, i) => {
      if (!Array.isArray(item) || item.length !== first.length) {
        throw invalid(CONTEXT, `Expected every element${path} to be an array of ${first.length}`, { [`element[${i}]${path}`]: describe(item) });
      }
      return item[k];
    }), `${path}[${k}]`));
  }
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(first)) {
    const field = stackElements(items.map((item, i) => {
      if (item === null || typeof item !== 'object' || !Object.hasOwn(item, name)) {
        throw invalid(CONTEXT, `Expected every element${path} to have the field ${JSON.stringify(name)}`, { [`element[${i}]${path}`]: describe(item) });
      }
      return (item as Record<string, unknown>)[name];
    }), `${path}.${name}`);
    Object.defineProperty(out, name, { value: field, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
