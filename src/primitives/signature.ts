/**
 * The names, attributes and operand descriptions of the primitives: what a backend needs to know
 * of them. Kept apart from the rules (types.ts), which refer to tensors, so that the backend
 * contract does not depend on the tensor class that depends on it.
 */
import type { DataArray, DType } from '../tensor/dtype.js';

export type UnaryPrimitive =
  | 'neg' | 'abs' | 'sign' | 'sqrt' | 'exp' | 'expm1' | 'log' | 'log1p' | 'tanh' | 'sigmoid'
  | 'softplus' | 'erf' | 'relu' | 'floor' | 'ceil' | 'round' | 'logicalNot' | 'sin' | 'cos' | 'atan';

export type BinaryPrimitive =
  | 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'pow' | 'mod' | 'atan2'
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
    extractPatches: PatchAttrs & { value: number };
    scatterPatches: PatchAttrs & { size: number[] };
    cumsum: { axis: number; exclusive: boolean; reverse: boolean };
    topkIndices: { k: number };
  };

/**
 * The geometry of image patches (src/primitives/patches.ts): one entry per spatial axis, [height,
 * width] of an image or [depth, height, width] of a volume.
 */
export interface PatchAttrs {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** before and after each spatial axis: [top, bottom, left, right] ([front, back, ...] first for a volume) */
  pads: number[];
}

export type Primitive = keyof PrimitiveAttrs;

export interface Meta {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface HostTensor extends Meta {
  readonly values: DataArray;
}
