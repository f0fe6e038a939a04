/**
 * The closed set of primitive ops that every backend implements. Everything else in verbatim is
 * composed from these. Each primitive's Rule holds, side by side, its shape/dtype inference, its
 * scalar reference implementation (the specification of the bits every backend must
 * reproduce) and its gradient rule. `RuleTable` makes the compiler list what a new primitive
 * still lacks.
 */
import type { DataArray, DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import type * as Ops from '../ops/index.js';

export type UnaryPrimitive =
  | 'neg' | 'abs' | 'sign' | 'sqrt' | 'exp' | 'expm1' | 'log' | 'log1p' | 'tanh' | 'sigmoid'
  | 'softplus' | 'erf' | 'relu' | 'floor' | 'ceil' | 'round' | 'logicalNot';

export type BinaryPrimitive =
  | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'pow'
  | 'greater' | 'greaterEqual' | 'less' | 'lessEqual' | 'equal' | 'notEqual'
  | 'logicalAnd' | 'logicalOr';

export type ReducePrimitive = 'sum' | 'prod' | 'max' | 'min';

type NoAttrs = Record<string, never>;

export type PrimitiveAttrs =
  & { [P in UnaryPrimitive | BinaryPrimitive]: NoAttrs }
  & { [P in ReducePrimitive]: { axes: number[] } }
  & {
    where: NoAttrs;
    cast: { dtype: DType };
    argMax: { axis: number };
    argMin: { axis: number };
    reshape: { shape: number[] };
    transpose: { perm: number[] };
    broadcastTo: { shape: number[] };
    slice: { begin: number[]; size: number[] };
    pad: { paddings: [number, number][]; value: number };
    concat: { axis: number };
    gather: { axis: number };
    scatterAdd: { axis: number; size: number };
    matMul: { transposeA: boolean; transposeB: boolean };
    linear: { relu: boolean };
  };

export type Primitive = keyof PrimitiveAttrs;

export interface Meta {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface HostTensor extends Meta {
  readonly values: DataArray;
}

export interface GradContext<P extends Primitive> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: PrimitiveAttrs[P];
  /** needsGrad[i]: whether input i leads back to a watched tensor (others may return null). */
  readonly needsGrad: readonly boolean[];
}

/** Input gradients (null where none flows) from the output gradient dy. */
export type GradRule<P extends Primitive> =
  (dy: Tensor, context: GradContext<P>, ops: typeof Ops) => (Tensor | null)[];

export interface Rule<P extends Primitive> {
  /** Validates inputs and attributes; returns the output's shape and dtype. */
  infer(inputs: readonly Meta[], attrs: PrimitiveAttrs[P]): Meta;
  /** The scalar reference implementation. */
  reference(inputs: readonly HostTensor[], attrs: PrimitiveAttrs[P], out: Meta): DataArray;
  grad: GradRule<P> | 'not-differentiable';
}

export type RuleTable = { [P in Primitive]: Rule<P> };
