/**
 * Steps of random compositions for the gradient fuzzer: each draws its parameters (axes,
 * constants, permutations) from the case's generator once, then applies the same public op on
 * every backend. Together they reach the gradient rule of every differentiable primitive.
 */
import * as vb from 'verbatim';
import { Gen } from './cases.js';

export interface Step {
  readonly name: string;
  apply(x: vb.Tensor): vb.Tensor;
}

type StepFactory = (g: Gen) => Step;

const unaryOps: [string, (x: vb.Tensor) => vb.Tensor][] = [
  ['neg', vb.neg], ['abs', vb.abs], ['sqrt(abs)', (x) => vb.sqrt(vb.abs(x))], ['exp', vb.exp], ['expm1', vb.expm1],
  ['log(abs)', (x) => vb.log(vb.abs(x))], ['log1p(abs)', (x) => vb.log1p(vb.abs(x))], ['tanh', vb.tanh], ['sigmoid', vb.sigmoid],
  ['softplus', vb.softplus], ['erf', vb.erf], ['relu', vb.relu], ['sin', vb.sin], ['cos', vb.cos], ['sign', vb.sign],
  ['floor', vb.floor], ['round', vb.round], ['softmax', (x) => (x.rank === 0 ? x : vb.softmax(x))], ['logSoftmax', (x) => (x.rank === 0 ? x : vb.logSoftmax(x))],
];

const binaryOps: [string, (a: vb.Tensor, b: vb.Tensor) => vb.Tensor][] = [
  ['add', vb.add], ['sub', vb.sub], ['mul', vb.mul], ['div', vb.div], ['maximum', vb.maximum], ['minimum', vb.minimum],
  ['pow', (a, b) => vb.pow(vb.add(vb.abs(a), 0.5), b)],
];

/** A float constant broadcast against x: a suffix of x's shape with some axes of size 1. */
function constantLike(g: Gen, shape: readonly number[]): { shape: number[]; values: Float32Array } {
  const operand = g.broadcastOperand(shape);
  return { shape: operand, values: g.tensor('float32', operand).values as Float32Array };
}

/** Picks from a generator-made list of axes of x when the step is applied (x's rank is only known then). */
function axesOf(g: Gen, rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter(() => g.chance(0.5));
}

export const COMPOSITION_STEPS: StepFactory[] = [
  (g) => {
    const [name, f] = g.pick(unaryOps);
    return { name, apply: f };
  },
  (g) => {
    const [name, f] = g.pick(binaryOps);
    const seed = g.u32();
    const swap = g.chance(0.3);
    return {
      name: `${name}(${swap ? 'c, x' : 'x, c'})`,
      apply(x) {
        const c = constantLike(new Gen(seed, 0), x.shape);
        const t = vb.tensor(c.values, c.shape);
        return swap ? f(t, x) : f(x, t);
      },
    };
  },
  (g) => {
    const reduce = g.pick(['sum', 'prod', 'max', 'min', 'mean'] as const);
    const seed = g.u32();
    const keepDims = g.chance(0.5);
    return {
      name: `${reduce}(keepDims=${keepDims})`,
      apply: (x) => vb[reduce](x, axesOf(new Gen(seed, 1), x.rank), keepDims),
    };
  },
  (g) => {
    const seed = g.u32();
    return {
      name: 'transpose',
      apply: (x) => vb.transpose(x, new Gen(seed, 2).shuffle(x.shape.map((_, i) => i))),
    };
  },
  (g) => {
    const seed = g.u32();
    return {
      name: 'slice+pad',
      apply(x) {
        const r = new Gen(seed, 3);
        const begin = x.shape.map((d) => r.int(0, Math.max(0, d - 1)));
        const size = x.shape.map((d, i) => r.int(Math.min(1, d), d - begin[i]!));
        return vb.pad(vb.slice(x, begin, size), x.shape.map(() => [r.int(0, 2), r.int(0, 2)] as [number, number]), r.value('float32'));
      },
    };
  },
  (g) => {
    const seed = g.u32();
    return {
      name: 'gather',
      apply(x) {
        const r = new Gen(seed, 4);
        if (x.rank === 0 || x.shape.includes(0)) return x;
        const axis = r.int(0, x.rank - 1);
        const indices = Array.from({ length: r.int(1, 6) }, () => r.int(0, x.shape[axis]! - 1));
        return vb.gather(x, vb.tensor(indices, [indices.length], 'int32'), axis);
      },
    };
  },
  (g) => {
    const seed = g.u32();
    return {
      name: 'cumsum',
      apply(x) {
        const r = new Gen(seed, 5);
        return x.rank === 0 ? x : vb.cumsum(x, r.int(0, x.rank - 1), r.chance(0.5), r.chance(0.5));
      },
    };
  },
  (g) => {
    const seed = g.u32();
    return {
      name: 'matMul',
      apply(x) {
        if (x.rank < 2) return x;
        const r = new Gen(seed, 6);
        const k = x.shape.at(-1)!;
        const n = r.int(1, 6);
        return vb.matMul(x, vb.tensor(r.tensor('float32', [k, n]).values as Float32Array, [k, n]));
      },
    };
  },
  (g) => {
    const seed = g.u32();
    return {
      name: 'where(c, x, 0)',
      apply(x) {
        const r = new Gen(seed, 7);
        const condition = r.tensor('bool', r.broadcastOperand(x.shape));
        return vb.where(vb.tensor(condition.values as Uint8Array, condition.shape, 'bool'), x, 0);
      },
    };
  },
  (g) => {
    const seed = g.u32();
    return {
      name: 'conv2d+maxPool',
      apply(x) {
        const r = new Gen(seed, 8);
        const image = vb.reshape(x, [1, x.size, 1, 1]);
        const filter = vb.tensor(r.tensor('float32', [2, 1, 1, 2]).values as Float32Array, [2, 1, 1, 2]);
        const padding = x.size < 2 ? 'same' : r.pick(['same', 'valid'] as const);
        return vb.maxPool(vb.conv2d(image, filter, 1, 'same'), [2, 1], [r.int(1, 2), 1], padding);
      },
    };
  },
];
