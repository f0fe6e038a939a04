/**
 * Float32 transcendental functions built only from binary32 `+ - * /`, `sqrt`, comparisons,
 * `floor` and bit operations. Written once in the portable dialect (src/numerics/portable.ts):
 * tsc compiles this file for the reference backend and AssemblyScript compiles the same text for
 * the WASM kernels, so both perform the same sequence of binary32 operations, which is the
 * specification. Engines' Math.exp & co. are never used because they may differ in the last bit
 * between engines.
 *
 * Accuracy (tested on a dense sweep of all float32 inputs): within 2 ULP of the correctly
 * rounded result, most within 1. Polynomial coefficients are fitted by scripts/fit_f32_polys.py
 * and evaluated by Horner's rule, highest degree first.
 */
import { f32, f64, i32, u32 } from './portable.js';
import { absf, bitsToFloat, floatToBits, floorf, floorf64, sqrtf } from './portable.js';

export { bitsToFloat, floatToBits };

/** 2^k as a float32, for k in [-126, 127]. */
function pow2(k: i32): f32 {
  return bitsToFloat(u32(k + 127) << 23);
}

/** x * 2^k with a single rounding, for k in [-151, 128]. */
function scaleByPow2(x: f32, k: i32): f32 {
  if (k > 127) return f32(f32(x * pow2(127)) * pow2(k - 127));
  if (k < -126) return f32(f32(x * pow2(k + 64)) * pow2(-64));
  return f32(x * pow2(k));
}

const INV_LN2: f32 = f32(1.4426950408889634);
/** ln 2 split so that k * LN2_HI is exact for |k| < 2^8. */
const LN2_HI: f32 = f32(0.693145751953125);
const LN2_LO: f32 = f32(1.428606820309417e-6);
const LN2: f32 = f32(0.6931471805599453);

/** r + r^2 Q(r), Q(r) ~ (e^r - 1 - r) / r^2 on |r| <= ln 2. */
function expm1Poly(r: f32): f32 {
  let acc: f32 = f32(2.7834910270030377e-06);
  acc = f32(f32(acc * r) + f32(2.5073124561458826e-05));
  acc = f32(f32(acc * r) + f32(0.0001984024711418897));
  acc = f32(f32(acc * r) + f32(0.0013888055691495538));
  acc = f32(f32(acc * r) + f32(0.00833333469927311));
  acc = f32(f32(acc * r) + f32(0.041666675359010696));
  acc = f32(f32(acc * r) + f32(0.1666666716337204));
  acc = f32(f32(acc * r) + f32(0.5));
  return f32(r + f32(f32(r * r) * acc));
}

/** Rounds x / ln 2 to the nearest integer, ties upward: k = floor(x * (1/ln 2) + 0.5). */
function reductionMultiple(x: f32): i32 {
  return i32(floorf(f32(f32(x * INV_LN2) + f32(0.5))));
}

/** r = x - k ln 2 in two steps (Cody-Waite); the first subtraction is exact. */
function reduce(x: f32, k: i32): f32 {
  const kf: f32 = f32(k);
  return f32(f32(x - f32(kf * LN2_HI)) - f32(kf * LN2_LO));
}

/** e^x: k = round(x / ln 2), r = x - k ln 2 (|r| <= ln 2 / 2), e^x = 2^k (1 + expm1(r)). */
export function exp(x: f32): f32 {
  if (x != x) return NaN;
  if (x > f32(89)) return Infinity;
  if (x < f32(-104)) return f32(0);
  const k = reductionMultiple(x);
  const r = reduce(x, k);
  return scaleByPow2(f32(f32(1) + expm1Poly(r)), k);
}

/**
 * e^x - 1: a direct polynomial on |x| <= ln 2; beyond, with x = k ln 2 + r,
 * e^x - 1 = 2^k (expm1(r) - (2^-k - 1)), where 2^-k - 1 is exact for |k| <= 24.
 */
export function expm1(x: f32): f32 {
  if (x != x) return NaN;
  if (x == f32(0)) return x;
  if (x > f32(89)) return Infinity;
  if (x < f32(-18)) return f32(-1);
  if (x >= -LN2 && x <= LN2) return expm1Poly(x);
  const k = reductionMultiple(x);
  const em = expm1Poly(reduce(x, k));
  if (k > 24) return f32(scaleByPow2(f32(f32(1) + em), k) - f32(1));
  return scaleByPow2(f32(em - f32(scaleByPow2(f32(1), -k) - f32(1))), k);
}

/**
 * log(2^k (1 + m)) + correction, for m in [sqrt(2)/2 - 1, sqrt(2) - 1):
 * with s = m / (2 + m), log(1 + m) = m - (m^2/2 - s (m^2/2 + R(s^2))) evaluated so that the
 * exact m carries the result and rounding errors land in the small terms; R has the
 * coefficients 2/3, 2/5, 2/7, 2/9 of log((1+s)/(1-s)) = 2s + s*z*(...) with z = s^2.
 */
function logCore(m: f32, k: i32, correction: f32): f32 {
  const s = f32(m / f32(f32(2) + m));
  const z = f32(s * s);
  let acc: f32 = f32(2.0 / 9.0);
  acc = f32(f32(acc * z) + f32(2.0 / 7.0));
  acc = f32(f32(acc * z) + f32(2.0 / 5.0));
  acc = f32(f32(acc * z) + f32(2.0 / 3.0));
  const r = f32(z * acc);
  const halfSquare = f32(f32(0.5) * f32(m * m));
  const kf: f32 = f32(k);
  const small = f32(f32(s * f32(halfSquare + r)) + f32(f32(kf * LN2_LO) + correction));
  const tail = f32(halfSquare - small);
  if (k == 0) return f32(m - tail);
  // k ln2 + m - tail with one main rounding: Fast2Sum of the exact k * LN2_HI (|k ln2| > |m|) and m.
  const hi = f32(kf * LN2_HI);
  const sum = f32(hi + m);
  const sumError = f32(m - f32(sum - hi));
  return f32(sum + f32(sumError - tail));
}

/** Mantissa bits of sqrt(2): significands above it are halved so that 1 + m is near 1. */
const SQRT2_MANTISSA: u32 = 0x3504f3;

/** The m of the last decompose() (AssemblyScript has no tuples). */
let decomposedM: f32 = 0;

/**
 * Splits a positive finite float32 into 2^k * (1 + m) with 1 + m in [sqrt(2)/2, sqrt(2));
 * returns k and leaves m in decomposedM.
 */
function decompose(x: f32): i32 {
  let bits = floatToBits(x);
  let k: i32 = 0;
  if (bits < 0x00800000) {
    bits = floatToBits(f32(x * pow2(25)));
    k = -25;
  }
  k += i32(bits >>> 23) - 127;
  const mantissa: u32 = bits & 0x7fffff;
  if (mantissa > SQRT2_MANTISSA) {
    decomposedM = f32(bitsToFloat(mantissa | 0x3f000000) - f32(1));
    return k + 1;
  }
  decomposedM = f32(bitsToFloat(mantissa | 0x3f800000) - f32(1));
  return k;
}

export function log(x: f32): f32 {
  if (x != x || x < f32(0)) return NaN;
  if (x == f32(0)) return -Infinity;
  if (x == Infinity) return Infinity;
  const k = decompose(x);
  return logCore(decomposedM, k, f32(0));
}

/**
 * log(1 + x): u = fl(1 + x) = 2^k (1 + m), and the rounding error of u is added back as
 * c / u with c = (1 + x) - u computed exactly.
 */
export function log1p(x: f32): f32 {
  if (x != x || x < f32(-1)) return NaN;
  if (x == f32(-1)) return -Infinity;
  if (x == Infinity) return Infinity;
  if (x > f32(-5.960464477539063e-8) && x < f32(5.960464477539063e-8)) return x;
  const u = f32(f32(1) + x);
  const k = decompose(u);
  const m = decomposedM;
  if (k == 0) return logCore(x, 0, f32(0));
  if (k > 25) return logCore(m, k, f32(0));
  // Both forms are exact where they are used (Sterbenz): u - 1 for u < 4, u - x for x >= 1.
  const c: f32 = k >= 2 ? f32(f32(1) - f32(u - x)) : f32(x - f32(u - f32(1)));
  return logCore(m, k, f32(c / u));
}

/** tanh(x) = x + x^3 P(x^2) near zero, else 1 - 2 / (expm1(2|x|) + 2) with the sign of x. */
export function tanh(x: f32): f32 {
  if (x != x) return NaN;
  const a = absf(x);
  if (a < f32(2.44140625e-4)) return x;
  if (a < f32(0.625)) {
    const z = f32(x * x);
    let acc: f32 = f32(-0.0008591338992118835);
    acc = f32(f32(acc * z) + f32(0.003303030738607049));
    acc = f32(f32(acc * z) + f32(-0.008789767511188984));
    acc = f32(f32(acc * z) + f32(0.021859681233763695));
    acc = f32(f32(acc * z) + f32(-0.05396762490272522));
    acc = f32(f32(acc * z) + f32(0.13333332538604736));
    acc = f32(f32(acc * z) + f32(-0.3333333432674408));
    return f32(x + f32(f32(x * z) * acc));
  }
  const r: f32 = a > f32(9.125) ? f32(1) : f32(f32(1) - f32(f32(2) / f32(expm1(f32(f32(2) * a)) + f32(2))));
  return x < f32(0) ? -r : r;
}

/**
 * numerator / (1 + e) for 0 <= e <= 1, compensated: s = fl(1 + e) with its exact error
 * err = e - (s - 1) (Fast2Sum), then q - q * err / s.
 */
function divideByOnePlus(numerator: f32, e: f32): f32 {
  const s = f32(f32(1) + e);
  const err = f32(e - f32(s - f32(1)));
  const q = f32(numerator / s);
  return f32(q - f32(f32(q * err) / s));
}

/** 1 / (1 + e^-x), evaluated with e = exp(-|x|) <= 1 so nothing overflows. */
export function sigmoid(x: f32): f32 {
  if (x != x) return NaN;
  if (x >= f32(0)) return divideByOnePlus(f32(1), exp(-x));
  const e = exp(x);
  return divideByOnePlus(e, e);
}

/** log(1 + e^x) = max(x, 0) + log1p(e^-|x|). */
export function softplus(x: f32): f32 {
  if (x != x) return NaN;
  if (x > f32(0)) return f32(x + log1p(exp(-x)));
  return log1p(exp(x));
}

/** (erf(x) - x) / x as a polynomial in t = x^2, on |x| < 0.84375. */
function erfSmall(t: f32): f32 {
  let acc: f32 = f32(-1.0910673154285178e-05);
  acc = f32(f32(acc * t) + f32(0.00011612600064836442));
  acc = f32(f32(acc * t) + f32(-0.0008522164425812662));
  acc = f32(f32(acc * t) + f32(0.0052231112495064735));
  acc = f32(f32(acc * t) + f32(-0.026866013184189796));
  acc = f32(f32(acc * t) + f32(0.11283790320158005));
  acc = f32(f32(acc * t) + f32(-0.37612637877464294));
  acc = f32(f32(acc * t) + f32(0.12837916612625122));
  return acc;
}

/** erf(1 + t) - erf(1) (rounded to float32: 0.8427007794380188), on [0.84375, 1.25]. */
function erfMid(t: f32): f32 {
  let acc: f32 = f32(-0.001268990570679307);
  acc = f32(f32(acc * t) + f32(-0.004779831971973181));
  acc = f32(f32(acc * t) + f32(0.015119043178856373));
  acc = f32(f32(acc * t) + f32(0.004614931531250477));
  acc = f32(f32(acc * t) + f32(-0.06918387115001678));
  acc = f32(f32(acc * t) + f32(0.06918452680110931));
  acc = f32(f32(acc * t) + f32(0.13836915791034698));
  acc = f32(f32(acc * t) + f32(-0.41510748863220215));
  acc = f32(f32(acc * t) + f32(0.41510748863220215));
  acc = f32(f32(acc * t) + f32(1.351140177519028e-08));
  return acc;
}

/** erfc(1.5 + t) on [1.25, 1.75). */
function erfcPiece1(t: f32): f32 {
  let acc: f32 = f32(0.0002504852309357375);
  acc = f32(f32(acc * t) + f32(7.752062811050564e-05));
  acc = f32(f32(acc * t) + f32(-0.0017094840295612812));
  acc = f32(f32(acc * t) + f32(0.0023638391867280006));
  acc = f32(f32(acc * t) + f32(0.004743039608001709));
  acc = f32(f32(acc * t) + f32(-0.019326211884617805));
  acc = f32(f32(acc * t) + f32(0.01486628595739603));
  acc = f32(f32(acc * t) + f32(0.044598858803510666));
  acc = f32(f32(acc * t) + f32(-0.13875199854373932));
  acc = f32(f32(acc * t) + f32(0.17839543521404266));
  acc = f32(f32(acc * t) + f32(-0.11893028765916824));
  acc = f32(f32(acc * t) + f32(0.0338948518037796));
  return acc;
}

/** erfc(2.0625 + t) on [1.75, 2.375). */
function erfcPiece2(t: f32): f32 {
  let acc: f32 = f32(-9.890943329082802e-05);
  acc = f32(f32(acc * t) + f32(0.00019293403602205217));
  acc = f32(f32(acc * t) + f32(0.00019142018572892994));
  acc = f32(f32(acc * t) + f32(-0.0015210367273539305));
  acc = f32(f32(acc * t) + f32(0.0025976295582950115));
  acc = f32(f32(acc * t) + f32(0.0008468125015497208));
  acc = f32(f32(acc * t) + f32(-0.013005738146603107));
  acc = f32(f32(acc * t) + f32(0.030354905873537064));
  acc = f32(f32(acc * t) + f32(-0.04012353718280792));
  acc = f32(f32(acc * t) + f32(0.03306747227907181));
  acc = f32(f32(acc * t) + f32(-0.016032714396715164));
  acc = f32(f32(acc * t) + f32(0.0035362490452826023));
  return acc;
}

/** erfc(2.75 + t) on [2.375, 3.125). */
function erfcPiece3(t: f32): f32 {
  let acc: f32 = f32(1.454991888749646e-05);
  acc = f32(f32(acc * t) + f32(-5.4409414588008076e-05));
  acc = f32(f32(acc * t) + f32(7.14627603883855e-05));
  acc = f32(f32(acc * t) + f32(8.890748722478747e-05));
  acc = f32(f32(acc * t) + f32(-0.0006460622535087168));
  acc = f32(f32(acc * t) + f32(0.001657335669733584));
  acc = f32(f32(acc * t) + f32(-0.0027558074798434973));
  acc = f32(f32(acc * t) + f32(0.003258113283663988));
  acc = f32(f32(acc * t) + f32(-0.002760388655588031));
  acc = f32(f32(acc * t) + f32(0.0016122624510899186));
  acc = f32(f32(acc * t) + f32(-0.0005862772231921554));
  acc = f32(f32(acc * t) + f32(0.00010062192450277507));
  return acc;
}

/** erfc(3.5625 + t) on [3.125, 4). */
function erfcPiece4(t: f32): f32 {
  let acc: f32 = f32(-5.448465003610181e-07);
  acc = f32(f32(acc * t) + f32(4.083220574102597e-06));
  acc = f32(f32(acc * t) + f32(-1.2583876014105044e-05));
  acc = f32(f32(acc * t) + f32(2.646735083544627e-05));
  acc = f32(f32(acc * t) + f32(-4.308111238060519e-05));
  acc = f32(f32(acc * t) + f32(5.572837108047679e-05));
  acc = f32(f32(acc * t) + f32(-5.729606345994398e-05));
  acc = f32(f32(acc * t) + f32(4.614954013959505e-05));
  acc = f32(f32(acc * t) + f32(-2.822343049047049e-05));
  acc = f32(f32(acc * t) + f32(1.2370923286653124e-05));
  acc = f32(f32(acc * t) + f32(-3.4725408113445155e-06));
  acc = f32(f32(acc * t) + f32(4.7008785486468696e-07));
  return acc;
}

/** The error function, piecewise: odd polynomial near 0, around erf(1), then 1 - erfc(|x|). */
export function erf(x: f32): f32 {
  if (x != x) return NaN;
  const a = absf(x);
  if (a < f32(0.84375)) return f32(x + f32(x * erfSmall(f32(x * x))));
  let r: f32 = f32(1);
  if (a < f32(1.25)) {
    r = f32(f32(0.8427007794380188) + erfMid(f32(a - f32(1))));
  } else if (a < f32(1.75)) {
    r = f32(f32(1) - erfcPiece1(f32(a - f32(1.5))));
  } else if (a < f32(2.375)) {
    r = f32(f32(1) - erfcPiece2(f32(a - f32(2.0625))));
  } else if (a < f32(3.125)) {
    r = f32(f32(1) - erfcPiece3(f32(a - f32(2.75))));
  } else if (a < f32(4)) {
    r = f32(f32(1) - erfcPiece4(f32(a - f32(3.5625))));
  }
  return x < f32(0) ? -r : r;
}

/** erfinv(x) / x for w = -log(1 - x^2) < 5, in t = w - 2.5. */
function erfinvCentral(t: f32): f32 {
  let acc: f32 = f32(4.3511522163086624e-10);
  acc = f32(f32(acc * t) + f32(-8.73983019289426e-09));
  acc = f32(f32(acc * t) + f32(1.6487168963408294e-08));
  acc = f32(f32(acc * t) + f32(4.6542871245947026e-07));
  acc = f32(f32(acc * t) + f32(-3.426175908316509e-06));
  acc = f32(f32(acc * t) + f32(-4.959743364452152e-06));
  acc = f32(f32(acc * t) + f32(0.00021826392912771553));
  acc = f32(f32(acc * t) + f32(-0.0012527484213933349));
  acc = f32(f32(acc * t) + f32(-0.004177324939519167));
  acc = f32(f32(acc * t) + f32(0.24664029479026794));
  acc = f32(f32(acc * t) + f32(1.5014092922210693));
  return acc;
}

/** erfinv(x) / x for w >= 5, in t = sqrt(w) - 3. */
function erfinvTail(t: f32): f32 {
  let acc: f32 = f32(0.00012493289250414819);
  acc = f32(f32(acc * t) + f32(-0.00031577551271766424));
  acc = f32(f32(acc * t) + f32(-7.065825775498524e-05));
  acc = f32(f32(acc * t) + f32(0.0014922537375241518));
  acc = f32(f32(acc * t) + f32(-0.0035900799557566643));
  acc = f32(f32(acc * t) + f32(0.005684529431164265));
  acc = f32(f32(acc * t) + f32(-0.007638781331479549));
  acc = f32(f32(acc * t) + f32(0.009445525705814362));
  acc = f32(f32(acc * t) + f32(1.001675009727478));
  acc = f32(f32(acc * t) + f32(2.832976818084717));
  return acc;
}

/** Inverse error function on the open interval (-1, 1) (used by the normal sampler). */
export function erfinv(x: f32): f32 {
  if (x != x || x <= f32(-1) || x >= f32(1)) {
    if (x == f32(1)) return Infinity;
    if (x == f32(-1)) return -Infinity;
    return NaN;
  }
  const w = -log(f32(f32(f32(1) - x) * f32(f32(1) + x)));
  const p: f32 = w < f32(5) ? erfinvCentral(f32(w - f32(2.5))) : erfinvTail(f32(sqrtf(w) - f32(3)));
  return f32(p * x);
}

/** Correctly rounded float32 square root. */
export function sqrt(x: f32): f32 {
  return sqrtf(x);
}

/**
 * x^y. Integer exponents with |y| <= 2^24 use binary powering on float32 (square-and-multiply,
 * least significant bit first, reciprocal last); otherwise exp(y * log x) for x > 0, with
 * IEEE pow's special cases for zeros, infinities, NaN and negative bases.
 */
export function pow(x: f32, y: f32): f32 {
  if (y == f32(0)) return f32(1);
  if (x != x || y != y) return x == f32(1) ? f32(1) : NaN;
  if (x == f32(1)) return f32(1);
  if (floorf(y) == y && absf(y) <= f32(16777216)) {
    let base = x;
    let n: i32 = i32(absf(y));
    let result: f32 = f32(1);
    while (n > 0) {
      if ((n & 1) == 1) result = f32(result * base);
      n = n >> 1;
      if (n > 0) base = f32(base * base);
    }
    return y < f32(0) ? f32(f32(1) / result) : result;
  }
  if (x < f32(0)) return x == -Infinity ? (y > f32(0) ? Infinity : f32(0)) : NaN;
  if (x == f32(0)) return y > f32(0) ? f32(0) : Infinity;
  if (x == Infinity) return y > f32(0) ? Infinity : f32(0);
  if (y == f32(0.5)) return sqrtf(x);
  return exp(f32(y * log(x)));
}

/** r + r^3 S(r^2), S ~ (sin(r) - r) / r^3 (Taylor: -1/6, 1/120, -1/5040, 1/362880), |r| <= pi/4. */
function sinPoly(r: f32): f32 {
  const z = f32(r * r);
  let acc: f32 = f32(1.0 / 362880.0);
  acc = f32(f32(acc * z) + f32(-1.0 / 5040.0));
  acc = f32(f32(acc * z) + f32(1.0 / 120.0));
  acc = f32(f32(acc * z) + f32(-1.0 / 6.0));
  return f32(r + f32(f32(r * z) * acc));
}

/**
 * cos(r) = w + ((1 - w) - r^2/2 + r^4 C(r^2)) with w = 1 - r^2/2, so the rounding of w is
 * recovered; C ~ (cos(r) - 1 + r^2/2) / r^4 (Taylor: 1/24, -1/720, 1/40320, -1/3628800).
 */
function cosPoly(r: f32): f32 {
  const z = f32(r * r);
  const halfZ = f32(f32(0.5) * z);
  const w = f32(f32(1) - halfZ);
  let acc: f32 = f32(-1.0 / 3628800.0);
  acc = f32(f32(acc * z) + f32(1.0 / 40320.0));
  acc = f32(f32(acc * z) + f32(-1.0 / 720.0));
  acc = f32(f32(acc * z) + f32(1.0 / 24.0));
  return f32(w + f32(f32(f32(f32(1) - w) - halfZ) + f32(f32(z * z) * acc)));
}

const PI: f32 = f32(3.141592653589793);

/**
 * cos(pi x) (used by cosine learning-rate decay). x is reduced exactly to a in [0, 1] by
 * periodicity and symmetry; then cos(pi a) is a cosine or sine polynomial of pi q with
 * |q| <= 1/4.
 */
export function cospi(x: f32): f32 {
  if (x != x || absf(x) == Infinity) return NaN;
  let a = absf(x);
  a = f32(a - f32(f32(2) * floorf(f32(a / f32(2)))));
  if (a > f32(1)) a = f32(f32(2) - a);
  if (a <= f32(0.25)) return cosPoly(f32(PI * a));
  if (a < f32(0.75)) return sinPoly(f32(PI * f32(f32(0.5) - a)));
  return -cosPoly(f32(PI * f32(f32(1) - a)));
}

/** 2/pi, and pi/2 = PIO2_1 + PIO2_2 + PIO2_3 with 25, 25 and 53 significant bits (float64). */
const INV_PIO2: f64 = 0.6366197723675814;
const PIO2_1: f64 = 1.5707963109016418;
const PIO2_2: f64 = 1.5893254712295857e-08;
const PIO2_3: f64 = 6.123233995736766e-17;
const TWO_PI: f64 = 6.283185307179586;

/** The quadrant of the last reduceQuarterPi() (AssemblyScript has no tuples). */
let reducedQuadrant: i32 = 0;

/**
 * x - k pi/2 for the nearest integer k (ties upward), in float64 arithmetic, which JavaScript and
 * WebAssembly both perform exactly as IEEE binary64: k PIO2_1 and k PIO2_2 are exact for
 * |k| < 2^28 and x - k PIO2_1 is exact, so r is within 2^-70 of the true remainder for
 * |x| < 2^28. Larger inputs are first reduced modulo the float64 value of 2 pi: deterministic
 * and in range, but not the true remainder. Leaves k mod 4 in reducedQuadrant.
 */
function reduceQuarterPi(x: f32): f32 {
  let y: f64 = f64(x);
  if (y >= 268435456 || y <= -268435456) y = y - TWO_PI * floorf64(y / TWO_PI);
  const kf: f64 = floorf64(y * INV_PIO2 + 0.5);
  const r: f64 = ((y - kf * PIO2_1) - kf * PIO2_2) - kf * PIO2_3;
  reducedQuadrant = i32(kf - 4 * floorf64(kf * 0.25));
  return f32(r);
}

/** sin(x): reduced to |r| <= pi/4, then the sine or cosine polynomial of its quadrant. */
export function sin(x: f32): f32 {
  if (x != x || absf(x) == Infinity) return NaN;
  if (absf(x) < f32(1.0e-4)) return x;
  const r = reduceQuarterPi(x);
  const q = reducedQuadrant;
  if (q == 0) return sinPoly(r);
  if (q == 1) return cosPoly(r);
  if (q == 2) return -sinPoly(r);
  return -cosPoly(r);
}

/** cos(x): reduced to |r| <= pi/4, then the cosine or sine polynomial of its quadrant. */
export function cos(x: f32): f32 {
  if (x != x || absf(x) == Infinity) return NaN;
  const r = reduceQuarterPi(x);
  const q = reducedQuadrant;
  if (q == 0) return cosPoly(r);
  if (q == 1) return -sinPoly(r);
  if (q == 2) return -cosPoly(r);
  return sinPoly(r);
}

/** atan(t) - t as t^3 Q(t^2), Q ~ (atan(t) - t) / t^3, on |t| <= 7/16. */
function atanTail(t: f32): f32 {
  const z = f32(t * t);
  let acc: f32 = f32(-0.058004382997751236);
  acc = f32(f32(acc * z) + f32(0.1048344075679779));
  acc = f32(f32(acc * z) + f32(-0.14228631556034088));
  acc = f32(f32(acc * z) + f32(0.19997695088386536));
  acc = f32(f32(acc * z) + f32(-0.33333301544189453));
  return f32(f32(t * z) * acc);
}

/** fl(pi/2), and the float32 rounding of pi/2 - fl(pi/2). */
const PIO2_HI: f32 = f32(1.5707963705062866);
const PIO2_LO: f32 = f32(-4.371138828673793e-8);

/**
 * atan(a) for a >= 0: below 7/16 the polynomial itself (below 2^-12, where a^3/3 is under half an
 * ULP, a); above, a is reduced to t = (a - c) / (1 + c a) around c = 0.5, 1, 1.5 (numerators
 * exact by Sterbenz), or t = -1/a, and atan(a) = atan(c) + atan(t) with atan(c) in two float32
 * parts (scripts/fit_f32_polys.py), the small terms added first; from 2^26 on, fl(pi/2).
 */
function atanNonNegative(a: f32): f32 {
  if (a < f32(0.4375)) return a < f32(2.44140625e-4) ? a : f32(a + atanTail(a));
  if (a >= f32(67108864)) return PIO2_HI;
  let t: f32;
  let hi: f32;
  let lo: f32;
  if (a < f32(0.6875)) {
    t = f32(f32(f32(f32(2) * a) - f32(1)) / f32(f32(2) + a));
    hi = f32(0.46364760398864746);
    lo = f32(5.01215868808913e-9);
  } else if (a < f32(1.1875)) {
    t = f32(f32(a - f32(1)) / f32(a + f32(1)));
    hi = f32(0.7853981852531433);
    lo = f32(-2.1855694143368964e-8);
  } else if (a < f32(2.4375)) {
    t = f32(f32(a - f32(1.5)) / f32(f32(1) + f32(f32(1.5) * a)));
    hi = f32(0.9827937483787537);
    lo = f32(-2.5131424052915463e-8);
  } else {
    t = f32(f32(-1) / a);
    hi = PIO2_HI;
    lo = PIO2_LO;
  }
  return f32(hi + f32(f32(atanTail(t) + lo) + t));
}

/** The arctangent, in (-pi/2, pi/2); odd, so atan(-0) = -0. */
export function atan(x: f32): f32 {
  if (x != x) return NaN;
  return x < f32(0) ? -atanNonNegative(-x) : atanNonNegative(x);
}

/** The float32 rounding of pi - fl(pi). */
const PI_LO: f32 = f32(-8.742277657347586e-8);

/**
 * The angle of the point (x, y), in [-pi, pi], as C's atan2: y = ±0 gives ±0 for x > 0 or +0
 * and ±pi for x < 0 or -0; x = ±0 gives ±pi/2; infinities give multiples of pi/4.
 * Otherwise z = atan(|y / x|), and pi - z for x < 0 as pi - (z - lo(pi)).
 */
export function atan2(y: f32, x: f32): f32 {
  if (x != x || y != y) return NaN;
  const yNegative = (floatToBits(y) >>> 31) == 1;
  const xNegative = (floatToBits(x) >>> 31) == 1;
  const ay = absf(y);
  const ax = absf(x);
  let r: f32;
  if (ay == f32(0)) {
    r = xNegative ? PI : f32(0);
  } else if (ax == Infinity) {
    // fl(3 pi/4), fl(pi/4)
    if (ay == Infinity) r = xNegative ? f32(2.356194496154785) : f32(0.7853981852531433);
    else r = xNegative ? PI : f32(0);
  } else {
    const q = f32(ay / ax);
    // Beyond 2^26 (also y infinite or x zero) the angle rounds to pi/2, which pi - (z - lo(pi))
    // would miss by an ULP for x < 0.
    if (q > f32(67108864)) r = PIO2_HI;
    else if (xNegative) r = f32(PI - f32(atan(q) - PI_LO));
    else r = atan(q);
  }
  return yNegative ? -r : r;
}
