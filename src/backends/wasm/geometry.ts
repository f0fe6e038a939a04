/** Index arithmetic for the WASM kernels: collapsing broadcasts and strided views to few dimensions. */
import { broadcastStrides, stridesOf } from '../../tensor/shape.js';

export interface Collapsed {
  /** Dimensions, outermost first, padded with leading 1s to the requested rank. */
  dims: number[];
  /** Element strides of each operand, per dimension. */
  strides: number[][];
}

/**
 * The output shape and each operand's element strides (0 where it is broadcast), with size-1
 * dimensions dropped and adjacent dimensions merged wherever every operand is contiguous across
 * them. Returns undefined when more than `rank` dimensions remain.
 */
export function collapse(outShape: readonly number[], operandStrides: readonly (readonly number[])[], rank: number): Collapsed | undefined {
  const dims: number[] = [];
  const strides: number[][] = operandStrides.map(() => []);
  outShape.forEach((extent, d) => {
    if (extent === 1) return;
    const last = dims.length - 1;
    const mergeable = last >= 0 && operandStrides.every((s, k) => strides[k]![last] === s[d]! * extent);
    if (mergeable) {
      dims[last]! *= extent;
      operandStrides.forEach((s, k) => { strides[k]![last] = s[d]!; });
    } else {
      dims.push(extent);
      operandStrides.forEach((s, k) => strides[k]!.push(s[d]!));
    }
  });
  if (dims.length > rank) return undefined;
  while (dims.length < rank) {
    dims.unshift(1);
    for (const s of strides) s.unshift(0);
  }
  return { dims, strides };
}

export function broadcastGeometry(outShape: readonly number[], shapes: readonly (readonly number[])[], rank: number): Collapsed | undefined {
  return collapse(outShape, shapes.map((s) => broadcastStrides(s, outShape)), rank);
}

/** A view's geometry for copyStrided: [rank, ...shape, ...strides], collapsed. */
export function viewGeometry(outShape: readonly number[], strides: readonly number[]): Int32Array {
  const c = collapse(outShape, [strides], Math.max(1, outShape.length))!;
  // Drop the leading padding again: copyStrided handles any rank.
  let first = 0;
  while (first < c.dims.length - 1 && c.dims[first] === 1) first++;
  const dims = c.dims.slice(first);
  const s = c.strides[0]!.slice(first);
  return Int32Array.from([dims.length, ...dims, ...s]);
}

/** Row-major strides with the given axes moved last (for reductions over non-adjacent axes). */
export function permutedForReduction(shape: readonly number[], axes: readonly number[]): { perm: number[]; shape: number[]; strides: number[] } {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const strides = stridesOf(shape);
  return { perm, shape: perm.map((p) => shape[p]!), strides: perm.map((p) => strides[p]!) };
}
