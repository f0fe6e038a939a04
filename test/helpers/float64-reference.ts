/** Float64 references for the float32 math tests (test code may use the engine's Math). */

/** erf in float64: Maclaurin series below 2.5, Lentz continued fraction for erfc above. */
export function erf64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let r: number;
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const contribution = term / (2 * n + 1);
      sum += contribution;
      if (Math.abs(contribution) < 1e-18 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    r = a > 10 ? 1 : 1 - erfc64ContinuedFraction(a);
  }
  return x < 0 ? -r : r;
}

/** erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) for x >= 2.5. */
function erfc64ContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let fValue = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = x + an * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + an / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    fValue *= delta;
    if (Math.abs(delta - 1) < 1e-17) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fValue;
}

const view = new Float32Array(1);
const words = new Int32Array(view.buffer);

/** Position of a float32 on the number line, so that adjacent floats differ by 1 (-0 == +0). */
function ordinal(x: number): number {
  view[0] = x;
  const w = words[0]!;
  return w < 0 ? -(w & 0x7fffffff) : w;
}

/** Distance in float32 ULPs between two float32 values; NaN only equals NaN. */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  return Math.abs(ordinal(a) - ordinal(b));
}

/** Every `stride`-th float32 bit pattern (both signs, subnormals, infinities and NaN). */
export function* float32Sweep(stride: number): Generator<number> {
  const bits = new Uint32Array(1);
  const asFloat = new Float32Array(bits.buffer);
  for (let b = 0; b < 0x100000000; b += stride) {
    bits[0] = b;
    yield asFloat[0]!;
  }
  for (const special of [0, -0, Infinity, -Infinity, NaN, 1.401298464324817e-45, -1.401298464324817e-45]) yield special;
}
