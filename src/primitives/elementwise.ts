/**
 * Elementwise primitives. Canonical arithmetic: each output element is one scalar function of
 * the corresponding (broadcast) input elements: the portable functions of
 * src/numerics/scalar.ts, which the WASM kernels compile from the same source. float32 results
 * are single binary32 operations for + - * / and sqrt and f32math functions otherwise; int32
 * arithmetic wraps modulo 2^32.
 */
import { invalid } from '../errors.js';
import * as s from '../numerics/scalar.js';
import { allocate, type DataArray, type DType } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type {
  BinaryPrimitive, GradOps, GradRule, HostTensor, Meta, Rule, Scalar1, Scalar2, UnaryPrimitive,
} from './types.js';


/**
 * A unary record: the accepted dtypes (the output has the input's), the scalar function per
 * dtype, whether assembly/vector.ts has a SIMD form, and the relative cost per element (which
 * decides when a kernel is worth splitting over threads).
 */
interface UnarySpec {
  dtypes: readonly DType[];
  f32?: Scalar1;
  i32?: Scalar1;
  bool?: Scalar1;
  simd: boolean;
  cost: number;
  grad: GradRule<UnaryPrimitive> | 'not-differentiable';
}

const FLOAT: readonly DType[] = ['float32'];
const NUMERIC: readonly DType[] = ['float32', 'int32'];
const BOOL: readonly DType[] = ['bool'];
/** Relative cost per element of a transcendental function against one arithmetic operation. */
const TRANSCENDENTAL = 16;

const zeroGrad: GradRule<UnaryPrimitive> = (dy, _c, ops) => [ops.zerosLike(dy)];

const UNARY: { [P in UnaryPrimitive]: UnarySpec } = {
  neg: { dtypes: NUMERIC, f32: s.negF32, i32: s.negI32, simd: true, cost: 1, grad: (dy, _c, ops) => [ops.neg(dy)] },
  abs: {
    dtypes: NUMERIC, f32: s.absF32, i32: s.absI32, simd: true, cost: 1,
    grad: (dy, { inputs: [x] }, ops) => [ops.mul(dy, ops.sign(x!))],
  },
  sign: { dtypes: NUMERIC, f32: s.signF32, i32: s.signI32, simd: false, cost: 1, grad: zeroGrad },
  sqrt: {
    dtypes: FLOAT, f32: s.sqrtF32, simd: true, cost: 1,
    grad: (dy, { output: y }, ops) => [ops.div(dy, ops.mul(y, 2))],
  },
  exp: { dtypes: FLOAT, f32: s.expF32, simd: false, cost: TRANSCENDENTAL, grad: (dy, { output: y }, ops) => [ops.mul(dy, y)] },
  expm1: {
    dtypes: FLOAT, f32: s.expm1F32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { output: y }, ops) => [ops.mul(dy, ops.add(y, 1))],
  },
  log: { dtypes: FLOAT, f32: s.logF32, simd: false, cost: TRANSCENDENTAL, grad: (dy, { inputs: [x] }, ops) => [ops.div(dy, x!)] },
  log1p: {
    dtypes: FLOAT, f32: s.log1pF32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { inputs: [x] }, ops) => [ops.div(dy, ops.add(x!, 1))],
  },
  tanh: {
    dtypes: FLOAT, f32: s.tanhF32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { output: y }, ops) => [ops.mul(dy, ops.sub(1, ops.mul(y, y)))],
  },
  sigmoid: {
    dtypes: FLOAT, f32: s.sigmoidF32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { output: y }, ops) => [ops.mul(dy, ops.mul(y, ops.sub(1, y)))],
  },
  softplus: {
    dtypes: FLOAT, f32: s.softplusF32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { inputs: [x] }, ops) => [ops.mul(dy, ops.sigmoid(x!))],
  },
  erf: {
    dtypes: FLOAT, f32: s.erfF32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { inputs: [x] }, ops) => [ops.mul(dy, ops.mul(ops.exp(ops.neg(ops.mul(x!, x!))), 2 / Math.sqrt(Math.PI)))],
  },
  relu: {
    dtypes: NUMERIC, f32: s.reluF32, i32: s.reluI32, simd: true, cost: 1,
    grad: (dy, { inputs: [x] }, ops) => [ops.where(ops.greater(x!, 0), dy, 0)],
  },
  floor: { dtypes: FLOAT, f32: s.floorF32, simd: true, cost: 1, grad: zeroGrad },
  ceil: { dtypes: FLOAT, f32: s.ceilF32, simd: true, cost: 1, grad: zeroGrad },
  round: { dtypes: FLOAT, f32: s.roundF32, simd: true, cost: 1, grad: zeroGrad },
  logicalNot: { dtypes: BOOL, bool: s.logicalNotBool, simd: false, cost: 1, grad: 'not-differentiable' },
  sin: { dtypes: FLOAT, f32: s.sinF32, simd: false, cost: TRANSCENDENTAL, grad: (dy, { inputs: [x] }, ops) => [ops.mul(dy, ops.cos(x!))] },
  cos: {
    dtypes: FLOAT, f32: s.cosF32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { inputs: [x] }, ops) => [ops.neg(ops.mul(dy, ops.sin(x!)))],
  },
  atan: {
    dtypes: FLOAT, f32: s.atanF32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { inputs: [x] }, ops) => [ops.div(dy, ops.add(ops.mul(x!, x!), 1))],
  },
};

function assertDTypeIn(context: string, argument: string, dtype: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(dtype)) {
    throw invalid(context, `Expected ${argument} of dtype ${allowed.join(' or ')}`, { [`${argument}.dtype`]: dtype });
  }
}

function mapUnary(fn: Scalar1, x: HostTensor, out: Meta): DataArray {
  const result = allocate(out.dtype, x.values.length);
  const v = x.values;
  for (let i = 0; i < v.length; i++) result[i] = fn(v[i]!);
  return result;
}

/** The scalar function of a family record for a dtype (present whenever the dtype is accepted). */
function scalarFor<F>(spec: { f32?: F; i32?: F; bool?: F }, dtype: DType): F {
  return (dtype === 'float32' ? spec.f32 : dtype === 'int32' ? spec.i32 : spec.bool)!;
}

function unaryRule(name: UnaryPrimitive): Rule<UnaryPrimitive> {
  const spec = UNARY[name];
  const { f32, i32, bool, simd, cost } = spec;
  return {
    infer([x]) {
      assertDTypeIn(name, 'x', x!.dtype, spec.dtypes);
      return { shape: x!.shape, dtype: x!.dtype };
    },
    reference: ([x], _attrs, out) => mapUnary(scalarFor(spec, x!.dtype), x!, out),
    grad: spec.grad,
    kernel: { family: 'unary', f32, i32, bool, simd, cost },
  };
}

/**
 * Calls visit(outIndex, aIndex, bIndex) for every output element in row-major order, with the
 * flat indices of the broadcast operands.
 */
export function forEachBroadcast(
  outShape: readonly number[], aShape: readonly number[], bShape: readonly number[],
  visit: (o: number, a: number, b: number) => void,
): void {
  const size = sizeOf(outShape);
  if (size === 0) return;
  const rank = outShape.length;
  const aStrides = broadcastStrides(aShape, outShape);
  const bStrides = broadcastStrides(bShape, outShape);
  const counter = new Array<number>(rank).fill(0);
  let ai = 0;
  let bi = 0;
  for (let o = 0; o < size; o++) {
    visit(o, ai, bi);
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      ai += aStrides[d]!;
      bi += bStrides[d]!;
      if (counter[d]! < outShape[d]!) break;
      ai -= aStrides[d]! * outShape[d]!;
      bi -= bStrides[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
}

function mapBinary(fn: Scalar2, a: HostTensor, b: HostTensor, out: Meta): DataArray {
  const result = allocate(out.dtype, sizeOf(out.shape));
  const av = a.values;
  const bv = b.values;
  if (av.length === result.length && bv.length === result.length) {
    for (let i = 0; i < result.length; i++) result[i] = fn(av[i]!, bv[i]!);
  } else if (bv.length === 1 && av.length === result.length) {
    const s = bv[0]!;
    for (let i = 0; i < result.length; i++) result[i] = fn(av[i]!, s);
  } else {
    forEachBroadcast(out.shape, a.shape, b.shape, (o, i, j) => { result[o] = fn(av[i]!, bv[j]!); });
  }
  return result;
}

/** Gradient g of a broadcast result, summed back to an operand's shape. */
export function unbroadcast(g: Tensor, shape: readonly number[], ops: GradOps): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const offset = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < offset || (shape[i - offset] === 1 && d !== 1)) axes.push(i);
  });
  return ops.reshape(ops.sum(g, axes), shape);
}

/**
 * A binary record. Arithmetic: the operands' dtype out, a scalar function per dtype (SIMD form
 * and cost as for unary records). Comparisons and logic: bool out, one function of the operands
 * read as float64 (exact for every dtype). A float-only record has no int32 function.
 */
type BinarySpec = { dtypes: readonly DType[]; grad: GradRule<BinaryPrimitive> | 'not-differentiable' } & (
  | { output: 'same'; f32: Scalar2; i32?: Scalar2; simd: boolean; cost: number }
  | { output: 'bool'; compare: Scalar2; simd: boolean }
);

/** simd: the kernel has a form comparing four float32 lanes at once (assembly/vector.ts). */
function comparison(compare: Scalar2, simd: boolean, dtypes: readonly DType[] = ['float32', 'int32', 'bool']): BinarySpec {
  return { dtypes, output: 'bool', compare, simd, grad: 'not-differentiable' };
}

const BINARY: { [P in BinaryPrimitive]: BinarySpec } = {
  add: {
    dtypes: NUMERIC, output: 'same', f32: s.addF32, i32: s.addI32, simd: true, cost: 1,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(dy, a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(dy, b!.shape, ops) : null,
    ],
  },
  sub: {
    dtypes: NUMERIC, output: 'same', f32: s.subF32, i32: s.subI32, simd: true, cost: 1,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(dy, a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.neg(dy), b!.shape, ops) : null,
    ],
  },
  mul: {
    dtypes: NUMERIC, output: 'same', f32: s.mulF32, i32: s.mulI32, simd: true, cost: 1,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.mul(dy, b!), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.mul(dy, a!), b!.shape, ops) : null,
    ],
  },
  div: {
    dtypes: NUMERIC, output: 'same', f32: s.divF32, i32: s.divI32, simd: true, cost: 1,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.div(dy, b!), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.neg(ops.div(ops.mul(dy, a!), ops.mul(b!, b!))), b!.shape, ops) : null,
    ],
  },
  maximum: {
    dtypes: NUMERIC, output: 'same', f32: s.maximumF32, i32: s.maximumI32, simd: true, cost: 1,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.where(ops.greaterEqual(a!, b!), dy, 0), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.where(ops.less(a!, b!), dy, 0), b!.shape, ops) : null,
    ],
  },
  minimum: {
    dtypes: NUMERIC, output: 'same', f32: s.minimumF32, i32: s.minimumI32, simd: true, cost: 1,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.where(ops.lessEqual(a!, b!), dy, 0), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.where(ops.greater(a!, b!), dy, 0), b!.shape, ops) : null,
    ],
  },
  pow: {
    dtypes: NUMERIC, output: 'same', f32: s.powF32, i32: s.powI32, simd: false, cost: TRANSCENDENTAL,
    grad: (dy, { inputs: [a, b], output: y, needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.mul(dy, ops.mul(b!, ops.pow(a!, ops.sub(b!, 1)))), a!.shape, ops) : null,
      needsGrad[1]
        ? unbroadcast(ops.mul(dy, ops.where(ops.greater(a!, 0), ops.mul(y, ops.log(a!)), 0)), b!.shape, ops)
        : null,
    ],
  },
  mod: {
    // fmod is a loop over the exponent difference in WebAssembly's software form: costed as a transcendental.
    dtypes: NUMERIC, output: 'same', f32: s.modF32, i32: s.modI32, simd: false, cost: TRANSCENDENTAL,
    // a - floor(a / b) b: d/da = 1, d/db = -floor(a / b) (TensorFlow's FloorMod gradient).
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(dy, a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.mul(dy, ops.neg(ops.floor(ops.div(a!, b!)))), b!.shape, ops) : null,
    ],
  },
  atan2: {
    dtypes: FLOAT, output: 'same', f32: s.atan2F32, simd: false, cost: TRANSCENDENTAL,
    // TF.js's and JAX's: d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2).
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => {
      const d = ops.add(ops.mul(a!, a!), ops.mul(b!, b!));
      return [
        needsGrad[0] ? unbroadcast(ops.mul(dy, ops.div(b!, d)), a!.shape, ops) : null,
        needsGrad[1] ? unbroadcast(ops.neg(ops.mul(dy, ops.div(a!, d))), b!.shape, ops) : null,
      ];
    },
  },
  greater: comparison(s.greaterCmp, true),
  greaterEqual: comparison(s.greaterEqualCmp, true),
  less: comparison(s.lessCmp, true),
  lessEqual: comparison(s.lessEqualCmp, true),
  equal: comparison(s.equalCmp, true),
  notEqual: comparison(s.notEqualCmp, true),
  logicalAnd: comparison(s.logicalAndCmp, false, BOOL),
  logicalOr: comparison(s.logicalOrCmp, false, BOOL),
};

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function binaryRule(name: BinaryPrimitive): Rule<BinaryPrimitive> {
  const spec = BINARY[name];
  return {
    infer([a, b]) {
      if (a!.dtype !== b!.dtype) {
        throw invalid(name, 'Expected a and b of the same dtype', { 'a.dtype': a!.dtype, 'b.dtype': b!.dtype });
      }
      assertDTypeIn(name, 'a', a!.dtype, spec.dtypes);
      const shape = sameShape(a!.shape, b!.shape) ? a!.shape : broadcastShapes([a!.shape, b!.shape], name);
      return { shape, dtype: spec.output === 'bool' ? 'bool' : a!.dtype };
    },
    reference: ([a, b], _attrs, out) =>
      mapBinary(spec.output === 'bool' ? spec.compare : scalarFor(spec, a!.dtype), a!, b!, out),
    grad: spec.grad,
    kernel: spec.output === 'bool'
      ? { family: 'compare', fn: spec.compare, simd: spec.simd }
      : { family: 'binary', f32: spec.f32, i32: spec.i32, simd: spec.simd, cost: spec.cost },
  };
}

export const unaryRules = Object.fromEntries(
  (Object.keys(UNARY) as UnaryPrimitive[]).map((name) => [name, unaryRule(name)]),
) as { [P in UnaryPrimitive]: Rule<P> };

export const binaryRules = Object.fromEntries(
  (Object.keys(BINARY) as BinaryPrimitive[]).map((name) => [name, binaryRule(name)]),
) as { [P in BinaryPrimitive]: Rule<P> };

/** where(condition, a, b): a where condition is true, else b; all three broadcast. */
export const whereRule: Rule<'where'> = {
  infer([condition, a, b]) {
    if (condition!.dtype !== 'bool') {
      throw invalid('where', 'Expected condition of dtype bool', { 'condition.dtype': condition!.dtype });
    }
    if (a!.dtype !== b!.dtype) {
      throw invalid('where', 'Expected a and b of the same dtype', { 'a.dtype': a!.dtype, 'b.dtype': b!.dtype });
    }
    return { shape: broadcastShapes([condition!.shape, a!.shape, b!.shape], 'where'), dtype: a!.dtype };
  },
  reference([condition, a, b], _attrs, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const cStrides = broadcastStrides(condition!.shape, out.shape);
    const flatIndexIn = (strides: number[], o: number) => {
      let index = 0;
      let rest = o;
      for (let d = out.shape.length - 1; d >= 0; d--) {
        const extent = out.shape[d]!;
        index += (rest % extent) * strides[d]!;
        rest = Math.floor(rest / extent);
      }
      return index;
    };
    forEachBroadcast(out.shape, a!.shape, b!.shape, (o, i, j) => {
      result[o] = condition!.values[flatIndexIn(cStrides, o)] ? a!.values[i]! : b!.values[j]!;
    });
    return result;
  },
  grad: (dy, { inputs: [condition, a, b], needsGrad }, ops) => [
    null,
    needsGrad[1] ? unbroadcast(ops.where(condition!, dy, 0), a!.shape, ops) : null,
    needsGrad[2] ? unbroadcast(ops.where(condition!, 0, dy), b!.shape, ops) : null,
  ],
  kernel: { dedicated: 'select' },
};

/** float32 -> int32 truncates toward zero (saturating, NaN -> 0); anything -> bool is x != 0. */
function castValue(x: number, to: DType): number {
  // NaN != 0: true, as TensorFlow (and numpy) cast it.
  if (to === 'bool') return x !== 0 ? 1 : 0;
  if (to === 'int32') {
    if (x !== x) return 0;
    return Math.max(-2147483648, Math.min(2147483647, Math.trunc(x)));
  }
  return x;
}

export const castRule: Rule<'cast'> = {
  infer: ([x], { dtype }) => ({ shape: x!.shape, dtype }),
  reference: ([x], { dtype }, out) => mapUnary((v) => castValue(v, dtype), x!, out),
  grad: (dy, { inputs: [x] }) => [x!.dtype === 'float32' ? dy : null],
  kernel: { dedicated: 'cast' },
};
