/** Elementwise ops: thin wrappers that convert arguments and run a primitive. */
import { withGradient } from '../autograd/custom.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import type { BinaryPrimitive, UnaryPrimitive } from '../primitives/types.js';
import { upcast, type DType } from '../tensor/dtype.js';
import { broadcastShapes } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { convertToTensor, zerosLike, type TensorLike } from './creation.js';
import { op } from './op.js';

export const cast = op(function cast(x: TensorLike, dtype: DType): Tensor {
  return ENGINE.run('cast', [convertToTensor(x, 'x', 'cast')], { dtype });
});

/** A float32 tensor: x itself when it already is one, else a cast copy. */
export function asFloat(x: TensorLike, context: string, argument = 'x'): Tensor {
  const t = convertToTensor(x, argument, context, 'float32');
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

const NO_ATTRS = Object.freeze({}) as Record<string, never>;

/** A tensor that needs no conversion: it goes straight to the primitive, with no tidy scope. */
function ready(x: unknown, floatOnly: boolean): x is Tensor {
  return x instanceof Tensor && (!floatOnly || x.dtype === 'float32');
}

function unary(name: UnaryPrimitive, floatOnly: boolean) {
  const converting = op((x: TensorLike): Tensor => {
    const t = floatOnly ? asFloat(x, name) : convertToTensor(x, 'x', name);
    return ENGINE.run(name, [t], NO_ATTRS);
  });
  return (x: TensorLike): Tensor => (ready(x, floatOnly) ? ENGINE.run(name, [x], NO_ATTRS) : converting(x));
}

export const neg = unary('neg', false);
export const abs = unary('abs', false);
export const sign = unary('sign', false);
export const sqrt = unary('sqrt', true);
export const exp = unary('exp', true);
export const expm1 = unary('expm1', true);
export const log = unary('log', true);
export const log1p = unary('log1p', true);
export const tanh = unary('tanh', true);
export const sigmoid = unary('sigmoid', true);
export const softplus = unary('softplus', true);
export const erf = unary('erf', true);
export const sin = unary('sin', true);
export const cos = unary('cos', true);
export const atan = unary('atan', true);
export const relu = unary('relu', false);
export const floor = unary('floor', true);
export const ceil = unary('ceil', true);
export const round = unary('round', true);

export const logicalNot = op(function logicalNot(x: TensorLike): Tensor {
  return ENGINE.run('logicalNot', [convertToTensor(x, 'x', 'logicalNot', 'bool')], {});
});

/**
 * Both operands as tensors of one dtype. Two tensors are upcast (bool < int32 < float32); a
 * JS number or array takes the tensor operand's dtype when it fits (an integer for int32),
 * else float32.
 */
export function binaryOperands(a: TensorLike, b: TensorLike, context: string): [Tensor, Tensor] {
  const fitsInt = (v: TensorLike) => typeof v === 'number' && Number.isInteger(v);
  const hint = (other: TensorLike, self: TensorLike): DType | undefined => {
    if (!(other instanceof Tensor) || self instanceof Tensor) return undefined;
    if (other.dtype === 'float32') return 'float32';
    if (other.dtype === 'int32' && fitsInt(self)) return 'int32';
    if (other.dtype === 'bool' && typeof self === 'boolean') return 'bool';
    return undefined;
  };
  let x = convertToTensor(a, 'a', context, hint(b, a));
  let y = convertToTensor(b, 'b', context, hint(a, b));
  if (x.dtype !== y.dtype) {
    const common = upcast(x.dtype, y.dtype);
    if (x.dtype !== common) x = cast(x, common);
    if (y.dtype !== common) y = cast(y, common);
  }
  return [x, y];
}

/**
 * The engine's cached scalar for a JS number operand next to a tensor of `dtype`, following the
 * weak typing of binaryOperands (float32, or int32 for an integer); undefined otherwise.
 */
function scalarFor(value: unknown, dtype: DType): Tensor | undefined {
  if (typeof value !== 'number') return undefined;
  if (dtype === 'float32' || (dtype === 'int32' && Number.isInteger(value))) return ENGINE.scalarConstant(value, dtype);
  return undefined;
}

/** Both operands ready for the primitive without conversion temporaries, or undefined. */
function directOperands(a: TensorLike, b: TensorLike): [Tensor, Tensor] | undefined {
  if (a instanceof Tensor) {
    if (b instanceof Tensor) return a.dtype === b.dtype ? [a, b] : undefined;
    const c = scalarFor(b, a.dtype);
    return c ? [a, c] : undefined;
  }
  if (b instanceof Tensor) {
    const c = scalarFor(a, b.dtype);
    return c ? [c, b] : undefined;
  }
  return undefined;
}

function binary(name: BinaryPrimitive) {
  const converting = op((a: TensorLike, b: TensorLike): Tensor => ENGINE.run(name, binaryOperands(a, b, name), NO_ATTRS));
  return (a: TensorLike, b: TensorLike): Tensor => {
    const direct = directOperands(a, b);
    return direct ? ENGINE.run(name, direct, NO_ATTRS) : converting(a, b);
  };
}

export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');
/** a / b; for two int32 tensors the quotient is floored, as in TF.js. */
export const div = binary('div');
/** The floored remainder, a - floor(a / b) b with the sign of b (TensorFlow's FloorMod; fmod exact). */
export const mod = binary('mod');
export const maximum = binary('maximum');
export const minimum = binary('minimum');
export const pow = binary('pow');
export const greater = binary('greater');
export const greaterEqual = binary('greaterEqual');
export const less = binary('less');
export const lessEqual = binary('lessEqual');
export const equal = binary('equal');
export const notEqual = binary('notEqual');

/**
 * The angle of the point (b, a) in [-pi, pi]: C's atan2(a, b), its signed zeros and infinities
 * included. Operands are cast to float32 (TF.js keeps int32 operands' dtype) and broadcast.
 */
export const atan2 = op(function atan2(a: TensorLike, b: TensorLike): Tensor {
  return ENGINE.run('atan2', [asFloat(a, 'atan2', 'a'), asFloat(b, 'atan2', 'b')], NO_ATTRS);
});

function logical(name: 'logicalAnd' | 'logicalOr') {
  return op((a: TensorLike, b: TensorLike): Tensor =>
    ENGINE.run(name, [convertToTensor(a, 'a', name, 'bool'), convertToTensor(b, 'b', name, 'bool')], {}));
}

export const logicalAnd = logical('logicalAnd');
export const logicalOr = logical('logicalOr');

/** Both operands as tensors of one numeric dtype (float32 or int32) and shapes that broadcast. */
function numericOperands(a: TensorLike, b: TensorLike, context: string): [Tensor, Tensor] {
  const [x, y] = binaryOperands(a, b, context);
  if (x.dtype === 'bool') throw invalid(context, 'Expected a and b of dtype float32 or int32', { 'a.dtype': x.dtype, 'b.dtype': y.dtype });
  // Checked here so that the error names this op, not the primitives it is made of.
  broadcastShapes([x.shape, y.shape], context);
  return [x, y];
}

/** (a - b)^2 as fl(d * d) with d = fl(a - b) (TensorFlow's float32 kernel). */
export const squaredDifference = op(function squaredDifference(a: TensorLike, b: TensorLike): Tensor {
  const d = sub(...numericOperands(a, b, 'squaredDifference'));
  return mul(d, d);
});

/**
 * floor(a / b): for float32 the floor of the rounded quotient fl(a / b) (TensorFlow's FloorDiv),
 * float32 out; for int32 the floored integer quotient (div's), division by zero giving 0. Not
 * differentiable (TensorFlow's): its gradients are zeros, not floor's zeros through div's
 * gradient, which are NaN where that is infinite (b = 0, a quotient that overflows).
 */
export const floorDiv = op(function floorDiv(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = numericOperands(a, b, 'floorDiv');
  if (x.dtype === 'int32') return div(x, y);
  return withGradient([x, y], () => floor(div(x, y)), () => [zerosLike(x), zerosLike(y)]);
});

/** Whether each element is NaN (bool); int32 and bool elements never are. */
export const isNaN = op(function isNaN(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'isNaN');
  return notEqual(t, t);
});

export const square = op(function square(x: TensorLike): Tensor {
  const t = convertToTensor(x, 'x', 'square');
  return mul(t, t);
});

export const reciprocal = op(function reciprocal(x: TensorLike): Tensor {
  return div(1, asFloat(x, 'reciprocal'));
});

const whereConverting = op(function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = convertToTensor(condition, 'condition', 'where', 'bool');
  const [x, y] = binaryOperands(a, b, 'where');
  return ENGINE.run('where', [c, x, y], NO_ATTRS);
});

/** where(condition, a, b): elements of a where condition is true, else of b (all broadcast). */
export function where(condition: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const direct = condition instanceof Tensor && condition.dtype === 'bool' ? directOperands(a, b) : undefined;
  return direct ? ENGINE.run('where', [condition as Tensor, ...direct], NO_ATTRS) : whereConverting(condition, a, b);
}

export const clipByValue = op(function clipByValue(x: TensorLike, clipValueMin: number, clipValueMax: number): Tensor {
  if (!(clipValueMin <= clipValueMax)) {
    throw invalid('clipByValue', 'Expected clipValueMin <= clipValueMax', { clipValueMin, clipValueMax });
  }
  return minimum(maximum(x, clipValueMin), clipValueMax);
});
