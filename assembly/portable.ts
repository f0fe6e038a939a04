// The AssemblyScript half of the portable dialect (src/numerics/portable.ts is the TypeScript
// half): the helpers that the shared scalar sources in assembly/generated/ call. f32, i32, u32
// and f64 are AssemblyScript's own types, and f32(...) of an f32 is a no-op.

@inline export function floatToBits(x: f32): u32 {
  return reinterpret<u32>(x);
}

@inline export function bitsToFloat(bits: u32): f32 {
  return reinterpret<f32>(bits);
}

@inline export function floorf(x: f32): f32 {
  return Mathf.floor(x);
}

@inline export function ceilf(x: f32): f32 {
  return Mathf.ceil(x);
}

@inline export function absf(x: f32): f32 {
  return Mathf.abs(x);
}

@inline export function truncf(x: f32): f32 {
  return Mathf.trunc(x);
}

@inline export function floorf64(x: f64): f64 {
  return Math.floor(x);
}

@inline export function sqrtf(x: f32): f32 {
  return Mathf.sqrt(x);
}

@inline export function nearestf(x: f32): f32 {
  return f32.nearest(x);
}

@inline export function imul(a: i32, b: i32): i32 {
  return a * b;
}

/** The one NaN (NUMERICS.md): every float32 a kernel stores is x, or 0x7fc00000 if x is a NaN. */
@inline export function canonical(x: f32): f32 {
  return x != x ? reinterpret<f32>(0x7fc00000) : x;
}

@inline export function canonicalX4(x: v128): v128 {
  return v128.bitselect(i32x4.splat(0x7fc00000), x, f32x4.ne(x, x));
}
