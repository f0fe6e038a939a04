// Batched matrix product with the canonical order of src/primitives/matmul.ts: every output
// c[i][j] = (((0 + a[i][0] b[0][j]) + a[i][1] b[1][j]) + ...), each product and sum rounded to
// float32. The 4 x 8 register tile computes 32 such sums side by side, adding term p to each
// before term p + 1; k is blocked in steps of KC by storing the partial sums in C and continuing
// from them, which keeps the order. Packing and tiling only move data.
import { canonical, canonicalX4 } from './portable';

const MR = 4;
const NR = 8;
const KC = 256;

@inline function kernel4x8(ap: usize, bp: usize, c: usize, ldc: i32, kc: i32, first: bool): void {
  const row = <usize>ldc << 2;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (!first) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c + row); c11 = v128.load(c + row, 16);
    c20 = v128.load(c + 2 * row); c21 = v128.load(c + 2 * row, 16);
    c30 = v128.load(c + 3 * row); c31 = v128.load(c + 3 * row, 16);
  }
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(ap, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    ap += 16;
    bp += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + row, c10); v128.store(c + row, c11, 16);
  v128.store(c + 2 * row, c20); v128.store(c + 2 * row, c21, 16);
  v128.store(c + 3 * row, c30); v128.store(c + 3 * row, c31, 16);
}

/** B[p0 .. p0 + kc, 0 .. n] into panels of NR columns, [panel][p][NR], zero-padded. */
function packB(b: usize, transB: bool, k: i32, n: i32, p0: i32, kc: i32, bpack: usize): void {
  for (let j = 0; j < n; j += NR) {
    const nr = min(NR, n - j);
    const panel = bpack + (<usize>((j / NR) * kc * NR) << 2);
    for (let p = 0; p < kc; p++) {
      const dst = panel + (<usize>(p * NR) << 2);
      if (!transB && nr == NR) {
        const src = b + (<usize>((p0 + p) * n + j) << 2);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        continue;
      }
      for (let q = 0; q < NR; q++) {
        let v: f32 = 0;
        if (q < nr) v = transB ? load<f32>(b + (<usize>((j + q) * k + p0 + p) << 2)) : load<f32>(b + (<usize>((p0 + p) * n + j + q) << 2));
        store<f32>(dst + (<usize>q << 2), v);
      }
    }
  }
}

/** A[i .. i + mr, p0 .. p0 + kc] as [p][MR], zero-padded rows. */
function packA(a: usize, transA: bool, m: i32, k: i32, i: i32, mr: i32, p0: i32, kc: i32, apack: usize): void {
  let p = 0;
  if (mr == MR && transA) {
    // The four rows' values at step p are adjacent in A's transpose.
    for (; p < kc; p++) v128.store(apack + (<usize>(p * MR) << 2), v128.load(a + (<usize>((p0 + p) * m + i) << 2)));
    return;
  }
  if (mr == MR) {
    // Four steps of four rows at once: a 4 x 4 block of A transposed in registers.
    const r0 = a + (<usize>(i * k + p0) << 2), stride = <usize>k << 2;
    for (; p + 4 <= kc; p += 4) {
      const at = <usize>p << 2;
      const x0 = v128.load(r0 + at), x1 = v128.load(r0 + stride + at);
      const x2 = v128.load(r0 + 2 * stride + at), x3 = v128.load(r0 + 3 * stride + at);
      const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
      const dst = apack + (<usize>(p * MR) << 2);
      v128.store(dst, v128.shuffle<i64>(t0, t1, 0, 2));
      v128.store(dst, v128.shuffle<i64>(t0, t1, 1, 3), 16);
      v128.store(dst, v128.shuffle<i64>(t2, t3, 0, 2), 32);
      v128.store(dst, v128.shuffle<i64>(t2, t3, 1, 3), 48);
    }
  }
  for (; p < kc; p++) {
    for (let r = 0; r < MR; r++) {
      let v: f32 = 0;
      if (r < mr) v = transA ? load<f32>(a + (<usize>((p0 + p) * m + i + r) << 2)) : load<f32>(a + (<usize>((i + r) * k + p0 + p) << 2));
      store<f32>(apack + (<usize>(p * MR + r) << 2), v);
    }
  }
}

/** Bytes of scratch one thread needs for these dimensions. */
export function matmulScratchBytes(k: i32, n: i32): i32 {
  const kc = min(KC, k);
  const panels = (n + NR - 1) / NR;
  return (MR * kc + panels * kc * NR + MR * NR) * 4 + 64;
}

/**
 * The epilogue on rows [r0, r1) of C: with a bias (non-zero pointer), c = c + bias[j] (one
 * float32 addition) and relu (x > 0 or NaN ? x : +0) when asked, the same operations as the
 * composed add and relu; then every NaN made canonical (one NaN).
 */
function epilogue(c: usize, n: i32, r0: i32, r1: i32, bias: usize, relu: bool): void {
  const zero = f32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    const row = c + (<usize>(r * n) << 2);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let v = v128.load(row + (<usize>j << 2));
      if (bias != 0) v = f32x4.add(v, v128.load(bias + (<usize>j << 2)));
      if (relu) v = v128.bitselect(v, zero, v128.or(f32x4.gt(v, zero), f32x4.ne(v, v)));
      v128.store(row + (<usize>j << 2), canonicalX4(v));
    }
    for (; j < n; j++) {
      let v = load<f32>(row + (<usize>j << 2));
      if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
      if (relu && !(v > 0 || v != v)) v = 0;
      store<f32>(row + (<usize>j << 2), canonical(v));
    }
  }
}

/**
 * C[batch] = op(A[batch]) . op(B[batch]) for the global rows (batch * m + i) in
 * [rowStart, rowEnd). offsets holds, per batch, the element offsets of A's and B's matrices
 * (broadcast batches repeat an offset). k must be positive. The epilogue (the fused dense bias
 * and relu, and canonical NaNs) follows on the same rows.
 */
export function matmul(a: usize, b: usize, c: usize, offsets: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool, bias: usize, relu: bool, rowStart: i32, rowEnd: i32, scratch: usize): void {
  const apack = (scratch + 15) & ~15;
  const tile = apack + (<usize>(MR * min(KC, k)) << 2);
  const bpack = tile + (<usize>(MR * NR) << 2);
  let row = rowStart;
  while (row < rowEnd) {
    const batch = row / m;
    const r0 = row - batch * m;
    const r1 = min(m, r0 + (rowEnd - row));
    const aBatch = a + (<usize>load<i32>(offsets + (<usize>batch << 3)) << 2);
    const bBatch = b + (<usize>load<i32>(offsets + (<usize>batch << 3), 4) << 2);
    const cBatch = c + (<usize>(batch * m * n) << 2);
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      const first = p0 == 0;
      packB(bBatch, transB, k, n, p0, kc, bpack);
      for (let i = r0; i < r1; i += MR) {
        const mr = min(MR, r1 - i);
        packA(aBatch, transA, m, k, i, mr, p0, kc, apack);
        for (let j = 0; j < n; j += NR) {
          const nr = min(NR, n - j);
          const panel = bpack + (<usize>((j / NR) * kc * NR) << 2);
          const out = cBatch + (<usize>(i * n + j) << 2);
          if (mr == MR && nr == NR) {
            kernel4x8(apack, panel, out, n, kc, first);
            continue;
          }
          // Edge tile: run the same kernel on a padded copy, keep the valid part.
          if (!first) {
            for (let r = 0; r < mr; r++) {
              for (let q = 0; q < nr; q++) store<f32>(tile + (<usize>(r * NR + q) << 2), load<f32>(out + (<usize>(r * n + q) << 2)));
            }
          }
          kernel4x8(apack, panel, tile, NR, kc, first);
          for (let r = 0; r < mr; r++) {
            for (let q = 0; q < nr; q++) store<f32>(out + (<usize>(r * n + q) << 2), load<f32>(tile + (<usize>(r * NR + q) << 2)));
          }
        }
      }
    }
    epilogue(cBatch, n, r0, r1, bias, relu);
    row += r1 - r0;
  }
}
