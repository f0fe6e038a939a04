import type { Backend, DataHandle } from '../backends/backend.js';
import { ValueError } from '../errors.js';
import type { DataArray, DType } from './dtype.js';
import { sizeOf, type Shape } from './shape.js';

/** What a tensor needs from the engine that owns it. */
export interface TensorOwner {
  readValues(tensor: Tensor): DataArray;
  disposeTensor(tensor: Tensor): void;
  assignVariable(variable: Variable, value: Tensor): void;
}

export type NestedArray = number | NestedArray[];

/**
 * An immutable n-dimensional array. Values live in backend-owned storage behind `handle`;
 * `dataSync()` and `data()` copy them out.
 */
export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  /** @internal Storage; replaced only by Variable.assign. */
  handle: DataHandle;
  /** @internal */
  backend: Backend;
  /** @internal Gradient tapes still holding this tensor: freeing storage waits for them. */
  tapeHolds = 0;
  /** @internal Kept out of every enclosing tidy. */
  kept = false;
  /** @internal Registered for leak detection (it outlived every tidy scope). */
  watched = false;
  /** @internal An engine-owned scalar constant: shared, never disposed, not counted. */
  constant = false;
  private disposeRequested = false;
  /** @internal The storage has been released. */
  freed = false;

  constructor(
    protected readonly owner: TensorOwner,
    readonly id: number,
    shape: Shape,
    readonly dtype: DType,
    handle: DataHandle,
    backend: Backend,
  ) {
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.size = sizeOf(shape);
    this.handle = handle;
    this.backend = backend;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposeRequested;
  }

  /** @internal */
  markDisposeRequested(): void {
    this.disposeRequested = true;
  }

  /** A copy of the values, row-major. */
  dataSync(): DataArray {
    return this.owner.readValues(this);
  }

  async data(): Promise<DataArray> {
    return this.dataSync();
  }

  /** The values as nested arrays (booleans as 0/1). */
  arraySync(): NestedArray {
    const values = Array.from(this.dataSync());
    if (this.shape.length === 0) return values[0]!;
    const build = (axis: number, offset: number): NestedArray[] => {
      const extent = this.shape[axis]!;
      const step = sizeOf(this.shape.slice(axis + 1));
      return Array.from({ length: extent }, (_, i) =>
        axis === this.shape.length - 1 ? values[offset + i]! : build(axis + 1, offset + i * step));
    };
    return build(0, 0);
  }

  async array(): Promise<NestedArray> {
    return this.arraySync();
  }

  dispose(): void {
    this.owner.disposeTensor(this);
  }

  toString(): string {
    const body = JSON.stringify(this.arraySync());
    return `Tensor(shape=${JSON.stringify(this.shape)}, dtype=${this.dtype})\n    ${body}`;
  }

  print(): void {
    console.log(this.toString());
  }
}

/** What an optimizer applies to a variable after each update of it (src/layers/constraints.ts). */
export interface VariableConstraint {
  apply(w: Tensor): Tensor;
}

/** A mutable tensor: the state of a model. Never disposed by tidy. */
export class Variable extends Tensor {
  /**
   * Keras 3's variable.constraint (TF.js's LayerVariable.constraint): optimizers assign
   * constraint.apply(variable) right after each update of the variable; null for none.
   */
  constraint: VariableConstraint | null = null;

  constructor(
    owner: TensorOwner,
    id: number,
    shape: Shape,
    dtype: DType,
    handle: DataHandle,
    backend: Backend,
    readonly name: string,
    public trainable: boolean,
  ) {
    super(owner, id, shape, dtype, handle, backend);
  }

  /** Replaces the value; the new value must have the same shape and dtype. */
  assign(value: Tensor): void {
    if (value.dtype !== this.dtype || value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new ValueError(
        `Variable.assign (${this.name}): Expected a tensor of shape ${JSON.stringify(this.shape)} and dtype ${this.dtype}. `
        + `Received: value.shape=${JSON.stringify(value.shape)}, value.dtype=${value.dtype}`);
    }
    this.owner.assignVariable(this, value);
  }

  /** The variable itself (TF.js's LayerVariable.read(), which custom layers call on their weights). */
  read(): Variable {
    return this;
  }

  /**
   * The variable itself: TF.js's LayerVariable.val, which training loops pass to minimize
   * (`model.trainableWeights.map((w) => w.val)`); verbatim's weights are variables already.
   */
  get val(): Variable {
    return this;
  }

  /** TF.js's LayerVariable.write: assign. */
  write(value: Tensor): void {
    this.assign(value);
  }
}
