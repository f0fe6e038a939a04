/**
 * A stateful convenience generator, the analogue of numpy.random.default_rng(seed): the n-th
 * draw uses foldIn(key(seed), n), so a generator's values depend only on its seed and on how
 * many draws it made before, never on the global seed or on other generators.
 */
import { invalid } from '../errors.js';
import { ENGINE } from '../engine/engine.js';
import { convertToTensor, type TensorLike } from '../ops/creation.js';
import { gather } from '../ops/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { foldIn, key, type Key, type Seed } from './keys.js';
import { normal, permutation, permutationValues, randint, uniform } from './samplers.js';

export class Generator {
  private readonly root: Key;
  private draws = 0;

  constructor(readonly seed: Seed) {
    this.root = key(seed);
  }

  /** The key of the next draw. */
  nextKey(): Key {
    return foldIn(this.root, this.draws++);
  }

  normal(shape: readonly number[], mean = 0, std = 1): Tensor {
    return normal(this.nextKey(), shape, { mean, stddev: std });
  }

  uniform(shape: readonly number[], low = 0, high = 1): Tensor {
    return uniform(this.nextKey(), shape, { minval: low, maxval: high });
  }

  /** int32 values in [low, high). */
  integers(shape: readonly number[], low: number, high: number): Tensor {
    return randint(this.nextKey(), shape, low, high);
  }

  permutation(x: number | TensorLike): Tensor {
    return permutation(this.nextKey(), x);
  }

  /**
   * Shuffles a JS array in place (and returns it), or returns a tensor with x's rows shuffled
   * along its first axis.
   */
  shuffle<T>(x: T[]): T[];
  shuffle(x: Tensor): Tensor;
  shuffle<T>(x: T[] | Tensor): T[] | Tensor {
    if (x instanceof Tensor) {
      const t = convertToTensor(x, 'x', 'Generator.shuffle');
      const order = permutationValues(this.nextKey(), t.shape[0] ?? 0);
      return ENGINE.tidy(() => gather(t, ENGINE.makeTensor(order, [order.length], 'int32')));
    }
    if (!Array.isArray(x)) throw invalid('Generator.shuffle', 'Expected an array or a tensor', { x });
    const order = permutationValues(this.nextKey(), x.length);
    const copy = [...x];
    order.forEach((from, to) => { x[to] = copy[from]!; });
    return x;
  }
}

export function generator(seed: Seed): Generator {
  return new Generator(seed);
}
