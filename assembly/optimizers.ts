// Fused optimizer updates, element by element the same float32 operations, in the same order,
// as the composed updates in src/optimizers/index.ts (the specification); NaNs stored canonical.
import { canonical, canonicalX4 } from './portable';


/**
 * Adam: m += (g - m) c1; v += (g g - v) c2; [vhat = max(vhat, v)]; w -= (m alpha) / (sqrt(v or vhat) + eps).
 * vhat = 0 means no AMSGrad.
 */
export function adam(w: usize, g: usize, m: usize, v: usize, vhat: usize, c1: f32, c2: f32, alpha: f32, eps: f32, start: i32, end: i32): void {
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), valpha = f32x4.splat(alpha), veps = f32x4.splat(eps);
  let i = start;
  if (vhat == 0) {
    for (; i + 4 <= end; i += 4) {
      const o = <usize>i << 2;
      const gi = v128.load(g + o);
      const mi = f32x4.add(v128.load(m + o), f32x4.mul(f32x4.sub(gi, v128.load(m + o)), vc1));
      const vi = f32x4.add(v128.load(v + o), f32x4.mul(f32x4.sub(f32x4.mul(gi, gi), v128.load(v + o)), vc2));
      v128.store(m + o, canonicalX4(mi));
      v128.store(v + o, canonicalX4(vi));
      v128.store(w + o, canonicalX4(f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(mi, valpha), f32x4.add(f32x4.sqrt(vi), veps)))));
    }
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = load<f32>(m + o) + (gi - load<f32>(m + o)) * c1;
    const vi = load<f32>(v + o) + (gi * gi - load<f32>(v + o)) * c2;
    store<f32>(m + o, canonical(mi));
    store<f32>(v + o, canonical(vi));
    let second = vi;
    if (vhat != 0) {
      const previous = load<f32>(vhat + o);
      second = previous > vi || previous != previous ? previous : vi;
      store<f32>(vhat + o, canonical(second));
    }
    store<f32>(w + o, canonical(load<f32>(w + o) - (mi * alpha) / (Mathf.sqrt(second) + eps)));
  }
}

/** Plain SGD: w -= g lr. */
export function sgd(w: usize, g: usize, lr: f32, start: i32, end: i32): void {
  const vlr = f32x4.splat(lr);
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(w + o, canonicalX4(f32x4.sub(v128.load(w + o), f32x4.mul(v128.load(g + o), vlr))));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(w + o, canonical(load<f32>(w + o) - load<f32>(g + o) * lr));
  }
}

/** Momentum: m = m momentum - g lr; w += m, or with Nesterov w += m momentum - g lr. */
export function momentum(w: usize, g: usize, m: usize, lr: f32, mu: f32, nesterov: bool, start: i32, end: i32): void {
  for (let i = start; i < end; i++) {
    const o = <usize>i << 2;
    const step = load<f32>(g + o) * lr;
    const mi = load<f32>(m + o) * mu - step;
    store<f32>(m + o, canonical(mi));
    store<f32>(w + o, canonical(load<f32>(w + o) + (nesterov ? mi * mu - step : mi)));
  }
}
