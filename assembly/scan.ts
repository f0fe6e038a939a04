// Scans along the middle axis of an [outer, n, inner] view (src/primitives/scan.ts): each of the
// `inner` columns is one running sum in the scan's direction; SIMD runs four neighbouring
// columns side by side, never splitting a sum.
import { canonical, canonicalX4 } from './portable';

/** dtype 0 float32, 1 int32; outputs with outer index in [outerStart, outerEnd). */
export function cumsum(dtype: i32, x: usize, out: usize, n: i32, inner: i32, exclusive: bool, reverse: bool, outerStart: i32, outerEnd: i32): void {
  for (let o = outerStart; o < outerEnd; o++) {
    const base = <usize>(o * n * inner) << 2;
    let i = 0;
    if (dtype == 0) {
      for (; i + 4 <= inner; i += 4) {
        let acc = f32x4.splat(0);
        for (let step = 0; step < n; step++) {
          const j = reverse ? n - 1 - step : step;
          const at = base + (<usize>(j * inner + i) << 2);
          const next = f32x4.add(acc, v128.load(x + at));
          v128.store(out + at, canonicalX4(exclusive ? acc : next));
          acc = next;
        }
      }
    }
    for (; i < inner; i++) {
      let accF: f32 = 0;
      let accI: i32 = 0;
      for (let step = 0; step < n; step++) {
        const j = reverse ? n - 1 - step : step;
        const at = base + (<usize>(j * inner + i) << 2);
        if (dtype == 0) {
          const next = accF + load<f32>(x + at);
          store<f32>(out + at, canonical(exclusive ? accF : next));
          accF = next;
        } else {
          const next = accI + load<i32>(x + at);
          store<i32>(out + at, exclusive ? accI : next);
          accI = next;
        }
      }
    }
  }
}
