import * as vb from 'verbatim';
import type { NArray } from './naive.js';

/** mulberry32: test data independent of the library's own generator. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Sample {
  nd: NArray;
  t: vb.Tensor;
}

/** float32 values uniform in [lo, hi) as both a naive array and a tensor. */
export function sample(shape: number[], seed: number, lo = -2, hi = 2): Sample {
  const next = rng(seed);
  const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.fround(lo + (hi - lo) * next()));
  return { nd: { shape, values }, t: vb.tensor(new Float32Array(values), shape) };
}

export function intSample(shape: number[], seed: number, lo: number, hi: number): Sample {
  const next = rng(seed);
  const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + Math.floor((hi - lo) * next()));
  return { nd: { shape, values }, t: vb.tensor(new Int32Array(values), shape, 'int32') };
}

/** Asserts the tensor has the expected shape and exactly the expected float32 bits. */
export function assertBits(actual: vb.Tensor, expected: NArray, label: string): void {
  if (actual.shape.length !== expected.shape.length || actual.shape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`${label}: shape ${JSON.stringify(actual.shape)} != expected ${JSON.stringify(expected.shape)}`);
  }
  const got = actual.dataSync();
  for (let i = 0; i < expected.values.length; i++) {
    const want = Math.fround(expected.values[i]!);
    if (!Object.is(got[i], want) && !(Number.isNaN(got[i]) && Number.isNaN(want))) {
      throw new Error(`${label}: element ${i} is ${got[i]}, expected ${want} (bit-exact)`);
    }
  }
}

/** Asserts closeness: |a - e| <= atol + rtol * |e| elementwise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, rtol = 1e-5, atol = 1e-6): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`${label}: element ${i} is ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
