/**
 * Movement primitives: they copy elements without arithmetic (scatterAdd excepted, which adds
 * contributions in increasing flat index of the updates, starting from +0).
 */
import { invalid } from '../errors.js';
import { allocate, type DataArray } from '../tensor/dtype.js';
import { broadcastShapes, broadcastStrides, shapesEqual, sizeOf, stridesOf } from '../tensor/shape.js';
import type { HostTensor, Rule } from './types.js';

/** out[o] = x[source(o)] for a linear map from output coordinates to input offsets. */
function gatherStrided(x: HostTensor, outShape: readonly number[], strides: readonly number[], offset: number): DataArray {
  const size = sizeOf(outShape);
  const result = allocate(x.dtype, size);
  if (size === 0) return result;
  const rank = outShape.length;
  const counter = new Array<number>(rank).fill(0);
  let i = offset;
  for (let o = 0; o < size; o++) {
    result[o] = x.values[i]!;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]!++;
      i += strides[d]!;
      if (counter[d]! < outShape[d]!) break;
      i -= strides[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  return result;
}

export const reshapeRule: Rule<'reshape'> = {
  infer([x], { shape }) {
    if (sizeOf(shape) !== sizeOf(x!.shape)) {
      throw invalid('reshape', `Expected a shape with ${sizeOf(x!.shape)} elements`, { shape, 'x.shape': x!.shape });
    }
    return { shape, dtype: x!.dtype };
  },
  reference: ([x]) => x!.values.slice(),
  grad: (dy, { inputs: [x] }, ops) => [ops.reshape(dy, x!.shape)],
  kernel: { dedicated: 'view' },
};

export const transposeRule: Rule<'transpose'> = {
  infer([x], { perm }) {
    const rank = x!.shape.length;
    const valid = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
    if (!valid) throw invalid('transpose', `Expected perm to be a permutation of [0, ${rank})`, { perm, 'x.shape': x!.shape });
    return { shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype };
  },
  reference([x], { perm }, out) {
    const strides = stridesOf(x!.shape);
    return gatherStrided(x!, out.shape, perm.map((p) => strides[p]!), 0);
  },
  grad(dy, { attrs: { perm } }, ops) {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => { inverse[p] = i; });
    return [ops.transpose(dy, inverse)];
  },
  kernel: { dedicated: 'copyStrided' },
};

export const broadcastToRule: Rule<'broadcastTo'> = {
  infer([x], { shape }) {
    const target = broadcastShapes([x!.shape, shape], 'broadcastTo');
    if (!shapesEqual(target, shape)) {
      throw invalid('broadcastTo', 'Expected a shape that x broadcasts to', { shape, 'x.shape': x!.shape });
    }
    return { shape, dtype: x!.dtype };
  },
  reference: ([x], { shape }) => gatherStrided(x!, shape, broadcastStrides(x!.shape, shape), 0),
  grad(dy, { inputs: [x] }, ops) {
    const offset = dy.shape.length - x!.shape.length;
    const axes = dy.shape.flatMap((d, i) => (i < offset || (x!.shape[i - offset] === 1 && d !== 1) ? [i] : []));
    return [ops.reshape(ops.sum(dy, axes), x!.shape)];
  },
  kernel: { dedicated: 'copyStrided' },
};

export const sliceRule: Rule<'slice'> = {
  infer([x], { begin, size }) {
    const shape = x!.shape;
    const ok = begin.length === shape.length && size.length === shape.length
      && begin.every((b, i) => Number.isInteger(b) && b >= 0 && Number.isInteger(size[i]) && size[i]! >= 0 && b + size[i]! <= shape[i]!);
    if (!ok) throw invalid('slice', 'Expected 0 <= begin[i] and begin[i] + size[i] <= x.shape[i] on every axis', { begin, size, 'x.shape': shape });
    return { shape: size, dtype: x!.dtype };
  },
  reference([x], { begin }, out) {
    const strides = stridesOf(x!.shape);
    const offset = begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
    return gatherStrided(x!, out.shape, strides, offset);
  },
  grad: (dy, { inputs: [x], attrs: { begin, size } }, ops) =>
    [ops.pad(dy, begin.map((b, i) => [b, x!.shape[i]! - b - size[i]!] as [number, number]))],
  kernel: { dedicated: 'copyStrided' },
};

export const padRule: Rule<'pad'> = {
  infer([x], { paddings }) {
    const ok = paddings.length === x!.shape.length
      && paddings.every((p) => p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0));
    if (!ok) throw invalid('pad', 'Expected one [before, after] pair of non-negative integers per axis', { paddings, 'x.shape': x!.shape });
    return { shape: x!.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), dtype: x!.dtype };
  },
  reference([x], { paddings, value }, out) {
    const result = allocate(out.dtype, sizeOf(out.shape)).fill(value);
    const outStrides = stridesOf(out.shape);
    const offset = paddings.reduce((acc, [before], i) => acc + before * outStrides[i]!, 0);
    // Scatter x into the interior: walk x's coordinates, mapping each to its padded offset.
    const rank = x!.shape.length;
    const counter = new Array<number>(rank).fill(0);
    let o = offset;
    for (let i = 0; i < x!.values.length; i++) {
      result[o] = x!.values[i]!;
      for (let d = rank - 1; d >= 0; d--) {
        counter[d]!++;
        o += outStrides[d]!;
        if (counter[d]! < x!.shape[d]!) break;
        o -= outStrides[d]! * x!.shape[d]!;
        counter[d] = 0;
      }
    }
    return result;
  },
  grad: (dy, { inputs: [x], attrs: { paddings } }, ops) => [ops.slice(dy, paddings.map(([before]) => before), x!.shape)],
  kernel: { dedicated: 'padRows' },
};

export const concatRule: Rule<'concat'> = {
  infer(inputs, { axis }) {
    if (inputs.length === 0) throw invalid('concat', 'Expected at least one tensor', { tensors: [] });
    const first = inputs[0]!;
    if (!Number.isInteger(axis) || axis < 0 || axis >= first.shape.length) {
      throw invalid('concat', `Expected axis in [0, ${first.shape.length})`, { axis });
    }
    inputs.forEach((t, k) => {
      const compatible = t.dtype === first.dtype && t.shape.length === first.shape.length
        && t.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!compatible) {
        throw invalid('concat', `Expected every tensor to match tensors[0] (shape ${JSON.stringify(first.shape)}, dtype ${first.dtype}) except along axis ${axis}`,
          { [`tensors[${k}].shape`]: t.shape, [`tensors[${k}].dtype`]: t.dtype });
      }
    });
    const shape = [...first.shape];
    shape[axis] = inputs.reduce((acc, t) => acc + t.shape[axis]!, 0);
    return { shape, dtype: first.dtype };
  },
  reference(inputs, { axis }, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(out.shape.slice(0, axis));
    const rowLength = sizeOf(out.shape.slice(axis));
    let column = 0;
    for (const t of inputs) {
      const chunk = sizeOf(t.shape.slice(axis));
      for (let r = 0; r < outer; r++) result.set(t.values.subarray(r * chunk, (r + 1) * chunk), r * rowLength + column);
      column += chunk;
    }
    return result;
  },
  grad(dy, { inputs, attrs: { axis } }, ops) {
    let start = 0;
    return inputs.map((t) => {
      const begin = dy.shape.map((_, i) => (i === axis ? start : 0));
      start += t.shape[axis]!;
      return ops.slice(dy, begin, t.shape);
    });
  },
  kernel: { dedicated: 'memory.copy' },
};

function gatherShape(xShape: readonly number[], indicesShape: readonly number[], axis: number): number[] {
  return [...xShape.slice(0, axis), ...indicesShape, ...xShape.slice(axis + 1)];
}

function checkIndices(context: string, indices: HostTensor, extent: number): void {
  for (let j = 0; j < indices.values.length; j++) {
    const index = indices.values[j]!;
    if (index < 0 || index >= extent) {
      throw invalid(context, `Expected every index in [0, ${extent})`, { [`indices[${j}]`]: index });
    }
  }
}

/** out[outer, j, inner] = x[outer, indices[j], inner]. */
export const gatherRule: Rule<'gather'> = {
  infer([x, indices], { axis }) {
    if (indices!.dtype !== 'int32') throw invalid('gather', 'Expected indices of dtype int32', { 'indices.dtype': indices!.dtype });
    if (!Number.isInteger(axis) || axis < 0 || axis >= x!.shape.length) {
      throw invalid('gather', `Expected axis in [0, ${x!.shape.length})`, { axis });
    }
    return { shape: gatherShape(x!.shape, indices!.shape, axis), dtype: x!.dtype };
  },
  reference([x, indices], { axis }, out) {
    const extent = x!.shape[axis]!;
    checkIndices('gather', indices!, extent);
    const result = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(x!.shape.slice(0, axis));
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const n = indices!.values.length;
    for (let r = 0; r < outer; r++) {
      for (let j = 0; j < n; j++) {
        const from = (r * extent + indices!.values[j]!) * inner;
        result.set(x!.values.subarray(from, from + inner), (r * n + j) * inner);
      }
    }
    return result;
  },
  grad: (dy, { inputs: [x, indices], attrs: { axis } }, ops) =>
    [ops.scatterAdd(dy, indices!, axis, x!.shape[axis]!), null],
  kernel: { dedicated: 'gatherRows' },
};

/** The transpose of gather: out[outer, indices[j], inner] += updates[outer, j, inner]. */
export const scatterAddRule: Rule<'scatterAdd'> = {
  infer([updates, indices], { axis, size }) {
    if (indices!.dtype !== 'int32') throw invalid('scatterAdd', 'Expected indices of dtype int32', { 'indices.dtype': indices!.dtype });
    const r = indices!.shape.length;
    const matches = updates!.shape.length >= axis + r && indices!.shape.every((d, i) => updates!.shape[axis + i] === d);
    if (!matches || !Number.isInteger(size) || size < 0) {
      throw invalid('scatterAdd', 'Expected updates.shape[axis:axis+indices.rank] == indices.shape', { 'updates.shape': updates!.shape, 'indices.shape': indices!.shape, axis });
    }
    return { shape: [...updates!.shape.slice(0, axis), size, ...updates!.shape.slice(axis + r)], dtype: updates!.dtype };
  },
  reference([updates, indices], { axis, size }, out) {
    checkIndices('scatterAdd', indices!, size);
    const result = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(out.shape.slice(0, axis));
    const inner = sizeOf(out.shape.slice(axis + 1));
    const n = indices!.values.length;
    for (let r = 0; r < outer; r++) {
      for (let j = 0; j < n; j++) {
        const to = (r * size + indices!.values[j]!) * inner;
        const from = (r * n + j) * inner;
        for (let k = 0; k < inner; k++) result[to + k] = result[to + k]! + updates!.values[from + k]!;
      }
    }
    return result;
  },
  grad: (dy, { inputs: [, indices], attrs: { axis } }, ops) => [ops.gather(dy, indices!, axis), null],
  kernel: { dedicated: 'scatterAdd' },
};
