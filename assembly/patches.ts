// Image and volume patches (src/primitives/patches.ts). geometry holds 19 i32: D, H, W, C, OD, OH,
// OW, KD, KH, KW, the strides (d, h, w), the dilations (d, h, w), pad front, top and left. An
// image is a volume of depth 1 (D = OD = KD = 1, pad front 0).
import { fillRun } from './movement';
import { canonical, canonicalX4 } from './portable';

@inline function g(geometry: usize, index: i32): i32 {
  return load<i32>(geometry + (<usize>index << 2));
}

@inline function copyRun(shift: i32, dst: usize, src: usize, count: i32): void {
  if (count >= 16) {
    memory.copy(dst, src, <usize>count << shift);
  } else if (shift == 2) {
    for (let k = 0; k < count; k++) store<u32>(dst + (<usize>k << 2), load<u32>(src + (<usize>k << 2)));
  } else {
    for (let k = 0; k < count; k++) store<u8>(dst + k, load<u8>(src + k));
  }
}

/**
 * p[n, o, i, j, e, a, b, :] = x[n, z, y, x, :] or the constant (raw bits `value`) in the padding,
 * for the patches of output rows (n, o, i) in [rowStart, rowEnd); a kernel row without column
 * dilation is one contiguous run of the image row.
 */
export function extractPatches(elementBytes: i32, x: usize, p: usize, value: u32, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const d = g(geometry, 0), h = g(geometry, 1), w = g(geometry, 2), c = g(geometry, 3);
  const od = g(geometry, 4), oh = g(geometry, 5), ow = g(geometry, 6), kd = g(geometry, 7), kh = g(geometry, 8), kw = g(geometry, 9);
  const sd = g(geometry, 10), sh = g(geometry, 11), sw = g(geometry, 12), dd = g(geometry, 13), dh = g(geometry, 14), dw = g(geometry, 15);
  const front = g(geometry, 16), top = g(geometry, 17), left = g(geometry, 18);
  const shift = elementBytes == 4 ? 2 : 0;
  const patch = kd * kh * kw * c;
  for (let row = rowStart; row < rowEnd; row++) {
    const i = row % oh;
    const o = (row / oh) % od;
    const n = row / (oh * od);
    for (let j = 0; j < ow; j++) {
      let dst = p + (<usize>((row * ow + j) * patch) << shift);
      const x0 = j * sw - left;
      const inside = x0 >= 0 && x0 + (kw - 1) * dw < w;
      for (let e = 0; e < kd; e++) {
        const z = o * sd + e * dd - front;
        if (z < 0 || z >= d) {
          fillRun(shift, dst, value, kh * kw * c);
          dst += <usize>(kh * kw * c) << shift;
          continue;
        }
        for (let a = 0; a < kh; a++) {
          const y = i * sh + a * dh - top;
          if (y < 0 || y >= h) {
            fillRun(shift, dst, value, kw * c);
          } else {
            const line = x + (<usize>(((n * d + z) * h + y) * w) * c << shift);
            if (inside && dw == 1) {
              copyRun(shift, dst, line + (<usize>(x0 * c) << shift), kw * c);
            } else {
              for (let b = 0; b < kw; b++) {
                const xx = x0 + b * dw;
                const at = dst + (<usize>(b * c) << shift);
                if (xx >= 0 && xx < w) copyRun(shift, at, line + (<usize>(xx * c) << shift), c);
                else fillRun(shift, at, value, c);
              }
            }
          }
          dst += <usize>(kw * c) << shift;
        }
      }
    }
  }
}

/** The first patch index i >= 0 with position - i * stride <= (k - 1) * dilation. */
@inline function firstPatch(position: i32, k: i32, dilation: i32, stride: i32): i32 {
  const reach = position - (k - 1) * dilation;
  return reach <= 0 ? 0 : (reach + stride - 1) / stride;
}

/**
 * x[n, z, y, x, :] = the sum of the patch rows that read it, from +0 in increasing (o, i, j), for
 * image pixels (n, z, y, x) in [rowStart, rowEnd); SIMD adds four channels (independent outputs).
 */
export function scatterPatches(p: usize, x: usize, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const d = g(geometry, 0), h = g(geometry, 1), w = g(geometry, 2), c = g(geometry, 3);
  const od = g(geometry, 4), oh = g(geometry, 5), ow = g(geometry, 6), kd = g(geometry, 7), kh = g(geometry, 8), kw = g(geometry, 9);
  const sd = g(geometry, 10), sh = g(geometry, 11), sw = g(geometry, 12), dd = g(geometry, 13), dh = g(geometry, 14), dw = g(geometry, 15);
  const front = g(geometry, 16), top = g(geometry, 17), left = g(geometry, 18);
  const rowBytes = <usize>c << 2;
  for (let row = rowStart; row < rowEnd; row++) {
    const xx = row % w;
    const y = (row / w) % h;
    const z = (row / (w * h)) % d;
    const n = row / (w * h * d);
    const dst = x + <usize>row * rowBytes;
    memory.fill(dst, 0, rowBytes);
    // Only the patches whose kernel can reach this pixel, still in increasing (o, i, j).
    const oEnd = min(od, (z + front) / sd + 1);
    const iStart = firstPatch(y + top, kh, dh, sh), iEnd = min(oh, (y + top) / sh + 1);
    const jStart = firstPatch(xx + left, kw, dw, sw), jEnd = min(ow, (xx + left) / sw + 1);
    for (let o = firstPatch(z + front, kd, dd, sd); o < oEnd; o++) {
      const deep = z + front - o * sd;
      // Without dilation every position in range is a kernel plane (and no division is needed).
      if (dd != 1 && deep % dd != 0) continue;
      const e = dd == 1 ? deep : deep / dd;
      for (let i = iStart; i < iEnd; i++) {
        const along = y + top - i * sh;
        if (dh != 1 && along % dh != 0) continue;
        const a = dh == 1 ? along : along / dh;
        for (let j = jStart; j < jEnd; j++) {
          const across = xx + left - j * sw;
          if (dw != 1 && across % dw != 0) continue;
          const b = dw == 1 ? across : across / dw;
          const src = p + <usize>((((((n * od + o) * oh + i) * ow + j) * kd + e) * kh + a) * kw + b) * rowBytes;
          let k = 0;
          for (; k + 4 <= c; k += 4) {
            const at = <usize>k << 2;
            v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
          }
          for (; k < c; k++) {
            const at = <usize>k << 2;
            store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
          }
        }
      }
    }
    let k = 0;
    for (; k + 4 <= c; k += 4) v128.store(dst + (<usize>k << 2), canonicalX4(v128.load(dst + (<usize>k << 2))));
    for (; k < c; k++) store<f32>(dst + (<usize>k << 2), canonical(load<f32>(dst + (<usize>k << 2))));
  }
}
