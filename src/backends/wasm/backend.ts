/**
 * The WebAssembly backend: tensors live in one WebAssembly.Memory (shared with worker threads
 * when SharedArrayBuffer is available), kernels are the AssemblyScript module in assembly/, and
 * every kernel reproduces the bits of the primitive's scalar reference. Large kernels are split
 * over threads by independent outputs only.
 */
import { RULES } from '../../primitives/index.js';
import type {
  BinaryPrimitive, Family, Meta, PatchAttrs, Primitive, PrimitiveAttrs, ReducePrimitive, Rule, UnaryPrimitive,
} from '../../primitives/types.js';
import { allocate, bytesPerElement, canonicalizeNaN, type DataArray, type DType } from '../../tensor/dtype.js';
import { invalid } from '../../errors.js';
import { broadcastStrides, sizeOf, stridesOf } from '../../tensor/shape.js';
import type { Backend, DataHandle, KernelDeterminism, KernelFallback, TensorInfo, UpdateKind } from '../backend.js';
import { Allocator, type Block } from './allocator.js';
import { broadcastGeometry, permutedForReduction, viewGeometry } from './geometry.js';
import { CONTROL, type KernelName } from './kernel-names.js';
import { KERNELS_BASE64, KERNELS_SHA256 } from './kernels.generated.js';
import { COSTS, OPCODES } from './opcodes.generated.js';
import { ThreadPool } from './threads.js';
import { checkThreadCount } from '../thread-count.js';

const HEAP_BASE = 65536;
const GEOMETRY_BYTES = 4096;

const DTYPE_CODES: Record<DType, number> = { float32: 0, int32: 1, bool: 2 };
/** The `kind` argument of the binary kernel (assembly/elementwise.ts), by family and operand dtype. */
/**
 * The cases a WASM kernel leaves to the primitive's scalar reference, run on WASM memory with
 * the same bits: explicit, counted, and listed by vb.kernelFallbacks().
 */
export const KERNEL_FALLBACKS = {
  broadcastRank: 'a broadcast that collapses to more than 4 dimensions',
  boolScatterAdd: 'scatterAdd of bool updates',
  emptyLinear: 'linear with an empty inner dimension',
  padRank: 'a pad of more than 341 dimensions (its geometry exceeds the geometry block)',
  topk: 'topk sorts each row on the host',
} as const;
type Fallback = keyof typeof KERNEL_FALLBACKS;

/** Primitives outside the generated families (elementwise and reductions). */
type DedicatedPrimitive = Exclude<Primitive, UnaryPrimitive | BinaryPrimitive | ReducePrimitive>;
type Dedicated<P extends Primitive> = (inputs: readonly TensorInfo[], attrs: PrimitiveAttrs[P], out: Meta, block: Block, size: number) => true | Fallback;

const BINARY_KINDS = {
  arithmetic: { float32: 0, int32: 1, bool: -1 },
  compare: { float32: 2, int32: 3, bool: 4 },
} as const;

/** Work (elements, or multiply-adds) below which a kernel runs on one thread. */
const DEFAULT_PARALLEL_WORK = 1 << 16;
let parallelWork = DEFAULT_PARALLEL_WORK;

/**
 * Lowers (or restores) the work below which kernels stay on one thread, so that the fuzzer can
 * split small tensors across threads; results never depend on it. Not part of the public API.
 */
export function setParallelWork(work = DEFAULT_PARALLEL_WORK): void {
  parallelWork = work;
}

interface WasmHandle {
  block: Block;
}


function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function sharedMemoryAvailable(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}

export class WasmBackend implements Backend {
  readonly name = 'wasm';
  readonly shared: boolean;
  readonly kernelSha256: string;
  private readonly memory: WebAssembly.Memory;
  private readonly exports: Record<string, (...args: number[]) => number>;
  private readonly allocator: Allocator;
  private readonly pool: ThreadPool | undefined;
  private readonly geometry: number;
  private scratch: Block[] = [];

  constructor(threads?: number) {
    this.shared = sharedMemoryAvailable();
    const variant = this.shared ? 'shared' : 'single';
    this.kernelSha256 = KERNELS_SHA256[variant];
    const module = new WebAssembly.Module(base64Bytes(KERNELS_BASE64[variant]));
    this.memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: this.shared });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as Record<string, (...args: number[]) => number>;
    this.allocator = new Allocator(this.memory, HEAP_BASE);
    this.geometry = this.allocator.allocate(GEOMETRY_BYTES).ptr;
    if (this.shared) {
      // Before any tensor, so inside the initial pages: the control block is all that workers view
      // from JavaScript, and a worker's memory.buffer may keep the length it started with (Chromium
      // 149+ updates it only when that worker grows the memory itself; the kernels see every page).
      const control = this.allocator.allocate(CONTROL.bytes).ptr;
      this.pool = new ThreadPool(module, this.memory, control, instance);
      this.pool.resize(threads ?? this.pool.cores);
    }
  }

  // ---- Threads ----

  get numThreads(): number {
    return this.pool?.threads ?? 1;
  }

  setNumThreads(threads: number): void {
    checkThreadCount('setNumThreads', 'threads', threads);
    this.pool?.resize(threads);
  }

  private dispatch(kernel: KernelName, args: readonly number[], total: number, work: number, align = 1, scratch?: number[]): void {
    if (work < parallelWork || !this.pool) this.exports[kernel]!(...args, 0, total, scratch?.[0] ?? 0);
    // With scratch, no more parts than scratch blocks: in a browser the workers become ready while
    // the page computes, so the pool may have more threads now than when the scratch was sized.
    else this.pool.run(kernel, args, total, scratch ? scratch.length : this.pool.threads, align, scratch);
  }

  // ---- Storage ----

  private bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  private newBlock(dtype: DType, size: number): Block {
    return this.allocator.allocate(size * bytesPerElement(dtype));
  }

  private view(block: Block, dtype: DType, size: number): DataArray {
    const buffer = this.memory.buffer;
    if (dtype === 'float32') return new Float32Array(buffer, block.ptr, size);
    if (dtype === 'int32') return new Int32Array(buffer, block.ptr, size);
    return new Uint8Array(buffer, block.ptr, size);
  }

  upload(values: DataArray, dtype: DType): DataHandle {
    const block = this.newBlock(dtype, values.length);
    const view = this.view(block, dtype, values.length);
    view.set(values as never);
    canonicalizeNaN(view, dtype);
    return { block } as unknown as DataHandle;
  }

  read(handle: DataHandle, dtype: DType, size: number): DataArray {
    return this.view(blockOf(handle), dtype, size).slice();
  }

  /** A view of the whole memory, made again only when the memory has grown. */
  private memoryBytes = new Uint8Array(0);

  readBytesInto(handle: DataHandle, dtype: DType, size: number, target: Uint8Array, offset: number): void {
    const { ptr } = blockOf(handle);
    const length = size * bytesPerElement(dtype);
    if (this.memoryBytes.buffer !== this.memory.buffer) this.memoryBytes = new Uint8Array(this.memory.buffer);
    // Never byte by byte, however small: the run recorder reads every weight each epoch, mostly in
    // cold code, where a loop costs its iterations in the interpreter and a view costs one call.
    target.set(this.memoryBytes.subarray(ptr, ptr + length), offset);
  }

  free(handle: DataHandle): void {
    this.allocator.release(blockOf(handle));
  }

  /** Bytes of WebAssembly memory holding live tensors. */
  get liveBytes(): number {
    return this.allocator.liveBytes;
  }

  determinism(): KernelDeterminism {
    return 'bitwise';
  }

  private geometryView: Int32Array | undefined;

  private geometryInts(): Int32Array {
    if (!this.geometryView || this.geometryView.buffer !== this.memory.buffer) {
      this.geometryView = new Int32Array(this.memory.buffer, this.geometry, GEOMETRY_BYTES / 4);
    }
    return this.geometryView;
  }

  private writeGeometry(values: readonly number[] | Int32Array): number {
    this.geometryInts().set(values);
    return this.geometry;
  }

  // ---- Kernels ----

  run<P extends Primitive>(primitive: P, inputs: readonly TensorInfo[], attrs: PrimitiveAttrs[P], out: Meta): DataHandle {
    const size = sizeOf(out.shape);
    if (primitive === 'reshape') {
      const block = blockOf(inputs[0]!.handle);
      block.refs++;
      return { block } as unknown as DataHandle;
    }
    const block = this.newBlock(out.dtype, size);
    if (size > 0) {
      const binding = RULES[primitive].kernel;
      const outcome = 'family' in binding
        ? this.family(primitive, binding.family, inputs, attrs, out, block, size)
        : (this.dedicated[primitive as DedicatedPrimitive] as Dedicated<P>)(inputs, attrs, out, block, size);
      if (outcome !== true) this.viaReference(primitive, outcome, inputs, attrs, out, block, size);
    }
    return { block } as unknown as DataHandle;
  }

  /** A declared fallback: the scalar reference runs on the inputs in WASM memory, writing into `block`. */
  private viaReference<P extends Primitive>(primitive: P, reason: Fallback, inputs: readonly TensorInfo[], attrs: PrimitiveAttrs[P], out: Meta, block: Block, size: number): void {
    const key = `${primitive}: ${KERNEL_FALLBACKS[reason]}`;
    this.fallbackCounts.set(key, (this.fallbackCounts.get(key) ?? 0) + 1);
    const hosts = inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, values: this.view(blockOf(t.handle), t.dtype, sizeOf(t.shape)) }));
    const values = (RULES[primitive] as Rule<P>).reference(hosts, attrs, out);
    canonicalizeNaN(values, out.dtype);
    this.view(block, out.dtype, size).set(values as never);
  }

  /** How often each declared fallback ran in this backend, by primitive and reason. */
  fallbacks(): KernelFallback[] {
    return [...this.fallbackCounts].map(([key, count]) => {
      const [primitive, reason] = key.split(': ', 2) as [string, string];
      return { primitive, reason, count };
    });
  }

  private readonly fallbackCounts = new Map<string, number>();

  /** The generated kernels of a family: the record's opcode selects its scalar function. */
  private family(primitive: Primitive, family: Family, inputs: readonly TensorInfo[], attrs: unknown, out: Meta, block: Block, size: number): true | Fallback {
    const code = (OPCODES[family] as Record<string, number>)[primitive]!;
    const work = size * (COSTS[primitive] ?? 1);
    const x = inputs[0]!;
    if (family === 'unary') {
      const kernel = x.dtype === 'float32' ? 'unaryF32' : x.dtype === 'int32' ? 'unaryI32' : 'unaryU8';
      this.dispatch(kernel, [code, ptrOf(x), block.ptr], size, work, 4);
      return true;
    }
    if (family === 'reduce') {
      this.reduce(code, x, (attrs as { axes: number[] }).axes, block);
      return true;
    }
    const [a, b] = inputs as [TensorInfo, TensorInfo];
    const aSize = sizeOf(a.shape);
    const bSize = sizeOf(b.shape);
    const kind = BINARY_KINDS[family === 'compare' ? 'compare' : 'arithmetic'][a.dtype];
    const g = (aSize === size || aSize === 1) && (bSize === size || bSize === 1)
      ? { dims: [1, 1, 1, size], strides: [[0, 0, 0, aSize === 1 ? 0 : 1], [0, 0, 0, bSize === 1 ? 0 : 1]] }
      : broadcastGeometry(out.shape, [a.shape, b.shape], 4);
    if (!g) return 'broadcastRank';
    const rows = g.dims[0]! * g.dims[1]! * g.dims[2]!;
    if (rows === 1) {
      // One long row: threads split its elements (in multiples of 4, the SIMD width).
      this.dispatch('binaryFlat', [code, kind, ptrOf(a), ptrOf(b), block.ptr, g.strides[0]![3]!, g.strides[1]![3]!], size, work, 4);
    } else {
      this.dispatch('binary', [code, kind, ptrOf(a), ptrOf(b), block.ptr, this.writeGeometry([...g.dims, ...g.strides[0]!, ...g.strides[1]!])], rows, work);
    }
    return true;
  }

  /** The primitives with a kernel of their own, each bound here (the compiler demands every one). */
  private readonly dedicated: { [P in DedicatedPrimitive]: Dedicated<P> } = {
    where: (inputs, _attrs, out, block, size) => {
      const [c, a, b] = inputs as [TensorInfo, TensorInfo, TensorInfo];
      const g = broadcastGeometry(out.shape, [c.shape, a.shape, b.shape], 4);
      if (!g) return 'broadcastRank';
      const rows = g.dims[0]! * g.dims[1]! * g.dims[2]!;
      const pointers = [bytesPerElement(out.dtype), ptrOf(c), ptrOf(a), ptrOf(b), block.ptr];
      if (rows === 1) this.dispatch('selectFlat', [...pointers, g.strides[0]![3]!, g.strides[1]![3]!, g.strides[2]![3]!], size, size);
      else this.dispatch('select', [...pointers, this.writeGeometry([...g.dims, ...g.strides[0]!, ...g.strides[1]!, ...g.strides[2]!])], rows, size);
      return true;
    },
    cast: ([x], _attrs, out, block, size) => {
      if (x!.dtype === out.dtype) {
        this.bytes().copyWithin(block.ptr, ptrOf(x!), ptrOf(x!) + size * bytesPerElement(x!.dtype));
        return true;
      }
      this.dispatch('cast', [DTYPE_CODES[x!.dtype], DTYPE_CODES[out.dtype], ptrOf(x!), block.ptr], size, size);
      return true;
    },
    argMax: ([x], { axis }, _out, block) => this.argReduce(true, x!, axis, block),
    argMin: ([x], { axis }, _out, block) => this.argReduce(false, x!, axis, block),
    reshape: () => true, // a view: run() shares the input's block
    transpose: ([x], { perm }, out, block) => {
      const strides = stridesOf(x!.shape);
      this.copyStrided(x!, block, out.shape, perm.map((p) => strides[p]!), 0);
      return true;
    },
    broadcastTo: ([x], _attrs, out, block) => {
      this.copyStrided(x!, block, out.shape, broadcastStrides(x!.shape, out.shape), 0);
      return true;
    },
    slice: ([x], { begin }, out, block) => {
      const strides = stridesOf(x!.shape);
      const offset = begin.reduce((acc, b, i) => acc + b * strides[i]!, 0);
      this.copyStrided(x!, block, out.shape, strides, offset);
      return true;
    },
    pad: ([x], { paddings, value }, out, block, size) => {
      if (x!.shape.length === 0) {
        this.bytes().copyWithin(block.ptr, ptrOf(x!), ptrOf(x!) + bytesPerElement(x!.dtype));
        return true;
      }
      // 1 + 3 * rank words, which must fit the geometry block (writing more would throw a RangeError).
      if (1 + 3 * out.shape.length > GEOMETRY_BYTES / 4) return 'padRank';
      const constant = allocate(out.dtype, 1);
      constant[0] = value;
      canonicalizeNaN(constant, out.dtype);
      const bits = out.dtype === 'bool' ? constant[0]! : new Uint32Array(constant.buffer)[0]!;
      const geometry = this.writeGeometry([out.shape.length, ...out.shape, ...paddings.map(([b]) => b), ...x!.shape]);
      const rows = size / out.shape.at(-1)!;
      this.dispatch('padRows', [bytesPerElement(out.dtype), ptrOf(x!), block.ptr, bits, geometry], rows, size);
      return true;
    },
    concat: (inputs, { axis }, out, block) => {
      this.concat(inputs, axis, out, block);
      return true;
    },
    gather: ([source, indices], { axis }, _out, block, size) => {
      const extent = source!.shape[axis]!;
      this.checkIndices('gather', indices!, extent);
      const outer = sizeOf(source!.shape.slice(0, axis));
      const inner = sizeOf(source!.shape.slice(axis + 1));
      this.dispatch('gatherRows', [bytesPerElement(source!.dtype), ptrOf(source!), ptrOf(indices!), block.ptr, extent, sizeOf(indices!.shape), inner], outer, size);
      return true;
    },
    scatterAdd: ([updates, indices], { axis, size: extent }, out, block, size) => {
      if (updates!.dtype === 'bool') return 'boolScatterAdd';
      this.checkIndices('scatterAdd', indices!, extent);
      this.dispatch('fill32', [block.ptr, 0], size, size);
      const outer = sizeOf(out.shape.slice(0, axis));
      const inner = sizeOf(out.shape.slice(axis + 1));
      this.dispatch('scatterAdd', [DTYPE_CODES[updates!.dtype], ptrOf(updates!), ptrOf(indices!), block.ptr, extent, sizeOf(indices!.shape), inner], outer, sizeOf(updates!.shape));
      return true;
    },
    matMul: ([a, b], { transposeA, transposeB }, out, block) => {
      this.matMul(a!, b!, transposeA, transposeB, out, block);
      return true;
    },
    extractPatches: ([x], attrs, out, block, size) => {
      const constant = allocate(out.dtype, 1);
      constant[0] = attrs.value;
      canonicalizeNaN(constant, out.dtype);
      const bits = out.dtype === 'bool' ? constant[0]! : new Uint32Array(constant.buffer)[0]!;
      const geometry = this.writeGeometry(patchGeometry(x!.shape, out.shape, attrs));
      // Rows (n, o, i): the batch and every output axis but the last (width).
      const rows = sizeOf(out.shape.slice(0, out.shape.length / 2 - 1));
      this.dispatch('extractPatches', [bytesPerElement(out.dtype), ptrOf(x!), block.ptr, bits, geometry], rows, size);
      return true;
    },
    scatterPatches: ([p], attrs, out, block, size) => {
      const geometry = this.writeGeometry(patchGeometry(out.shape, p!.shape, attrs));
      this.dispatch('scatterPatches', [ptrOf(p!), block.ptr, geometry], size / out.shape.at(-1)!, sizeOf(p!.shape));
      return true;
    },
    cumsum: ([x], { axis, exclusive, reverse }, _out, block, size) => {
      const outer = sizeOf(x!.shape.slice(0, axis));
      const inner = sizeOf(x!.shape.slice(axis + 1));
      this.dispatch('cumsum', [DTYPE_CODES[x!.dtype], ptrOf(x!), block.ptr, x!.shape[axis]!, inner, exclusive ? 1 : 0, reverse ? 1 : 0], outer, size);
      return true;
    },
    topkIndices: () => 'topk',
    linear: ([x, w, bias], { relu }, out, block) => {
      if (x!.shape[1] === 0) return 'emptyLinear';
      this.matMul(x!, w!, false, false, out, block, { bias: ptrOf(bias!), relu });
      return true;
    },
  };

  private argReduce(max: boolean, x: TensorInfo, axis: number, block: Block): true | Fallback {
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    this.dispatch('argReduce', [max ? 1 : 0, DTYPE_CODES[x.dtype], ptrOf(x), block.ptr, x.shape[axis]!, inner], outer, sizeOf(x.shape));
    return true;
  }

  private checkIndices(context: string, indices: TensorInfo, extent: number): void {
    const values = this.view(blockOf(indices.handle), 'int32', sizeOf(indices.shape));
    for (let j = 0; j < values.length; j++) {
      if (values[j]! < 0 || values[j]! >= extent) {
        throw invalid(context, `Expected every index in [0, ${extent})`, { [`indices[${j}]`]: values[j] });
      }
    }
  }

  private copyStrided(x: TensorInfo, block: Block, shape: readonly number[], strides: readonly number[], offset: number): void {
    const geometry = this.writeGeometry(viewGeometry(shape, strides));
    const size = sizeOf(shape);
    this.dispatch('copyStrided', [bytesPerElement(x.dtype), blockOf(x.handle).ptr, block.ptr, offset, geometry], size, size);
  }

  private reduce(code: number, x: TensorInfo, axes: readonly number[], block: Block): void {
    const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1);
    let source = blockOf(x.handle);
    let outer: number;
    let r: number;
    let inner: number;
    let temporary: Block | undefined;
    if (contiguous && axes.length > 0) {
      outer = sizeOf(x.shape.slice(0, axes[0]));
      r = sizeOf(axes.map((a) => x.shape[a]!));
      inner = sizeOf(x.shape.slice(axes.at(-1)! + 1));
    } else {
      // Move the reduced axes last; the reduced positions keep their row-major order.
      const p = permutedForReduction(x.shape, axes);
      temporary = this.newBlock(x.dtype, sizeOf(x.shape));
      this.copyStrided(x, temporary, p.shape, p.strides, 0);
      source = temporary;
      r = sizeOf(axes.map((a) => x.shape[a]!));
      outer = sizeOf(x.shape) / Math.max(r, 1);
      inner = 1;
      if (r === 0) outer = sizeOf(x.shape.filter((_, i) => !axes.includes(i)));
    }
    const kernel = x.dtype === 'float32' ? 'reduceF32' : 'reduceI32';
    this.dispatch(kernel, [code, source.ptr, block.ptr, r, inner], outer, outer * r * inner);
    if (temporary) this.allocator.release(temporary);
  }

  private concat(inputs: readonly TensorInfo[], axis: number, out: Meta, block: Block): void {
    const element = bytesPerElement(out.dtype);
    const outer = sizeOf(out.shape.slice(0, axis));
    const rowBytes = sizeOf(out.shape.slice(axis)) * element;
    const bytes = this.bytes();
    let column = 0;
    for (const t of inputs) {
      const chunk = sizeOf(t.shape.slice(axis)) * element;
      const src = blockOf(t.handle).ptr;
      for (let r = 0; r < outer; r++) bytes.copyWithin(block.ptr + r * rowBytes + column, src + r * chunk, src + (r + 1) * chunk);
      column += chunk;
    }
  }

  private threadScratch(bytes: number, threads: number): number[] {
    for (let t = 0; t < threads; t++) {
      if (!this.scratch[t] || this.scratch[t]!.bytes < bytes) {
        if (this.scratch[t]) this.allocator.release(this.scratch[t]!);
        this.scratch[t] = this.allocator.allocate(bytes);
      }
    }
    return this.scratch.slice(0, threads).map((b) => b.ptr);
  }

  /** The matrix product kernel; with `fused`, the dense epilogue (bias, relu) on each thread's rows. */
  private matMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean, out: Meta, block: Block, fused?: { bias: number; relu: boolean }): void {
    const batchShape = out.shape.slice(0, -2);
    const [m, n] = out.shape.slice(-2) as [number, number];
    const k = transposeA ? a.shape.at(-2)! : a.shape.at(-1)!;
    const batches = sizeOf(batchShape);
    if (k === 0) {
      this.dispatch('fill32', [block.ptr, 0], batches * m * n, batches * m * n);
      return;
    }
    // Full (uncollapsed) batch strides, paired with the full batch shape below.
    const aBatch = broadcastStrides(a.shape.slice(0, -2), batchShape);
    const bBatch = broadcastStrides(b.shape.slice(0, -2), batchShape);
    const offsets = this.allocator.allocate(batches * 8);
    const table = new Int32Array(this.memory.buffer, offsets.ptr, batches * 2);
    const batchStrides = stridesOf(batchShape);
    for (let i = 0; i < batches; i++) {
      let aOffset = 0;
      let bOffset = 0;
      batchShape.forEach((_, d) => {
        const coordinate = Math.floor(i / batchStrides[d]!) % batchShape[d]!;
        aOffset += coordinate * (aBatch[d] ?? 0);
        bOffset += coordinate * (bBatch[d] ?? 0);
      });
      table[2 * i] = aOffset * m * k;
      table[2 * i + 1] = bOffset * k * n;
    }
    const work = batches * m * n * k;
    const threads = work >= parallelWork ? this.numThreads : 1;
    const scratch = this.threadScratch(this.exports.matmulScratchBytes!(k, n), threads);
    this.dispatch('matmul', [blockOf(a.handle).ptr, blockOf(b.handle).ptr, block.ptr, offsets.ptr, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0,
      fused?.bias ?? 0, fused?.relu ? 1 : 0], batches * m, work, 4, scratch);
    this.allocator.release(offsets);
  }

  /** Measured SIMD128 multiply-add throughput of one core, in GFLOP/s (benchmark calibration). */
  simdPeakGflops(): number {
    const simdPeak = this.exports.simdPeak!;
    simdPeak(1e6);
    const iterations = 5e7;
    const t0 = performance.now();
    simdPeak(iterations);
    // 96 float operations per iteration (assembly/calibration.ts).
    return (96 * iterations) / ((performance.now() - t0) / 1000) / 1e9;
  }

  // ---- Fused optimizer updates ----

  /** Gives a variable's storage to it alone (copying if a reshape shares it), for in-place updates. */
  exclusive(handle: DataHandle, dtype: DType, size: number): DataHandle {
    const block = blockOf(handle);
    if (block.refs === 1) return handle;
    const copy = this.newBlock(dtype, size);
    this.bytes().copyWithin(copy.ptr, block.ptr, block.ptr + size * bytesPerElement(dtype));
    this.allocator.release(block);
    return { block: copy } as unknown as DataHandle;
  }

  /**
   * In-place optimizer updates on exclusive float32 buffers of `size` elements. Handles:
   * adam [w, g, m, v, vhat?], scalars [c1, c2, alpha, epsilon]; sgd [w, g], [lr];
   * momentum [w, g, m], [lr, momentum, nesterov].
   */
  update(kind: UpdateKind, handles: readonly DataHandle[], scalars: readonly number[], size: number): void {
    const p = handles.map((h) => blockOf(h).ptr);
    if (kind === 'adam') this.dispatch('adam', [p[0]!, p[1]!, p[2]!, p[3]!, p[4] ?? 0, ...scalars], size, size * 4, 4);
    else if (kind === 'sgd') this.dispatch('sgd', [p[0]!, p[1]!, ...scalars], size, size, 4);
    else this.dispatch('momentum', [p[0]!, p[1]!, p[2]!, ...scalars], size, size);
  }
}

function blockOf(handle: DataHandle): Block {
  return (handle as unknown as WasmHandle).block;
}

/**
 * The geometry words of the patch kernels (assembly/patches.ts) for an image or volume and its
 * patches; an image is a volume of depth 1.
 */
function patchGeometry(image: readonly number[], patches: readonly number[], g: PatchAttrs): number[] {
  const volume = image.length === 5;
  const [, d, h, w, c] = volume ? image : [image[0]!, 1, ...image.slice(1)];
  const out = volume ? patches.slice(1, 4) : [1, patches[1]!, patches[2]!];
  const front = (v: readonly number[], one: number) => (volume ? [...v] : [one, ...v]);
  const [kernel, strides, dilations] = [front(g.kernel, 1), front(g.strides, 1), front(g.dilations, 1)];
  const pads = volume ? [g.pads[0]!, g.pads[2]!, g.pads[4]!] : [0, g.pads[0]!, g.pads[2]!];
  return [d!, h!, w!, c!, ...out, ...kernel, ...strides, ...dilations, ...pads];
}

function ptrOf(t: TensorInfo): number {
  return blockOf(t.handle).ptr;
}

export function wasmSimdAvailable(): boolean {
  try {
    // A module with one function returning a v128 constant validates only with SIMD support.
    return WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]));
  } catch {
    return false;
  }
}

