/**
 * The closed set of primitive ops that every backend implements. Everything else in verbatim is
 * composed from these. Each primitive is one declarative record (`Rule`): its shape/dtype
 * inference, its scalar reference implementation (the specification of the bits every backend
 * must reproduce), its gradient rule, and the kernel it binds to. `RuleTable` makes the compiler
 * list what a new primitive still lacks; the WASM opcode tables and kernel switches are
 * generated from the records by scripts/build-kernels.mjs.
 */
import type { DataArray, DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type { HostTensor, Meta, PatchAttrs, Primitive, PrimitiveAttrs } from './signature.js';

export type * from './signature.js';

/**
 * The ops gradient rules may use: a narrow interface, so that primitives do not depend on the
 * public op modules that are built on them (autograd passes the ops, which satisfy it).
 */
export interface GradOps {
  add(a: Operand, b: Operand): Tensor;
  sub(a: Operand, b: Operand): Tensor;
  mul(a: Operand, b: Operand): Tensor;
  div(a: Operand, b: Operand): Tensor;
  pow(a: Operand, b: Operand): Tensor;
  greater(a: Operand, b: Operand): Tensor;
  greaterEqual(a: Operand, b: Operand): Tensor;
  less(a: Operand, b: Operand): Tensor;
  lessEqual(a: Operand, b: Operand): Tensor;
  equal(a: Operand, b: Operand): Tensor;
  logicalAnd(a: Tensor, b: Tensor): Tensor;
  neg(x: Tensor): Tensor;
  sign(x: Tensor): Tensor;
  floor(x: Tensor): Tensor;
  exp(x: Tensor): Tensor;
  log(x: Tensor): Tensor;
  sigmoid(x: Tensor): Tensor;
  sin(x: Tensor): Tensor;
  cos(x: Tensor): Tensor;
  where(condition: Tensor, a: Operand, b: Operand): Tensor;
  cast(x: Tensor, dtype: DType): Tensor;
  sum(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Tensor;
  prod(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Tensor;
  reshape(x: Tensor, shape: readonly number[]): Tensor;
  broadcastTo(x: Tensor, shape: readonly number[]): Tensor;
  transpose(x: Tensor, perm?: readonly number[]): Tensor;
  slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor;
  pad(x: Tensor, paddings: readonly (readonly [number, number])[], constantValue?: number): Tensor;
  gather(x: Tensor, indices: Tensor, axis?: number): Tensor;
  scatterAdd(updates: Tensor, indices: Tensor, axis: number, size: number): Tensor;
  matMul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  zerosLike(x: Tensor): Tensor;
  extractPatches(x: Tensor, geometry: PatchAttrs, value: number): Tensor;
  scatterPatches(p: Tensor, geometry: PatchAttrs, size: readonly number[]): Tensor;
  cumsum(x: Tensor, axis?: number, exclusive?: boolean, reverse?: boolean): Tensor;
}

export type Operand = Tensor | number;

export interface GradContext<P extends Primitive> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: PrimitiveAttrs[P];
  /** needsGrad[i]: whether input i leads back to a watched tensor (others may return null). */
  readonly needsGrad: readonly boolean[];
}

/** Input gradients (null where none flows) from the output gradient dy. */
export type GradRule<P extends Primitive> =
  (dy: Tensor, context: GradContext<P>, ops: GradOps) => (Tensor | null)[];

/**
 * A scalar function of the portable dialect (src/numerics/scalar.ts). The kernel build calls it
 * by its name, so it must be a named function of that module.
 */
export type Scalar1 = (x: number) => number;
export type Scalar2 = (a: number, b: number) => number;

/**
 * The kernel a primitive binds to. Family kernels are generated: the build gives each primitive
 * of a family an opcode and writes the switch that calls its scalar function (and, with simd,
 * the function named `<scalar>x4` in assembly/vector.ts). A dedicated kernel is a WASM export
 * with its own dispatch in the WASM backend, keyed by primitive so that the compiler demands it.
 * A fallback runs the scalar reference on WASM memory: explicit, listed by vb.kernelFallbacks().
 */
export type KernelBinding =
  | { readonly family: 'unary'; readonly f32?: Scalar1; readonly i32?: Scalar1; readonly bool?: Scalar1; readonly simd: boolean; readonly cost: number }
  | { readonly family: 'binary'; readonly f32: Scalar2; readonly i32?: Scalar2; readonly simd: boolean; readonly cost: number }
  | { readonly family: 'compare'; readonly fn: Scalar2; readonly simd: boolean }
  | { readonly family: 'reduce'; readonly f32: Scalar2; readonly i32: Scalar2; readonly simd: boolean; readonly identity: readonly [number, number] }
  | { readonly dedicated: string }
  | { readonly fallback: string };

export type Family = Extract<KernelBinding, { family: string }>['family'];

export interface Rule<P extends Primitive> {
  /** Validates inputs and attributes; returns the output's shape and dtype. */
  infer(inputs: readonly Meta[], attrs: PrimitiveAttrs[P]): Meta;
  /** The scalar reference implementation. */
  reference(inputs: readonly HostTensor[], attrs: PrimitiveAttrs[P], out: Meta): DataArray;
  grad: GradRule<P> | 'not-differentiable';
  kernel: KernelBinding;
}

export type RuleTable = { [P in Primitive]: Rule<P> };
