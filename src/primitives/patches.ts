/**
 * Image patches, the two primitives that convolution and pooling are composed of (channels
 * last, 2 or 3 spatial axes; an image [N, H, W, C] is a volume of depth 1):
 *
 * extractPatches(x [N, D, H, W, C]) -> p [N, OD, OH, OW, KD, KH, KW, C]: p[n, o, i, j, e, a, b, c]
 * is x[n, o sd + e dd - front, i sh + a dh - top, j sw + b dw - left, c], or `value` where that
 * falls in the padding ([N, OH, OW, KH, KW, C] of an image). It copies without arithmetic. A
 * convolution is then the matrix product of p, viewed as [N OD OH OW, KD KH KW C], with the
 * filter viewed as [KD KH KW C, F]: every output is the left-to-right float32 sum over the
 * kernel planes, rows, then columns, then input channels (row-major (e, a, b, c)).
 *
 * scatterPatches(p) -> x, the transpose (the gradient of extractPatches and of a convolution
 * with respect to its input): x[n, z, h, w, c] is the sum of the patch elements that
 * extractPatches would read from it, added from +0 in increasing flat index of p, i.e. in
 * increasing (o, i, j); padding positions are dropped.
 */
import { invalid } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';
import type { Meta, PatchAttrs, PrimitiveAttrs, Rule } from './types.js';

const AXES = { 2: '[height, width]', 3: '[depth, height, width]' } as Record<number, string>;
const PADS = { 2: '[top, bottom, left, right]', 3: '[front, back, top, bottom, left, right]' } as Record<number, string>;

/** The number of spatial axes (2 or 3), from the kernel. */
function spatialRank(context: string, g: PatchAttrs): number {
  const r = Array.isArray(g.kernel) ? g.kernel.length : 0;
  if (r !== 2 && r !== 3) throw invalid(context, 'Expected kernel [height, width] or [depth, height, width]', { kernel: g.kernel });
  return r;
}

function checkGeometry(context: string, g: PatchAttrs): number {
  const r = spatialRank(context, g);
  const positive = (v: readonly number[]) => Array.isArray(v) && v.length === r && v.every((d) => Number.isInteger(d) && d > 0);
  if (!positive(g.kernel)) throw invalid(context, `Expected kernel ${AXES[r]} of positive integers`, { kernel: g.kernel });
  if (!positive(g.strides)) throw invalid(context, `Expected strides ${AXES[r]} of positive integers`, { strides: g.strides });
  if (!positive(g.dilations)) throw invalid(context, `Expected dilations ${AXES[r]} of positive integers`, { dilations: g.dilations });
  if (!Array.isArray(g.pads) || g.pads.length !== 2 * r || !g.pads.every((p) => Number.isInteger(p) && p >= 0)) {
    throw invalid(context, `Expected pads ${PADS[r]} of non-negative integers`, { pads: g.pads });
  }
  return r;
}

/** The output extent of patches along each spatial axis (a negative one: the kernel does not fit). */
export function patchesOutputSize(extents: readonly number[], g: PatchAttrs): number[] {
  return extents.map((extent, i) => Math.floor((extent + g.pads[2 * i]! + g.pads[2 * i + 1]! - (g.kernel[i]! - 1) * g.dilations[i]! - 1) / g.strides[i]!) + 1);
}

function checkImage(context: string, x: Meta, r: number): void {
  if (x.shape.length !== r + 2) {
    throw invalid(context, `Expected x of rank ${r + 2} [batch, ${AXES[r]!.slice(1, -1)}, channels] for a kernel of ${r} axes`, { 'x.shape': x.shape });
  }
}

/** A geometry over three spatial axes: an image's is a volume's of depth 1. */
interface Volume { kernel: number[]; strides: number[]; dilations: number[]; pads: number[] }

function asVolume(g: PatchAttrs): Volume {
  return g.kernel.length === 3 ? g : {
    kernel: [1, ...g.kernel], strides: [1, ...g.strides], dilations: [1, ...g.dilations], pads: [0, 0, ...g.pads],
  };
}

/** [N, D, H, W, C] of an image or volume shape, and [N, OD, OH, OW] of its patches' shape. */
function volumeShapes(xShape: readonly number[], pShape: readonly number[]): { x: number[]; p: number[] } {
  return xShape.length === 5
    ? { x: [...xShape], p: pShape.slice(0, 4) }
    : { x: [xShape[0]!, 1, ...xShape.slice(1)], p: [pShape[0]!, 1, pShape[1]!, pShape[2]!] };
}

/**
 * Visits every element of the patches in flat order with the flat index of the x element it
 * reads, or -1 in the padding.
 */
function forEachPatchElement(xShape: readonly number[], pShape: readonly number[], geometry: PatchAttrs, visit: (p: number, x: number) => void): void {
  const g = asVolume(geometry);
  const { x: [, d, h, w, c], p: [n, od, oh, ow] } = volumeShapes(xShape, pShape) as { x: number[]; p: number[] };
  const [kd, kh, kw] = g.kernel as [number, number, number];
  let p = 0;
  for (let b = 0; b < n!; b++) {
    for (let o = 0; o < od!; o++) {
      for (let i = 0; i < oh!; i++) {
        for (let j = 0; j < ow!; j++) {
          for (let e = 0; e < kd; e++) {
            const z = o * g.strides[0]! + e * g.dilations[0]! - g.pads[0]!;
            for (let a = 0; a < kh; a++) {
              const y = i * g.strides[1]! + a * g.dilations[1]! - g.pads[2]!;
              for (let f = 0; f < kw; f++) {
                const x = j * g.strides[2]! + f * g.dilations[2]! - g.pads[4]!;
                const inside = z >= 0 && z < d! && y >= 0 && y < h! && x >= 0 && x < w!;
                const base = (((b * d! + z) * h! + y) * w! + x) * c!;
                for (let k = 0; k < c!; k++) visit(p++, inside ? base + k : -1);
              }
            }
          }
        }
      }
    }
  }
}

export const extractPatchesRule: Rule<'extractPatches'> = {
  infer([x], attrs) {
    const r = checkGeometry('extractPatches', attrs);
    checkImage('extractPatches', x!, r);
    const out = patchesOutputSize(x!.shape.slice(1, -1), attrs);
    if (out.some((d) => d < 0)) throw invalid('extractPatches', 'Expected the kernel to fit in the padded image', { 'x.shape': x!.shape, kernel: attrs.kernel, dilations: attrs.dilations });
    return { shape: [x!.shape[0]!, ...out, ...attrs.kernel, x!.shape.at(-1)!], dtype: x!.dtype };
  },
  reference([x], attrs, out) {
    const result = allocate(out.dtype, sizeOf(out.shape));
    const v = x!.values;
    forEachPatchElement(x!.shape, out.shape, attrs, (p, i) => { result[p] = i < 0 ? attrs.value : v[i]!; });
    return result;
  },
  grad: (dy, { inputs: [x], attrs }, ops) => [ops.scatterPatches(dy, geometryOf(attrs), x!.shape.slice(1, -1))],
  kernel: { dedicated: 'extractPatches' },
};

export const scatterPatchesRule: Rule<'scatterPatches'> = {
  infer([p], attrs) {
    const r = checkGeometry('scatterPatches', attrs);
    const names = r === 2 ? 'outHeight, outWidth, kernelHeight, kernelWidth' : 'outDepth, outHeight, outWidth, kernelDepth, kernelHeight, kernelWidth';
    if (p!.shape.length !== 2 * r + 2 || p!.dtype !== 'float32') {
      throw invalid('scatterPatches', `Expected float32 patches of rank ${2 * r + 2} [batch, ${names}, channels]`, { 'p.shape': p!.shape, 'p.dtype': p!.dtype });
    }
    const size = attrs.size;
    const valid = Array.isArray(size) && size.length === r && size.every((d) => Number.isInteger(d) && d >= 0);
    const expected = valid ? [...patchesOutputSize(size, attrs), ...attrs.kernel] : [];
    if (!valid || expected.some((d, i) => d !== p!.shape[i + 1])) {
      throw invalid('scatterPatches', `Expected patches of an image of size ${JSON.stringify(size)} with this geometry`, { 'p.shape': p!.shape, size, kernel: attrs.kernel, strides: attrs.strides });
    }
    return { shape: [p!.shape[0]!, ...size, p!.shape.at(-1)!], dtype: 'float32' };
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
