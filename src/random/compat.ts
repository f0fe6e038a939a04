/**
 * TF.js-compatible random helpers. With a seed, the values are those of the key `key(seed)`,
 * the same on every call (`seed: 0` is a seed like any other). Without one, the key comes from
 * the global seed's unnamed stream (see seed.ts).
 */
import { assertDType, type DType } from '../tensor/dtype.js';
import { invalid } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { assertShape } from '../tensor/shape.js';
import { key, type Key, type Seed } from './keys.js';
import { bernoulli, normal, randint, truncatedNormal, uniform } from './samplers.js';
import type { TensorLike } from '../ops/creation.js';
import { asFloat, cast, div, mul } from '../ops/elementwise.js';
import { op } from '../ops/op.js';
import { clone } from '../ops/compat.js';
import { nextUnnamedKey } from './seed.js';

function keyOf(seed: Seed | undefined, consumer: string): Key {
  return seed === undefined ? nextUnnamedKey(consumer) : key(seed);
}

function floatOnly(dtype: DType, context: string): void {
  if (assertDType(dtype, context) !== 'float32') {
    throw invalid(context, 'Expected dtype float32', { dtype });
  }
}

export function randomNormal(shape: readonly number[], mean = 0, stdDev = 1, dtype: DType = 'float32', seed?: Seed): Tensor {
  floatOnly(dtype, 'randomNormal');
  return normal(keyOf(seed, 'randomNormal'), shape, { mean, stddev: stdDev });
}

export function truncatedNormalTensor(shape: readonly number[], mean = 0, stdDev = 1, dtype: DType = 'float32', seed?: Seed): Tensor {
  floatOnly(dtype, 'truncatedNormal');
  return truncatedNormal(keyOf(seed, 'truncatedNormal'), shape, { mean, stddev: stdDev });
}

/** Uniform values in [minval, maxval); for int32, integers in [minval, maxval). */
export function randomUniform(shape: readonly number[], minval = 0, maxval = 1, dtype: DType = 'float32', seed?: Seed): Tensor {
  const k = keyOf(seed, 'randomUniform');
  if (assertDType(dtype, 'randomUniform') === 'int32') return randint(k, shape, minval, maxval);
  if (dtype === 'bool') throw invalid('randomUniform', 'Expected dtype float32 or int32', { dtype });
  return uniform(k, shape, { minval, maxval });
}

/** TF.js's randomUniformInt(shape, minval, maxval, seed?): int32 integers in [minval, maxval). */
export function randomUniformInt(shape: readonly number[], minval: number, maxval: number, seed?: Seed): Tensor {
  return randint(keyOf(seed, 'randomUniformInt'), shape, minval, maxval);
}

/** TF.js's randomStandardNormal(shape, dtype?, seed?): randomNormal with mean 0 and stdDev 1. */
export function randomStandardNormal(shape: readonly number[], dtype: DType = 'float32', seed?: Seed): Tensor {
  floatOnly(dtype, 'randomStandardNormal');
  return normal(keyOf(seed, 'randomStandardNormal'), shape, { mean: 0, stddev: 1 });
}

/**
 * TF.js's dropout(x, rate, noiseShape?, seed?): each element (or each of noiseShape's, broadcast
 * to x) kept with probability 1 - rate and scaled by 1 / (1 - rate), else 0: x times
 * keep / (1 - rate), the keep mask keyed as randomUniform's values are (a seed, or the unnamed stream).
 */
export const dropout = op(function dropout(x: TensorLike, rate: number, noiseShape?: readonly (number | null)[] | null, seed?: Seed): Tensor {
  const t = asFloat(x, 'dropout');
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw invalid('dropout', 'Expected rate in [0, 1)', { rate });
  // TF.js's (and Keras's) noiseShape of x's rank may hold null for x's dimension there ([null, 1]).
  const maskShape = noiseShape == null ? t.shape : noiseShape.length === t.rank ? noiseShape.map((d, i) => d ?? t.shape[i]) : noiseShape;
  assertShape(maskShape, 'dropout', 'noiseShape');
  if (rate === 0) return clone(t);
  const keepProbability = 1 - rate;
  const keep = bernoulli(keyOf(seed, 'dropout'), keepProbability, maskShape as number[]);
  return mul(t, div(cast(keep, 'float32'), keepProbability));
});
