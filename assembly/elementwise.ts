// Elementwise kernels. Each output element is the scalar function that the primitive's record
// names (src/numerics/scalar.ts, compiled into assembly/generated/), reached through the
// generated opcode switches; SIMD only processes four independent elements at once. Every
// float32 stored is canonical (one NaN).
import {
  binaryF32, binaryF32HasSimd, binaryF32x4, binaryI32, compare, compareF32HasSimd, compareF32x4, compareI32HasSimd, compareI32x4, unaryBool, unaryF32 as unaryF32Scalar,
  unaryF32HasSimd, unaryF32x4, unaryI32 as unaryI32Scalar,
} from './generated/dispatch';
import { canonical, canonicalX4 } from './portable';

// ---- Unary ----

export function unaryF32(code: i32, x: usize, y: usize, start: i32, end: i32): void {
  let i = start;
  if (unaryF32HasSimd(code)) {
    for (; i + 4 <= end; i += 4) v128.store(y + (<usize>i << 2), canonicalX4(unaryF32x4(code, v128.load(x + (<usize>i << 2)))));
  }
  for (; i < end; i++) store<f32>(y + (<usize>i << 2), canonical(unaryF32Scalar(code, load<f32>(x + (<usize>i << 2)))));
}

export function unaryI32(code: i32, x: usize, y: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) store<i32>(y + (<usize>i << 2), unaryI32Scalar(code, load<i32>(x + (<usize>i << 2))));
}

export function unaryU8(code: i32, x: usize, y: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) store<u8>(y + i, <u8>unaryBool(code, load<u8>(x + i)));
}

// ---- Binary, on shapes collapsed to [d0, d1, d2, d3] with per-operand element strides ----

/** Kinds of binary kernel: arithmetic on float32 or int32, or a comparison of float32, int32 or bool operands. */
const F32 = 0;
const I32 = 1;
const COMPARE_F32 = 2;
const COMPARE_I32 = 3;

@inline function operand(kind: i32, p: usize, i: i32, stride: i32): f64 {
  if (kind == COMPARE_F32) return <f64>load<f32>(p + (<usize>(i * stride) << 2));
  if (kind == COMPARE_I32) return <f64>load<i32>(p + (<usize>(i * stride) << 2));
  return <f64>load<u8>(p + <usize>(i * stride));
}

/** Four 4-byte lanes from element i of an operand of stride 0 (one value) or 1. */
@inline function lanes(p: usize, i: i32, stride: i32): v128 {
  return stride == 0 ? v128.load32_splat(p) : v128.load(p + (<usize>i << 2));
}

/**
 * Comparisons of 4-byte operands of stride 0 or 1, sixteen at a time (lane masks of -1 or 0
 * narrowed to bytes 1 or 0) over the longest multiple of sixteen of n, which it returns.
 */
@inline function compareRun(code: i32, int32: bool, a: usize, b: usize, out: usize, n: i32, sa: i32, sb: i32): i32 {
  const one = i8x16.splat(1);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const m0 = compareLanes(code, int32, a, b, i, sa, sb);
    const m1 = compareLanes(code, int32, a, b, i + 4, sa, sb);
    const m2 = compareLanes(code, int32, a, b, i + 8, sa, sb);
    const m3 = compareLanes(code, int32, a, b, i + 12, sa, sb);
    const bytes = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
    v128.store(out + i, v128.and(bytes, one));
  }
  return i;
}

@inline function compareLanes(code: i32, int32: bool, a: usize, b: usize, i: i32, sa: i32, sb: i32): v128 {
  return int32 ? compareI32x4(code, lanes(a, i, sa), lanes(b, i, sb)) : compareF32x4(code, lanes(a, i, sa), lanes(b, i, sb));
}

function binaryRow(code: i32, kind: i32, a: usize, b: usize, out: usize, n: i32, sa: i32, sb: i32): void {
  if (kind >= COMPARE_F32) {
    let i = 0;
    if (<u32>sa <= 1 && <u32>sb <= 1) {
      if (kind == COMPARE_F32 && compareF32HasSimd(code)) i = compareRun(code, false, a, b, out, n, sa, sb);
      else if (kind == COMPARE_I32 && compareI32HasSimd(code)) i = compareRun(code, true, a, b, out, n, sa, sb);
    }
    for (; i < n; i++) store<u8>(out + i, <u8>compare(code, operand(kind, a, i, sa), operand(kind, b, i, sb)));
    return;
  }
  if (kind == I32) {
    for (let i = 0; i < n; i++) {
      store<i32>(out + (<usize>i << 2), binaryI32(code, load<i32>(a + (<usize>(i * sa) << 2)), load<i32>(b + (<usize>(i * sb) << 2))));
    }
    return;
  }
  let i = 0;
  if (binaryF32HasSimd(code)) {
    if (sa == 1 && sb == 1) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, canonicalX4(binaryF32x4(code, v128.load(a + o), v128.load(b + o))));
      }
    } else if (sa == 1 && sb == 0) {
      const vb = v128.load32_splat(b);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, canonicalX4(binaryF32x4(code, v128.load(a + o), vb)));
      }
    } else if (sa == 0 && sb == 1) {
      const va = v128.load32_splat(a);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, canonicalX4(binaryF32x4(code, va, v128.load(b + o))));
      }
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), canonical(binaryF32(code, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2)))));
  }
}

/**
 * out[i0, i1, i2, i3] = op(a[...], b[...]) over the collapsed shape; rows (i0, i1, i2) in
 * [rowStart, rowEnd) so that threads split independent outputs. geometry holds 12 i32:
 * d0..d3, a strides s0..s3, b strides s0..s3 (elements). kind: F32, I32 (the family 'binary'
 * opcodes) or COMPARE_F32, COMPARE_I32, COMPARE_U8 (the family 'compare' opcodes).
 */
export function binary(code: i32, kind: i32, a: usize, b: usize, out: usize, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const d1 = load<i32>(geometry, 4), d2 = load<i32>(geometry, 8), d3 = load<i32>(geometry, 12);
  const a0 = load<i32>(geometry, 16), a1 = load<i32>(geometry, 20), a2 = load<i32>(geometry, 24), a3 = load<i32>(geometry, 28);
  const b0 = load<i32>(geometry, 32), b1 = load<i32>(geometry, 36), b2 = load<i32>(geometry, 40), b3 = load<i32>(geometry, 44);
  const inBytes = kind == F32 || kind == I32 || kind == COMPARE_F32 || kind == COMPARE_I32 ? 2 : 0;
  const outBytes = kind >= COMPARE_F32 ? 0 : 2;
  for (let row = rowStart; row < rowEnd; row++) {
    const i2 = row % d2;
    const i1 = (row / d2) % d1;
    const i0 = row / (d1 * d2);
    const ao = <usize>(i0 * a0 + i1 * a1 + i2 * a2) << inBytes;
    const bo = <usize>(i0 * b0 + i1 * b1 + i2 * b2) << inBytes;
    binaryRow(code, kind, a + ao, b + bo, out + (<usize>(row * d3) << outBytes), d3, a3, b3);
  }
}

/**
 * binary on one collapsed row of elements (strides sa, sb of 0 or 1), elements [start, end):
 * threads split a single long row, which `binary` cannot.
 */
export function binaryFlat(code: i32, kind: i32, a: usize, b: usize, out: usize, sa: i32, sb: i32, start: i32, end: i32): void {
  const inBytes = kind == F32 || kind == I32 || kind == COMPARE_F32 || kind == COMPARE_I32 ? 2 : 0;
  const outBytes = kind >= COMPARE_F32 ? 0 : 2;
  binaryRow(code, kind, a + (<usize>(start * sa) << inBytes), b + (<usize>(start * sb) << inBytes), out + (<usize>start << outBytes), end - start, sa, sb);
}

@inline function selectLanes(a: usize, b: usize, out: usize, i: i32, sa: i32, sb: i32, mask: v128): void {
  v128.store(out + (<usize>i << 2), v128.bitselect(lanes(a, i, sa), lanes(b, i, sb), mask));
}

/**
 * out = condition ? a : b for 4-byte elements, sixteen at a time, over the longest multiple of
 * sixteen of n (returned); a and b have element stride 0 (one value) or 1, the condition 1.
 */
function selectRun32(condition: usize, a: usize, b: usize, out: usize, sa: i32, sb: i32, n: i32): i32 {
  const zero = i8x16.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const m = i8x16.ne(v128.load(condition + i), zero);
    const low = i16x8.extend_low_i8x16_s(m);
    const high = i16x8.extend_high_i8x16_s(m);
    selectLanes(a, b, out, i, sa, sb, i32x4.extend_low_i16x8_s(low));
    selectLanes(a, b, out, i + 4, sa, sb, i32x4.extend_high_i16x8_s(low));
    selectLanes(a, b, out, i + 8, sa, sb, i32x4.extend_low_i16x8_s(high));
    selectLanes(a, b, out, i + 12, sa, sb, i32x4.extend_high_i16x8_s(high));
  }
  return i;
}

/** select on one collapsed row (strides sc, sa, sb of 0 or 1), elements [start, end). */
export function selectFlat(elementBytes: i32, condition: usize, a: usize, b: usize, out: usize, sc: i32, sa: i32, sb: i32, start: i32, end: i32): void {
  const shift = elementBytes == 4 ? 2 : 0;
  let i = start;
  if (shift == 2 && sc == 1 && <u32>sa <= 1 && <u32>sb <= 1) {
    i += selectRun32(condition + i, a + (<usize>(i * sa) << 2), b + (<usize>(i * sb) << 2), out + (<usize>i << 2), sa, sb, end - start);
  }
  for (; i < end; i++) {
    const source = load<u8>(condition + <usize>(i * sc)) ? a + (<usize>(i * sa) << shift) : b + (<usize>(i * sb) << shift);
    if (shift == 2) store<u32>(out + (<usize>i << 2), load<u32>(source));
    else store<u8>(out + i, load<u8>(source));
  }
}

/** out = condition ? a : b on the collapsed shape; geometry: d0..d3, c, a, b strides (16 i32). */
export function select(elementBytes: i32, condition: usize, a: usize, b: usize, out: usize, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const d1 = load<i32>(geometry, 4), d2 = load<i32>(geometry, 8), d3 = load<i32>(geometry, 12);
  const shift = elementBytes == 4 ? 2 : 0;
  for (let row = rowStart; row < rowEnd; row++) {
    const i2 = row % d2;
    const i1 = (row / d2) % d1;
    const i0 = row / (d1 * d2);
    let co = i0 * load<i32>(geometry, 16) + i1 * load<i32>(geometry, 20) + i2 * load<i32>(geometry, 24);
    let ao = i0 * load<i32>(geometry, 32) + i1 * load<i32>(geometry, 36) + i2 * load<i32>(geometry, 40);
    let bo = i0 * load<i32>(geometry, 48) + i1 * load<i32>(geometry, 52) + i2 * load<i32>(geometry, 56);
    const cs = load<i32>(geometry, 28), as = load<i32>(geometry, 44), bs = load<i32>(geometry, 60);
    const o = <usize>(row * d3);
    let i = 0;
    if (shift == 2 && cs == 1 && <u32>as <= 1 && <u32>bs <= 1) {
      i = selectRun32(condition + <usize>co, a + (<usize>ao << 2), b + (<usize>bo << 2), out + (o << 2), as, bs, d3);
      co += i; ao += i * as; bo += i * bs;
    }
    for (; i < d3; i++) {
      const source = load<u8>(condition + <usize>co) ? a + (<usize>ao << shift) : b + (<usize>bo << shift);
      if (shift == 2) store<u32>(out + ((o + i) << 2), load<u32>(source));
      else store<u8>(out + o + i, load<u8>(source));
      co += cs; ao += as; bo += bs;
    }
  }
}

/** Casts between dtypes (0 float32, 1 int32, 2 bool) with the reference's semantics. */
export function cast(from: i32, to: i32, x: usize, y: usize, start: i32, end: i32): void {
  let i = start;
  if (from == 2 && to == 0) {
    // bool to float32, sixteen at a time: bytes 0 or 1 widened to integers, converted exactly.
    for (; i + 16 <= end; i += 16) {
      const bytes = v128.load(x + i);
      const low = i16x8.extend_low_i8x16_u(bytes);
      const high = i16x8.extend_high_i8x16_u(bytes);
      const o = y + (<usize>i << 2);
      v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(low)));
      v128.store(o + 16, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(low)));
      v128.store(o + 32, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(high)));
      v128.store(o + 48, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(high)));
    }
  }
  for (; i < end; i++) {
    let v: f64;
    if (from == 0) v = load<f32>(x + (<usize>i << 2));
    else if (from == 1) v = load<i32>(x + (<usize>i << 2));
    else v = load<u8>(x + i);
    if (to == 2) store<u8>(y + i, v != 0 ? 1 : 0);
    else if (to == 1) store<i32>(y + (<usize>i << 2), v != v ? 0 : v >= 2147483647 ? i32.MAX_VALUE : v <= -2147483648 ? i32.MIN_VALUE : <i32>v);
    else store<f32>(y + (<usize>i << 2), <f32>v);
  }
}
