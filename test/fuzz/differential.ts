/**
 * The differential fuzzer: every primitive on random cases (test/fuzz/cases.ts), run by the
 * scalar reference and by the WASM kernels on 1, 2 and 3 threads, compared bit for bit (NaN
 * bits included); and gradients of random op compositions through the public API, compared
 * likewise across backends and thread counts. Case i of seed s depends on (s, i) alone, so a
 * failure names the command that reproduces it.
 */
import * as vb from 'verbatim';
import type { Backend, TensorInfo } from '../../src/backends/backend.js';
import { ReferenceBackend } from '../../src/backends/reference.js';
import { setParallelWork, WasmBackend } from '../../src/backends/wasm/backend.js';
import { RULES } from '../../src/primitives/index.js';
import type { Meta, Primitive } from '../../src/primitives/types.js';
import { sizeOf } from '../../src/tensor/shape.js';
import { GENERATORS, Gen, type FuzzCase } from './cases.js';
import { COMPOSITION_STEPS } from './compositions.js';

export const THREADS = [1, 2, 3] as const;
const PRIMITIVES = Object.keys(GENERATORS) as Primitive[];

export interface FuzzOptions {
  seed: number;
  /** Run cases first..first+count-1 (or until `seconds` have passed). */
  first?: number;
  count?: number;
  seconds?: number;
  /** Restrict to one primitive, or to 'grad' for compositions. */
  only?: string;
}

export interface FuzzReport {
  cases: number;
  primitiveCases: Record<string, number>;
  gradientCases: number;
  /** Cases whose inputs the record rejected (both sides must agree that they are invalid). */
  rejected: number;
}

export class FuzzFailure extends Error {}

function describeCase(c: FuzzCase): string {
  const inputs = c.inputs.map((t) => `${t.dtype}${JSON.stringify(t.shape)}`).join(', ');
  return `inputs (${inputs}), attrs ${JSON.stringify(c.attrs)}`;
}

function bytesOf(values: ArrayBufferView): Uint8Array {
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

function firstDifference(a: Uint8Array, b: Uint8Array, width: number): string {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i += width) {
    for (let j = 0; j < width; j++) {
      if (a[i + j] !== b[i + j]) {
        const hex = (bytes: Uint8Array) => [...bytes.subarray(i, i + width)].reverse().map((x) => x.toString(16).padStart(2, '0')).join('');
        return `element ${i / width}: reference 0x${hex(a)}, wasm 0x${hex(b)}`;
      }
    }
  }
  return 'none';
}

/** The bytes of `primitive` on `backend` for the case (inputs uploaded, then freed). */
export function runPrimitive(backend: Backend, primitive: Primitive, c: FuzzCase, out: Meta): Uint8Array {
  const inputs: TensorInfo[] = c.inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, handle: backend.upload(t.values.slice(), t.dtype) }));
  try {
    const handle = backend.run(primitive, inputs, c.attrs as never, out);
    const bytes = bytesOf(backend.read(handle, out.dtype, sizeOf(out.shape)));
    backend.free(handle);
    return bytes;
  } finally {
    for (const t of inputs) backend.free(t.handle);
  }
}

/** The fuzzer's own backends: the reference and one WASM instance per thread count. */
export class Backends {
  readonly reference = new ReferenceBackend();
  readonly wasm = THREADS.map((threads) => new WasmBackend(threads));
}

function checkPrimitive(backends: Backends, primitive: Primitive, c: FuzzCase, reproduce: string): boolean {
  let out: Meta;
  try {
    out = RULES[primitive].infer(c.inputs, c.attrs as never);
  } catch {
    return false;
  }
  const expected = runPrimitive(backends.reference, primitive, c, out);
  const width = out.dtype === 'bool' ? 1 : 4;
  backends.wasm.forEach((backend, i) => {
    let actual: Uint8Array;
    try {
      actual = runPrimitive(backend, primitive, c, out);
    } catch (error) {
      throw new FuzzFailure(`${primitive} on wasm with ${THREADS[i]} threads threw ${(error as Error).message}\n  case: ${describeCase(c)}\n  reproduce: ${reproduce}`);
    }
    const difference = firstDifference(expected, actual, width);
    if (difference !== 'none') {
      throw new FuzzFailure(`${primitive} differs on wasm with ${THREADS[i]} threads at ${difference}\n  case: ${describeCase(c)}\n  reproduce: ${reproduce}`);
    }
  });
  return true;
}

/**
 * The engine's backends for the gradient cases: the reference and one WASM backend per thread
 * count, registered once (resizing one pool per case would spawn workers every time).
 */
const GRADIENT_BACKENDS = ['reference', ...THREADS.map((threads) => `wasm-${threads}-threads`)];
function registerGradientBackends(): void {
  THREADS.forEach((threads, i) => {
    if (!vb.backendNames().includes(GRADIENT_BACKENDS[i + 1]!)) vb.registerBackend(GRADIENT_BACKENDS[i + 1]!, () => new WasmBackend(threads));
  });
}

/** The gradient of a random composition on every backend and thread count, compared bitwise. */
function checkGradient(g: Gen, reproduce: string): void {
  const shape = g.shape(1, g.int(1, 4), 256).map((d) => Math.max(d, 1));
  const x = g.tensor('float32', shape);
  const steps = Array.from({ length: g.int(1, 4) }, () => g.pick(COMPOSITION_STEPS)(g));
  const weight = g.tensor('float32', [1]);
  const description = `x float32${JSON.stringify(shape)} -> ${steps.map((s) => s.name).join(' -> ')}`;
  const runs: { where: string; bytes: Uint8Array }[] = [];
  const previous = vb.getBackend();
  try {
    for (const backend of GRADIENT_BACKENDS) {
      vb.setBackend(backend);
      let bytes: Uint8Array;
      try {
        bytes = vb.tidy(() => {
          const f = (input: vb.Tensor) => vb.sum(vb.mul(steps.reduce((t, step) => step.apply(t), input), weight.values[0]!));
          return bytesOf(vb.grad(f)(vb.tensor(x.values as Float32Array, x.shape)).dataSync());
        });
      } catch (error) {
        throw new FuzzFailure(`gradient on ${backend} threw ${(error as Error).message}\n  composition: ${description}\n  reproduce: ${reproduce}`);
      }
      runs.push({ where: backend, bytes });
    }
  } finally {
    vb.setBackend(previous);
  }
  for (const run of runs.slice(1)) {
    const difference = firstDifference(runs[0]!.bytes, run.bytes, 4);
    if (difference !== 'none') {
      throw new FuzzFailure(`gradient differs between ${runs[0]!.where} and ${run.where} at ${difference.replace('wasm', 'other')}\n  composition: ${description}\n  reproduce: ${reproduce}`);
    }
  }
}

/** Case i: a primitive (round robin, every ninth case a gradient composition) and its inputs. */
export function runFuzz(options: FuzzOptions, backends = new Backends()): FuzzReport {
  const report: FuzzReport = { cases: 0, primitiveCases: {}, gradientCases: 0, rejected: 0 };
  const deadline = options.seconds === undefined ? Infinity : performance.now() + options.seconds * 1000;
  const first = options.first ?? 0;
  const last = options.count === undefined ? Infinity : first + options.count;
  const primitives = options.only && options.only !== 'grad' ? [options.only as Primitive] : PRIMITIVES;
  if (!primitives.every((p) => p in GENERATORS)) throw new Error(`Expected --only to name a primitive or 'grad'. Received: only=${options.only}`);
  // Small thresholds, so that small cases are split across threads too.
  setParallelWork(16);
  registerGradientBackends();
  try {
    for (let i = first; i < last && performance.now() < deadline; i++) {
      const g = new Gen(options.seed, i);
      const reproduce = `npm run fuzz -- --seed ${options.seed} --case ${i}${options.only ? ` --only ${options.only}` : ''}`;
      const gradient = options.only === 'grad' || (!options.only && i % 9 === 8);
      if (gradient) {
        checkGradient(g, reproduce);
        report.gradientCases++;
      } else {
        const primitive = primitives[i % primitives.length]!;
        const accepted = checkPrimitive(backends, primitive, GENERATORS[primitive](g), reproduce);
        if (accepted) report.primitiveCases[primitive] = (report.primitiveCases[primitive] ?? 0) + 1;
        else report.rejected++;
      }
      report.cases++;
    }
  } finally {
    setParallelWork();
  }
  return report;
}
