/**
 * Random cases for every primitive, for the differential fuzzer (test/fuzz/differential.ts). The
 * table is typed by the primitive list, so that a new primitive does not compile until it has a
 * generator here. Shapes have rank 0-6 and sizes 0-17 (now and then a large one), operands
 * broadcast on random axes, and values include NaN payloads, infinities, signed zeros,
 * subnormals and integer extremes.
 */
import { patchesOutputSize } from '../../src/primitives/patches.js';
import { RULES } from '../../src/primitives/index.js';
import type { HostTensor, PatchAttrs, Primitive, PrimitiveAttrs } from '../../src/primitives/types.js';
import { allocate, DTYPES, type DType } from '../../src/tensor/dtype.js';
import { sizeOf } from '../../src/tensor/shape.js';

/** A small seeded generator (splitmix32): the fuzzer's only source of randomness. */
export class Gen {
  private state: number;

  constructor(seed: number, stream: number) {
    this.state = (Math.imul(seed, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca77)) >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.u32() % (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.u32() < p * 2 ** 32;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A dimension: mostly small, sometimes empty or up to 17. */
  dim(min = 0): number {
    const r = this.u32() % 100;
    const d = r < 6 ? 0 : r < 30 ? 1 : r < 75 ? this.int(2, 5) : this.int(6, 17);
    return Math.max(d, min);
  }

  /** A shape of the given rank (random in [minRank, 6] without one), at most `cap` elements. */
  shape(minRank = 0, rank = this.int(minRank, 6), cap = 2048): number[] {
    if (rank <= 3 && this.chance(0.03)) return this.largeShape(rank);
    const shape = Array.from({ length: rank }, () => this.dim());
    // Shrink the largest dimension until the tensor fits the budget of an ordinary case.
    while (sizeOf(shape) > cap) {
      const i = shape.indexOf(Math.max(...shape));
      shape[i] = Math.max(1, Math.floor(shape[i]! / 2));
    }
    return shape;
  }

  /** A shape of 20k-70k elements, so that kernels split it at the default thread threshold too. */
  largeShape(rank: number): number[] {
    if (rank === 0) return [];
    const total = this.int(20000, 70000);
    const shape = Array.from({ length: rank }, () => 1);
    shape[0] = total;
    for (let i = 1; i < rank; i++) {
      const d = this.int(2, 40);
      shape[i] = d;
      shape[0] = Math.max(1, Math.floor(shape[0] / d));
    }
    return this.shuffle(shape);
  }

  /** `shape` as an operand broadcast to it: leading axes dropped and some axes set to 1. */
  broadcastOperand(shape: readonly number[]): number[] {
    if (this.chance(0.4)) return [...shape];
    const drop = this.int(0, shape.length);
    return shape.slice(drop).map((d) => (this.chance(0.35) ? 1 : d));
  }

  value(dtype: DType): number {
    if (dtype === 'bool') return this.int(0, 1);
    if (dtype === 'int32') {
      const r = this.u32() % 100;
      if (r < 4) return this.pick([2147483647, -2147483648, -2147483647, 65536, -65536]);
      if (r < 10) return this.u32() | 0;
      return this.int(-20, 20);
    }
    const r = this.u32() % 100;
    if (r < 6) return this.pick(SPECIAL_FLOATS);
    if (r < 25) return this.int(-8, 8) / 2;
    const magnitude = 2 ** this.int(-12, 12);
    return Math.fround(((this.u32() / 2 ** 32) * 2 - 1) * magnitude);
  }

  tensor(dtype: DType, shape: readonly number[]): HostTensor {
    const values = allocate(dtype, sizeOf(shape));
    if (dtype === 'float32') {
      // Through the bits, so that NaN payloads other than the canonical one reach the backends.
      const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < values.length; i++) {
        if (this.chance(0.01)) bits[i] = this.pick(NAN_BITS);
        else values[i] = this.value(dtype);
      }
    } else {
      for (let i = 0; i < values.length; i++) values[i] = this.value(dtype);
    }
    return { shape: [...shape], dtype, values };
  }
}

const SPECIAL_FLOATS = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 1.401298464324817e-45, 3.4028234663852886e38, -3.4028234663852886e38, 88.7, -103.9, 1e-30];
/** Quiet and signalling NaNs with payloads, both signs. */
const NAN_BITS = [0x7fc00000, 0xffc00000, 0x7fc00001, 0x7f800001, 0xffbfffff, 0x7fffffff];

export interface FuzzCase<P extends Primitive = Primitive> {
  readonly inputs: HostTensor[];
  readonly attrs: PrimitiveAttrs[P];
}

type Generators = { [P in Primitive]: (g: Gen) => FuzzCase<P> };

/** The dtypes a primitive's record accepts for `arity` operands of one dtype (from its inference). */
function acceptedDTypes(primitive: Primitive, arity: number): DType[] {
  return DTYPES.filter((dtype) => {
    try {
      RULES[primitive].infer(Array.from({ length: arity }, () => ({ shape: [], dtype })), {} as never);
      return true;
    } catch {
      return false;
    }
  });
}

function unary<P extends Primitive>(primitive: P): (g: Gen) => FuzzCase<P> {
  const dtypes = acceptedDTypes(primitive, 1);
  return (g) => ({ inputs: [g.tensor(g.pick(dtypes), g.shape())], attrs: {} as PrimitiveAttrs[P] });
}

function binary<P extends Primitive>(primitive: P): (g: Gen) => FuzzCase<P> {
  const dtypes = acceptedDTypes(primitive, 2);
  return (g) => {
    const dtype = g.pick(dtypes);
    const shape = g.shape();
    const [a, b] = g.shuffle([shape, g.broadcastOperand(shape)]);
    return { inputs: [g.tensor(dtype, a!), g.tensor(dtype, b!)], attrs: {} as PrimitiveAttrs[P] };
  };
}

function reduction<P extends 'sum' | 'prod' | 'max' | 'min'>(g: Gen): FuzzCase<P> {
  const shape = g.shape();
  const axes = shape.flatMap((_, i) => (g.chance(0.5) ? [i] : []));
  return { inputs: [g.tensor(g.pick(['float32', 'int32']), shape)], attrs: { axes } as PrimitiveAttrs[P] };
}

function argReduction<P extends 'argMax' | 'argMin'>(g: Gen): FuzzCase<P> {
  const shape = g.shape(1);
  const axis = g.int(0, shape.length - 1);
  shape[axis] = Math.max(shape[axis]!, 1);
  return { inputs: [g.tensor(g.pick(DTYPES), shape)], attrs: { axis } as PrimitiveAttrs[P] };
}

/** A random shape with `size` elements (rank 0-6). */
function reshaped(g: Gen, size: number): number[] {
  const rank = g.int(size === 1 ? 0 : 1, 6);
  if (size === 0) return g.shuffle([0, ...Array.from({ length: rank - 1 }, () => g.dim())]);
  const shape = Array.from({ length: rank }, () => 1);
  let rest = size;
  for (let p = 2; rest > 1; p++) {
    while (rest % p === 0) {
      shape[g.int(0, rank - 1)]! *= p;
      rest /= p;
    }
  }
  return shape;
}

/** The patch geometry of an image (2 spatial axes) or, one case in three, of a volume (3). */
function geometry(g: Gen): PatchAttrs {
  const axes = g.chance(1 / 3) ? 3 : 2;
  const each = (f: () => number) => Array.from({ length: axes }, f);
  return {
    kernel: each(() => g.int(1, 4)),
    strides: each(() => g.int(1, 3)),
    dilations: each(() => (g.chance(0.7) ? 1 : g.int(2, 3))),
    pads: Array.from({ length: axes }, () => [g.int(0, 3), g.int(0, 3)]).flat(),
  };
}

/** Spatial extents (a volume's smaller) at least as large as the dilated kernel needs. */
function imageSize(g: Gen, geo: PatchAttrs): number[] {
  const need = (i: number) => Math.max(0, (geo.kernel[i]! - 1) * geo.dilations[i]! + 1 - geo.pads[2 * i]! - geo.pads[2 * i + 1]!);
  const spare = geo.kernel.length === 3 ? 5 : 9;
  return geo.kernel.map((_, i) => need(i) + g.int(0, spare));
}

const ELEMENTWISE_UNARY = ['neg', 'abs', 'sign', 'sqrt', 'exp', 'expm1', 'log', 'log1p', 'tanh', 'sigmoid', 'softplus', 'erf', 'relu', 'floor', 'ceil', 'round', 'logicalNot', 'sin', 'cos', 'atan'] as const;
const ELEMENTWISE_BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'mod', 'atan2', 'greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual', 'logicalAnd', 'logicalOr'] as const;

type ElementwiseGenerators = { [P in (typeof ELEMENTWISE_UNARY)[number] | (typeof ELEMENTWISE_BINARY)[number]]: (g: Gen) => FuzzCase<P> };
const elementwise = Object.fromEntries([
  ...ELEMENTWISE_UNARY.map((p) => [p, unary(p)]),
  ...ELEMENTWISE_BINARY.map((p) => [p, binary(p)]),
]) as ElementwiseGenerators;

export const GENERATORS: Generators = {
  ...elementwise,
  sum: reduction,
  prod: reduction,
  max: reduction,
  min: reduction,
  argMax: argReduction,
  argMin: argReduction,
  where(g) {
    const dtype = g.pick(DTYPES);
    const shape = g.shape();
    const [c, a, b] = g.shuffle([shape, g.broadcastOperand(shape), g.broadcastOperand(shape)]);
    return { inputs: [g.tensor('bool', c!), g.tensor(dtype, a!), g.tensor(dtype, b!)], attrs: {} };
  },
  cast: (g) => ({ inputs: [g.tensor(g.pick(DTYPES), g.shape())], attrs: { dtype: g.pick(DTYPES) } }),
  reshape(g) {
    const x = g.tensor(g.pick(DTYPES), g.shape());
    return { inputs: [x], attrs: { shape: reshaped(g, x.values.length) } };
  },
  transpose(g) {
    const shape = g.shape();
    return { inputs: [g.tensor(g.pick(DTYPES), shape)], attrs: { perm: g.shuffle(shape.map((_, i) => i)) } };
  },
  broadcastTo(g) {
    const shape = g.shape();
    return { inputs: [g.tensor(g.pick(DTYPES), g.broadcastOperand(shape))], attrs: { shape } };
  },
  slice(g) {
    const shape = g.shape();
    const begin = shape.map((d) => g.int(0, d));
    return { inputs: [g.tensor(g.pick(DTYPES), shape)], attrs: { begin, size: shape.map((d, i) => g.int(0, d - begin[i]!)) } };
  },
  pad(g) {
    const dtype = g.pick(DTYPES);
    const shape = g.shape(0, g.int(0, 6), 512);
    const value = dtype === 'float32' ? g.value(dtype) : dtype === 'int32' ? g.int(-5, 5) : g.int(0, 1);
    return { inputs: [g.tensor(dtype, shape)], attrs: { paddings: shape.map(() => [g.int(0, 3), g.int(0, 3)] as [number, number]), value } };
  },
  concat(g) {
    const dtype = g.pick(DTYPES);
    const shape = g.shape(1);
    const axis = g.int(0, shape.length - 1);
    const inputs = Array.from({ length: g.int(1, 4) }, () => g.tensor(dtype, shape.map((d, i) => (i === axis ? g.int(0, 5) : d))));
    return { inputs, attrs: { axis } };
  },
  gather(g) {
    const shape = g.shape(1);
    const axis = g.int(0, shape.length - 1);
    const extent = shape[axis]!;
    const indexShape = g.shape(0, g.int(0, 2), 64);
    if (extent === 0 && sizeOf(indexShape) > 0) indexShape.splice(0, indexShape.length, 0);
    const indices = g.tensor('int32', indexShape);
    indices.values.forEach((_, i) => { indices.values[i] = g.int(0, extent - 1); });
    return { inputs: [g.tensor(g.pick(DTYPES), shape), indices], attrs: { axis } };
  },
  scatterAdd(g) {
    const prefix = g.shape(0, g.int(0, 2), 16);
    const suffix = g.shape(0, g.int(0, 2), 16);
    const indexShape = g.shape(0, g.int(0, 2), 64);
    const size = g.int(0, 6);
    if (size === 0 && sizeOf(indexShape) > 0) indexShape.splice(0, indexShape.length, 0);
    const indices = g.tensor('int32', indexShape);
    indices.values.forEach((_, i) => { indices.values[i] = g.int(0, size - 1); });
    // Three shapes, each possibly large: keep the product to a large case's size (seed 4242
    // case 25249 asked for 4e9 elements), halving the largest outer dimension.
    while (sizeOf([...prefix, ...indexShape, ...suffix]) > 70000) {
      const outer = [...prefix, ...suffix];
      const largest = Math.max(...outer);
      const inPrefix = prefix.indexOf(largest);
      if (inPrefix >= 0) prefix[inPrefix] = Math.floor(largest / 2);
      else suffix[suffix.indexOf(largest)] = Math.floor(largest / 2);
    }
    const updates = g.tensor(g.pick(DTYPES), [...prefix, ...indexShape, ...suffix]);
    return { inputs: [updates, indices], attrs: { axis: prefix.length, size } };
  },
  matMul(g) {
    const big = g.chance(0.05);
    const [m, k, n] = [0, 0, 0].map(() => (big ? g.int(20, 90) : g.dim())) as [number, number, number];
    const batch = g.shape(0, g.int(0, 2), 8);
    const transposeA = g.chance(0.5);
    const transposeB = g.chance(0.5);
    const a = [...g.broadcastOperand(batch), ...(transposeA ? [k, m] : [m, k])];
    const b = [...g.broadcastOperand(batch), ...(transposeB ? [n, k] : [k, n])];
    return { inputs: [g.tensor('float32', a), g.tensor('float32', b)], attrs: { transposeA, transposeB } };
  },
  linear(g) {
    const [n, k, units] = [g.dim(), g.dim(), g.dim()];
    return { inputs: [g.tensor('float32', [n, k]), g.tensor('float32', [k, units]), g.tensor('float32', [units])], attrs: { relu: g.chance(0.5) } };
  },
  extractPatches(g) {
    const geo = geometry(g);
    const size = imageSize(g, geo);
    const dtype = g.pick(DTYPES);
    const value = dtype === 'float32' ? g.pick([0, -Infinity, g.value('float32')]) : 0;
    return { inputs: [g.tensor(dtype, [g.int(0, 3), ...size, g.int(0, 5)])], attrs: { ...geo, value } };
  },
  scatterPatches(g) {
    const geo = geometry(g);
    const size = imageSize(g, geo);
    return { inputs: [g.tensor('float32', [g.int(0, 3), ...patchesOutputSize(size, geo), ...geo.kernel, g.int(0, 5)])], attrs: { ...geo, size } };
  },
  cumsum(g) {
    const shape = g.shape(1);
    return { inputs: [g.tensor(g.pick(['float32', 'int32']), shape)], attrs: { axis: g.int(0, shape.length - 1), exclusive: g.chance(0.5), reverse: g.chance(0.5) } };
  },
  topkIndices(g) {
    const shape = g.shape(1);
    return { inputs: [g.tensor(g.pick(['float32', 'int32']), shape)], attrs: { k: g.int(0, shape.at(-1)!) } };
  },
};
