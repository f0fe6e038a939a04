// Image patches (src/primitives/patches.ts). geometry holds 14 i32: H, W, C, OH, OW, KH, KW,
// stride h, stride w, dilation h, dilation w, pad top, pad left, and N.
import { canonical, canonicalX4 } from './portable';

@inline function g(geometry: usize, index: i32): i32 {
  return load<i32>(geometry + (<usize>index << 2));
}

/**
 * p[n, i, j, a, b, :] = x[n, y, x, :] or the constant (raw bits `value`) in the padding, for
 * patch rows (n, i, j, a, b) in [rowStart, rowEnd); each row is C contiguous elements.
 */
export function extractPatches(elementBytes: i32, x: usize, p: usize, value: u32, geometry: usize, rowStart: i32, rowEnd: i32): void {
  const h = g(geometry, 0), w = g(geometry, 1), c = g(geometry, 2), oh = g(geometry, 3), ow = g(geometry, 4);
  const kh = g(geometry, 5), kw = g(geometry, 6), sh = g(geometry, 7), sw = g(geometry, 8), dh = g(geometry, 9), dw = g(geometry, 10);
  const top = g(geometry, 11), left = g(geometry, 12);
  const shift = elementBytes == 4 ? 2 : 0;
  const rowBytes = <usize>c << shift;
  for (let row = rowStart; row < rowEnd; row++) {
    let rest = row;
    const b = rest % kw; rest /= kw;
    const a = rest % kh; rest /= kh;
    const j = rest % ow; rest /= ow;
    const i = rest % oh;
    const n = rest / oh;
    const y = i * sh + a * dh - top;
    const xx = j * sw + b * dw - left;
    const dst = p + <usize>row * rowBytes;
    if (y >= 0 && y < h && xx >= 0 && xx < w) {
      memory.copy(dst, x + <usize>((n * h + y) * w + xx) * rowBytes, rowBytes);
    } else if (shift == 2) {
      for (let k = 0; k < c; k++) store<u32>(dst + (<usize>k << 2), value);
    } else {
      memory.fill(dst, <u8>value, <usize>c);
    }
  }
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
    for (let i = 0; i < oh; i++) {
      const along = y + top - i * sh;
      if (along < 0) break;
      if (along % dh != 0 || along / dh >= kh) continue;
      const a = along / dh;
      for (let j = 0; j < ow; j++) {
        const across = xx + left - j * sw;
        if (across < 0) break;
        if (across % dw != 0 || across / dw >= kw) continue;
        const b = across / dw;
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
