// Movement kernels: copies without arithmetic, and scatterAdd in the reference's order.
import { canonical } from './portable';

/**
 * dst[o] = src[offset + sum_d coordinate_d(o) * stride_d] for output elements o in [start, end),
 * row-major over `shape`. geometry: rank, then shape[rank], then strides[rank] (i32, elements).
 */
export function copyStrided(elementBytes: i32, src: usize, dst: usize, offset: i32, geometry: usize, start: i32, end: i32): void {
  const rank = load<i32>(geometry);
  const shape = geometry + 4;
  const strides = shape + (<usize>rank << 2);
  const last = rank - 1;
  const innerExtent = load<i32>(shape + (<usize>last << 2));
  const innerStride = load<i32>(strides + (<usize>last << 2));
  const shift = elementBytes == 4 ? 2 : 0;
  let o = start;
  while (o < end) {
    // Source offset of element o.
    let rest = o;
    let s = offset;
    for (let d = last; d >= 0; d--) {
      const extent = load<i32>(shape + (<usize>d << 2));
      s += (rest % extent) * load<i32>(strides + (<usize>d << 2));
      rest /= extent;
    }
    const column = o % innerExtent;
    const run = min(innerExtent - column, end - o);
    if (innerStride == 1) {
      memory.copy(dst + (<usize>o << shift), src + (<usize>s << shift), <usize>run << shift);
    } else if (shift == 2) {
      for (let i = 0; i < run; i++) store<u32>(dst + (<usize>(o + i) << 2), load<u32>(src + (<usize>(s + i * innerStride) << 2)));
    } else {
      for (let i = 0; i < run; i++) store<u8>(dst + <usize>(o + i), load<u8>(src + <usize>(s + i * innerStride)));
    }
    o += run;
  }
}

export function fill32(dst: usize, value: u32, start: i32, end: i32): void {
  const v = i32x4.splat(value);
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(dst + (<usize>i << 2), v);
  for (; i < end; i++) store<u32>(dst + (<usize>i << 2), value);
}

/** out[r, j, :] = x[r, indices[j], :] for r in [outerStart, outerEnd); rows of `inner` elements. */
export function gatherRows(elementBytes: i32, x: usize, indices: usize, out: usize, extent: i32, n: i32, inner: i32, outerStart: i32, outerEnd: i32): void {
  const rowBytes = <usize>(inner * elementBytes);
  for (let r = outerStart; r < outerEnd; r++) {
    for (let j = 0; j < n; j++) {
      const from = <usize>(r * extent + load<i32>(indices + (<usize>j << 2)));
      memory.copy(out + (<usize>(r * n + j)) * rowBytes, x + from * rowBytes, rowBytes);
    }
  }
}

/** out[r, indices[j], k] += updates[r, j, k], j increasing, into a zeroed out (dtype 0 float32, 1 int32). */
export function scatterAdd(dtype: i32, updates: usize, indices: usize, out: usize, size: i32, n: i32, inner: i32, outerStart: i32, outerEnd: i32): void {
  for (let r = outerStart; r < outerEnd; r++) {
    for (let j = 0; j < n; j++) {
      const to = out + (<usize>((r * size + load<i32>(indices + (<usize>j << 2))) * inner) << 2);
      const from = updates + (<usize>((r * n + j) * inner) << 2);
      for (let k = 0; k < inner; k++) {
        const t = to + (<usize>k << 2);
        const f = from + (<usize>k << 2);
        if (dtype == 0) store<f32>(t, canonical(load<f32>(t) + load<f32>(f)));
        else store<i32>(t, load<i32>(t) + load<i32>(f));
      }
    }
  }
}

/** count elements of 4 bytes (shift 2) or 1 byte (shift 0) set to the raw bits `value`. */
@inline export function fillRun(shift: i32, dst: usize, value: u32, count: i32): void {
  if (shift == 2) {
    for (let i = 0; i < count; i++) store<u32>(dst + (<usize>i << 2), value);
  } else {
    memory.fill(dst, <u8>value, <usize>count);
  }
}

/**
 * pad: output rows (every axis but the last) in [rowStart, rowEnd) of a padded tensor, each the
 * constant `value` (raw bits) outside x and x's row inside. geometry: rank, then the output
 * shape, the leading paddings and x's shape (rank i32 each).
 */
export function padRows(elementBytes: i32, src: usize, dst: usize, value: u32, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const rank = load<i32>(geometry);
  const outShape = geometry + 4;
  const before = outShape + (<usize>rank << 2);
  const inShape = before + (<usize>rank << 2);
  const last = rank - 1;
  const width = load<i32>(outShape + (<usize>last << 2));
  const left = load<i32>(before + (<usize>last << 2));
  const inWidth = load<i32>(inShape + (<usize>last << 2));
  const shift = elementBytes == 4 ? 2 : 0;
  for (let row = rowStart; row < rowEnd; row++) {
    const out = dst + (<usize>(row * width) << shift);
    // The source row of x, or -1 when this output row lies in the padding of an outer axis.
    let rest = row;
    let source = 0;
    let stride = inWidth;
    for (let d = last - 1; d >= 0; d--) {
      const extent = load<i32>(outShape + (<usize>d << 2));
      const coordinate = rest % extent - load<i32>(before + (<usize>d << 2));
      rest /= extent;
      const inExtent = load<i32>(inShape + (<usize>d << 2));
      if (coordinate < 0 || coordinate >= inExtent) {
        source = -1;
        break;
      }
      source += coordinate * stride;
      stride *= inExtent;
    }
    if (source < 0) {
      fillRun(shift, out, value, width);
      continue;
    }
    fillRun(shift, out, value, left);
    memory.copy(out + (<usize>left << shift), src + (<usize>source << shift), <usize>inWidth << shift);
    fillRun(shift, out + (<usize>(left + inWidth) << shift), value, width - left - inWidth);
  }
}
