/**
 * Merge layers (Keras's keras.layers.Add, ..., Concatenate, Dot): called on a list of tensors.
 * Elementwise merges broadcast the inputs (aligned from the right, each dimension equal or 1)
 * and fold them left to right: ((x0 op x1) op x2) ..., Average divides that sum by the count.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, type InputMasks, type LayerArgs, type SymbolicShape } from './layer.js';

type Fold = (a: Tensor, b: Tensor) => Tensor;

/** The shapes of a list of inputs, checked to be a list of at least `min` (at most `max`). */
function inputList(layer: Layer, shapes: unknown, min: number, max = Infinity): SymbolicShape[] {
  const context = `${layer.className} (${layer.name ?? 'unnamed'})`;
  const ok = Array.isArray(shapes) && shapes.every(Array.isArray) && shapes.length >= min && shapes.length <= max;
  if (!ok) {
    const count = max === min ? `exactly ${min}` : `at least ${min}`;
    throw invalid(context, `Expected a list of ${count} inputs`, { inputs: Array.isArray(shapes) && shapes.every(Array.isArray) ? `${shapes.length} inputs` : 'one tensor' });
  }
  return shapes as SymbolicShape[];
}

/** Keras's elementwise output shape: dimensions aligned from the right, each equal or 1 (null unknown). */
function broadcastShapes(layer: Layer, shapes: SymbolicShape[]): SymbolicShape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: SymbolicShape = [];
  for (let k = 1; k <= rank; k++) {
    const dims = shapes.map((s) => (s.length >= k ? s[s.length - k]! : 1));
    const known = [...new Set(dims.filter((d): d is number => d !== null && d !== 1))];
    if (known.length > 1) {
      throw invalid(`${layer.className} (${layer.name ?? 'unnamed'})`, 'Expected input shapes that broadcast (each dimension equal or 1, aligned from the right)',
        Object.fromEntries(shapes.map((s, i) => [`shapes[${i}]`, s])));
    }
    out.unshift(known.length === 1 ? known[0]! : dims.some((d) => d === null) ? null : 1);
  }
  return out;
}

abstract class ElementwiseMerge extends Layer {
  override readonly takesInputList = true;
  /** The inputs' masks, and-ed (src/layers/masking.ts), pass through as Keras's merge layers do. */
  override readonly supportsMasking = true;
  protected abstract readonly fold: Fold;
  protected readonly maxInputs: number = Infinity;

  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    return broadcastShapes(this, inputList(this, inputShape, 2, this.maxInputs));
  }

  call(x: Tensor | Tensor[]): Tensor {
    const inputs = x as Tensor[];
    inputList(this, Array.isArray(x) ? inputs.map((t) => t.shape) : x, 2, this.maxInputs);
    return ENGINE.tidy(() => this.finish(inputs.slice(1).reduce(this.fold, inputs[0]!), inputs.length));
  }

  protected finish(folded: Tensor, _count: number): Tensor {
    return folded;
  }

  getConfig(): Record<string, unknown> {
    return {};
  }
}

export class Add extends ElementwiseMerge {
  protected readonly fold: Fold = (a, b) => ops.add(a, b);
  constructor(args: LayerArgs = {}) { super('Add', args); }
}

/** inputs[0] - inputs[1] (exactly two inputs). */
export class Subtract extends ElementwiseMerge {
  protected readonly fold: Fold = (a, b) => ops.sub(a, b);
  protected override readonly maxInputs = 2;
  constructor(args: LayerArgs = {}) { super('Subtract', args); }
}

export class Multiply extends ElementwiseMerge {
  protected readonly fold: Fold = (a, b) => ops.mul(a, b);
  constructor(args: LayerArgs = {}) { super('Multiply', args); }
}

/** The left-to-right sum divided by the number of inputs (Keras). */
export class Average extends ElementwiseMerge {
  protected readonly fold: Fold = (a, b) => ops.add(a, b);
  constructor(args: LayerArgs = {}) { super('Average', args); }

  protected override finish(folded: Tensor, count: number): Tensor {
    return ops.div(folded, count);
  }
}

export class Maximum extends ElementwiseMerge {
  protected readonly fold: Fold = (a, b) => ops.maximum(a, b);
  constructor(args: LayerArgs = {}) { super('Maximum', args); }
}

export class Minimum extends ElementwiseMerge {
  protected readonly fold: Fold = (a, b) => ops.minimum(a, b);
  constructor(args: LayerArgs = {}) { super('Minimum', args); }
}

export interface ConcatenateArgs extends LayerArgs {
  /** The axis to join on (default -1; the batch axis 0 is not allowed). */
  axis?: number;
}

/** Joins the inputs along an axis; every other dimension must match. */
export class Concatenate extends Layer {
  override readonly takesInputList = true;
  override readonly supportsMasking = true;
  override readonly masksPerInput = true;
  readonly axis: number;

  constructor(args: ConcatenateArgs = {}) {
    super('Concatenate', args);
    const axis = args.axis ?? -1;
    if (!Number.isInteger(axis) || axis === 0) throw invalid('Concatenate', 'Expected axis to be a non-zero integer (not the batch axis)', { axis });
    this.axis = axis;
  }

  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shapes = inputList(this, inputShape, 2);
    const rank = shapes[0]!.length;
    const axis = this.axisFor(rank);
    const context = `Concatenate (${this.name ?? 'unnamed'})`;
    if (axis <= 0 || axis >= rank) throw invalid(context, `Expected axis in [1, ${rank}) or [${-rank + 1}, 0) for inputs of rank ${rank}`, { axis: this.axis });
    for (const [i, shape] of shapes.entries()) {
      const fits = shape.length === rank && shape.every((d, k) => k === axis || d === null || shapes[0]![k] === null || d === shapes[0]![k]);
      if (!fits) throw invalid(context, `Expected inputs whose shapes match except on axis ${this.axis}`, { 'shapes[0]': shapes[0], [`shapes[${i}]`]: shape });
    }
    const joined = shapes.map((s) => s[axis]!);
    return shapes[0]!.map((d, k) => (k === axis ? (joined.some((d) => d === null) ? null : (joined as number[]).reduce((a, b) => a + b, 0)) : d ?? shapes.find((s) => s[k] !== null)?.[k] ?? null));
  }

  call(x: Tensor | Tensor[]): Tensor {
    const inputs = x as Tensor[];
    this.computeOutputShape(Array.isArray(x) ? inputs.map((t) => [...t.shape]) : (x.shape as SymbolicShape));
    return ops.concat(inputs, this.axisFor(inputs[0]!.rank));
  }

  /** The axis made positive for inputs of this rank. */
  private axisFor(rank: number): number {
    return this.axis < 0 ? this.axis + rank : this.axis;
  }

  /**
   * Keras 3's Concatenate.compute_mask: none if no input carries one; else each input's mask made
   * its input's shape (all true for an input without one, a mask of one axis less repeated along
   * the last axis), joined on the axis, then any over the last axis. Joining steps (axis 1 of
   * [batch, steps, features]) joins the masks; joining features ors them, so an input without a
   * mask makes every step true. (TF.js takes all instead of any, as tf.keras 2 did.)
   */
  override computeMask(input: Tensor | Tensor[], mask: Tensor | InputMasks | undefined): Tensor | undefined {
    if (mask === undefined || mask === null) return undefined;
    const context = `Concatenate (${this.name ?? 'unnamed'}).computeMask`;
    if (!Array.isArray(input) || !Array.isArray(mask) || mask.length !== input.length) {
      throw invalid(context, 'Expected a list of inputs and a list of as many masks (null for an input without one)', {
        inputs: Array.isArray(input) ? `a list of ${input.length}` : 'one tensor', mask: Array.isArray(mask) ? `a list of ${mask.length}` : 'one tensor',
      });
    }
    if (mask.every((m) => m === undefined || m === null)) return undefined;
    return ENGINE.tidy(() => {
      const full = input.map((x, i) => {
        const m = mask[i];
        if (m === undefined || m === null) return ops.ones(x.shape, 'bool');
        if (!(m.rank === x.rank - 1 || m.rank === x.rank) || !m.shape.every((d, k) => d === x.shape[k])) {
          throw invalid(context, `Expected mask[${i}] of shape ${JSON.stringify(x.shape.slice(0, -1))} (or ${JSON.stringify(x.shape)}), its input's`, { [`mask[${i}].shape`]: m.shape });
        }
        const keep = ops.cast(m, 'bool');
        return m.rank < x.rank ? ops.broadcastTo(ops.expandDims(keep, -1), x.shape) : keep;
      });
      return ops.any(ops.concat(full, this.axisFor(input[0]!.rank)), -1);
    });
  }

  getConfig(): Record<string, unknown> {
    return { axis: this.axis };
  }
}

export interface DotArgs extends LayerArgs {
  /** The axis of each input to contract (one number for both); never the batch axis. */
  axes: number | [number, number];
  /** L2-normalize each input along its axis first, giving cosine similarities (default false). */
  normalize?: boolean;
}

/** Keras's batch_dot: per example, contracts axes[0] of the first input with axes[1] of the second. */
export class Dot extends Layer {
  override readonly takesInputList = true;
  /** Its output carries no mask: the contraction mixes the time steps (Keras's and TF.js's Dot). */
  override ignoresMasks = true;
  readonly axes: number | [number, number];
  readonly normalize: boolean;

  constructor(args: DotArgs) {
    super('Dot', args);
    const axes = args.axes;
    const valid = (a: unknown) => Number.isInteger(a) && a !== 0;
    if (!(valid(axes) || (Array.isArray(axes) && axes.length === 2 && axes.every(valid)))) {
      throw invalid('Dot', 'Expected axes to be a non-zero integer or a pair of them (never the batch axis)', { axes });
    }
    if (args.normalize !== undefined && typeof args.normalize !== 'boolean') throw invalid('Dot', 'Expected normalize to be a boolean', { normalize: args.normalize });
    this.axes = axes;
    this.normalize = args.normalize ?? false;
  }

  /** Both axes made positive for inputs of these ranks, checked. */
  private resolvedAxes(shapes: SymbolicShape[]): [number, number] {
    const pair = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    const context = `Dot (${this.name ?? 'unnamed'})`;
    const axes = pair.map((a, i) => (a < 0 ? a + shapes[i]!.length : a)) as [number, number];
    axes.forEach((a, i) => {
      if (a <= 0 || a >= shapes[i]!.length) throw invalid(context, `Expected axes[${i}] to name a non-batch axis of input ${i} (rank ${shapes[i]!.length})`, { axes: this.axes });
    });
    const [d0, d1] = [shapes[0]![axes[0]], shapes[1]![axes[1]]];
    if (d0 !== null && d1 !== null && d0 !== d1) throw invalid(context, 'Expected the contracted dimensions to be equal', { 'shapes[0]': shapes[0], 'shapes[1]': shapes[1], axes: this.axes });
    return axes;
  }

  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    const shapes = inputList(this, inputShape, 2, 2);
    const [a0, a1] = this.resolvedAxes(shapes);
    const rest = [...shapes[0]!.slice(1).filter((_, k) => k + 1 !== a0), ...shapes[1]!.slice(1).filter((_, k) => k + 1 !== a1)];
    return [shapes[0]![0] ?? null, ...(rest.length === 0 ? [1] : rest)];
  }

  call(x: Tensor | Tensor[]): Tensor {
    const shapes = inputList(this, Array.isArray(x) ? x.map((t) => [...t.shape]) : x, 2, 2);
    const [a0, a1] = this.resolvedAxes(shapes);
    return ENGINE.tidy(() => {
      let [u, v] = x as Tensor[] as [Tensor, Tensor];
      if (this.normalize) [u, v] = [l2Normalize(u, a0), l2Normalize(v, a1)];
      // Move the contracted axis of u last and that of v first (after the batch), then one batched matMul.
      const moveTo = (t: Tensor, axis: number, to: number) => {
        const others = t.shape.map((_, k) => k).filter((k) => k !== 0 && k !== axis);
        return ops.transpose(t, to === -1 ? [0, ...others, axis] : [0, axis, ...others]);
      };
      const batch = u.shape[0]!;
      const n = u.shape[a0]!;
      const uRest = u.shape.filter((_, k) => k !== 0 && k !== a0);
      const vRest = v.shape.filter((_, k) => k !== 0 && k !== a1);
      const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
      const product = ops.matMul(ops.reshape(moveTo(u, a0, -1), [batch, size(uRest), n]), ops.reshape(moveTo(v, a1, 1), [batch, n, size(vRest)]));
      const rest = [...uRest, ...vRest];
      return ops.reshape(product, [batch, ...(rest.length === 0 ? [1] : rest)]);
    });
  }

  getConfig(): Record<string, unknown> {
    return { axes: this.axes, normalize: this.normalize };
  }
}

/** x / sqrt(max(sum(x^2, axis), 1e-12)), as TF.js's l2Normalize and Keras's normalize. */
function l2Normalize(x: Tensor, axis: number): Tensor {
  return ops.div(x, ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis, true), 1e-12)));
}
