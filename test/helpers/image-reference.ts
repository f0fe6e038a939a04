/**
 * Float64 models of the image ops, written from their definitions (TensorFlow's kernels), not
 * from verbatim's code: each op is a linear map, given as the list of (input index, weight) pairs
 * of every output, so one model gives both the values and the gradient (its transpose).
 */

export type LinearMap = [number, number][][];

export function applyMap(map: LinearMap, x: ArrayLike<number>, fill = 0): Float64Array {
  return Float64Array.from(map, (terms) => terms.reduce((acc, [i, w]) => acc + w * (i < 0 ? fill : x[i]!), 0));
}

export function transposeMap(map: LinearMap, dy: ArrayLike<number>, size: number): Float64Array {
  const dx = new Float64Array(size);
  map.forEach((terms, o) => terms.forEach(([i, w]) => { if (i >= 0) dx[i] += w * dy[o]!; }));
  return dx;
}

type Shape4 = [number, number, number, number];

/** Builds the map of an op that computes each output pixel from weighted input pixels. */
function pixelMap(shape: Shape4, outH: number, outW: number, taps: (b: number, y: number, x: number) => [number, number, number][]): LinearMap {
  const [n, h, w, c] = shape;
  const map: LinearMap = [];
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        const t = taps(b, y, x);
        for (let ch = 0; ch < c; ch++) {
          map.push(t.map(([yi, xi, weight]) => [yi < 0 || yi >= h || xi < 0 || xi >= w ? -1 : ((b * h + yi) * w + xi) * c + ch, weight]));
        }
      }
    }
  }
  return map;
}

function scale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

export function resizeBilinearMap(shape: Shape4, [outH, outW]: [number, number], alignCorners: boolean, halfPixelCenters: boolean): LinearMap {
  const axis = (inSize: number, outSize: number, i: number): [number, number, number] => {
    const s = scale(inSize, outSize, alignCorners);
    const source = halfPixelCenters ? (i + 0.5) * s - 0.5 : i * s;
    const lerp = source - Math.floor(source);
    return [Math.max(Math.floor(source), 0), Math.min(Math.ceil(source), inSize - 1), lerp];
  };
  return pixelMap(shape, outH, outW, (_, y, x) => {
    const [top, bottom, yl] = axis(shape[1], outH, y);
    const [left, right, xl] = axis(shape[2], outW, x);
    return [[top, left, (1 - yl) * (1 - xl)], [top, right, (1 - yl) * xl], [bottom, left, yl * (1 - xl)], [bottom, right, yl * xl]];
  });
}

export function resizeNearestMap(shape: Shape4, [outH, outW]: [number, number], alignCorners: boolean, halfPixelCenters: boolean): LinearMap {
  const axis = (inSize: number, outSize: number, i: number) => {
    const s = scale(inSize, outSize, alignCorners);
    const source = halfPixelCenters ? (i + 0.5) * s : i * s;
    return Math.max(0, Math.min(inSize - 1, alignCorners ? Math.round(source) : Math.floor(source)));
  };
  return pixelMap(shape, outH, outW, (_, y, x) => [[axis(shape[1], outH, y), axis(shape[2], outW, x), 1]]);
}

export type FillMode = 'constant' | 'reflect' | 'wrap' | 'nearest';

/** A coordinate moved inside [0, len - 1] by the fill mode (the definitions in Keras's docs). */
export function mapCoordinate(c: number, len: number, mode: FillMode): number {
  const clamp = (v: number) => Math.min(Math.max(v, 0), len - 1);
  if (mode === 'constant' || c >= 0 && c <= len - 1) return mode === 'constant' ? c : clamp(c);
  if (mode === 'nearest' || len <= 1) return clamp(c);
  if (mode === 'wrap') {
    const m = ((c % len) + len) % len;
    return m > len - 1 ? (c > 0 ? 0 : len - 1) : m;
  }
  // reflect: (d c b a | a b c d | d c b a), period 2 len, mirrored about -0.5 and len - 0.5.
  const m = ((c % (2 * len)) + 2 * len) % (2 * len);
  return clamp(m < len ? m : 2 * len - 1 - m);
}

/** TensorFlow's projective transform (tf.image.transform), in float64. */
export function transformMap(shape: Shape4, transforms: number[][], interpolation: 'nearest' | 'bilinear', fillMode: FillMode): LinearMap {
  const [, h, w] = shape;
  return pixelMap(shape, h, w, (b, y, x) => {
    const [a0, a1, a2, b0, b1, b2, c0, c1] = transforms[transforms.length === 1 ? 0 : b]!;
    const k = c0! * x + c1! * y + 1;
    const xs = mapCoordinate((a0! * x + a1! * y + a2!) / k, w, fillMode);
    const ys = mapCoordinate((b0! * x + b1! * y + b2!) / k, h, fillMode);
    if (interpolation === 'nearest') {
      const round = (v: number) => Math.sign(v) * Math.round(Math.abs(v));
      return [[round(ys), round(xs), 1]];
    }
    const x0 = Math.floor(xs);
    const y0 = Math.floor(ys);
    const [wx, wy] = [xs - x0, ys - y0];
    return [[y0, x0, (1 - wy) * (1 - wx)], [y0, x0 + 1, (1 - wy) * wx], [y0 + 1, x0, wy * (1 - wx)], [y0 + 1, x0 + 1, wy * wx]];
  });
}

/** Keras's rotation matrix about ((width - 1) / 2, (height - 1) / 2), in float64. */
export function rotationMatrix(angle: number, height: number, width: number): number[] {
  const [cosA, sinA] = [Math.cos(angle), Math.sin(angle)];
  const xOffset = ((width - 1) - (cosA * (width - 1) - sinA * (height - 1))) / 2;
  const yOffset = ((height - 1) - (sinA * (width - 1) + cosA * (height - 1))) / 2;
  return [cosA, -sinA, xOffset, sinA, cosA, yOffset, 0, 0];
}

/** tf.mirrorPad as a map over the row-major elements of x. */
export function mirrorPadMap(shape: number[], paddings: [number, number][], mode: 'reflect' | 'symmetric'): LinearMap {
  const outShape = shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const size = outShape.reduce((a, b) => a * b, 1);
  const map: LinearMap = [];
  for (let o = 0; o < size; o++) {
    let rest = o;
    let index = 0;
    let stride = 1;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      const j = rest % outShape[axis]!;
      rest = Math.floor(rest / outShape[axis]!);
      const n = shape[axis]!;
      let i = j - paddings[axis]![0];
      if (i < 0) i = mode === 'reflect' ? -i : -i - 1;
      if (i >= n) i = mode === 'reflect' ? 2 * n - 2 - i : 2 * n - 1 - i;
      index += i * stride;
      stride *= n;
    }
    map.push([[index, 1]]);
  }
  return map;
}
