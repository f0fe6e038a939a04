/**
 * The SIMD128 multiply-add limit of one core, for the benchmark: 12 independent chains
 * a = a * y + x of f32x4 (separate mul and add, as every kernel here). Each step depends on the
 * previous one, so no compiler can hoist or fold any of it; 12 chains cover the latency of a
 * multiply followed by an add on CPUs that issue two multiplies and two adds per cycle, and
 * 14 live vectors fit in x86's sixteen registers without spills. Each iteration executes 12
 * f32x4 multiplies and 12 f32x4 adds: 96 float operations.
 */
export function simdPeak(iterations: i32): f32 {
  const y = f32x4.splat(0.999999);
  const x = f32x4.splat(1e-7);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(1), a2 = f32x4.splat(2), a3 = f32x4.splat(3), a4 = f32x4.splat(4), a5 = f32x4.splat(5), a6 = f32x4.splat(6), a7 = f32x4.splat(7), a8 = f32x4.splat(8), a9 = f32x4.splat(9), a10 = f32x4.splat(10), a11 = f32x4.splat(11);
  for (let i = 0; i < iterations; i++) {
    a0 = f32x4.add(f32x4.mul(a0, y), x);
    a1 = f32x4.add(f32x4.mul(a1, y), x);
    a2 = f32x4.add(f32x4.mul(a2, y), x);
    a3 = f32x4.add(f32x4.mul(a3, y), x);
    a4 = f32x4.add(f32x4.mul(a4, y), x);
    a5 = f32x4.add(f32x4.mul(a5, y), x);
    a6 = f32x4.add(f32x4.mul(a6, y), x);
    a7 = f32x4.add(f32x4.mul(a7, y), x);
    a8 = f32x4.add(f32x4.mul(a8, y), x);
    a9 = f32x4.add(f32x4.mul(a9, y), x);
    a10 = f32x4.add(f32x4.mul(a10, y), x);
    a11 = f32x4.add(f32x4.mul(a11, y), x);
  }
  let s = a0;
  s = f32x4.add(s, a1);
  s = f32x4.add(s, a2);
  s = f32x4.add(s, a3);
  s = f32x4.add(s, a4);
  s = f32x4.add(s, a5);
  s = f32x4.add(s, a6);
  s = f32x4.add(s, a7);
  s = f32x4.add(s, a8);
  s = f32x4.add(s, a9);
  s = f32x4.add(s, a10);
  s = f32x4.add(s, a11);
  return f32x4.extract_lane(s, 0);
}
