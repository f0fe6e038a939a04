/**
 * vb.util: the helpers of TF.js's tf.util that training programs use. `shuffle` is keyed (never
 * Math.random): with a seed or key its order is permutation(key), without either it takes the
 * next key of the global seed's unnamed stream, like every TF.js-style sampler called without a
 * seed. `now` is a clock for timing only: nothing numeric in the library reads it.
 */
import { invalid } from '../errors.js';
import { Key, key, type Seed } from '../random/keys.js';
import { permutationValues } from '../random/samplers.js';
import { nextUnnamedKey } from '../random/seed.js';

type Shuffleable<T> = T[] | Uint32Array | Int32Array | Float32Array;

/** Throws an Error with msg() when expr is false (TF.js's assert). */
export function assert(expr: boolean, msg: () => string): asserts expr {
  if (!expr) throw new Error(typeof msg === 'function' ? msg() : String(msg));
}

/** TF.js's util.assertShapesMatch: throws unless the two shapes are equal, with TF.js's message. */
export function assertShapesMatch(shapeA: readonly number[], shapeB: readonly number[], errorMessagePrefix = ''): void {
  const equal = shapeA.length === shapeB.length && shapeA.every((d, i) => d === shapeB[i]);
  if (!equal) throw new Error(`${errorMessagePrefix} Shapes ${shapeA.join(',')} and ${shapeB.join(',')} must match`);
}

function keyOf(seedOrKey: Seed | Key | undefined, context: string): Key {
  if (seedOrKey instanceof Key) return seedOrKey;
  return seedOrKey === undefined ? nextUnnamedKey(context) : key(seedOrKey);
}

function permute<T>(array: Shuffleable<T>, order: Int32Array): void {
  const copy = Array.from(array as ArrayLike<T>);
  order.forEach((from, to) => { (array as T[])[to] = copy[from]!; });
}

/**
 * Shuffles an array in place: Fisher-Yates from the key (NUMERICS.md, permutation), so the same
 * seed (or key) gives the same order everywhere.
 */
export function shuffle<T>(array: Shuffleable<T>, seedOrKey?: Seed | Key): void {
  if (!Array.isArray(array) && !ArrayBuffer.isView(array)) throw invalid('util.shuffle', 'Expected an array or a typed array', { array });
  permute(array, permutationValues(keyOf(seedOrKey, 'util.shuffle'), array.length));
}

/** Shuffles two arrays of the same length in place with one order (TF.js's shuffleCombo). */
export function shuffleCombo<T, U>(array: Shuffleable<T>, array2: Shuffleable<U>, seedOrKey?: Seed | Key): void {
  if (array.length !== array2.length) {
    throw invalid('util.shuffleCombo', 'Expected arrays of the same length', { 'array.length': array.length, 'array2.length': array2.length });
  }
  const order = permutationValues(keyOf(seedOrKey, 'util.shuffleCombo'), array.length);
  permute(array, order);
  permute(array2, order);
}

/** The indices 0 .. n - 1 in the order of permutation(key) (TF.js's createShuffledIndices), keyed like shuffle. */
export function createShuffledIndices(n: number, seedOrKey?: Seed | Key): Uint32Array {
  if (!Number.isInteger(n) || n < 0) throw invalid('util.createShuffledIndices', 'Expected a non-negative integer', { n });
  return Uint32Array.from(permutationValues(keyOf(seedOrKey, 'util.createShuffledIndices'), n));
}

/** The number of elements of a shape (1 for a scalar's []). */
export function sizeFromShape(shape: readonly number[]): number {
  if (!Array.isArray(shape)) throw invalid('util.sizeFromShape', 'Expected a shape (an array of numbers)', { shape });
  return shape.reduce((n, d) => n * d, 1);
}

type Nested<T> = T | Nested<T>[] | ArrayLike<T>;

/** A nested array (and typed arrays in it, unless skipTypedArray) as one flat array, in order. */
export function flatten<T>(array: Nested<T>, result: T[] = [], skipTypedArray = false): T[] {
  if (Array.isArray(array) || (ArrayBuffer.isView(array) && !skipTypedArray)) {
    for (const item of Array.from(array as ArrayLike<Nested<T>>)) flatten(item, result, skipTypedArray);
  } else {
    result.push(array as T);
  }
  return result;
}

/** The integers start, start + 1, ..., end - 1 as a JS array. */
export function range(start: number, end: number): number[] {
  if (!Number.isInteger(start) || !Number.isInteger(end)) throw invalid('util.range', 'Expected integer bounds', { start, end });
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

/** Whether two arrays hold equal elements in the same order. */
export function arraysEqual(a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Milliseconds from a monotonic clock, for timing only (never read by any numeric path). */
export function now(): number {
  return performance.now();
}
