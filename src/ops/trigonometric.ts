/**
 * TF.js's trigonometric and hyperbolic ops that are compositions of float32 primitives (atan and
 * atan2 are primitives, src/primitives/elementwise.ts). Each composition is the float32 op
 * sequence NUMERICS.md lists, chosen for its measured accuracy (within 2 ULP, tan 3); inputs are
 * cast to float32 as TF.js does. Their gradients are TF.js's formulas, not the gradient of the
 * composition, whose unselected `where` branches would send NaN back (0 times an infinity).
 */
import { withGradient } from '../autograd/custom.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorLike } from './creation.js';
import {
  abs, add, asFloat, atan2, cos, div, exp, expm1, greater, less, log, log1p, mul, neg, sign, sin, sqrt, sub, where,
} from './elementwise.js';
import { op } from './op.js';

/** ln 2 (rounded to float32 where it is used): log(2a) = log(a) + ln 2. */
const LN2 = 0.6931471805599453;
/** Above this |x|, e^|x| overflows float32 while e^|x| / 2 may not: e^(|x|/2) / 2 e^(|x|/2). */
const EXP_OVERFLOW = 88;
/** Above this, asinh(x) = log(2x) + 1 / (4 x^2) - ... is log(2x) to 0.02 ULP (and x^2 may overflow). */
const LOG_2X_FROM = 4096;

/** A unary float32 op: forward() on the float32 input, gradient dy * derivative(x) as TF.js has it. */
function composite(name: string, forward: (x: Tensor) => Tensor, gradient: (dy: Tensor, x: Tensor) => Tensor) {
  return op((x: TensorLike): Tensor => {
    const t = asFloat(x, name);
    return withGradient([t], () => forward(t), (dy) => [gradient(dy, t)]);
  });
}

const square = (x: Tensor) => mul(x, x);

/** e^a / 2 for a > 88 (where e^a overflows), as fl(fl(w / 2) w) with w = e^(a/2). */
function halfExp(a: Tensor): Tensor {
  const w = exp(mul(a, 0.5));
  return mul(mul(w, 0.5), w);
}

/** sqrt((1 - x)(1 + x)), the other leg of asin's and acos's triangle (NaN for |x| > 1). */
const cathetus = (x: Tensor) => sqrt(mul(sub(1, x), add(1, x)));

/** tan(x) = fl(sin(x) / cos(x)). */
export const tan = composite('tan', (x) => div(sin(x), cos(x)), (dy, x) => div(dy, square(cos(x))));

/** asin(x) = atan2(x, sqrt((1 - x)(1 + x))): NaN outside [-1, 1]. */
export const asin = composite('asin', (x) => atan2(x, cathetus(x)), (dy, x) => div(dy, sqrt(sub(1, square(x)))));

/** acos(x) = atan2(sqrt((1 - x)(1 + x)), x): NaN outside [-1, 1]. */
export const acos = composite('acos', (x) => atan2(cathetus(x), x), (dy, x) => neg(div(dy, sqrt(sub(1, square(x))))));

/** sinh(x) = sign(x) (t + t / (t + 1)) / 2 with t = expm1(|x|); e^|x| / 2 above |x| = 88. */
export const sinh = composite('sinh', (x) => {
  const a = abs(x);
  const t = expm1(a);
  return mul(sign(x), where(greater(a, EXP_OVERFLOW), halfExp(a), mul(add(t, div(t, add(t, 1))), 0.5)));
}, (dy, x) => mul(dy, cosh(x)));

/** cosh(x) = (e + 1 / e) / 2 with e = exp(|x|); e^|x| / 2 above |x| = 88. */
export const cosh = composite('cosh', (x) => {
  const a = abs(x);
  const e = exp(a);
  return where(greater(a, EXP_OVERFLOW), halfExp(a), mul(add(e, div(1, e)), 0.5));
}, (dy, x) => mul(dy, sinh(x)));

/** asinh(x) = sign(x) log1p(|x| + x^2 / (1 + sqrt(x^2 + 1))); log(|x|) + ln 2 above |x| = 4096. */
export const asinh = composite('asinh', (x) => {
  const a = abs(x);
  const a2 = mul(a, a);
  const near = log1p(add(a, div(a2, add(1, sqrt(add(a2, 1))))));
  return mul(sign(x), where(greater(a, LOG_2X_FROM), add(log(a), LN2), near));
}, (dy, x) => div(dy, sqrt(add(1, square(x)))));

/** acosh(x) = log1p(t + sqrt(t (t + 2))) with t = x - 1; log(x) + ln 2 above 4096; NaN below 1. */
export const acosh = composite('acosh', (x) => {
  const t = sub(x, 1);
  const near = log1p(add(t, sqrt(mul(t, add(t, 2)))));
  return where(less(x, 1), NaN, where(greater(x, LOG_2X_FROM), add(log(x), LN2), near));
}, (dy, x) => div(dy, sqrt(sub(square(x), 1))));

/** atanh(x) = sign(x) log1p(2|x| / (1 - |x|)) / 2: ±Infinity at ±1, NaN beyond. */
export const atanh = composite('atanh', (x) => {
  const a = abs(x);
  return mul(sign(x), mul(log1p(div(mul(a, 2), sub(1, a))), 0.5));
}, (dy, x) => div(dy, sub(1, square(x))));
