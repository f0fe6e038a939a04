/**
 * The scalar functions of the elementwise and reduction primitives, written once in the portable
 * dialect (src/numerics/portable.ts): the reference backend maps them over tensors, and
 * scripts/build-kernels.mjs compiles the same text into the WASM kernels' generated dispatch
 * (assembly/generated/). A primitive's record names the function it uses
 * (src/primitives/elementwise.ts, reduce.ts); the build generates the opcode of each from the
 * records.
 *
 * float32 results are single binary32 operations (or f32math functions); int32 arithmetic wraps
 * modulo 2^32; comparisons take float64 operands (exact for float32, int32 and bool) and
 * return 1 or 0.
 */
import { f32, f64, i32 } from './portable.js';
import { absf, ceilf, floorf, imul, nearestf } from './portable.js';
import { atan, atan2, cos, erf, exp, expm1, log, log1p, pow, sigmoid, sin, softplus, sqrt, tanh } from './f32math.js';

// ---- float32 unary ----

export function negF32(x: f32): f32 { return -x; }
export function absF32(x: f32): f32 { return absf(x); }
/** 1, -1, or x itself for ±0 and NaN. */
export function signF32(x: f32): f32 { return x > f32(0) ? f32(1) : x < f32(0) ? f32(-1) : x; }
export function sqrtF32(x: f32): f32 { return sqrt(x); }
export function expF32(x: f32): f32 { return exp(x); }
export function expm1F32(x: f32): f32 { return expm1(x); }
export function logF32(x: f32): f32 { return log(x); }
export function log1pF32(x: f32): f32 { return log1p(x); }
export function tanhF32(x: f32): f32 { return tanh(x); }
export function sigmoidF32(x: f32): f32 { return sigmoid(x); }
export function softplusF32(x: f32): f32 { return softplus(x); }
export function erfF32(x: f32): f32 { return erf(x); }
export function sinF32(x: f32): f32 { return sin(x); }
export function cosF32(x: f32): f32 { return cos(x); }
export function atanF32(x: f32): f32 { return atan(x); }
/** max(x, 0), propagating NaN. */
export function reluF32(x: f32): f32 { return x > f32(0) || x != x ? x : f32(0); }
export function floorF32(x: f32): f32 { return floorf(x); }
export function ceilF32(x: f32): f32 { return ceilf(x); }
/** Round half to even, as TensorFlow's round; a zero result keeps the sign of x. */
export function roundF32(x: f32): f32 { return nearestf(x); }

// ---- int32 unary (wrapping) ----

export function negI32(x: i32): i32 { return i32(-x); }
export function absI32(x: i32): i32 { return i32(x < 0 ? -x : x); }
export function signI32(x: i32): i32 { return x > 0 ? 1 : x < 0 ? -1 : 0; }
export function reluI32(x: i32): i32 { return x > 0 ? x : 0; }

// ---- bool unary ----

export function logicalNotBool(x: i32): i32 { return x != 0 ? 0 : 1; }

// ---- float32 binary ----

export function addF32(a: f32, b: f32): f32 { return f32(a + b); }
export function subF32(a: f32, b: f32): f32 { return f32(a - b); }
export function mulF32(a: f32, b: f32): f32 { return f32(a * b); }
export function divF32(a: f32, b: f32): f32 { return f32(a / b); }
/** The larger operand; NaN if either is NaN (a's NaN first). */
export function maximumF32(a: f32, b: f32): f32 { return a > b || a != a ? a : b; }
export function minimumF32(a: f32, b: f32): f32 { return a < b || a != a ? a : b; }
export function powF32(a: f32, b: f32): f32 { return pow(a, b); }
/** The angle of the point (b, a): C's atan2(a, b), TF.js's atan2(a, b). */
export function atan2F32(a: f32, b: f32): f32 { return atan2(a, b); }
/**
 * The floored remainder, TF.js's mod: r = a % b, the truncated remainder (fmod: exact, with a's
 * sign); where a and b differ in sign (-0 counting as non-negative) r + b, or a zero with b's
 * sign when r is zero. b = 0 gives NaN.
 */
export function modF32(a: f32, b: f32): f32 {
  const r: f32 = f32(a % b);
  if ((a < f32(0)) == (b < f32(0))) return r;
  if (r == f32(0)) return b < f32(0) ? f32(-0.0) : f32(0);
  return f32(r + b);
}

// ---- int32 binary (wrapping) ----

export function addI32(a: i32, b: i32): i32 { return i32(a + b); }
export function subI32(a: i32, b: i32): i32 { return i32(a - b); }
export function mulI32(a: i32, b: i32): i32 { return imul(a, b); }
/** Floor division, as TensorFlow's floorDiv for integers; division by zero gives 0. */
export function divI32(a: i32, b: i32): i32 {
  if (b == 0) return 0;
  if (b == -1) return i32(-a);
  let q: i32 = i32(a / b);
  if (a % b != 0 && (a < 0) != (b < 0)) q = q - 1;
  return q;
}
/** The floored remainder, the companion of divI32 (a = divI32(a, b) b + modI32(a, b)); b = 0 gives 0. */
export function modI32(a: i32, b: i32): i32 {
  // b = -1 divides every a (and INT_MIN % -1 traps in WebAssembly).
  if (b == 0 || b == -1) return 0;
  const r: i32 = a % b;
  return r != 0 && (r < 0) != (b < 0) ? i32(r + b) : r;
}
export function maximumI32(a: i32, b: i32): i32 { return a > b ? a : b; }
export function minimumI32(a: i32, b: i32): i32 { return a < b ? a : b; }
/**
 * a^b with wrapping multiplication, by square-and-multiply (the same product as b repeated
 * multiplications, since wrapping multiplication is associative); b < 0 gives 1/a^|b| truncated.
 */
export function powI32(a: i32, b: i32): i32 {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
  let result: i32 = 1;
  let base: i32 = a;
  let n: i32 = b;
  while (n > 0) {
    if ((n & 1) == 1) result = imul(result, base);
    n = n >> 1;
    if (n > 0) base = imul(base, base);
  }
  return result;
}

// ---- comparisons and logic (operands of any dtype as float64; result 1 or 0) ----

export function greaterCmp(a: f64, b: f64): i32 { return a > b ? 1 : 0; }
export function greaterEqualCmp(a: f64, b: f64): i32 { return a >= b ? 1 : 0; }
export function lessCmp(a: f64, b: f64): i32 { return a < b ? 1 : 0; }
export function lessEqualCmp(a: f64, b: f64): i32 { return a <= b ? 1 : 0; }
export function equalCmp(a: f64, b: f64): i32 { return a == b ? 1 : 0; }
export function notEqualCmp(a: f64, b: f64): i32 { return a != b ? 1 : 0; }
export function logicalAndCmp(a: f64, b: f64): i32 { return a != 0 && b != 0 ? 1 : 0; }
export function logicalOrCmp(a: f64, b: f64): i32 { return a != 0 || b != 0 ? 1 : 0; }

// ---- reductions: one step acc (+) x, from the identity, in the canonical order ----

export function sumF32(acc: f32, x: f32): f32 { return f32(acc + x); }
export function prodF32(acc: f32, x: f32): f32 { return f32(acc * x); }
/** The first of equal values is kept; NaN wins. */
export function maxF32(acc: f32, x: f32): f32 { return x > acc || x != x ? x : acc; }
export function minF32(acc: f32, x: f32): f32 { return x < acc || x != x ? x : acc; }
export function sumI32(acc: i32, x: i32): i32 { return i32(acc + x); }
export function prodI32(acc: i32, x: i32): i32 { return imul(acc, x); }
export function maxI32(acc: i32, x: i32): i32 { return x > acc ? x : acc; }
export function minI32(acc: i32, x: i32): i32 { return x < acc ? x : acc; }
