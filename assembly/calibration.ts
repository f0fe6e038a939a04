// Benchmark calibration: the SIMD128 multiply-add throughput of this CPU. Twelve independent
// accumulators each take acc = acc + x * y per iteration, the GEMM pattern without memory
// traffic; 96 FLOP per iteration.
export function simdPeak(iterations: i32): f32 {
  const y = f32x4.splat(0.999999);
  const x0 = f32x4.splat(1e-7), x1 = f32x4.splat(2e-7), x2 = f32x4.splat(3e-7);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  let a8 = f32x4.splat(0), a9 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
  for (let i = 0; i < iterations; i++) {
    a0 = f32x4.add(a0, f32x4.mul(x0, y)); a1 = f32x4.add(a1, f32x4.mul(x1, y)); a2 = f32x4.add(a2, f32x4.mul(x2, y));
    a3 = f32x4.add(a3, f32x4.mul(x0, y)); a4 = f32x4.add(a4, f32x4.mul(x1, y)); a5 = f32x4.add(a5, f32x4.mul(x2, y));
    a6 = f32x4.add(a6, f32x4.mul(x0, y)); a7 = f32x4.add(a7, f32x4.mul(x1, y)); a8 = f32x4.add(a8, f32x4.mul(x2, y));
    a9 = f32x4.add(a9, f32x4.mul(x0, y)); a10 = f32x4.add(a10, f32x4.mul(x1, y)); a11 = f32x4.add(a11, f32x4.mul(x2, y));
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)));
  return f32x4.extract_lane(t, 0);
}
