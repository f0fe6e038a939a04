// SIMD forms of scalar functions of src/numerics/scalar.ts, four independent lanes at once:
// `<name>x4` is lane for lane the binary32 result of `<name>`. A primitive record with
// `simd: true` binds its function's form here (the generated dispatch imports it by name).

const ZERO = f32x4.splat(0);

@inline export function negF32x4(x: v128): v128 { return f32x4.neg(x); }
@inline export function absF32x4(x: v128): v128 { return f32x4.abs(x); }
@inline export function sqrtF32x4(x: v128): v128 { return f32x4.sqrt(x); }
@inline export function reluF32x4(x: v128): v128 { return v128.bitselect(x, ZERO, v128.or(f32x4.gt(x, ZERO), f32x4.ne(x, x))); }
@inline export function floorF32x4(x: v128): v128 { return f32x4.floor(x); }
@inline export function ceilF32x4(x: v128): v128 { return f32x4.ceil(x); }
@inline export function roundF32x4(x: v128): v128 { return f32x4.nearest(x); }

@inline export function addF32x4(a: v128, b: v128): v128 { return f32x4.add(a, b); }
@inline export function subF32x4(a: v128, b: v128): v128 { return f32x4.sub(a, b); }
@inline export function mulF32x4(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
@inline export function divF32x4(a: v128, b: v128): v128 { return f32x4.div(a, b); }
@inline export function maximumF32x4(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.gt(a, b), f32x4.ne(a, a))); }
@inline export function minimumF32x4(a: v128, b: v128): v128 { return v128.bitselect(a, b, v128.or(f32x4.lt(a, b), f32x4.ne(a, a))); }

@inline export function sumF32x4(acc: v128, x: v128): v128 { return f32x4.add(acc, x); }
@inline export function prodF32x4(acc: v128, x: v128): v128 { return f32x4.mul(acc, x); }
@inline export function maxF32x4(acc: v128, x: v128): v128 { return v128.bitselect(x, acc, v128.or(f32x4.gt(x, acc), f32x4.ne(x, x))); }
@inline export function minF32x4(acc: v128, x: v128): v128 { return v128.bitselect(x, acc, v128.or(f32x4.lt(x, acc), f32x4.ne(x, x))); }

// Comparisons of float32 or int32 lanes (the scalar forms compare the same values widened to
// float64, which orders them identically): all ones where the comparison holds; NaN compares
// unequal.
@inline export function greaterCmpx4(a: v128, b: v128): v128 { return f32x4.gt(a, b); }
@inline export function greaterEqualCmpx4(a: v128, b: v128): v128 { return f32x4.ge(a, b); }
@inline export function lessCmpx4(a: v128, b: v128): v128 { return f32x4.lt(a, b); }
@inline export function lessEqualCmpx4(a: v128, b: v128): v128 { return f32x4.le(a, b); }
@inline export function equalCmpx4(a: v128, b: v128): v128 { return f32x4.eq(a, b); }
@inline export function notEqualCmpx4(a: v128, b: v128): v128 { return f32x4.ne(a, b); }
@inline export function greaterCmpI32x4(a: v128, b: v128): v128 { return i32x4.gt_s(a, b); }
@inline export function greaterEqualCmpI32x4(a: v128, b: v128): v128 { return i32x4.ge_s(a, b); }
@inline export function lessCmpI32x4(a: v128, b: v128): v128 { return i32x4.lt_s(a, b); }
@inline export function lessEqualCmpI32x4(a: v128, b: v128): v128 { return i32x4.le_s(a, b); }
@inline export function equalCmpI32x4(a: v128, b: v128): v128 { return i32x4.eq(a, b); }
@inline export function notEqualCmpI32x4(a: v128, b: v128): v128 { return i32x4.ne(a, b); }
