/**
 * The TypeScript half of the portable dialect in which verbatim's scalar numerics are written
 * once (src/numerics/f32math.ts, src/numerics/scalar.ts) and compiled twice: by tsc for the
 * reference backend, and by AssemblyScript for the WASM kernels (scripts/build-kernels.mjs
 * copies those files into assembly/generated/, where assembly/portable.ts is this file's other
 * half and f32/i32/u32 are AssemblyScript's own types).
 *
 * The rules of the dialect, which make both compilations perform the same binary32 operations:
 * - every float operation's result is wrapped in f32(...) (a no-op in AssemblyScript, where f32
 *   arithmetic is already binary32; Math.fround here, which rounds the exact float64 result of
 *   + - * / or sqrt of two float32 values once, giving the binary32 result);
 * - integers are i32/u32 values that never leave their range except where wrapped by i32(...);
 *   float-to-integer conversions (i32 of a float) only apply to values in range;
 * - rounding, bit casts and IEEE operations come from the helpers below, never from Math.
 */
export type f32 = number;
export const f32 = Math.fround;

export type i32 = number;
/** Truncates toward zero and wraps to 32 bits (only used on values already in range). */
export function i32(x: number): i32 {
  return x | 0;
}

export type f64 = number;
export function f64(x: number): f64 {
  return x;
}

export type u32 = number;
export function u32(x: number): u32 {
  return x >>> 0;
}

const bitsView = new Float32Array(1);
const bitsWords = new Uint32Array(bitsView.buffer);

export function floatToBits(x: f32): u32 {
  bitsView[0] = x;
  return bitsWords[0]!;
}

export function bitsToFloat(bits: u32): f32 {
  bitsWords[0] = bits >>> 0;
  return bitsView[0]!;
}

/** IEEE operations, exact on float32 values (their results are representable or correctly rounded). */
export const floorf: (x: f32) => f32 = Math.floor;
export const ceilf: (x: f32) => f32 = Math.ceil;
export const absf: (x: f32) => f32 = Math.abs;
export const truncf: (x: f32) => f32 = Math.trunc;
export const floorf64: (x: f64) => f64 = Math.floor;

export function sqrtf(x: f32): f32 {
  return Math.fround(Math.sqrt(x));
}

/** IEEE roundToIntegralTiesToEven (WebAssembly's f32.nearest); a zero result keeps x's sign. */
export function nearestf(x: f32): f32 {
  const r = Math.floor(x);
  const d = x - r;
  const rounded = d > 0.5 || (d === 0.5 && r % 2 !== 0) ? r + 1 : r;
  return rounded === 0 ? x * 0 : rounded;
}

/** Two's complement 32-bit product. */
export const imul: (a: i32, b: i32) => i32 = Math.imul;
