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
  ['atan', vb.atan], ['tan', vb.tan], ['asin(tanh)', (x) => vb.asin(vb.tanh(x))], ['acos(tanh)', (x) => vb.acos(vb.tanh(x))],
  ['sinh', vb.sinh], ['cosh', vb.cosh], ['asinh', vb.asinh], ['acosh(1 + abs)', (x) => vb.acosh(vb.add(vb.abs(x), 1))],
  ['atanh(tanh)', (x) => vb.atanh(vb.tanh(x))],
  ['floor', vb.floor], ['round', vb.round], ['softmax', (x) => (x.rank === 0 ? x : vb.softmax(x))], ['logSoftmax', (x) => (x.rank === 0 ? x : vb.logSoftmax(x))],
];

const binaryOps: [string, (a: vb.Tensor, b: vb.Tensor) => vb.Tensor][] = [
  ['add', vb.add], ['sub', vb.sub], ['mul', vb.mul], ['div', vb.div], ['maximum', vb.maximum], ['minimum', vb.minimum],
  ['pow', (a, b) => vb.pow(vb.add(vb.abs(a), 0.5), b)], ['atan2', vb.atan2],
];

/** A float constant broadcast against x: a suffix of x's shape with some axes of size 1. */
function constantLike(g: Gen, shape: readonly number[]): { shape: number[]; values: Float32Array } {
  const operand = g.broadcastOperand(shape);
  return { shape: operand, values: g.tensor('float32', operand).values as Float32Array };
}

/** The axes of x picked by r (x's rank is only known when the step is applied). */
function axesOf(r: Gen, rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i).filter(() => r.chance(0.5));
}

/**
 * A step whose parameters are drawn when it is applied, from a generator of its own seeded once
 * from the case: the same draws on every backend.
 */
function seeded(name: string, apply: (x: vb.Tensor, r: Gen) => vb.Tensor): StepFactory {
  return (g) => {
    const seed = g.u32();
    return { name, apply: (x) => apply(x, new Gen(seed, 0)) };
  };
}

export const COMPOSITION_STEPS: StepFactory[] = [
  (g) => {
    const [name, f] = g.pick(unaryOps);
    return { name, apply: f };
  },
  (g) => {
    const [name, f] = g.pick(binaryOps);
    const swap = g.chance(0.3);
    return seeded(`${name}(${swap ? 'c, x' : 'x, c'})`, (x, r) => {
      const c = constantLike(r, x.shape);
      const t = vb.tensor(c.values, c.shape);
      return swap ? f(t, x) : f(x, t);
    })(g);
  },
  (g) => {
    const reduce = g.pick(['sum', 'prod', 'max', 'min', 'mean'] as const);
    const keepDims = g.chance(0.5);
    return seeded(`${reduce}(keepDims=${keepDims})`, (x, r) => vb[reduce](x, axesOf(r, x.rank), keepDims))(g);
  },
  seeded('transpose', (x, r) => vb.transpose(x, r.shuffle(x.shape.map((_, i) => i)))),
  seeded('slice+pad', (x, r) => {
    const begin = x.shape.map((d) => r.int(0, Math.max(0, d - 1)));
    const size = x.shape.map((d, i) => r.int(Math.min(1, d), d - begin[i]!));
    return vb.pad(vb.slice(x, begin, size), x.shape.map(() => [r.int(0, 2), r.int(0, 2)] as [number, number]), r.value('float32'));
  }),
  seeded('gather', (x, r) => {
    if (x.rank === 0 || x.shape.includes(0)) return x;
    const axis = r.int(0, x.rank - 1);
    const indices = Array.from({ length: r.int(1, 6) }, () => r.int(0, x.shape[axis]! - 1));
    return vb.gather(x, vb.tensor(indices, [indices.length], 'int32'), axis);
  }),
  seeded('cumsum', (x, r) => (x.rank === 0 ? x : vb.cumsum(x, r.int(0, x.rank - 1), r.chance(0.5), r.chance(0.5)))),
  seeded('matMul', (x, r) => {
    if (x.rank < 2) return x;
    const k = x.shape.at(-1)!;
    const n = r.int(1, 6);
    return vb.matMul(x, vb.tensor(r.tensor('float32', [k, n]).values as Float32Array, [k, n]));
  }),
  seeded('where(c, x, 0)', (x, r) => {
    const condition = r.tensor('bool', r.broadcastOperand(x.shape));
    return vb.where(vb.tensor(condition.values as Uint8Array, condition.shape, 'bool'), x, 0);
  }),
  seeded('conv2d+maxPool', (x, r) => {
    const image = vb.reshape(x, [1, x.size, 1, 1]);
    const filter = vb.tensor(r.tensor('float32', [2, 1, 1, 2]).values as Float32Array, [2, 1, 1, 2]);
    const padding = x.size < 2 ? 'same' : r.pick(['same', 'valid'] as const);
    return vb.maxPool(vb.conv2d(image, filter, 1, 'same'), [2, 1], [r.int(1, 2), 1], padding);
  }),
  seeded('conv3d+maxPool3d+avgPool3d', (x, r) => {
    const volume = vb.reshape(x, [1, x.size, 1, 1, 1]);
    const filter = vb.tensor(r.tensor('float32', [2, 1, 1, 1, 2]).values as Float32Array, [2, 1, 1, 1, 2]);
    const padding = x.size < 2 ? 'same' : r.pick(['same', 'valid'] as const);
    const pooled = vb.maxPool3d(vb.conv3d(volume, filter, 1, 'same'), [2, 1, 1], [r.int(1, 2), 1, 1], padding);
    return vb.avgPool3d(pooled, [2, 1, 1], 1, 'same');
  }),
];
