/**
 * The backend contract. A backend owns tensor storage behind opaque handles, so a backend can
 * keep data in its own memory (WASM linear memory, GPU buffers) without any change to tensors,
 * ops or autograd; reading values back is the only copy. Every kernel must reproduce the bits of
 * the primitive's scalar reference (src/primitives), whatever the SIMD width or thread count.
 */
import type { DataArray, DType } from '../tensor/dtype.js';
import type { Meta, Primitive, PrimitiveAttrs } from '../primitives/signature.js';

/** The most threads a backend runs kernels on (the WASM pool's control block has this many slots). */
export const MAX_THREADS = 64;

/** Backend-owned storage; only the backend that made it may look inside. */
export type DataHandle = { readonly __brand: 'DataHandle' };

export interface TensorInfo extends Meta {
  readonly handle: DataHandle;
}

export type KernelDeterminism = 'bitwise' | 'none';

export interface KernelFallback {
  readonly primitive: string;
  readonly reason: string;
  readonly count: number;
}

/** Fused optimizer updates a backend may offer (see Backend.update). */
export type UpdateKind = 'adam' | 'sgd' | 'momentum';

export interface Backend {
  readonly name: string;
  /** Copies values into new storage. */
  upload(values: DataArray, dtype: DType): DataHandle;
  /** Copies the values out. */
  read(handle: DataHandle, dtype: DType, size: number): DataArray;
  /** Copies the values' bytes (platform order) into target at offset, allocating no new storage (optional: read serves without it). */
  readBytesInto?(handle: DataHandle, dtype: DType, size: number, target: Uint8Array, offset: number): void;
  free(handle: DataHandle): void;
  run<P extends Primitive>(primitive: P, inputs: readonly TensorInfo[], attrs: PrimitiveAttrs[P], out: Meta): DataHandle;
  /** Whether the kernel reproduces the reference's bits (checked in strict mode). */
  determinism(primitive: Primitive): KernelDeterminism;
  /**
   * Optional fused, in-place optimizer updates on float32 buffers of `size` elements, bit for
   * bit the composed updates of src/optimizers (which backends without it run instead).
   */
  update?(kind: UpdateKind, handles: readonly DataHandle[], scalars: readonly number[], size: number): void;
  /** With update: storage owned by this handle alone (copied if shared), safe to update in place. */
  exclusive?(handle: DataHandle, dtype: DType, size: number): DataHandle;
  /**
   * The declared cases in which this backend ran a primitive's scalar reference instead of a
   * fast kernel (same bits, slower), with how often each ran; backends without fast kernels
   * leave it out.
   */
  fallbacks?(): KernelFallback[];
  /** Optional thread control for backends that run kernels on several threads; called with 1 to MAX_THREADS (the engine checks). */
  setNumThreads?(threads: number): void;
  readonly numThreads?: number;
}
