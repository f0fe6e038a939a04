"""Fits the polynomial coefficients used by src/numerics/f32math.ts.

Least squares on Chebyshev nodes (near-minimax) in float64/mpmath, coefficients rounded to
float32, then the float32 Horner evaluation is simulated with numpy.float32 to report the
worst error in float32 ULPs. Re-run with `python3 scripts/fit_f32_polys.py`.
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 40
f32 = np.float32


def cheb_nodes(a, b, n=4000):
    k = np.arange(n)
    return (a + b) / 2 + (b - a) / 2 * np.cos((2 * k + 1) * np.pi / (2 * n))


def fit(fn, a, b, degree, weight=None):
    """Coefficients c0..cd of sum c_i t^i approximating fn(t) on [a, b] (weighted LS)."""
    t = cheb_nodes(a, b)
    y = np.array([float(fn(mp.mpf(v))) for v in t])
    w = np.ones_like(t) if weight is None else np.array([float(weight(mp.mpf(v))) for v in t])
    V = np.vander(t, degree + 1, increasing=True)
    c, *_ = np.linalg.lstsq(V * w[:, None], y * w, rcond=None)
    return [f32(ci) for ci in c]


def horner(c, t):
    acc = f32(c[-1])
    for ci in reversed(c[:-1]):
        acc = f32(f32(acc * t) + ci)
    return acc


def show(name, c):
    print(f"{name} = [" + ", ".join(repr(float(v)) for v in c) + "]")


# exp/expm1: e^r - 1 = r + r^2 q(r) on |r| <= ln2 (expm1's direct range; exp uses |r| <= ln2/2).
LN2 = float(mp.log(2))
q_exp = fit(lambda r: (mp.expm1(r) - r) / r**2 if r != 0 else mp.mpf(0.5), -LN2 * 1.01, LN2 * 1.01, 7)
show("EXPM1_Q", q_exp)

# tanh small: tanh(x) = x + x^3 p(x^2) on |x| <= 0.625.
p_tanh = fit(lambda z: (mp.tanh(mp.sqrt(z)) - mp.sqrt(z)) / (mp.sqrt(z) ** 3) if z > 0 else mp.mpf(-1) / 3, 0, 0.625**2 * 1.01, 6)
show("TANH_P", p_tanh)

# erf small: erf(x) = x + x p(x^2) on |x| < 0.84375.
p_erf = fit(lambda z: mp.erf(mp.sqrt(z)) / mp.sqrt(z) - 1 if z > 0 else 2 / mp.sqrt(mp.pi) - 1, 0, 0.84375**2 * 1.01, 7)
show("ERF_SMALL_P", p_erf)

# erf middle: erf(x) = C + p(x - 1) on [0.84375, 1.25].
C_MID = f32(float(mp.erf(1)))
p_mid = fit(lambda s: mp.erf(1 + s) - mp.mpf(float(C_MID)), -0.16, 0.26, 9)
print("ERF_MID_C =", repr(float(C_MID)))
show("ERF_MID_P", p_mid)

# erfc pieces: erfc(x) = p(x - centre) on [lo, hi].
ERFC_PIECES = [(1.25, 1.75), (1.75, 2.375), (2.375, 3.125), (3.125, 4.0)]
erfc_fits = []
for lo, hi in ERFC_PIECES:
    centre = (lo + hi) / 2
    c = fit(lambda s, centre=centre: mp.erfc(centre + s), lo - centre - 0.01, hi - centre + 0.01, 11)
    erfc_fits.append((lo, hi, centre, c))
    show(f"ERFC_P_{lo}_{hi}", c)

# erfinv: erfinv(x) = x p(w), w = -log(1 - x^2); central w < 5 with t = w - 2.5, tail t = sqrt(w) - 3.
def erfinv_over_x_of_w(w):
    x = mp.sqrt(1 - mp.exp(-w))
    return mp.erfinv(x) / x if x > 0 else mp.sqrt(mp.pi) / 2

p_inv_c = fit(lambda t: erfinv_over_x_of_w(t + mp.mpf(2.5)), -2.5, 2.5 + 1e-6, 10)
show("ERFINV_CENTRAL_P", p_inv_c)
w_max = float(-mp.log(1 - (1 - mp.mpf(2) ** -24) ** 2)) * 1.01
p_inv_t = fit(lambda t: erfinv_over_x_of_w((t + 3) ** 2), float(mp.sqrt(5)) - 3, float(mp.sqrt(w_max)) - 3, 9)
show("ERFINV_TAIL_P", p_inv_t)

# atan: atan(t) = t + t^3 q(t^2) on |t| <= 7/16, weighted by t^2 (the size of q's error in atan).
q_atan = fit(lambda z: (mp.atan(mp.sqrt(z)) - mp.sqrt(z)) / mp.sqrt(z) ** 3 if z > 0 else mp.mpf(-1) / 3, 0, 0.4375**2 * 1.01, 4,
             weight=lambda z: z + mp.mpf(1e-3))
show("ATAN_Q", q_atan)
# atan(c) for c = 0.5, 1, 1.5 and pi/2 (c = infinity), as float32 hi + lo.
for c, value in [(0.5, mp.atan(0.5)), (1, mp.atan(1)), (1.5, mp.atan(1.5)), ("inf", mp.pi / 2)]:
    hi = f32(float(value))
    print(f"ATAN_{c} = {float(hi)!r} + {float(f32(float(value - mp.mpf(float(hi)))))!r}")


def ulp32(v):
    v = abs(float(v))
    if v < 2**-126:
        return 2.0**-149
    e = int(np.floor(np.log2(v)))
    return 2.0 ** (e - 23)


def worst(name, xs, ours, exact):
    err = max(abs(float(ours(f32(x))) - float(exact(mp.mpf(float(f32(x)))))) / ulp32(exact(mp.mpf(float(f32(x))))) for x in xs)
    print(f"  {name}: worst error {err:.3f} ulp (vs exact, before final rounding)")


# Simulated float32 evaluation of the pieces (polynomial parts only).
xs = np.linspace(-LN2, LN2, 3001)
worst("expm1 poly |r|<=ln2", xs, lambda r: f32(r + f32(f32(r * r) * horner(q_exp, r))), mp.expm1)
xs = np.linspace(1e-3, 0.625, 3001)
worst("tanh small", xs, lambda x: f32(x + f32(f32(x * f32(x * x)) * horner(p_tanh, f32(x * x)))), mp.tanh)
xs = np.linspace(1e-3, 0.84375, 3001)
worst("erf small", xs, lambda x: f32(x + f32(x * horner(p_erf, f32(x * x)))), mp.erf)
xs = np.linspace(0.84375, 1.25, 3001)
worst("erf mid", xs, lambda x: f32(C_MID + horner(p_mid, f32(x - f32(1)))), mp.erf)
for lo, hi, centre, c in erfc_fits:
    xs = np.linspace(lo, hi, 2001)
    worst(f"erf [{lo},{hi}]", xs, lambda x, c=c, centre=centre: f32(f32(1) - horner(c, f32(x - f32(centre)))), mp.erf)
xs = np.linspace(1e-3, 0.4375, 3001)
worst("atan poly |t|<=7/16", xs, lambda t: f32(t + f32(f32(t * f32(t * t)) * horner(q_atan, f32(t * t)))), mp.atan)
