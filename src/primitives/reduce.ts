/**
 * Reductions. Canonical order: every output element combines its reduced input elements one at
 * a time in increasing flat index of the input (row-major order of the reduced positions),
 * starting from the identity: sum from +0 with one float32 rounding per addition, prod from 1,
 * max from -Infinity and min from +Infinity. max/min keep the first of equal values and return
 * NaN if any reduced element is NaN. argMax/argMin return the first index of the extreme value
 * (the first NaN if there is one). Reducing zero elements gives the identity.
 */
import { invalid } from '../errors.js';
import { allocate, type DataArray } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import * as s from '../numerics/scalar.js';
import type { GradOps, HostTensor, Meta, ReducePrimitive, Rule, Scalar2 } from './types.js';

function reducedShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

function checkAxes(context: string, shape: readonly number[], axes: readonly number[]): void {
  const sorted = axes.every((a, i) => Number.isInteger(a) && a >= 0 && a < shape.length && (i === 0 || a > axes[i - 1]!));
  if (!sorted) {
    throw invalid(context, `Expected sorted distinct axes in [0, ${shape.length})`, { axes, shape });
  }
}

/**
 * For each input flat index in increasing order, the flat index of the output element it
 * reduces into.
 */
function outputIndexOf(shape: readonly number[], axes: readonly number[]): Int32Array {
  const size = sizeOf(shape);
  const map = new Int32Array(size);
  const rank = shape.length;
  const keptStride = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (!axes.includes(d)) {
      keptStride[d] = stride;
      stride *= shape[d]!;
    }
  }
  const counter = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < size; i++) {
    map[i] = o;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      o += keptStride[d]!;
      if (counter[d]! < shape[d]!) break;
      o -= keptStride[d]! * shape[d]!;
      counter[d] = 0;
    }
  }
  return map;
}

/**
 * A reduction record: its identity and one combining step per dtype (src/numerics/scalar.ts),
 * whether assembly/vector.ts has the step's SIMD form, and the gradient.
 */
interface ReduceSpec {
  identity: { float32: number; int32: number };
  f32: Scalar2;
  i32: Scalar2;
  simd: boolean;
  grad: (dy: Tensor, x: Tensor, y: Tensor, axes: number[], ops: GradOps) => Tensor;
}

/** dy broadcast back over the reduced axes. */
function expandToInput(dy: Tensor, x: Tensor, axes: number[], ops: GradOps): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return ops.broadcastTo(ops.reshape(dy, kept), x.shape);
}

/** d max / d x: dy shared equally among the elements equal to the extreme value. */
function extremeGrad(dy: Tensor, x: Tensor, y: Tensor, axes: number[], ops: GradOps): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const isExtreme = ops.cast(ops.equal(x, ops.reshape(y, kept)), 'float32');
  const count = ops.sum(isExtreme, axes, true);
  return ops.mul(isExtreme, ops.reshape(ops.div(dy, ops.reshape(count, y.shape)), kept));
}

const REDUCE: { [P in ReducePrimitive]: ReduceSpec } = {
  sum: {
    identity: { float32: 0, int32: 0 }, f32: s.sumF32, i32: s.sumI32, simd: true,
    grad: (dy, x, _y, axes, ops) => expandToInput(dy, x, axes, ops),
  },
  prod: {
    identity: { float32: 1, int32: 1 }, f32: s.prodF32, i32: s.prodI32, simd: true,
    // Product of the other elements: y / x without zeros, the product of the non-zero
    // elements at a lone zero, and 0 where there are two or more zeros.
    grad(dy, x, _y, axes, ops) {
      const isZero = ops.equal(x, 0);
      const nonZero = ops.where(isZero, 1, x);
      const productOfNonZero = ops.prod(nonZero, axes, true);
      const zeros = ops.sum(ops.cast(isZero, 'float32'), axes, true);
      const others = ops.where(
        ops.equal(zeros, 0), ops.div(productOfNonZero, nonZero),
        ops.where(ops.logicalAnd(ops.equal(zeros, 1), isZero), productOfNonZero, 0),
      );
      return ops.mul(expandToInput(dy, x, axes, ops), others);
    },
  },
  max: { identity: { float32: -Infinity, int32: -2147483648 }, f32: s.maxF32, i32: s.maxI32, simd: true, grad: extremeGrad },
  min: { identity: { float32: Infinity, int32: 2147483647 }, f32: s.minF32, i32: s.minI32, simd: true, grad: extremeGrad },
};

function reduceReference(spec: ReduceSpec, x: HostTensor, axes: readonly number[], out: Meta): DataArray {
  const float = x.dtype === 'float32';
  const result = allocate(out.dtype, sizeOf(out.shape));
  result.fill(float ? spec.identity.float32 : spec.identity.int32);
  const map = outputIndexOf(x.shape, axes);
  const v = x.values;
  const combine = float ? spec.f32 : spec.i32;
  for (let i = 0; i < v.length; i++) {
    const o = map[i]!;
    result[o] = combine(result[o]!, v[i]!);
  }
  return result;
}

function reduceRule(name: ReducePrimitive): Rule<ReducePrimitive> {
  const spec = REDUCE[name];
  return {
    infer([x], { axes }) {
      checkAxes(name, x!.shape, axes);
      if (x!.dtype === 'bool') throw invalid(name, 'Expected x of dtype float32 or int32', { 'x.dtype': x!.dtype });
      return { shape: reducedShape(x!.shape, axes), dtype: x!.dtype };
    },
    reference: ([x], { axes }, out) => reduceReference(spec, x!, axes, out),
    grad: (dy, { inputs: [x], output: y, attrs: { axes } }, ops) => [spec.grad(dy, x!, y, axes, ops)],
    kernel: { family: 'reduce', f32: spec.f32, i32: spec.i32, simd: spec.simd, identity: [spec.identity.float32, spec.identity.int32] },
  };
}

export const reduceRules = Object.fromEntries(
  (Object.keys(REDUCE) as ReducePrimitive[]).map((name) => [name, reduceRule(name)]),
) as { [P in ReducePrimitive]: Rule<P> };

function argRule(name: 'argMax' | 'argMin', better: (x: number, best: number) => boolean): Rule<'argMax' | 'argMin'> {
  return {
    infer([x], { axis }) {
      checkAxes(name, x!.shape, [axis]);
      if (x!.shape[axis] === 0) throw invalid(name, 'Expected a non-empty axis', { axis, shape: x!.shape });
      return { shape: reducedShape(x!.shape, [axis]), dtype: 'int32' };
    },
    reference([x], { axis }, out) {
      const result = allocate('int32', sizeOf(out.shape));
      const best = new Float64Array(result.length);
      const found = new Uint8Array(result.length);
      const map = outputIndexOf(x!.shape, [axis]);
      const inner = sizeOf(x!.shape.slice(axis + 1));
      const extent = x!.shape[axis]!;
      const v = x!.values;
      for (let i = 0; i < v.length; i++) {
        const o = map[i]!;
        const value = v[i]!;
        const current = best[o]!;
        if (!found[o] || (current === current && (value !== value || better(value, current)))) {
          found[o] = 1;
          best[o] = value;
          result[o] = Math.floor(i / inner) % extent;
        }
      }
      return result;
    },
    grad: 'not-differentiable',
    kernel: { dedicated: 'argReduce' },
  };
}

export const argMaxRule = argRule('argMax', (x, best) => x > best);
export const argMinRule = argRule('argMin', (x, best) => x < best);
