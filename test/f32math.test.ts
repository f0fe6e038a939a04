/**
 * The float32 transcendentals against float64 references, on a sweep of every 1009th float32
 * bit pattern (about 4.3 million inputs per function: both signs, every binade, subnormals,
 * infinities and NaN): at most 2 ULP from the correctly rounded result (atan and atan2: 1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { erf64, float32Sweep, ulpDistance } from './helpers/float64-reference.js';

const m = vb.f32;

/** Name, ours, the float64 reference, and the worst error allowed in ULP (2 unless given). */
const FUNCTIONS: [string, (x: number) => number, (x: number) => number, number?][] = [
  ['exp', m.exp, Math.exp],
  ['expm1', m.expm1, Math.expm1],
  ['log', m.log, Math.log],
  ['log1p', m.log1p, Math.log1p],
  ['tanh', m.tanh, Math.tanh],
  ['sigmoid', m.sigmoid, (x) => 1 / (1 + Math.exp(-x))],
  ['softplus', m.softplus, (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)))],
  ['erf', m.erf, erf64],
  ['atan', m.atan, Math.atan, 1],
];

describe('float32 math', () => {
  for (const [name, ours, reference, bound = 2] of FUNCTIONS) {
    it(`${name} is within ${bound} ULP over the float32 sweep`, () => {
      let worst = 0;
      let worstAt = 0;
      let count = 0;
      for (const x of float32Sweep(1009)) {
        const d = ulpDistance(ours(x), Math.fround(reference(x)));
        count++;
        if (d > worst) {
          worst = d;
          worstAt = x;
        }
      }
      assert.ok(count > 4_000_000);
      assert.ok(worst <= bound, `${name}: ${worst} ULP at x = ${worstAt}`);
    });
  }

  it('atan2 is within 1 ULP on random pairs of float32 bit patterns and of nearby magnitudes', () => {
    const words = new Uint32Array(2);
    const floats = new Float32Array(words.buffer);
    let state = 2025;
    const next = () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = Math.imul(state ^ (state >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    let worst = 0;
    let worstAt: number[] = [];
    for (let i = 0; i < 2_000_000; i++) {
      words[0] = next();
      words[1] = next();
      // Half the pairs: y within 2^-32 .. 2^32 of x, where the quotient is neither 0 nor huge.
      const y = i % 2 === 0 ? floats[0]! : Math.fround(floats[1]! * (next() / 2 ** 32 * 2 - 1) * 2 ** ((next() % 64) - 32));
      const x = floats[1]!;
      const d = ulpDistance(m.atan2(y, x), Math.fround(Math.atan2(y, x)));
      if (d > worst) {
        worst = d;
        worstAt = [y, x];
      }
    }
    assert.ok(worst <= 1, `atan2: ${worst} ULP at (y, x) = (${worstAt.join(', ')})`);
  });

  it('atan2 has C\'s signed zeros, infinities and NaN', () => {
    const specials = [0, -0, 1, -1, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, Infinity, -Infinity, NaN];
    for (const y of specials) {
      for (const x of specials) {
        const want = Math.fround(Math.atan2(y, x));
        assert.ok(Object.is(m.atan2(y, x), want), `atan2(${Object.is(y, -0) ? '-0' : y}, ${Object.is(x, -0) ? '-0' : x}) = ${m.atan2(y, x)}, C: ${want}`);
      }
    }
    assert.ok(Object.is(m.atan(-0), -0) && m.atan(Infinity) === Math.fround(Math.PI / 2) && Number.isNaN(m.atan(NaN)));
  });

  it('special values', () => {
    const cases: [number, number][] = [
      [m.exp(0), 1], [m.exp(-Infinity), 0], [m.exp(Infinity), Infinity], [m.exp(89), Infinity], [m.exp(-104), 0],
      [m.expm1(-0), -0], [m.expm1(-Infinity), -1], [m.log(0), -Infinity], [m.log(1), 0], [m.log(Infinity), Infinity],
      [m.log1p(-1), -Infinity], [m.log1p(-0), -0], [m.tanh(-0), -0], [m.tanh(Infinity), 1], [m.tanh(-Infinity), -1],
      [m.sigmoid(Infinity), 1], [m.sigmoid(-Infinity), 0], [m.softplus(-Infinity), 0], [m.softplus(Infinity), Infinity],
      [m.erf(-0), -0], [m.erf(Infinity), 1], [m.erf(-Infinity), -1], [m.sqrt(-0), -0], [m.pow(2, 10), 1024],
      [m.pow(-2, 3), -8], [m.pow(0, -1), Infinity], [m.pow(4, 0.5), 2], [m.pow(NaN, 0), 1],
    ];
    cases.forEach(([got, want], i) => assert.ok(Object.is(got, want), `case ${i}: ${got} != ${want}`));
    for (const fn of [m.exp, m.expm1, m.log, m.log1p, m.tanh, m.sigmoid, m.softplus, m.erf]) assert.ok(Number.isNaN(fn(NaN)));
    assert.ok(Number.isNaN(m.log(-1)) && Number.isNaN(m.log1p(-2)) && Number.isNaN(m.pow(-2, 0.5)));
  });

  it('erfinv inverts erf to float32 precision', () => {
    for (let i = 1; i < 2000; i++) {
      const x = Math.fround(-1 + i / 1000);
      const y = m.erfinv(x);
      assert.ok(Math.abs(erf64(y) - x) <= 4e-7 * Math.max(Math.abs(x), 0.05), `erfinv(${x}) = ${y}`);
    }
    assert.ok(m.erfinv(1 - 2 ** -24) > 3.8);
  });

  it('cospi is within 2 ULP on [-3, 3] (reference reduced exactly, then float64)', () => {
    const cospi64 = (x: number) => {
      let a = Math.abs(x) % 2;
      if (a > 1) a = 2 - a;
      if (a <= 0.25) return Math.cos(Math.PI * a);
      if (a < 0.75) return Math.sin(Math.PI * (0.5 - a));
      return -Math.cos(Math.PI * (1 - a));
    };
    let worst = 0;
    for (let i = 0; i <= 600000; i++) {
      const x = Math.fround(-3 + i / 100000);
      worst = Math.max(worst, ulpDistance(m.cospi(x), Math.fround(cospi64(x))));
    }
    assert.ok(worst <= 2, `cospi: ${worst} ULP`);
    assert.ok(Object.is(m.cospi(0.5), 0) && m.cospi(1) === -1 && m.cospi(2) === 1);
  });

  it('sin and cos are within 2 ULP over the float32 sweep for |x| < 2^28, and deterministic beyond', () => {
    for (const [name, ours, reference] of [['sin', m.sin, Math.sin], ['cos', m.cos, Math.cos]] as const) {
      let worst = 0;
      let worstAt = 0;
      let count = 0;
      for (const x of float32Sweep(1009)) {
        if (!(Math.abs(x) < 2 ** 28)) continue;
        count++;
        const d = ulpDistance(ours(x), Math.fround(reference(x)));
        if (d > worst) {
          worst = d;
          worstAt = x;
        }
      }
      assert.ok(count > 2_000_000);
      assert.ok(worst <= 2, `${name}: ${worst} ULP at x = ${worstAt}`);
      assert.ok(Number.isNaN(ours(Infinity)) && Number.isNaN(ours(NaN)));
      assert.ok(Math.abs(ours(3e38)) <= 1);
    }
    assert.ok(Object.is(m.sin(-0), -0) && m.cos(0) === 1);
  });

  it('pow with integer exponents is binary powering in float32', () => {
    assert.equal(m.pow(1.1, 3), Math.fround(Math.fround(Math.fround(1.1) * Math.fround(1.1)) * Math.fround(1.1)));
    assert.ok(ulpDistance(m.pow(3.7, 2.5), Math.fround(3.7 ** 2.5)) <= 4);
  });

  it('the WASM kernels compile the same source: bit-identical to the reference over the sweep', (t) => {
    if (!vb.backendNames().includes('wasm')) return t.skip('WebAssembly SIMD is unavailable here');
    const patterns = new Uint32Array(Array.from({ length: Math.ceil(2 ** 32 / 1009) }, (_, i) => i * 1009));
    const inputs = new Float32Array(patterns.buffer);
    const previous = vb.getBackend();
    const run = (backend: string, op: (x: vb.Tensor) => vb.Tensor) => {
      vb.setBackend(backend);
      return vb.tidy(() => new Uint32Array(new Float32Array(op(vb.tensor(inputs)).dataSync()).buffer));
    };
    const ops: [string, (x: vb.Tensor) => vb.Tensor][] = [
      ['exp', vb.exp], ['expm1', vb.expm1], ['log', vb.log], ['log1p', vb.log1p], ['tanh', vb.tanh],
      ['sigmoid', vb.sigmoid], ['softplus', vb.softplus], ['erf', vb.erf], ['sqrt', vb.sqrt], ['sin', vb.sin], ['cos', vb.cos],
      ['atan', vb.atan], ['atan2(x, -0.75)', (x) => vb.atan2(x, -0.75)], ['atan2(1.5, x)', (x) => vb.atan2(1.5, x)],
      ['pow(x, 2.5)', (x) => vb.pow(x, 2.5)], ['pow(1.5, x)', (x) => vb.pow(1.5, x)], ['pow(x, 3)', (x) => vb.pow(x, 3)],
    ];
    try {
      for (const [name, op] of ops) {
        const expected = run('reference', op);
        const actual = run('wasm', op);
        const first = expected.findIndex((bits, i) => bits !== actual[i]);
        assert.equal(first, -1, `${name}: input bits 0x${patterns[first]?.toString(16)}: reference 0x${expected[first]?.toString(16)}, wasm 0x${actual[first]?.toString(16)}`);
        const isNaNBits = (bits: number) => (bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0;
        const nonCanonical = expected.findIndex((bits) => isNaNBits(bits) && bits !== 0x7fc00000);
        assert.equal(nonCanonical, -1, `${name}: a NaN other than 0x7fc00000 at input bits 0x${patterns[nonCanonical]?.toString(16)}`);
        assert.ok(expected.some(isNaNBits), `${name}: the sweep produced no NaN to check`);
      }
    } finally {
      vb.setBackend(previous);
    }
  });
});

