/**
 * A naive n-dimensional array model, written independently of the library's kernels (explicit
 * coordinates, no strides tricks). With round = Math.fround it follows the canonical float32
 * order and must match the library bit for bit; with round = identity it evaluates in float64
 * for finite-difference gradient checks.
 */

export interface NArray {
  shape: number[];
  values: number[];
}

export type Round = (x: number) => number;
export const F32: Round = Math.fround;
export const F64: Round = (x) => x;

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function unravel(flat: number, shape: readonly number[]): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return coords;
}

export function ravel(coords: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + coords[d]!;
  return flat;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`naive: cannot broadcast ${a} and ${b}`);
    return da === 1 ? db : da;
  });
}

/** The element of x seen at output coordinates `coords` under broadcasting. */
function at(x: NArray, coords: readonly number[]): number {
  const offset = coords.length - x.shape.length;
  const own = x.shape.map((d, i) => (d === 1 ? 0 : coords[i + offset]!));
  return x.values[ravel(own, x.shape)]!;
}

export function map(x: NArray, fn: (v: number) => number): NArray {
  return { shape: [...x.shape], values: x.values.map(fn) };
}

export function zip(a: NArray, b: NArray, fn: (x: number, y: number) => number): NArray {
  const shape = broadcastShape(a.shape, b.shape);
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape);
    return fn(at(a, c), at(b, c));
  });
  return { shape, values };
}

export function where(c: NArray, a: NArray, b: NArray): NArray {
  const shape = broadcastShape(c.shape, broadcastShape(a.shape, b.shape));
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const k = unravel(o, shape);
    return at(c, k) ? at(a, k) : at(b, k);
  });
  return { shape, values };
}

/** Reduction over sorted axes: for each output, reduced positions in row-major order. */
export function reduce(x: NArray, axes: readonly number[], init: number, combine: (acc: number, v: number) => number): NArray {
  const outShape = x.shape.filter((_, i) => !axes.includes(i));
  const reducedShape = axes.map((a) => x.shape[a]!);
  const values = Array.from({ length: size(outShape) }, (_, o) => {
    const kept = unravel(o, outShape);
    let acc = init;
    for (let r = 0; r < size(reducedShape); r++) {
      const red = unravel(r, reducedShape);
      const coords: number[] = [];
      let ki = 0;
      let ri = 0;
      for (let d = 0; d < x.shape.length; d++) coords.push(axes.includes(d) ? red[ri++]! : kept[ki++]!);
      acc = combine(acc, x.values[ravel(coords, x.shape)]!);
    }
    return acc;
  });
  return { shape: outShape, values };
}

export function sum(x: NArray, axes: readonly number[], round: Round): NArray {
  return reduce(x, axes, 0, (acc, v) => round(acc + v));
}

export function matMul(a: NArray, b: NArray, transposeA: boolean, transposeB: boolean, round: Round): NArray {
  const am = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
  const ak = transposeA ? a.shape.at(-2)! : a.shape.at(-1)!;
  const bn = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, am, bn];
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape);
    const bc = c.slice(0, -2);
    const [i, j] = c.slice(-2) as [number, number];
    let acc = 0;
    for (let p = 0; p < ak; p++) {
      const aCoords = [...bc.slice(bc.length - (a.shape.length - 2)).map((v, d) => (a.shape[d] === 1 ? 0 : v)), ...(transposeA ? [p, i] : [i, p])];
      const bCoords = [...bc.slice(bc.length - (b.shape.length - 2)).map((v, d) => (b.shape[d] === 1 ? 0 : v)), ...(transposeB ? [j, p] : [p, j])];
      acc = round(acc + round(a.values[ravel(aCoords, a.shape)]! * b.values[ravel(bCoords, b.shape)]!));
    }
    return acc;
  });
  return { shape, values };
}

export function transpose(x: NArray, perm: readonly number[]): NArray {
  const shape = perm.map((p) => x.shape[p]!);
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape);
    const src = new Array<number>(x.shape.length);
    perm.forEach((p, i) => { src[p] = c[i]!; });
    return x.values[ravel(src, x.shape)]!;
  });
  return { shape, values };
}

export function slice(x: NArray, begin: readonly number[], sizes: readonly number[]): NArray {
  const values = Array.from({ length: size(sizes) }, (_, o) => {
    const c = unravel(o, sizes).map((v, i) => v + begin[i]!);
    return x.values[ravel(c, x.shape)]!;
  });
  return { shape: [...sizes], values };
}

export function pad(x: NArray, paddings: readonly (readonly [number, number])[], value: number): NArray {
  const shape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape).map((v, i) => v - paddings[i]![0]);
    return c.every((v, i) => v >= 0 && v < x.shape[i]!) ? x.values[ravel(c, x.shape)]! : value;
  });
  return { shape, values };
}

export function concat(xs: readonly NArray[], axis: number): NArray {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((n, x) => n + x.shape[axis]!, 0);
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape);
    let k = 0;
    while (c[axis]! >= xs[k]!.shape[axis]!) c[axis]! -= xs[k++]!.shape[axis]!;
    return xs[k]!.values[ravel(c, xs[k]!.shape)]!;
  });
  return { shape, values };
}

export function gather(x: NArray, indices: NArray, axis: number): NArray {
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const r = indices.shape.length;
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape);
    const index = indices.values[ravel(c.slice(axis, axis + r), indices.shape)]!;
    return x.values[ravel([...c.slice(0, axis), index, ...c.slice(axis + r)], x.shape)]!;
  });
  return { shape, values };
}

export function broadcastTo(x: NArray, shape: readonly number[]): NArray {
  return { shape: [...shape], values: Array.from({ length: size(shape) }, (_, o) => at(x, unravel(o, shape))) };
}

/**
 * spaceToBatchND by coordinates: output batch o = k B + b, k the row-major index of the block
 * offsets (d_1, ..., d_M); spatial position p_i reads x at p_i b_i + d_i - before_i (0 in the padding).
 */
export function spaceToBatchND(x: NArray, block: readonly number[], paddings: readonly (readonly [number, number])[]): NArray {
  const m = block.length;
  const batch = x.shape[0]!;
  const shape = [batch * size(block), ...x.shape.slice(1, m + 1).map((d, i) => (d + paddings[i]![0] + paddings[i]![1]) / block[i]!), ...x.shape.slice(m + 1)];
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape);
    const offsets = unravel(Math.floor(c[0]! / batch), block);
    const source = c.slice(1, m + 1).map((p, i) => p * block[i]! + offsets[i]! - paddings[i]![0]);
    if (source.some((s, i) => s < 0 || s >= x.shape[i + 1]!)) return 0;
    return x.values[ravel([c[0]! % batch, ...source, ...c.slice(m + 1)], x.shape)]!;
  });
  return { shape, values };
}

/** batchToSpaceND by coordinates: output (b, q_i + before_i = p_i b_i + d_i) reads x at batch k B + b, position p_i. */
export function batchToSpaceND(x: NArray, block: readonly number[], crops: readonly (readonly [number, number])[]): NArray {
  const m = block.length;
  const batch = x.shape[0]! / size(block);
  const shape = [batch, ...x.shape.slice(1, m + 1).map((d, i) => d * block[i]! - crops[i]![0] - crops[i]![1]), ...x.shape.slice(m + 1)];
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const c = unravel(o, shape);
    const full = c.slice(1, m + 1).map((q, i) => q + crops[i]![0]);
    const k = ravel(full.map((f, i) => f % block[i]!), block);
    return x.values[ravel([k * batch + c[0]!, ...full.map((f, i) => Math.floor(f / block[i]!)), ...c.slice(m + 1)], x.shape)]!;
  });
  return { shape, values };
}

/** depthToSpace (NHWC) by coordinates: output (n, h, w, d) reads channel ((h mod s) s + w mod s) D + d of pixel (h / s, w / s). */
export function depthToSpace(x: NArray, s: number): NArray {
  const [n, height, width, depth] = x.shape as [number, number, number, number];
  const outDepth = depth / (s * s);
  const shape = [n, height * s, width * s, outDepth];
  const values = Array.from({ length: size(shape) }, (_, o) => {
    const [b, h, w, d] = unravel(o, shape) as [number, number, number, number];
    return x.values[ravel([b, Math.floor(h / s), Math.floor(w / s), ((h % s) * s + (w % s)) * outDepth + d], x.shape)]!;
  });
  return { shape, values };
}
