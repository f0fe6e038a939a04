// Image patches (src/primitives/patches.ts). geometry holds 14 i32: H, W, C, OH, OW, KH, KW,
// stride h, stride w, dilation h, dilation w, pad top, pad left, and N.
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
 * p[n, i, j, a, b, :] = x[n, y, x, :] or the constant (raw bits `value`) in the padding, for
 * the patches of output rows (n, i) in [rowStart, rowEnd); a kernel row without column dilation
 * is one contiguous run of the image row.
 */
export function extractPatches(elementBytes: i32, x: usize, p: usize, value: u32, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const h = g(geometry, 0), w = g(geometry, 1), c = g(geometry, 2), oh = g(geometry, 3), ow = g(geometry, 4);
  const kh = g(geometry, 5), kw = g(geometry, 6), sh = g(geometry, 7), sw = g(geometry, 8), dh = g(geometry, 9), dw = g(geometry, 10);
  const top = g(geometry, 11), left = g(geometry, 12);
  const shift = elementBytes == 4 ? 2 : 0;
  const patch = kh * kw * c;
  for (let row = rowStart; row < rowEnd; row++) {
    const i = row % oh;
    const n = row / oh;
    for (let j = 0; j < ow; j++) {
      let dst = p + (<usize>((row * ow + j) * patch) << shift);
      const x0 = j * sw - left;
      const inside = x0 >= 0 && x0 + (kw - 1) * dw < w;
      for (let a = 0; a < kh; a++) {
        const y = i * sh + a * dh - top;
        if (y < 0 || y >= h) {
          fillRun(shift, dst, value, kw * c);
        } else {
          const line = x + (<usize>((n * h + y) * w) * c << shift);
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

/** The first patch index i >= 0 with position - i * stride <= (k - 1) * dilation. */
@inline function firstPatch(position: i32, k: i32, dilation: i32, stride: i32): i32 {
  const reach = position - (k - 1) * dilation;
  return reach <= 0 ? 0 : (reach + stride - 1) / stride;
}

/**
 * x[n, h, w, :] = the sum of the patch rows that read it, from +0 in increasing (i, j), for
 * image rows (n, h, w) in [rowStart, rowEnd); SIMD adds four channels (independent outputs).
 */
export function scatterPatches(p: usize, x: usize, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const h = g(geometry, 0), w = g(geometry, 1), c = g(geometry, 2), oh = g(geometry, 3), ow = g(geometry, 4);
  const kh = g(geometry, 5), kw = g(geometry, 6), sh = g(geometry, 7), sw = g(geometry, 8), dh = g(geometry, 9), dw = g(geometry, 10);
  const top = g(geometry, 11), left = g(geometry, 12);
  const rowBytes = <usize>c << 2;
  for (let row = rowStart; row < rowEnd; row++) {
    const xx = row % w;
    const y = (row / w) % h;
    const n = row / (w * h);
    const dst = x + <usize>row * rowBytes;
    memory.fill(dst, 0, rowBytes);
    // Only the patches whose kernel can reach this pixel, still in increasing (i, j).
    const iEnd = min(oh, (y + top) / sh + 1);
    const jStart = firstPatch(xx + left, kw, dw, sw), jEnd = min(ow, (xx + left) / sw + 1);
    for (let i = firstPatch(y + top, kh, dh, sh); i < iEnd; i++) {
      const along = y + top - i * sh;
      // Without dilation every position in range is a kernel row (and no division is needed).
      if (dh != 1 && along % dh != 0) continue;
      const a = dh == 1 ? along : along / dh;
      for (let j = jStart; j < jEnd; j++) {
        const across = xx + left - j * sw;
        if (dw != 1 && across % dw != 0) continue;
        const b = dw == 1 ? across : across / dw;
        const src = p + <usize>((((n * oh + i) * ow + j) * kh + a) * kw + b) * rowBytes;
        let k = 0;
        for (; k + 4 <= c; k += 4) {
          const o = <usize>k << 2;
          v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
        }
        for (; k < c; k++) {
          const o = <usize>k << 2;
          store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
        }
      }
    }
    let k = 0;
    for (; k + 4 <= c; k += 4) v128.store(dst + (<usize>k << 2), canonicalX4(v128.load(dst + (<usize>k << 2))));
    for (; k < c; k++) store<f32>(dst + (<usize>k << 2), canonical(load<f32>(dst + (<usize>k << 2))));
  }
}
