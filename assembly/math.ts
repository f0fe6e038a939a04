// Float32 transcendental functions: an operation-for-operation port of src/numerics/f32math.ts,
// whose sequence of binary32 operations is the specification. Every literal below is the same
// double literal that f32math rounds with Math.fround. Keep the two files in step.

@inline function floatToBits(x: f32): u32 {
  return reinterpret<u32>(x);
}

@inline function bitsToFloat(b: u32): f32 {
  return reinterpret<f32>(b);
}

@inline function pow2(k: i32): f32 {
  return bitsToFloat(<u32>(k + 127) << 23);
}

function scaleByPow2(x: f32, k: i32): f32 {
  if (k > 127) return (x * pow2(127)) * pow2(k - 127);
  if (k < -126) return (x * pow2(k + 64)) * pow2(-64);
  return x * pow2(k);
}

const INV_LN2: f32 = <f32>1.4426950408889634;
const LN2_HI: f32 = <f32>0.693145751953125;
const LN2_LO: f32 = <f32>1.428606820309417e-6;
const LN2: f32 = <f32>0.6931471805599453;

@inline function expm1Poly(r: f32): f32 {
  let acc: f32 = <f32>2.7834910270030377e-06;
  acc = acc * r + <f32>2.5073124561458826e-05;
  acc = acc * r + <f32>0.0001984024711418897;
  acc = acc * r + <f32>0.0013888055691495538;
  acc = acc * r + <f32>0.00833333469927311;
  acc = acc * r + <f32>0.041666675359010696;
  acc = acc * r + <f32>0.1666666716337204;
  acc = acc * r + <f32>0.5;
  return r + (r * r) * acc;
}

@inline function reductionMultiple(x: f32): i32 {
  return <i32>Mathf.floor(x * INV_LN2 + <f32>0.5);
}

@inline function reduce(x: f32, k: i32): f32 {
  const kf = <f32>k;
  return (x - kf * LN2_HI) - kf * LN2_LO;
}

export function expf(x: f32): f32 {
  if (x != x) return NaN;
  if (x > <f32>89) return Infinity;
  if (x < <f32>-104) return 0;
  const k = reductionMultiple(x);
  const r = reduce(x, k);
  return scaleByPow2(<f32>1 + expm1Poly(r), k);
}

export function expm1f(x: f32): f32 {
  if (x != x) return NaN;
  if (x == 0) return x;
  if (x > <f32>89) return Infinity;
  if (x < <f32>-18) return -1;
  if (x >= -LN2 && x <= LN2) return expm1Poly(x);
  const k = reductionMultiple(x);
  const em = expm1Poly(reduce(x, k));
  if (k > 24) return scaleByPow2(<f32>1 + em, k) - <f32>1;
  return scaleByPow2(em - (scaleByPow2(1, -k) - <f32>1), k);
}

function logCore(m: f32, k: i32, correction: f32): f32 {
  const s = m / (<f32>2 + m);
  const z = s * s;
  let acc: f32 = <f32>(2.0 / 9.0);
  acc = acc * z + <f32>(2.0 / 7.0);
  acc = acc * z + <f32>(2.0 / 5.0);
  acc = acc * z + <f32>(2.0 / 3.0);
  const r = z * acc;
  const halfSquare = <f32>0.5 * (m * m);
  const kf = <f32>k;
  const small = s * (halfSquare + r) + (kf * LN2_LO + correction);
  const tail = halfSquare - small;
  if (k == 0) return m - tail;
  const hi = kf * LN2_HI;
  const sum = hi + m;
  const sumError = m - (sum - hi);
  return sum + (sumError - tail);
}

const SQRT2_MANTISSA: u32 = 0x3504f3;

// Returns k; writes m to the scratch global (AssemblyScript has no tuples).
let decomposedM: f32 = 0;

function decompose(x: f32): i32 {
  let bits = floatToBits(x);
  let k = 0;
  if (bits < 0x00800000) {
    bits = floatToBits(x * pow2(25));
    k = -25;
  }
  k += <i32>(bits >>> 23) - 127;
  const mantissa = bits & 0x7fffff;
  if (mantissa > SQRT2_MANTISSA) {
    decomposedM = bitsToFloat(mantissa | 0x3f000000) - <f32>1;
    return k + 1;
  }
  decomposedM = bitsToFloat(mantissa | 0x3f800000) - <f32>1;
  return k;
}

export function logf(x: f32): f32 {
  if (x != x || x < 0) return NaN;
  if (x == 0) return -Infinity;
  if (x == Infinity) return Infinity;
  const k = decompose(x);
  return logCore(decomposedM, k, 0);
}

export function log1pf(x: f32): f32 {
  if (x != x || x < -1) return NaN;
  if (x == -1) return -Infinity;
  if (x == Infinity) return Infinity;
  if (x > <f32>-5.960464477539063e-8 && x < <f32>5.960464477539063e-8) return x;
  const u = <f32>1 + x;
  const k = decompose(u);
  const m = decomposedM;
  if (k == 0) return logCore(x, 0, 0);
  if (k > 25) return logCore(m, k, 0);
  const c = k >= 2 ? <f32>1 - (u - x) : x - (u - <f32>1);
  return logCore(m, k, c / u);
}

export function tanhf(x: f32): f32 {
  if (x != x) return NaN;
  const a = Mathf.abs(x);
  if (a < <f32>2.44140625e-4) return x;
  if (a < <f32>0.625) {
    const z = x * x;
    let acc: f32 = <f32>-0.0008591338992118835;
    acc = acc * z + <f32>0.003303030738607049;
    acc = acc * z + <f32>-0.008789767511188984;
    acc = acc * z + <f32>0.021859681233763695;
    acc = acc * z + <f32>-0.05396762490272522;
    acc = acc * z + <f32>0.13333332538604736;
    acc = acc * z + <f32>-0.3333333432674408;
    return x + (x * z) * acc;
  }
  const r: f32 = a > <f32>9.125 ? 1 : <f32>1 - <f32>2 / (expm1f(<f32>2 * a) + <f32>2);
  return x < 0 ? -r : r;
}

@inline function divideByOnePlus(numerator: f32, e: f32): f32 {
  const s = <f32>1 + e;
  const err = e - (s - <f32>1);
  const q = numerator / s;
  return q - (q * err) / s;
}

export function sigmoidf(x: f32): f32 {
  if (x != x) return NaN;
  if (x >= 0) return divideByOnePlus(1, expf(-x));
  const e = expf(x);
  return divideByOnePlus(e, e);
}

export function softplusf(x: f32): f32 {
  if (x != x) return NaN;
  if (x > 0) return x + log1pf(expf(-x));
  return log1pf(expf(x));
}

@inline function hornerErfSmall(t: f32): f32 {
  let acc: f32 = <f32>-1.0910673154285178e-05;
  acc = acc * t + <f32>0.00011612600064836442;
  acc = acc * t + <f32>-0.0008522164425812662;
  acc = acc * t + <f32>0.0052231112495064735;
  acc = acc * t + <f32>-0.026866013184189796;
  acc = acc * t + <f32>0.11283790320158005;
  acc = acc * t + <f32>-0.37612637877464294;
  acc = acc * t + <f32>0.12837916612625122;
  return acc;
}

@inline function hornerErfMid(t: f32): f32 {
  let acc: f32 = <f32>-0.001268990570679307;
  acc = acc * t + <f32>-0.004779831971973181;
  acc = acc * t + <f32>0.015119043178856373;
  acc = acc * t + <f32>0.004614931531250477;
  acc = acc * t + <f32>-0.06918387115001678;
  acc = acc * t + <f32>0.06918452680110931;
  acc = acc * t + <f32>0.13836915791034698;
  acc = acc * t + <f32>-0.41510748863220215;
  acc = acc * t + <f32>0.41510748863220215;
  acc = acc * t + <f32>1.351140177519028e-08;
  return acc;
}

function erfcPiece1(t: f32): f32 {
  let acc: f32 = <f32>0.0002504852309357375;
  acc = acc * t + <f32>7.752062811050564e-05;
  acc = acc * t + <f32>-0.0017094840295612812;
  acc = acc * t + <f32>0.0023638391867280006;
  acc = acc * t + <f32>0.004743039608001709;
  acc = acc * t + <f32>-0.019326211884617805;
  acc = acc * t + <f32>0.01486628595739603;
  acc = acc * t + <f32>0.044598858803510666;
  acc = acc * t + <f32>-0.13875199854373932;
  acc = acc * t + <f32>0.17839543521404266;
  acc = acc * t + <f32>-0.11893028765916824;
  acc = acc * t + <f32>0.0338948518037796;
  return acc;
}

function erfcPiece2(t: f32): f32 {
  let acc: f32 = <f32>-9.890943329082802e-05;
  acc = acc * t + <f32>0.00019293403602205217;
  acc = acc * t + <f32>0.00019142018572892994;
  acc = acc * t + <f32>-0.0015210367273539305;
  acc = acc * t + <f32>0.0025976295582950115;
  acc = acc * t + <f32>0.0008468125015497208;
  acc = acc * t + <f32>-0.013005738146603107;
  acc = acc * t + <f32>0.030354905873537064;
  acc = acc * t + <f32>-0.04012353718280792;
  acc = acc * t + <f32>0.03306747227907181;
  acc = acc * t + <f32>-0.016032714396715164;
  acc = acc * t + <f32>0.0035362490452826023;
  return acc;
}

function erfcPiece3(t: f32): f32 {
  let acc: f32 = <f32>1.454991888749646e-05;
  acc = acc * t + <f32>-5.4409414588008076e-05;
  acc = acc * t + <f32>7.14627603883855e-05;
  acc = acc * t + <f32>8.890748722478747e-05;
  acc = acc * t + <f32>-0.0006460622535087168;
  acc = acc * t + <f32>0.001657335669733584;
  acc = acc * t + <f32>-0.0027558074798434973;
  acc = acc * t + <f32>0.003258113283663988;
  acc = acc * t + <f32>-0.002760388655588031;
  acc = acc * t + <f32>0.0016122624510899186;
  acc = acc * t + <f32>-0.0005862772231921554;
  acc = acc * t + <f32>0.00010062192450277507;
  return acc;
}

function erfcPiece4(t: f32): f32 {
  let acc: f32 = <f32>-5.448465003610181e-07;
  acc = acc * t + <f32>4.083220574102597e-06;
  acc = acc * t + <f32>-1.2583876014105044e-05;
  acc = acc * t + <f32>2.646735083544627e-05;
  acc = acc * t + <f32>-4.308111238060519e-05;
  acc = acc * t + <f32>5.572837108047679e-05;
  acc = acc * t + <f32>-5.729606345994398e-05;
  acc = acc * t + <f32>4.614954013959505e-05;
  acc = acc * t + <f32>-2.822343049047049e-05;
  acc = acc * t + <f32>1.2370923286653124e-05;
  acc = acc * t + <f32>-3.4725408113445155e-06;
  acc = acc * t + <f32>4.7008785486468696e-07;
  return acc;
}

export function erff(x: f32): f32 {
  if (x != x) return NaN;
  const a = Mathf.abs(x);
  if (a < <f32>0.84375) return x + x * hornerErfSmall(x * x);
  let r: f32 = 1;
  if (a < <f32>1.25) {
    r = <f32>0.8427007794380188 + hornerErfMid(a - <f32>1);
  } else if (a < <f32>1.75) {
    r = <f32>1 - erfcPiece1(a - <f32>1.5);
  } else if (a < <f32>2.375) {
    r = <f32>1 - erfcPiece2(a - <f32>2.0625);
  } else if (a < <f32>3.125) {
    r = <f32>1 - erfcPiece3(a - <f32>2.75);
  } else if (a < <f32>4) {
    r = <f32>1 - erfcPiece4(a - <f32>3.5625);
  }
  return x < 0 ? -r : r;
}

export function powf(x: f32, y: f32): f32 {
  if (y == 0) return 1;
  if (x != x || y != y) return x == 1 ? 1 : NaN;
  if (x == 1) return 1;
  if (Mathf.floor(y) == y && Mathf.abs(y) <= <f32>16777216) {
    let base = x;
    let n = <i32>Mathf.abs(y);
    let result: f32 = 1;
    while (n > 0) {
      if (n % 2 == 1) result = result * base;
      n = n >> 1;
      if (n > 0) base = base * base;
    }
    return y < 0 ? <f32>1 / result : result;
  }
  if (x < 0) return x == -Infinity ? (y > 0 ? Infinity : 0) : NaN;
  if (x == 0) return y > 0 ? 0 : Infinity;
  if (x == Infinity) return y > 0 ? Infinity : 0;
  if (y == <f32>0.5) return Mathf.sqrt(x);
  return expf(y * logf(x));
}
