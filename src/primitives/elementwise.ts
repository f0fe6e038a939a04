/**
 * Elementwise primitives. Canonical arithmetic: each output element is one scalar function of
 * the corresponding (broadcast) input elements, computed as a single IEEE binary32 operation for
 * + - * / and sqrt (float64 evaluation of float32 operands rounded once to float32 is exactly
 * that), and as the f32math function otherwise. int32 arithmetic wraps modulo 2^32.
 */
import { invalid } from '../errors.js';
import * as m from '../numerics/f32math.js';
import { allocate, type DataArray, type DType } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type * as Ops from '../ops/index.js';
import type {
  BinaryPrimitive, GradRule, HostTensor, Meta, Rule, UnaryPrimitive,
} from './types.js';

type Scalar = (x: number) => number;
type Scalar2 = (a: number, b: number) => number;

/** Round half to even, as TensorFlow's round; a zero result keeps the sign of x. */
function roundHalfToEven(x: number): number {
  const r = Math.floor(x);
  const d = x - r;
  const rounded = d > 0.5 || (d === 0.5 && r % 2 !== 0) ? r + 1 : r;
  return rounded === 0 ? x * 0 : rounded;
}

interface UnarySpec {
  /** The input dtypes accepted; the output has the input's dtype. */
  dtypes: readonly DType[];
  fn: Scalar;
  grad: GradRule<UnaryPrimitive> | 'not-differentiable';
}

const FLOAT: readonly DType[] = ['float32'];
const NUMERIC: readonly DType[] = ['float32', 'int32'];
const BOOL: readonly DType[] = ['bool'];

const zeroGrad: GradRule<UnaryPrimitive> = (dy, _c, ops) => [ops.zerosLike(dy)];

const UNARY: { [P in UnaryPrimitive]: UnarySpec } = {
  neg: { dtypes: NUMERIC, fn: (x) => -x, grad: (dy, _c, ops) => [ops.neg(dy)] },
  abs: { dtypes: NUMERIC, fn: Math.abs, grad: (dy, { inputs: [x] }, ops) => [ops.mul(dy, ops.sign(x!))] },
  sign: { dtypes: NUMERIC, fn: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), grad: zeroGrad },
  sqrt: { dtypes: FLOAT, fn: m.sqrt, grad: (dy, { output: y }, ops) => [ops.div(dy, ops.mul(y, 2))] },
  exp: { dtypes: FLOAT, fn: m.exp, grad: (dy, { output: y }, ops) => [ops.mul(dy, y)] },
  expm1: { dtypes: FLOAT, fn: m.expm1, grad: (dy, { output: y }, ops) => [ops.mul(dy, ops.add(y, 1))] },
  log: { dtypes: FLOAT, fn: m.log, grad: (dy, { inputs: [x] }, ops) => [ops.div(dy, x!)] },
  log1p: { dtypes: FLOAT, fn: m.log1p, grad: (dy, { inputs: [x] }, ops) => [ops.div(dy, ops.add(x!, 1))] },
  tanh: {
    dtypes: FLOAT, fn: m.tanh,
    grad: (dy, { output: y }, ops) => [ops.mul(dy, ops.sub(1, ops.mul(y, y)))],
  },
  sigmoid: {
    dtypes: FLOAT, fn: m.sigmoid,
    grad: (dy, { output: y }, ops) => [ops.mul(dy, ops.mul(y, ops.sub(1, y)))],
  },
  softplus: { dtypes: FLOAT, fn: m.softplus, grad: (dy, { inputs: [x] }, ops) => [ops.mul(dy, ops.sigmoid(x!))] },
  erf: {
    dtypes: FLOAT, fn: m.erf,
    grad: (dy, { inputs: [x] }, ops) => [ops.mul(dy, ops.mul(ops.exp(ops.neg(ops.mul(x!, x!))), 2 / Math.sqrt(Math.PI)))],
  },
  relu: {
    dtypes: NUMERIC, fn: (x) => (x > 0 || x !== x ? x : 0),
    grad: (dy, { inputs: [x] }, ops) => [ops.where(ops.greater(x!, 0), dy, 0)],
  },
  floor: { dtypes: FLOAT, fn: Math.floor, grad: zeroGrad },
  ceil: { dtypes: FLOAT, fn: Math.ceil, grad: zeroGrad },
  round: { dtypes: FLOAT, fn: roundHalfToEven, grad: zeroGrad },
  logicalNot: { dtypes: BOOL, fn: (x) => (x ? 0 : 1), grad: 'not-differentiable' },
};

function assertDTypeIn(context: string, argument: string, dtype: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(dtype)) {
    throw invalid(context, `Expected ${argument} of dtype ${allowed.join(' or ')}`, { [`${argument}.dtype`]: dtype });
  }
}

function mapUnary(fn: Scalar, x: HostTensor, out: Meta): DataArray {
  const result = allocate(out.dtype, x.values.length);
  const v = x.values;
  for (let i = 0; i < v.length; i++) result[i] = fn(v[i]!);
  return result;
}

function unaryRule(name: UnaryPrimitive): Rule<UnaryPrimitive> {
  const spec = UNARY[name];
  return {
    infer([x]) {
      assertDTypeIn(name, 'x', x!.dtype, spec.dtypes);
      return { shape: x!.shape, dtype: x!.dtype };
    },
    reference: ([x], _attrs, out) => mapUnary(spec.fn, x!, out),
    grad: spec.grad,
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
export function unbroadcast(g: Tensor, shape: readonly number[], ops: typeof Ops): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const offset = g.shape.length - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < offset || (shape[i - offset] === 1 && d !== 1)) axes.push(i);
  });
  return ops.reshape(ops.sum(g, axes), shape);
}

interface BinarySpec {
  dtypes: readonly DType[];
  /** Output dtype: the operands' own, or bool for comparisons. */
  output: 'same' | 'bool';
  float: Scalar2;
  /** int32 and bool evaluation, where it differs from `float`. */
  integer?: Scalar2;
  grad: GradRule<BinaryPrimitive> | 'not-differentiable';
}

function intPow(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  let result = 1;
  for (let i = 0; i < b; i++) result = Math.imul(result, a);
  return result;
}

const COMPARISON: Pick<BinarySpec, 'dtypes' | 'output' | 'grad'> = {
  dtypes: ['float32', 'int32', 'bool'], output: 'bool', grad: 'not-differentiable',
};

const BINARY: { [P in BinaryPrimitive]: BinarySpec } = {
  add: {
    dtypes: NUMERIC, output: 'same', float: (a, b) => a + b,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(dy, a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(dy, b!.shape, ops) : null,
    ],
  },
  sub: {
    dtypes: NUMERIC, output: 'same', float: (a, b) => a - b,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(dy, a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.neg(dy), b!.shape, ops) : null,
    ],
  },
  mul: {
    dtypes: NUMERIC, output: 'same', float: (a, b) => a * b, integer: Math.imul,
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.mul(dy, b!), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.mul(dy, a!), b!.shape, ops) : null,
    ],
  },
  div: {
    dtypes: NUMERIC, output: 'same', float: (a, b) => a / b, integer: (a, b) => Math.floor(a / b),
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.div(dy, b!), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.neg(ops.div(ops.mul(dy, a!), ops.mul(b!, b!))), b!.shape, ops) : null,
    ],
  },
  maximum: {
    dtypes: NUMERIC, output: 'same', float: (a, b) => (a > b || a !== a ? a : b),
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.where(ops.greaterEqual(a!, b!), dy, 0), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.where(ops.less(a!, b!), dy, 0), b!.shape, ops) : null,
    ],
  },
  minimum: {
    dtypes: NUMERIC, output: 'same', float: (a, b) => (a < b || a !== a ? a : b),
    grad: (dy, { inputs: [a, b], needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.where(ops.lessEqual(a!, b!), dy, 0), a!.shape, ops) : null,
      needsGrad[1] ? unbroadcast(ops.where(ops.greater(a!, b!), dy, 0), b!.shape, ops) : null,
    ],
  },
  pow: {
    dtypes: NUMERIC, output: 'same', float: m.pow, integer: intPow,
    grad: (dy, { inputs: [a, b], output: y, needsGrad }, ops) => [
      needsGrad[0] ? unbroadcast(ops.mul(dy, ops.mul(b!, ops.pow(a!, ops.sub(b!, 1)))), a!.shape, ops) : null,
      needsGrad[1]
        ? unbroadcast(ops.mul(dy, ops.where(ops.greater(a!, 0), ops.mul(y, ops.log(a!)), 0)), b!.shape, ops)
        : null,
    ],
  },
  greater: { ...COMPARISON, float: (a, b) => (a > b ? 1 : 0) },
  greaterEqual: { ...COMPARISON, float: (a, b) => (a >= b ? 1 : 0) },
  less: { ...COMPARISON, float: (a, b) => (a < b ? 1 : 0) },
  lessEqual: { ...COMPARISON, float: (a, b) => (a <= b ? 1 : 0) },
  equal: { ...COMPARISON, float: (a, b) => (a === b ? 1 : 0) },
  notEqual: { ...COMPARISON, float: (a, b) => (a !== b ? 1 : 0) },
  logicalAnd: { dtypes: BOOL, output: 'bool', float: (a, b) => (a && b ? 1 : 0), grad: 'not-differentiable' },
  logicalOr: { dtypes: BOOL, output: 'bool', float: (a, b) => (a || b ? 1 : 0), grad: 'not-differentiable' },
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
      mapBinary(a!.dtype === 'float32' ? spec.float : spec.integer ?? spec.float, a!, b!, out),
    grad: spec.grad,
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
};

/** float32 -> int32 truncates toward zero (saturating, NaN -> 0); anything -> bool is x != 0. */
function castValue(x: number, to: DType): number {
  if (to === 'bool') return x !== 0 && x === x ? 1 : 0;
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
};
