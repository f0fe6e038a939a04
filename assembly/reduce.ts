// Reductions over the middle axis of a [outer, r, inner] view. Each output (o, i) combines its
// r inputs one at a time in increasing index from the identity (src/primitives/reduce.ts);
// SIMD runs four neighbouring outputs (i .. i + 3) side by side, never splitting a sum.
// Codes: 0 sum, 1 prod, 2 max, 3 min.

@inline function combineF32(code: i32, acc: f32, x: f32): f32 {
  switch (code) {
    case 0: return acc + x;
    case 1: return acc * x;
    case 2: return x > acc || x != x ? x : acc;
    default: return x < acc || x != x ? x : acc;
  }
}

@inline function combineVector(code: i32, acc: v128, x: v128): v128 {
  switch (code) {
    case 0: return f32x4.add(acc, x);
    case 1: return f32x4.mul(acc, x);
    case 2: return v128.bitselect(x, acc, v128.or(f32x4.gt(x, acc), f32x4.ne(x, x)));
    default: return v128.bitselect(x, acc, v128.or(f32x4.lt(x, acc), f32x4.ne(x, x)));
  }
}

@inline function identity(code: i32): f32 {
  return code == 0 ? 0 : code == 1 ? 1 : code == 2 ? -Infinity : Infinity;
}

/** Outputs with outer index in [outerStart, outerEnd). */
export function reduceF32(code: i32, x: usize, out: usize, r: i32, inner: i32, outerStart: i32, outerEnd: i32): void {
  for (let o = outerStart; o < outerEnd; o++) {
    const base = x + (<usize>(o * r * inner) << 2);
    const dst = out + (<usize>(o * inner) << 2);
    let i = 0;
    for (; i + 4 <= inner; i += 4) {
      let acc = f32x4.splat(identity(code));
      for (let k = 0; k < r; k++) acc = combineVector(code, acc, v128.load(base + (<usize>(k * inner + i) << 2)));
      v128.store(dst + (<usize>i << 2), acc);
    }
    for (; i < inner; i++) {
      let acc = identity(code);
      for (let k = 0; k < r; k++) acc = combineF32(code, acc, load<f32>(base + (<usize>(k * inner + i) << 2)));
      store<f32>(dst + (<usize>i << 2), acc);
    }
  }
}

export function reduceI32(code: i32, x: usize, out: usize, r: i32, inner: i32, outerStart: i32, outerEnd: i32): void {
  for (let o = outerStart; o < outerEnd; o++) {
    for (let i = 0; i < inner; i++) {
      let acc: i32 = code == 0 ? 0 : code == 1 ? 1 : code == 2 ? i32.MIN_VALUE : i32.MAX_VALUE;
      for (let k = 0; k < r; k++) {
        const v = load<i32>(x + (<usize>((o * r + k) * inner + i) << 2));
        acc = code == 0 ? acc + v : code == 1 ? acc * v : code == 2 ? (v > acc ? v : acc) : (v < acc ? v : acc);
      }
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
    for (let i = 0; i < inner; i++) {
      let best: f64 = 0;
      let index = 0;
      for (let k = 0; k < r; k++) {
        const at = x + (<usize>((o * r + k) * inner + i) << 2);
        const v: f64 = dtype == 0 ? <f64>load<f32>(at) : <f64>load<i32>(at);
        if (k == 0 || (best == best && (v != v || (max ? v > best : v < best)))) {
          best = v;
          index = k;
        }
      }
      store<i32>(out + (<usize>(o * inner + i) << 2), index);
    }
  }
}
