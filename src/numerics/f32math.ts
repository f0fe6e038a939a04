/**
 * Float32 transcendental functions built only from binary32 `+ - * /`, `sqrt`, comparisons,
 * `floor` and bit operations, each step rounded with Math.fround. The same sequence of
 * operations is the specification that every backend kernel reproduces bit for bit; engines'
 * Math.exp & co. are never used because they may differ in the last bit between engines.
 *
 * Accuracy (tested on a dense sweep of all float32 inputs): within 2 ULP of the correctly
 * rounded result, most within 1. Polynomial coefficients are fitted by scripts/fit_f32_polys.py.
 */

const f = Math.fround;

const bitsView = new Float32Array(1);
const bitsWords = new Uint32Array(bitsView.buffer);

export function floatToBits(x: number): number {
  bitsView[0] = x;
  return bitsWords[0]!;
}

export function bitsToFloat(bits: number): number {
  bitsWords[0] = bits >>> 0;
  return bitsView[0]!;
}

/** 2^k as a float32, for k in [-126, 127]. */
function pow2(k: number): number {
  return bitsToFloat((k + 127) << 23);
}

/** x * 2^k with a single rounding, for k in [-151, 128]. */
function scaleByPow2(x: number, k: number): number {
  if (k > 127) return f(f(x * pow2(127)) * pow2(k - 127));
  if (k < -126) return f(f(x * pow2(k + 64)) * pow2(-64));
  return f(x * pow2(k));
}

function horner(coefficients: readonly number[], t: number): number {
  let acc = coefficients[coefficients.length - 1]!;
  for (let i = coefficients.length - 2; i >= 0; i--) acc = f(f(acc * t) + coefficients[i]!);
  return acc;
}

const INV_LN2 = f(1.4426950408889634);
/** ln 2 split so that k * LN2_HI is exact for |k| < 2^8. */
const LN2_HI = f(0.693145751953125);
const LN2_LO = f(1.428606820309417e-6);
const LN2 = f(0.6931471805599453);

/** (e^r - 1 - r) / r^2 on |r| <= ln 2. */
const EXPM1_Q = [0.5, 0.1666666716337204, 0.041666675359010696, 0.00833333469927311,
  0.0013888055691495538, 0.0001984024711418897, 2.5073124561458826e-05,
  2.7834910270030377e-06].map(f);

function expm1Poly(r: number): number {
  return f(r + f(f(r * r) * horner(EXPM1_Q, r)));
}

/** Rounds x / ln 2 to the nearest integer, ties upward: k = floor(x * (1/ln 2) + 0.5). */
function reductionMultiple(x: number): number {
  return Math.floor(f(f(x * INV_LN2) + 0.5));
}

/** r = x - k ln 2 in two steps (Cody-Waite); the first subtraction is exact. */
function reduce(x: number, k: number): number {
  return f(f(x - f(k * LN2_HI)) - f(k * LN2_LO));
}

/**
 * e^x: k = round(x / ln 2), r = x - k ln 2 (|r| <= ln 2 / 2), e^x = 2^k (1 + expm1(r)).
 */
export function exp(x: number): number {
  if (x !== x) return NaN;
  if (x > 89) return Infinity;
  if (x < -104) return 0;
  const k = reductionMultiple(x);
  const r = reduce(x, k);
  return scaleByPow2(f(1 + expm1Poly(r)), k);
}

/**
 * e^x - 1: a direct polynomial on |x| <= ln 2; beyond, with x = k ln 2 + r,
 * e^x - 1 = 2^k (expm1(r) - (2^-k - 1)), where 2^-k - 1 is exact for |k| <= 24.
 */
export function expm1(x: number): number {
  if (x !== x) return NaN;
  if (x === 0) return x;
  if (x > 89) return Infinity;
  if (x < -18) return -1;
  if (x >= -LN2 && x <= LN2) return expm1Poly(x);
  const k = reductionMultiple(x);
  const em = expm1Poly(reduce(x, k));
  if (k > 24) return f(scaleByPow2(f(1 + em), k) - 1);
  return scaleByPow2(f(em - f(scaleByPow2(1, -k) - 1)), k);
}

/** 2/3, 2/5, 2/7, 2/9: log((1+s)/(1-s)) = 2s + s*z*(...) with z = s^2. */
const LOG_R = [2 / 3, 2 / 5, 2 / 7, 2 / 9].map(f);

/**
 * log(2^k (1 + m)) + correction, for m in [sqrt(2)/2 - 1, sqrt(2) - 1):
 * with s = m / (2 + m), log(1 + m) = m - (m^2/2 - s (m^2/2 + R(s^2))) evaluated so that the
 * exact m carries the result and rounding errors land in the small terms.
 */
function logCore(m: number, k: number, correction: number): number {
  const s = f(m / f(2 + m));
  const z = f(s * s);
  const r = f(z * horner(LOG_R, z));
  const halfSquare = f(0.5 * f(m * m));
  const small = f(f(s * f(halfSquare + r)) + f(f(k * LN2_LO) + correction));
  const tail = f(halfSquare - small);
  if (k === 0) return f(m - tail);
  // k ln2 + m - tail with one main rounding: Fast2Sum of the exact k * LN2_HI (|k ln2| > |m|) and m.
  const hi = f(k * LN2_HI);
  const sum = f(hi + m);
  const sumError = f(m - f(sum - hi));
  return f(sum + f(sumError - tail));
}

/** Mantissa bits of sqrt(2): significands above it are halved so that 1 + m is near 1. */
const SQRT2_MANTISSA = 0x3504f3;

/** Splits a positive finite float32 into 2^k * (1 + m) with 1 + m in [sqrt(2)/2, sqrt(2)). */
function decompose(x: number): { k: number; m: number } {
  let bits = floatToBits(x);
  let k = 0;
  if (bits < 0x00800000) {
    bits = floatToBits(f(x * pow2(25)));
    k = -25;
  }
  k += (bits >>> 23) - 127;
  const mantissa = bits & 0x7fffff;
  if (mantissa > SQRT2_MANTISSA) {
    return { k: k + 1, m: f(bitsToFloat(mantissa | 0x3f000000) - 1) };
  }
  return { k, m: f(bitsToFloat(mantissa | 0x3f800000) - 1) };
}

export function log(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  const { k, m } = decompose(x);
  return logCore(m, k, 0);
}

/**
 * log(1 + x): u = fl(1 + x) = 2^k (1 + m), and the rounding error of u is added back as
 * c / u with c = (1 + x) - u computed exactly.
 */
export function log1p(x: number): number {
  if (x !== x || x < -1) return NaN;
  if (x === -1) return -Infinity;
  if (x === Infinity) return Infinity;
  if (x > -5.960464477539063e-8 && x < 5.960464477539063e-8) return x;
  const u = f(1 + x);
  const { k, m } = decompose(u);
  if (k === 0) return logCore(x, 0, 0);
  if (k > 25) return logCore(m, k, 0);
  // Both forms are exact where they are used (Sterbenz): u - 1 for u < 4, u - x for x >= 1.
  const c = k >= 2 ? f(1 - f(u - x)) : f(x - f(u - 1));
  return logCore(m, k, f(c / u));
}

/** (tanh(x) - x) / x^3 as a polynomial in x^2, on |x| <= 0.625. */
const TANH_P = [-0.3333333432674408, 0.13333332538604736, -0.05396762490272522,
  0.021859681233763695, -0.008789767511188984, 0.003303030738607049,
  -0.0008591338992118835].map(f);

/** tanh(x) = x + x^3 P(x^2) near zero, else 1 - 2 / (expm1(2|x|) + 2) with the sign of x. */
export function tanh(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  if (a < 2.44140625e-4) return x;
  if (a < 0.625) {
    const z = f(x * x);
    return f(x + f(f(x * z) * horner(TANH_P, z)));
  }
  const r = a > 9.125 ? 1 : f(1 - f(2 / f(expm1(f(2 * a)) + 2)));
  return x < 0 ? -r : r;
}

/**
 * numerator / (1 + e) for 0 <= e <= 1, compensated: s = fl(1 + e) with its exact error
 * err = e - (s - 1) (Fast2Sum), then q - q * err / s.
 */
function divideByOnePlus(numerator: number, e: number): number {
  const s = f(1 + e);
  const err = f(e - f(s - 1));
  const q = f(numerator / s);
  return f(q - f(f(q * err) / s));
}

/** 1 / (1 + e^-x), evaluated with e = exp(-|x|) <= 1 so nothing overflows. */
export function sigmoid(x: number): number {
  if (x !== x) return NaN;
  if (x >= 0) return divideByOnePlus(1, exp(-x));
  const e = exp(x);
  return divideByOnePlus(e, e);
}

/** log(1 + e^x) = max(x, 0) + log1p(e^-|x|). */
export function softplus(x: number): number {
  if (x !== x) return NaN;
  if (x > 0) return f(x + log1p(exp(-x)));
  return log1p(exp(x));
}

/** (erf(x) - x) / x as a polynomial in x^2, on |x| < 0.84375. */
const ERF_SMALL_P = [0.12837916612625122, -0.37612637877464294, 0.11283790320158005,
  -0.026866013184189796, 0.0052231112495064735, -0.0008522164425812662,
  0.00011612600064836442, -1.0910673154285178e-05].map(f);
/** erf(1) rounded to float32, and erf(1 + s) - ERF_MID_C on [0.84375, 1.25]. */
const ERF_MID_C = f(0.8427007794380188);
const ERF_MID_P = [1.351140177519028e-08, 0.41510748863220215, -0.41510748863220215,
  0.13836915791034698, 0.06918452680110931, -0.06918387115001678, 0.004614931531250477,
  0.015119043178856373, -0.004779831971973181, -0.001268990570679307].map(f);
/** erfc(centre + s) on [lower, upper), one polynomial per piece. */
const ERFC_PIECES: readonly { upper: number; centre: number; p: number[] }[] = [
  { upper: 1.75, centre: 1.5, p: [0.0338948518037796, -0.11893028765916824, 0.17839543521404266,
    -0.13875199854373932, 0.044598858803510666, 0.01486628595739603, -0.019326211884617805,
    0.004743039608001709, 0.0023638391867280006, -0.0017094840295612812,
    7.752062811050564e-05, 0.0002504852309357375] },
  { upper: 2.375, centre: 2.0625, p: [0.0035362490452826023, -0.016032714396715164,
    0.03306747227907181, -0.04012353718280792, 0.030354905873537064, -0.013005738146603107,
    0.0008468125015497208, 0.0025976295582950115, -0.0015210367273539305,
    0.00019142018572892994, 0.00019293403602205217, -9.890943329082802e-05] },
  { upper: 3.125, centre: 2.75, p: [0.00010062192450277507, -0.0005862772231921554,
    0.0016122624510899186, -0.002760388655588031, 0.003258113283663988,
    -0.0027558074798434973, 0.001657335669733584, -0.0006460622535087168,
    8.890748722478747e-05, 7.14627603883855e-05, -5.4409414588008076e-05,
    1.454991888749646e-05] },
  { upper: 4, centre: 3.5625, p: [4.7008785486468696e-07, -3.4725408113445155e-06,
    1.2370923286653124e-05, -2.822343049047049e-05, 4.614954013959505e-05,
    -5.729606345994398e-05, 5.572837108047679e-05, -4.308111238060519e-05,
    2.646735083544627e-05, -1.2583876014105044e-05, 4.083220574102597e-06,
    -5.448465003610181e-07] },
].map(({ upper, centre, p }) => ({ upper, centre, p: p.map(f) }));

/** The error function, piecewise: odd polynomial near 0, around erf(1), then 1 - erfc(|x|). */
export function erf(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  if (a < 0.84375) return f(x + f(x * horner(ERF_SMALL_P, f(x * x))));
  let r = 1;
  if (a < 1.25) {
    r = f(ERF_MID_C + horner(ERF_MID_P, f(a - 1)));
  } else if (a < 4) {
    const piece = ERFC_PIECES.find((candidate) => a < candidate.upper)!;
    r = f(1 - horner(piece.p, f(a - piece.centre)));
  }
  return x < 0 ? -r : r;
}

/** erfinv(x) / x in terms of w = -log(1 - x^2): t = w - 2.5 for w < 5, else t = sqrt(w) - 3. */
const ERFINV_CENTRAL_P = [1.5014092922210693, 0.24664029479026794, -0.004177324939519167,
  -0.0012527484213933349, 0.00021826392912771553, -4.959743364452152e-06,
  -3.426175908316509e-06, 4.6542871245947026e-07, 1.6487168963408294e-08,
  -8.73983019289426e-09, 4.3511522163086624e-10].map(f);
const ERFINV_TAIL_P = [2.832976818084717, 1.001675009727478, 0.009445525705814362,
  -0.007638781331479549, 0.005684529431164265, -0.0035900799557566643,
  0.0014922537375241518, -7.065825775498524e-05, -0.00031577551271766424,
  0.00012493289250414819].map(f);

/** Inverse error function on the open interval (-1, 1) (used by the normal sampler). */
export function erfinv(x: number): number {
  if (x !== x || x <= -1 || x >= 1) {
    if (x === 1) return Infinity;
    if (x === -1) return -Infinity;
    return NaN;
  }
  const w = -log(f(f(1 - x) * f(1 + x)));
  const p = w < 5
    ? horner(ERFINV_CENTRAL_P, f(w - 2.5))
    : horner(ERFINV_TAIL_P, f(f(Math.sqrt(w)) - 3));
  return f(p * x);
}

/** Correctly rounded float32 square root (IEEE sqrt of a float32 through float64 is exact). */
export function sqrt(x: number): number {
  return f(Math.sqrt(x));
}

/**
 * x^y. Integer exponents with |y| <= 2^24 use binary powering on float32 (square-and-multiply,
 * least significant bit first, reciprocal last); otherwise exp(y * log x) for x > 0, with
 * IEEE pow's special cases for zeros, infinities, NaN and negative bases.
 */
export function pow(x: number, y: number): number {
  if (y === 0) return 1;
  if (x !== x || y !== y) return x === 1 ? 1 : NaN;
  if (x === 1) return 1;
  const yIsInteger = Math.floor(y) === y && Math.abs(y) <= 16777216;
  if (yIsInteger) {
    let base = x;
    let n = Math.abs(y);
    let result = 1;
    while (n > 0) {
      if (n % 2 === 1) result = f(result * base);
      n = Math.floor(n / 2);
      if (n > 0) base = f(base * base);
    }
    return y < 0 ? f(1 / result) : result;
  }
  if (x < 0) return x === -Infinity ? (y > 0 ? Infinity : 0) : NaN;
  if (x === 0) return y > 0 ? 0 : Infinity;
  if (x === Infinity) return y > 0 ? Infinity : 0;
  if (y === 0.5) return sqrt(x);
  return exp(f(y * log(x)));
}

/** Taylor coefficients of (sin(r) - r) / r^3 and (cos(r) - 1 + r^2/2) / r^4 in r^2, for |r| <= pi/4. */
const SIN_C = [-1 / 6, 1 / 120, -1 / 5040, 1 / 362880].map(f);
const COS_C = [1 / 24, -1 / 720, 1 / 40320, -1 / 3628800].map(f);
const PI = f(Math.PI);

function sinPoly(r: number): number {
  const z = f(r * r);
  return f(r + f(f(r * z) * horner(SIN_C, z)));
}

/** cos(r) = w + ((1 - w) - r^2/2 + r^4 C) with w = 1 - r^2/2, so the rounding of w is recovered. */
function cosPoly(r: number): number {
  const z = f(r * r);
  const halfZ = f(0.5 * z);
  const w = f(1 - halfZ);
  return f(w + f(f(f(1 - w) - halfZ) + f(f(z * z) * horner(COS_C, z))));
}

/**
 * cos(pi x) (used by cosine learning-rate decay). x is reduced exactly to a in [0, 1] by
 * periodicity and symmetry; then cos(pi a) is a cosine or sine polynomial of pi q with
 * |q| <= 1/4.
 */
export function cospi(x: number): number {
  if (!Number.isFinite(x)) return NaN;
  let a = Math.abs(x);
  a = f(a - f(2 * Math.floor(a / 2)));
  if (a > 1) a = f(2 - a);
  if (a <= 0.25) return cosPoly(f(PI * a));
  if (a < 0.75) return sinPoly(f(PI * f(0.5 - a)));
  return -cosPoly(f(PI * f(1 - a)));
}
