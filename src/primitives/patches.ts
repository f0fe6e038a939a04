/**
 * Image patches, the two primitives that convolution and pooling are composed of (NHWC):
 *
 * extractPatches(x [N, H, W, C]) -> p [N, OH, OW, KH, KW, C]: p[n, i, j, a, b, c] is
 * x[n, i sh + a dh - top, j sw + b dw - left, c], or `value` where that falls in the padding. It
 * copies without arithmetic. A convolution is then the matrix product of p, viewed as
 * [N OH OW, KH KW C], with the filter viewed as [KH KW C, F]: every output is the left-to-right
 * float32 sum over the kernel rows, then columns, then input channels (row-major (a, b, c)).
 *
 * scatterPatches(p [N, OH, OW, KH, KW, C]) -> x [N, H, W, C], the transpose (the gradient of
 * extractPatches and of a convolution with respect to its input): x[n, h, w, c] is the sum of
 * the patch elements that extractPatches would read from it, added from +0 in increasing flat
 * index of p, i.e. in increasing (i, j); padding positions are dropped.
 */
import { invalid } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';
import type { Meta, PatchAttrs, PrimitiveAttrs, Rule } from './types.js';

function checkGeometry(context: string, g: PatchAttrs): void {
  const positive = (v: readonly number[]) => Array.isArray(v) && v.every((d) => Number.isInteger(d) && d > 0);
  if (!positive(g.kernel) || g.kernel.length !== 2) throw invalid(context, 'Expected kernel [height, width] of positive integers', { kernel: g.kernel });
  if (!positive(g.strides) || g.strides.length !== 2) throw invalid(context, 'Expected strides [height, width] of positive integers', { strides: g.strides });
  if (!positive(g.dilations) || g.dilations.length !== 2) throw invalid(context, 'Expected dilations [height, width] of positive integers', { dilations: g.dilations });
  if (!Array.isArray(g.pads) || g.pads.length !== 4 || !g.pads.every((p) => Number.isInteger(p) && p >= 0)) {
    throw invalid(context, 'Expected pads [top, bottom, left, right] of non-negative integers', { pads: g.pads });
  }
}

/** Output height and width of patches over an H x W image. */
export function patchesOutputSize(h: number, w: number, g: PatchAttrs): [number, number] {
  const span = (extent: number, k: number, d: number, s: number, before: number, after: number) =>
    Math.floor((extent + before + after - (k - 1) * d - 1) / s) + 1;
  return [
    span(h, g.kernel[0], g.dilations[0], g.strides[0], g.pads[0], g.pads[1]),
    span(w, g.kernel[1], g.dilations[1], g.strides[1], g.pads[2], g.pads[3]),
  ];
}

function checkImage(context: string, x: Meta): void {
  if (x.shape.length !== 4) throw invalid(context, 'Expected x of rank 4 [batch, height, width, channels]', { 'x.shape': x.shape });
}

/**
 * Visits every element of p [N, OH, OW, KH, KW, C] in flat order with the flat index of the x
 * element it reads, or -1 in the padding.
 */
function forEachPatchElement(
  xShape: readonly number[], pShape: readonly number[], g: PatchAttrs, visit: (p: number, x: number) => void,
): void {
  const [n, oh, ow, kh, kw, c] = pShape as [number, number, number, number, number, number];
  const [, h, w] = xShape as [number, number, number, number];
  let p = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let a = 0; a < kh; a++) {
          const y = i * g.strides[0] + a * g.dilations[0] - g.pads[0];
          for (let e = 0; e < kw; e++) {
            const x = j * g.strides[1] + e * g.dilations[1] - g.pads[2];
            const inside = y >= 0 && y < h && x >= 0 && x < w;
            const base = ((b * h + y) * w + x) * c;
            for (let k = 0; k < c; k++) visit(p++, inside ? base + k : -1);
          }
        }
      }
    }
  }
}

export const extractPatchesRule: Rule<'extractPatches'> = {
  infer([x], attrs) {
    checkImage('extractPatches', x!);
    checkGeometry('extractPatches', attrs);
    const [n, h, w, c] = x!.shape as [number, number, number, number];
    const [oh, ow] = patchesOutputSize(h, w, attrs);
    if (oh < 0 || ow < 0) throw invalid('extractPatches', 'Expected the kernel to fit in the padded image', { 'x.shape': x!.shape, kernel: attrs.kernel, dilations: attrs.dilations });
    return { shape: [n, Math.max(oh, 0), Math.max(ow, 0), attrs.kernel[0], attrs.kernel[1], c], dtype: x!.dtype };
  },
  reference([x], attrs, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const v = x!.values;
    forEachPatchElement(x!.shape, out.shape, attrs, (p, i) => { result[p] = i < 0 ? attrs.value : v[i]!; });
    return result;
  },
  grad: (dy, { inputs: [x], attrs }, ops) => [ops.scatterPatches(dy, geometryOf(attrs), [x!.shape[1]!, x!.shape[2]!])],
  kernel: { dedicated: 'extractPatches' },
};

export const scatterPatchesRule: Rule<'scatterPatches'> = {
  infer([p], attrs) {
    checkGeometry('scatterPatches', attrs);
    const [h, w] = attrs.size;
    if (p!.shape.length !== 6 || p!.dtype !== 'float32') {
      throw invalid('scatterPatches', 'Expected float32 patches of rank 6 [batch, outHeight, outWidth, kernelHeight, kernelWidth, channels]', { 'p.shape': p!.shape, 'p.dtype': p!.dtype });
    }
    const [n, oh, ow, kh, kw, c] = p!.shape as [number, number, number, number, number, number];
    const expected = patchesOutputSize(h, w, attrs);
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0 || oh !== expected[0] || ow !== expected[1] || kh !== attrs.kernel[0] || kw !== attrs.kernel[1]) {
      throw invalid('scatterPatches', `Expected patches of an image of size ${JSON.stringify(attrs.size)} with this geometry`, { 'p.shape': p!.shape, size: attrs.size, kernel: attrs.kernel, strides: attrs.strides });
    }
    return { shape: [n, h, w, c], dtype: 'float32' };
  },
  reference([p], attrs, out) {
    const result = allocate('float32', sizeOf(out.shape));
    const v = p!.values;
    forEachPatchElement(out.shape, p!.shape, attrs, (i, x) => {
      if (x >= 0) result[x] = result[x]! + v[i]!;
    });
    return result;
  },
  grad: (dy, { attrs }, ops) => [ops.extractPatches(dy, geometryOf(attrs), 0)],
  kernel: { dedicated: 'scatterPatches' },
};

function geometryOf(attrs: PrimitiveAttrs['extractPatches'] | PrimitiveAttrs['scatterPatches']): PatchAttrs {
  return { kernel: attrs.kernel, strides: attrs.strides, dilations: attrs.dilations, pads: attrs.pads };
}
