/**
 * Weight initializers with Keras 3 definitions and defaults. An initializer turns (shape, key)
 * into values; with a `seed` it uses key(seed) and ignores the key it is given, so it draws the
 * same values on every call. Fans: for a [fanIn, fanOut] kernel as named; for higher ranks
 * (convolutions) both are multiplied by the receptive field size (all but the last two dims).
 */
import { invalid, refuseUnknownOptions } from '../errors.js';
import { key as keyOf, type Key, type Seed } from '../random/keys.js';
import { normalValues, truncatedNormalValues, uniformValues } from '../random/samplers.js';
import { checkTensorSize, sizeOf } from '../tensor/shape.js';

export interface Initializer {
  readonly name: string;
  /** Initial values, float32, row-major. */
  values(shape: readonly number[], key: Key): Float32Array;
}

type Fan = 'fanIn' | 'fanOut' | 'fanAvg';
type Distribution = 'truncatedNormal' | 'untruncatedNormal' | 'uniform';

function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: shape.at(-2)! * receptive, fanOut: shape.at(-1)! * receptive };
}

function seeded(seed: Seed | undefined, given: Key): Key {
  return seed === undefined ? given : keyOf(seed);
}

export interface VarianceScalingConfig {
  scale?: number;
  mode?: Fan;
  distribution?: Distribution;
  seed?: Seed;
}

/** std = sqrt(scale / n); truncated normal std is divided by 0.87962566103423978 as in Keras. */
export function varianceScaling(config: VarianceScalingConfig = {}): Initializer {
  refuseUnknownOptions('varianceScaling', config, ['scale', 'mode', 'distribution', 'seed']);
  const { scale = 1, mode = 'fanIn', distribution = 'truncatedNormal', seed } = config;
  if (!(scale > 0)) throw invalid('varianceScaling', 'Expected scale > 0', { scale });
  if (!['fanIn', 'fanOut', 'fanAvg'].includes(mode)) throw invalid('varianceScaling', "Expected mode 'fanIn', 'fanOut' or 'fanAvg'", { mode });
  if (!['truncatedNormal', 'untruncatedNormal', 'uniform'].includes(distribution)) {
    throw invalid('varianceScaling', "Expected distribution 'truncatedNormal', 'untruncatedNormal' or 'uniform'", { distribution });
  }
  return {
    name: 'varianceScaling',
    values(shape, key) {
      const { fanIn, fanOut } = fans(shape);
      const n = Math.max(1, mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2);
      const k = seeded(seed, key);
      const count = checkedSize(shape, 'varianceScaling');
      if (distribution === 'uniform') {
        const limit = Math.sqrt((3 * scale) / n);
        return uniformValues(k, count, -limit, limit);
      }
      if (distribution === 'untruncatedNormal') return normalValues(k, count, 0, Math.sqrt(scale / n));
      return truncatedNormalValues(k, count, 0, Math.sqrt(scale / n) / 0.87962566103423978);
    },
  };
}

type SeedConfig = { seed?: Seed };

/** The element count of a float32 weight of `shape`, refused before any memory is touched if too large. */
function checkedSize(shape: readonly number[], initializer: string): number {
  checkTensorSize(shape, 'float32', `initializers.${initializer}`);
  return sizeOf(shape);
}

/** A varianceScaling preset, which takes only a seed (another option would be dropped silently). */
function preset(name: string, fixed: Omit<VarianceScalingConfig, 'seed'>): (config?: SeedConfig) => Initializer {
  return (config = {}) => {
    refuseUnknownOptions(name, config, ['seed']);
    return { ...varianceScaling({ ...config, ...fixed }), name };
  };
}

export const glorotUniform = preset('glorotUniform', { mode: 'fanAvg', distribution: 'uniform' });
export const glorotNormal = preset('glorotNormal', { mode: 'fanAvg' });
export const heUniform = preset('heUniform', { scale: 2, distribution: 'uniform' });
export const heNormal = preset('heNormal', { scale: 2 });
export const lecunUniform = preset('lecunUniform', { distribution: 'uniform' });
export const lecunNormal = preset('lecunNormal', {});
/** TF.js's spellings of the LeCun presets (tf.initializers.leCunNormal). */
export { lecunUniform as leCunUniform, lecunNormal as leCunNormal };

export function randomUniform(config: { minval?: number; maxval?: number; seed?: Seed } = {}): Initializer {
  refuseUnknownOptions('randomUniform', config, ['minval', 'maxval', 'seed']);
  const { minval = -0.05, maxval = 0.05, seed } = config;
  return { name: 'randomUniform', values: (shape, key) => uniformValues(seeded(seed, key), checkedSize(shape, 'randomUniform'), minval, maxval) };
}

export function randomNormal(config: { mean?: number; stddev?: number; seed?: Seed } = {}): Initializer {
  refuseUnknownOptions('randomNormal', config, ['mean', 'stddev', 'seed']);
  const { mean = 0, stddev = 0.05, seed } = config;
  return { name: 'randomNormal', values: (shape, key) => normalValues(seeded(seed, key), checkedSize(shape, 'randomNormal'), mean, stddev) };
}

export function truncatedNormal(config: { mean?: number; stddev?: number; seed?: Seed } = {}): Initializer {
  refuseUnknownOptions('truncatedNormal', config, ['mean', 'stddev', 'seed']);
  const { mean = 0, stddev = 0.05, seed } = config;
  return { name: 'truncatedNormal', values: (shape, key) => truncatedNormalValues(seeded(seed, key), checkedSize(shape, 'truncatedNormal'), mean, stddev) };
}

export function constant(config: { value?: number } = {}): Initializer {
  refuseUnknownOptions('constant', config, ['value']);
  const value = config.value ?? 0;
  if (typeof value !== 'number') throw invalid('constant', 'Expected value to be a number', { value });
  return { name: 'constant', values: (shape) => new Float32Array(checkedSize(shape, 'constant')).fill(value) };
}

/** TF.js's zeros() and ones() take no options: any given is an error, as for the other initializers. */
export const zeros = (config: Record<string, never> = {}): Initializer => {
  refuseUnknownOptions('zeros', config, []);
  return { ...constant({ value: 0 }), name: 'zeros' };
};
export const ones = (config: Record<string, never> = {}): Initializer => {
  refuseUnknownOptions('ones', config, []);
  return { ...constant({ value: 1 }), name: 'ones' };
};

/**
 * A (semi-)orthogonal matrix: gain times the Q of the QR decomposition of a normal matrix whose
 * R has a positive diagonal (Keras's sign correction), computed by Gram-Schmidt with
 * re-orthogonalisation in float64, which every JS engine evaluates identically. Shape
 * [..., cols] is treated as [prod(...), cols].
 */
export function orthogonal(config: { gain?: number; seed?: Seed } = {}): Initializer {
  refuseUnknownOptions('orthogonal', config, ['gain', 'seed']);
  const { gain = 1, seed } = config;
  return {
    name: 'orthogonal',
    values(shape, key) {
      if (shape.length < 2) throw invalid('orthogonal', 'Expected a shape of rank 2 or more', { shape });
      const cols = shape.at(-1)!;
      const rows = checkedSize(shape, 'orthogonal') / cols;
      const [n, m] = rows < cols ? [cols, rows] : [rows, cols];
      const a = normalValues(seeded(seed, key), n * m);
      // Columns of the n x m matrix a (n >= m), orthonormalised in place.
      const q = Array.from({ length: m }, (_, j) => Float64Array.from({ length: n }, (_, i) => a[i * m + j]!));
      for (let j = 0; j < m; j++) {
        const v = q[j]!;
        for (let pass = 0; pass < 2; pass++) {
          for (let p = 0; p < j; p++) {
            let dot = 0;
            for (let i = 0; i < n; i++) dot += q[p]![i]! * v[i]!;
            for (let i = 0; i < n; i++) v[i]! -= dot * q[p]![i]!;
          }
        }
        let norm = 0;
        for (let i = 0; i < n; i++) norm += v[i]! * v[i]!;
        norm = Math.sqrt(norm);
        for (let i = 0; i < n; i++) v[i] = v[i]! / norm;
      }
      const out = new Float32Array(rows * cols);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < m; j++) {
          const value = gain * q[j]![i]!;
          if (rows < cols) out[j * cols + i] = value;
          else out[i * cols + j] = value;
        }
      }
      return out;
    },
  };
}

/**
 * gain times the identity matrix (Keras 3's Identity): fl(gain) on the main diagonal of a rows x
 * cols matrix, fl(gain) * 0 elsewhere (-0 for a negative gain, as Keras's product). TF.js's takes
 * square matrices only.
 */
export function identity(config: { gain?: number } = {}): Initializer {
  refuseUnknownOptions('identity', config, ['gain']);
  const gain = config.gain ?? 1;
  if (typeof gain !== 'number' || !Number.isFinite(gain)) throw invalid('identity', 'Expected gain to be a finite number', { gain });
  return {
    name: 'identity',
    values(shape) {
      if (shape.length !== 2) throw invalid('identity', 'Expected a shape of rank 2 (a matrix)', { shape });
      const [rows, cols] = shape as [number, number];
      const out = new Float32Array(checkedSize(shape, 'identity')).fill(Math.fround(gain) * 0);
      for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = gain;
      return out;
    },
  };
}

export type InitializerIdentifier =
  | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunUniform' | 'lecunNormal'
  | 'randomUniform' | 'randomNormal' | 'truncatedNormal' | 'varianceScaling' | 'zeros' | 'ones'
  | 'constant' | 'orthogonal' | 'identity';

const BY_NAME: Record<InitializerIdentifier, () => Initializer> = {
  glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, randomUniform, randomNormal,
  truncatedNormal, varianceScaling, zeros, ones, constant, orthogonal, identity,
};

const SNAKE: Record<string, InitializerIdentifier> = {
  glorot_uniform: 'glorotUniform', glorot_normal: 'glorotNormal', he_uniform: 'heUniform', he_normal: 'heNormal',
  lecun_uniform: 'lecunUniform', lecun_normal: 'lecunNormal', random_uniform: 'randomUniform',
  random_normal: 'randomNormal', truncated_normal: 'truncatedNormal', variance_scaling: 'varianceScaling',
  // TF.js's spellings.
  leCunNormal: 'lecunNormal', leCunUniform: 'lecunUniform',
};

/** An initializer from its name or the initializer itself; undefined and null (TF.js, Keras) give the fallback. */
export function getInitializer(identifier: InitializerIdentifier | string | Initializer | null | undefined, fallback: InitializerIdentifier, context: string): Initializer {
  if (identifier === undefined || identifier === null) return BY_NAME[fallback]();
  if (typeof identifier === 'object' && typeof (identifier as Partial<Initializer>).values === 'function') return identifier;
  // Own names only: 'constructor' would otherwise reach Object.prototype.
  const name = typeof identifier === 'string' ? (Object.hasOwn(SNAKE, identifier) ? SNAKE[identifier]! : identifier) : undefined;
  const factory = name !== undefined && Object.hasOwn(BY_NAME, name) ? BY_NAME[name as InitializerIdentifier] : undefined;
  if (!factory) throw invalid(context, `Expected an initializer: one of ${Object.keys(BY_NAME).join(', ')}, or an initializer object (vb.initializers.*)`, { initializer: identifier });
  return factory();
}
