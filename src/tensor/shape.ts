import { invalid } from '../errors.js';
import { bytesPerElement, type DType } from './dtype.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides (elements). */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertShape(shape: unknown, context: string, argument = 'shape'): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw invalid(context, `Expected ${argument} to be an array of non-negative integers`, { [argument]: shape });
  }
  return shape as number[];
}

/** NumPy broadcasting: dimensions are aligned from the right; each pair must be equal or 1. */
export function broadcastShapes(shapes: readonly Shape[], context: string): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (let i = 0; i < rank; i++) {
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (out[i] !== 1 && out[i] !== d) {
        const received: Record<string, unknown> = {};
        shapes.forEach((sh, k) => { received[`shapes[${k}]`] = sh; });
        throw invalid(context, 'Expected shapes that broadcast (each dimension equal or 1, aligned from the right)', received);
      }
      out[i] = d;
    }
  }
  return out;
}

/**
 * Strides of `shape` as seen from an output of shape `outShape` it broadcasts to: 0 on
 * broadcast dimensions, and 0 on the leading dimensions it lacks.
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(shape);
  const offset = outShape.length - shape.length;
  return outShape.map((_, i) => (i < offset || shape[i - offset] === 1 ? 0 : strides[i - offset]!));
}

export function normalizeAxis(axis: number, rank: number, context: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw invalid(context, `Expected axis to be an integer in [${-rank}, ${rank})`, { axis, rank });
  }
  return axis < 0 ? axis + rank : axis;
}

/** One axis or a list of them, as a list (in the order given). */
export function axisList(axes: number | readonly number[], context: string): number[] {
  if (typeof axes === 'number') return [axes];
  if (!Array.isArray(axes)) throw invalid(context, 'Expected axis to be an integer or a list of integers', { axis: axes });
  return [...axes];
}

/** Sorted, unique, non-negative axes; `undefined` means every axis. */
export function normalizeAxes(axes: number | readonly number[] | undefined | null, rank: number, context: string): number[] {
  if (axes === undefined || axes === null) return Array.from({ length: rank }, (_, i) => i);
  const list = axisList(axes, context);
  const normalized = list.map((a) => normalizeAxis(a, rank, context));
  if (new Set(normalized).size !== normalized.length) {
    throw invalid(context, 'Expected distinct axes', { axes });
  }
  return normalized.sort((a, b) => a - b);
}

/**
 * The largest tensor, in bytes, on every backend and engine: 2 GiB, within what every JS engine's
 * typed arrays and the 4 GiB WebAssembly memory hold. The same limit everywhere means a program
 * that runs on one backend does not fail for size on another.
 */
export const MAX_TENSOR_BYTES = 2 ** 31;

/** Checks a tensor's size before any memory for it is allocated. */
export function checkTensorSize(shape: Shape, dtype: DType, context: string): void {
  const bytes = sizeOf(shape) * bytesPerElement(dtype);
  if (bytes > MAX_TENSOR_BYTES) {
    throw invalid(context, `Expected a tensor of at most ${MAX_TENSOR_BYTES} bytes (2 GiB)`, { shape, dtype, bytes });
  }
}

/** A flat index's coordinates in `shape` as text, e.g. [1][0][2] (for messages). */
export function indexText(flat: number, shape: readonly number[]): string {
  const coords: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    coords.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return coords.map((c) => `[${c}]`).join('');
}
