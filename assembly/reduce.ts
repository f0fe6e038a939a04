// Reductions over the middle axis of a [outer, r, inner] view. Each output (o, i) combines its
// r inputs one at a time in increasing index from the identity with the step its record names
// (src/primitives/reduce.ts, src/numerics/scalar.ts, through the generated switches); SIMD runs
// four neighbouring outputs (i .. i + 3) side by side, never splitting a sum.
import { reduceF32 as step, reduceF32HasSimd, reduceF32x4 as stepX4, reduceI32 as stepI32, reduceIdentityF32, reduceIdentityI32 } from './generated/dispatch';
import { canonical, canonicalX4 } from './portable';

/** Outputs with outer index in [outerStart, outerEnd). */
export function reduceF32(code: i32, x: usize, out: usize, r: i32, inner: i32, outerStart: i32, outerEnd: i32): void {
  const identity = reduceIdentityF32(code);
  const simd = reduceF32HasSimd(code);
  for (let o = outerStart; o < outerEnd; o++) {
    const base = x + (<usize>(o * r * inner) << 2);
    const dst = out + (<usize>(o * inner) << 2);
    let i = 0;
    if (simd) {
      for (; i + 4 <= inner; i += 4) {
        let acc = f32x4.splat(identity);
        for (let k = 0; k < r; k++) acc = stepX4(code, acc, v128.load(base + (<usize>(k * inner + i) << 2)));
        v128.store(dst + (<usize>i << 2), canonicalX4(acc));
      }
    }
    for (; i < inner; i++) {
      let acc = identity;
      for (let k = 0; k < r; k++) acc = step(code, acc, load<f32>(base + (<usize>(k * inner + i) << 2)));
      store<f32>(dst + (<usize>i << 2), canonical(acc));
    }
  }
}

export function reduceI32(code: i32, x: usize, out: usize, r: i32, inner: i32, outerStart: i32, outerEnd: i32): void {
  const identity = reduceIdentityI32(code);
  for (let o = outerStart; o < outerEnd; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = identity;
      for (let k = 0; k < r; k++) acc = stepI32(code, acc, load<i32>(x + (<usize>((o * r + k) * inner + i) << 2)));
      store<i32>(out + (<usize>(o * inner + i) << 2), acc);
    }
  }
}

/**
 * The first index of the largest (max = true) or smallest value along the middle axis; the
 * first NaN if there is one. dtype 0 float32, 1 int32.
 */
export function argReduce(max: bool, dtype: i32, x: usize, out: usize, r: i32, inner: i32, outerStart: i32, outerEnd: i32): void {
  for (let o = outerStart; o < outerEnd; o++) {
    let i = 0;
    if (dtype == 0) {
      // Four neighbouring outputs side by side: each lane keeps its own best and index.
      for (; i + 4 <= inner; i += 4) {
        const base = x + (<usize>(o * r * inner + i) << 2);
        let best = v128.load(base);
        let index = i32x4.splat(0);
        for (let k = 1; k < r; k++) {
          const v = v128.load(base + (<usize>(k * inner) << 2));
          const better = max ? f32x4.gt(v, best) : f32x4.lt(v, best);
          // Replace unless the best is already NaN; a NaN replaces a number.
          const take = v128.and(f32x4.eq(best, best), v128.or(better, f32x4.ne(v, v)));
          best = v128.bitselect(v, best, take);
          index = v128.bitselect(i32x4.splat(k), index, take);
        }
        v128.store(out + (<usize>(o * inner + i) << 2), index);
      }
    }
    for (; i < inner; i++) {
      let best: f64 = 0;
      let index = 0;
      for (let k = 0; k < r; k++) {
        const element = <usize>((o * r + k) * inner + i);
        const v: f64 = dtype == 0 ? <f64>load<f32>(x + (element << 2)) : dtype == 1 ? <f64>load<i32>(x + (element << 2)) : <f64>load<u8>(x + element);
        if (k == 0 || (best == best && (v != v || (max ? v > best : v < best)))) {
          best = v;
          index = k;
        }
      }
      store<i32>(out + (<usize>(o * inner + i) << 2), index);
    }
  }
}
