// Elementwise kernels. Each output element is the scalar function of src/primitives/elementwise.ts
// applied to its inputs; SIMD only processes four independent elements at once. Op codes follow
// the order of UNARY_OPS / BINARY_OPS in src/backends/wasm/opcodes.ts.
import { erff, expf, expm1f, log1pf, logf, powf, sigmoidf, softplusf, tanhf } from './math';

// ---- Unary ----

@inline function unaryScalar(code: i32, x: f32): f32 {
  switch (code) {
    case 0: return -x;
    case 1: return Mathf.abs(x);
    case 2: return x > 0 ? 1 : x < 0 ? -1 : x;
    case 3: return Mathf.sqrt(x);
    case 4: return expf(x);
    case 5: return expm1f(x);
    case 6: return logf(x);
    case 7: return log1pf(x);
    case 8: return tanhf(x);
    case 9: return sigmoidf(x);
    case 10: return softplusf(x);
    case 11: return erff(x);
    case 12: return x > 0 || x != x ? x : 0;
    case 13: return Mathf.floor(x);
    case 14: return Mathf.ceil(x);
    case 15: return f32.nearest(x);
    default: return NaN;
  }
}

/** SIMD forms of the unary ops that have one; -1 where the scalar loop must be used. */
@inline function unaryVector(code: i32, x: v128): v128 {
  switch (code) {
    case 0: return f32x4.neg(x);
    case 1: return f32x4.abs(x);
    case 3: return f32x4.sqrt(x);
    case 12: return v128.bitselect(x, f32x4.splat(0), v128.or(f32x4.gt(x, f32x4.splat(0)), f32x4.ne(x, x)));
    case 13: return f32x4.floor(x);
    case 14: return f32x4.ceil(x);
    case 15: return f32x4.nearest(x);
    default: return x;
  }
}

@inline function hasVector(code: i32): bool {
  return code == 0 || code == 1 || code == 3 || code == 12 || code == 13 || code == 14 || code == 15;
}

export function unaryF32(code: i32, x: usize, y: usize, start: i32, end: i32): void {
  let i = start;
  if (hasVector(code)) {
    for (; i + 4 <= end; i += 4) v128.store(y + (<usize>i << 2), unaryVector(code, v128.load(x + (<usize>i << 2))));
  }
  for (; i < end; i++) store<f32>(y + (<usize>i << 2), unaryScalar(code, load<f32>(x + (<usize>i << 2))));
}

export function unaryI32(code: i32, x: usize, y: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    const v = load<i32>(x + (<usize>i << 2));
    let r: i32;
    switch (code) {
      case 0: r = -v; break;
      case 1: r = v < 0 ? -v : v; break;
      case 2: r = v > 0 ? 1 : v < 0 ? -1 : 0; break;
      default: r = v > 0 ? v : 0;
    }
    store<i32>(y + (<usize>i << 2), r);
  }
}

export function logicalNot(x: usize, y: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) store<u8>(y + i, load<u8>(x + i) ? 0 : 1);
}

// ---- Binary, on shapes collapsed to [d0, d1, d2, d3] with per-operand element strides ----

@inline function binaryF32Scalar(code: i32, a: f32, b: f32): f32 {
  switch (code) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return a > b || a != a ? a : b;
    case 5: return a < b || a != a ? a : b;
    default: return powf(a, b);
  }
}

@inline function binaryF32Vector(code: i32, a: v128, b: v128): v128 {
  switch (code) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 4: return v128.bitselect(a, b, v128.or(f32x4.gt(a, b), f32x4.ne(a, a)));
    default: return v128.bitselect(a, b, v128.or(f32x4.lt(a, b), f32x4.ne(a, a)));
  }
}

@inline function compare(code: i32, a: f64, b: f64): u8 {
  switch (code) {
    case 7: return a > b ? 1 : 0;
    case 8: return a >= b ? 1 : 0;
    case 9: return a < b ? 1 : 0;
    case 10: return a <= b ? 1 : 0;
    case 11: return a == b ? 1 : 0;
    case 12: return a != b ? 1 : 0;
    case 13: return a != 0 && b != 0 ? 1 : 0;
    default: return a != 0 || b != 0 ? 1 : 0;
  }
}

function floorDiv(a: i32, b: i32): i32 {
  if (b == 0) return 0;
  if (b == -1) return -a;
  let q = a / b;
  if (a % b != 0 && (a < 0) != (b < 0)) q--;
  return q;
}

function intPow(a: i32, b: i32): i32 {
  if (b < 0) return a == 1 ? 1 : a == -1 ? (b % 2 == 0 ? 1 : -1) : 0;
  let r = 1;
  for (let i = 0; i < b; i++) r *= a;
  return r;
}

@inline function binaryI32Scalar(code: i32, a: i32, b: i32): i32 {
  switch (code) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return floorDiv(a, b);
    case 4: return a > b ? a : b;
    case 5: return a < b ? a : b;
    default: return intPow(a, b);
  }
}

/** Input dtype: 0 float32, 1 int32, 2 bool. Codes 0-6 write the input dtype, 7-14 write bool. */
function binaryRow(code: i32, dtype: i32, a: usize, b: usize, out: usize, n: i32, sa: i32, sb: i32): void {
  if (code >= 7) {
    for (let i = 0; i < n; i++) {
      let x: f64, y: f64;
      if (dtype == 0) { x = load<f32>(a + (<usize>(i * sa) << 2)); y = load<f32>(b + (<usize>(i * sb) << 2)); }
      else if (dtype == 1) { x = load<i32>(a + (<usize>(i * sa) << 2)); y = load<i32>(b + (<usize>(i * sb) << 2)); }
      else { x = load<u8>(a + <usize>(i * sa)); y = load<u8>(b + <usize>(i * sb)); }
      store<u8>(out + i, compare(code, x, y));
    }
    return;
  }
  if (dtype == 1) {
    for (let i = 0; i < n; i++) {
      store<i32>(out + (<usize>i << 2), binaryI32Scalar(code, load<i32>(a + (<usize>(i * sa) << 2)), load<i32>(b + (<usize>(i * sb) << 2))));
    }
    return;
  }
  let i = 0;
  if (code != 6) {
    if (sa == 1 && sb == 1) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, binaryF32Vector(code, v128.load(a + o), v128.load(b + o)));
      }
    } else if (sa == 1 && sb == 0) {
      const vb = v128.load32_splat(b);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, binaryF32Vector(code, v128.load(a + o), vb));
      }
    } else if (sa == 0 && sb == 1) {
      const va = v128.load32_splat(a);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, binaryF32Vector(code, va, v128.load(b + o)));
      }
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), binaryF32Scalar(code, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2))));
  }
}

/**
 * out[i0, i1, i2, i3] = op(a[...], b[...]) over the collapsed shape; rows (i0, i1, i2) in
 * [rowStart, rowEnd) so that threads split independent outputs. geometry holds 12 i32:
 * d0..d3, a strides s0..s3, b strides s0..s3 (elements).
 */
export function binary(code: i32, dtype: i32, a: usize, b: usize, out: usize, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const d1 = load<i32>(geometry, 4), d2 = load<i32>(geometry, 8), d3 = load<i32>(geometry, 12);
  const a0 = load<i32>(geometry, 16), a1 = load<i32>(geometry, 20), a2 = load<i32>(geometry, 24), a3 = load<i32>(geometry, 28);
  const b0 = load<i32>(geometry, 32), b1 = load<i32>(geometry, 36), b2 = load<i32>(geometry, 40), b3 = load<i32>(geometry, 44);
  const inBytes = dtype == 2 ? 0 : 2;
  const outBytes = code >= 7 ? 0 : inBytes;
  for (let row = rowStart; row < rowEnd; row++) {
    const i2 = row % d2;
    const i1 = (row / d2) % d1;
    const i0 = row / (d1 * d2);
    const ao = <usize>(i0 * a0 + i1 * a1 + i2 * a2) << inBytes;
    const bo = <usize>(i0 * b0 + i1 * b1 + i2 * b2) << inBytes;
    binaryRow(code, dtype, a + ao, b + bo, out + (<usize>(row * d3) << outBytes), d3, a3, b3);
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
    for (let i = 0; i < d3; i++) {
      const source = load<u8>(condition + <usize>co) ? a + (<usize>ao << shift) : b + (<usize>bo << shift);
      if (shift == 2) store<u32>(out + ((o + i) << 2), load<u32>(source));
      else store<u8>(out + o + i, load<u8>(source));
      co += cs; ao += as; bo += bs;
    }
  }
}

/** Casts between dtypes (0 float32, 1 int32, 2 bool) with the reference's semantics. */
export function cast(from: i32, to: i32, x: usize, y: usize, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    let v: f64;
    if (from == 0) v = load<f32>(x + (<usize>i << 2));
    else if (from == 1) v = load<i32>(x + (<usize>i << 2));
    else v = load<u8>(x + i);
    if (to == 2) store<u8>(y + i, v != 0 && v == v ? 1 : 0);
    else if (to == 1) store<i32>(y + (<usize>i << 2), v != v ? 0 : v >= 2147483647 ? i32.MAX_VALUE : v <= -2147483648 ? i32.MIN_VALUE : <i32>v);
    else store<f32>(y + (<usize>i << 2), <f32>v);
  }
}
