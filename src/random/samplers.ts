/**
 * Samplers: pure functions of a key and a shape. Element i is computed from word i of the key's
 * bit stream alone, so a sample is a prefix of any larger sample from the same key, and the
 * values never depend on the backend or the platform.
 *
 * Transforms of a 32-bit word b (all exact or float32, with f32math's functions):
 *   uniform [0, 1):      u = (b >>> 8) * 2^-24                      (24 random bits, exact)
 *   uniform in [lo, hi): fl(lo + fl(u * fl(hi - lo))), lowered to the float below hi if it rounds to hi
 *   open (-1, 1):        v = (2 (b >>> 8) + 1 - 2^24) * 2^-24       (exact, symmetric, never +-1)
 *   normal:              mean + stddev * fl(sqrt(2) * erfinv(v))
 *   truncated normal:    the same with v scaled by fl(erf(sqrt(2))), so |z| < 2 (resampling-free)
 *   bernoulli(p):        u < p
 *   randint [lo, hi):    lo + floor(b * (hi - lo) / 2^32)           (exact multiply-high)
 *   permutation(n):      Fisher-Yates from the last position down, j = randint [0, i + 1) from word i
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { erf, erfinv } from '../numerics/f32math.js';
import { gather } from '../ops/shape.js';
import { convertToTensor, type TensorLike } from '../ops/creation.js';
import { assertShape, checkTensorSize, sizeOf } from '../tensor/shape.js';
import type { DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { assertKey, randomBits, type Key } from './keys.js';

const f = Math.fround;
const TWO_POW_M24 = 2 ** -24;
const SQRT2 = f(Math.SQRT2);
const TRUNCATION_SCALE = f(erf(SQRT2));
const BELOW_TWO = f(2 - 2 ** -23);

export function uniformFromBits(word: number): number {
  return (word >>> 8) * TWO_POW_M24;
}

function openFromBits(word: number): number {
  return (2 * (word >>> 8) + 1 - 16777216) * TWO_POW_M24;
}

export function normalFromBits(word: number): number {
  return f(SQRT2 * erfinv(openFromBits(word)));
}

function truncatedFromBits(word: number): number {
  const z = f(SQRT2 * erfinv(f(openFromBits(word) * TRUNCATION_SCALE)));
  return z >= 2 ? BELOW_TWO : z <= -2 ? -BELOW_TWO : z;
}

/** floor(word * range / 2^32) exactly, for range <= 2^32. */
export function scaledIndex(word: number, range: number): number {
  const high = (word >>> 16) * range;
  const low = (word & 0xffff) * range;
  return Math.floor(high / 65536) + Math.floor(((high % 65536) * 65536 + low) / 4294967296);
}

function nextBelow(x: number): number {
  const view = new Float32Array([x]);
  const bits = new Int32Array(view.buffer);
  bits[0] = x > 0 ? bits[0]! - 1 : x === 0 ? -0x7fffffff : bits[0]! + 1;
  return view[0]!;
}

function checkShape(shape: readonly number[], context: string, dtype: DType = 'float32'): number {
  assertShape(shape, context);
  checkTensorSize(shape, dtype, context);
  return sizeOf(shape);
}

function checkFinite(context: string, values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalid(context, `Expected ${name} to be a finite number`, { [name]: value });
    }
  }
}

/** `start`: the values from the start-th of a longer draw on, without drawing those before. */
export function uniformValues(k: Key, count: number, minval = 0, maxval = 1, start = 0): Float32Array {
  const lo = f(minval);
  const hi = f(maxval);
  const width = f(hi - lo);
  const words = randomBits(k, count, start);
  const out = new Float32Array(count);
  const top = hi > lo ? nextBelow(hi) : lo;
  for (let i = 0; i < count; i++) {
    const v = f(lo + f(uniformFromBits(words[i]!) * width));
    out[i] = v >= hi ? top : v;
  }
  return out;
}

/** `start`: as uniformValues'. */
export function normalValues(k: Key, count: number, mean = 0, stddev = 1, start = 0): Float32Array {
  const words = randomBits(k, count, start);
  const out = new Float32Array(count);
  const m = f(mean);
  const s = f(stddev);
  for (let i = 0; i < count; i++) out[i] = f(m + f(s * normalFromBits(words[i]!)));
  return out;
}

export function truncatedNormalValues(k: Key, count: number, mean = 0, stddev = 1): Float32Array {
  const words = randomBits(k, count);
  const out = new Float32Array(count);
  const m = f(mean);
  const s = f(stddev);
  for (let i = 0; i < count; i++) out[i] = f(m + f(s * truncatedFromBits(words[i]!)));
  return out;
}

export function permutationValues(k: Key, n: number): Int32Array {
  const words = randomBits(k, n);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = scaledIndex(words[i]!, i + 1);
    const held = order[i]!;
    order[i] = order[j]!;
    order[j] = held;
  }
  return order;
}

export interface UniformOptions {
  minval?: number;
  maxval?: number;
}

export interface NormalOptions {
  mean?: number;
  stddev?: number;
}

/** Uniform float32 values in [minval, maxval) (default [0, 1)). */
export function uniform(k: Key, shape: readonly number[], options: UniformOptions = {}): Tensor {
  assertKey(k, 'random.uniform');
  const { minval = 0, maxval = 1 } = options;
  checkFinite('random.uniform', { minval, maxval });
  if (!(minval <= maxval)) throw invalid('random.uniform', 'Expected minval <= maxval', { minval, maxval });
  return ENGINE.makeTensor(uniformValues(k, checkShape(shape, 'random.uniform'), minval, maxval), shape, 'float32');
}

/** Normal float32 values (default mean 0, stddev 1). */
export function normal(k: Key, shape: readonly number[], options: NormalOptions = {}): Tensor {
  assertKey(k, 'random.normal');
  const { mean = 0, stddev = 1 } = options;
  checkFinite('random.normal', { mean, stddev });
  return ENGINE.makeTensor(normalValues(k, checkShape(shape, 'random.normal'), mean, stddev), shape, 'float32');
}

/** Normal values truncated to within two standard deviations of the mean (as Keras/TF). */
export function truncatedNormal(k: Key, shape: readonly number[], options: NormalOptions = {}): Tensor {
  assertKey(k, 'random.truncatedNormal');
  const { mean = 0, stddev = 1 } = options;
  checkFinite('random.truncatedNormal', { mean, stddev });
  const count = checkShape(shape, 'random.truncatedNormal');
  return ENGINE.makeTensor(truncatedNormalValues(k, count, mean, stddev), shape, 'float32');
}

/** bool values, true with probability p. */
export function bernoulli(k: Key, p = 0.5, shape: readonly number[] = []): Tensor {
  assertKey(k, 'random.bernoulli');
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw invalid('random.bernoulli', 'Expected p in [0, 1]', { p });
  const count = checkShape(shape, 'random.bernoulli', 'bool');
  const words = randomBits(k, count);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = uniformFromBits(words[i]!) < p ? 1 : 0;
  return ENGINE.makeTensor(out, shape, 'bool');
}

/** int32 values uniform in [minval, maxval). */
export function randint(k: Key, shape: readonly number[], minval: number, maxval: number): Tensor {
  assertKey(k, 'random.randint');
  const ok = Number.isInteger(minval) && Number.isInteger(maxval) && minval < maxval
    && minval >= -2147483648 && maxval <= 2147483648;
  if (!ok) throw invalid('random.randint', 'Expected int32 bounds with minval < maxval', { minval, maxval });
  const count = checkShape(shape, 'random.randint');
  const words = randomBits(k, count);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = minval + scaledIndex(words[i]!, maxval - minval);
  return ENGINE.makeTensor(out, shape, 'int32');
}

/** A random permutation of 0..n-1 (int32), or of x along its first axis. */
export function permutation(k: Key, x: number | TensorLike): Tensor {
  assertKey(k, 'random.permutation');
  if (typeof x === 'number') {
    if (!Number.isInteger(x) || x < 0) throw invalid('random.permutation', 'Expected a non-negative integer or a tensor', { x });
    checkTensorSize([x], 'int32', 'random.permutation');
    return ENGINE.makeTensor(permutationValues(k, x), [x], 'int32');
  }
  const t = convertToTensor(x, 'x', 'random.permutation');
  if (t.rank === 0) throw invalid('random.permutation', 'Expected a tensor of rank 1 or more', { 'x.shape': t.shape });
  return ENGINE.tidy(() => gather(t, ENGINE.makeTensor(permutationValues(k, t.shape[0]!), [t.shape[0]!], 'int32')));
}
