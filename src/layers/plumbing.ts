/** Plumbing layers: Permute, RepeatVector and the TimeDistributed wrapper (Keras semantics). */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { Layer, snakeCase, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';

export interface PermuteArgs extends LayerArgs {
  /** A permutation of 1..rank-1 (1-indexed, the batch axis stays first). */
  dims: number[];
}

/** Permutes the non-batch axes: output axis i + 1 is input axis dims[i]. */
export class Permute extends Layer {
  readonly dims: number[];

  constructor(args: PermuteArgs) {
    super('Permute', args);
    const dims = args.dims;
    const ok = Array.isArray(dims) && dims.length > 0 && [...dims].sort((a, b) => a - b).every((d, i) => d === i + 1);
    if (!ok) throw invalid('Permute', 'Expected dims to be a permutation of 1..n (1-indexed; the batch axis is not included)', { dims });
    this.dims = dims;
  }

  private check(rank: number): void {
    if (rank !== this.dims.length + 1) {
      throw invalid(`Permute (${this.name ?? 'unnamed'})`, `Expected inputs of rank ${this.dims.length + 1} (dims has ${this.dims.length} entries)`, { rank });
    }
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.check(inputShape.length);
    return [inputShape[0] ?? null, ...this.dims.map((d) => inputShape[d]!)];
  }

  call(x: Tensor): Tensor {
    this.check(x.rank);
    return ops.transpose(x, [0, ...this.dims]);
  }

  getConfig(): Record<string, unknown> {
    return { dims: this.dims };
  }
}

/** [batch, features] -> [batch, n, features]: the input repeated n times. */
export class RepeatVector extends Layer {
  readonly n: number;

  constructor(args: LayerArgs & { n: number }) {
    super('RepeatVector', args);
    if (!Number.isInteger(args.n) || args.n < 1) throw invalid('RepeatVector', 'Expected n to be a positive integer', { n: args.n });
    this.n = args.n;
  }

  private check(rank: number): void {
    if (rank !== 2) throw invalid(`RepeatVector (${this.name ?? 'unnamed'})`, 'Expected inputs of rank 2 (batch, features)', { rank });
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.check(inputShape.length);
    return [inputShape[0] ?? null, this.n, inputShape[1]!];
  }

  call(x: Tensor): Tensor {
    this.check(x.rank);
    return ENGINE.tidy(() => ops.tile(ops.expandDims(x, 1), [1, this.n, 1]));
  }

  getConfig(): Record<string, unknown> {
    return { n: this.n };
  }
}

/** A model (src/models, a floor above this one): it stands as one layer through asLayer(). */
interface ModelAsLayer {
  asLayer(): Layer;
}

export interface TimeDistributedArgs extends LayerArgs {
  /** The layer applied to every step (axis 1) of the input; a model is a layer too (Keras, TF.js). */
  layer: Layer | ModelAsLayer;
}

/** The layer a TimeDistributed wraps: a model's one layer (shared with the model: its weights); anything else but a Layer refused, named by its kind. */
function wrappedLayer(given: unknown): Layer {
  if (given instanceof Layer) return given;
  const asLayer = (given as Partial<ModelAsLayer> | null | undefined)?.asLayer;
  const layer: unknown = typeof asLayer === 'function' ? asLayer.call(given) : undefined;
  if (layer instanceof Layer) return layer;
  const kind = given === null || typeof given !== 'object' ? given : `a ${(given as object).constructor?.name ?? 'object'}`;
  throw invalid('TimeDistributed', 'Expected layer to be a Layer or a model', { layer: kind });
}

/**
 * Applies a layer to every slice along axis 1: the input [batch, steps, ...] is reshaped to
 * [batch * steps, ...], run through the layer and reshaped back, so every step shares the
 * layer's weights. The inner layer's weights are named `<model>/<wrapper>/<inner>/<weight>`.
 * The input's mask ([batch, steps]) passes on to the output, as Keras's and TF.js's.
 */
export class TimeDistributed extends Layer {
  override supportsMasking = true;
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super('TimeDistributed', args);
    const layer = wrappedLayer(args.layer);
    if (layer.path) throw invalid('TimeDistributed', 'Expected a layer that is not already in a model', { layer: layer.name });
    // Keras and TF.js call the layer once per step, each step continuing the states the last one left; here the steps are rows of one call.
    if ((layer as { stateful?: unknown }).stateful === true) {
      throw invalid('TimeDistributed', 'Expected a layer that is not stateful (the steps run as rows of one batch here, where Keras and TF.js run them one after another, each starting from the states the last one left)', { layer: layer.name ?? layer.className, stateful: true });
    }
    this.layer = layer;
  }

  private innerShape(inputShape: SymbolicShape): SymbolicShape {
    if (inputShape.length < 3) throw invalid(`TimeDistributed (${this.name ?? 'unnamed'})`, 'Expected inputs of rank 3 or more (batch, steps, ...)', { inputShape });
    return [null, ...inputShape.slice(2)];
  }

  override build(inputShape: SymbolicShape): void {
    this.layer.name ??= snakeCase(this.layer.className);
    this.layer.path = `${this.path}/${this.layer.name}`;
    if (!this.layer.built) this.layer.build(this.innerShape(inputShape));
    this.weights.push(...this.layer.weights);
    this.built = true;
  }

  /** A wrapped layer of several outputs (returnState, say) cannot be distributed over the steps. */
  private severalOutputs(outputs: number): Error {
    return invalid(`TimeDistributed (${this.name ?? 'unnamed'})`, 'Expected a wrapped layer of one output', { layer: this.layer.name ?? this.layer.className, outputs });
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const inner = this.layer.computeOutputShape(this.innerShape(inputShape));
    if (inner.some(Array.isArray)) throw this.severalOutputs(inner.length);
    return [inputShape[0] ?? null, inputShape[1]!, ...(inner as SymbolicShape).slice(1)];
  }

  call(x: Tensor, context: CallContext): Tensor {
    const [batch, steps] = [x.shape[0]!, x.shape[1]!];
    this.innerShape(x.shape as SymbolicShape);
    // The inner rows of example i are [i steps, (i + 1) steps): a micro-batch's rows map alike.
    const rows = context.rows && { offset: context.rows.offset * steps, total: context.rows.total * steps };
    // The mask is over the steps, which the inner layer does not see.
    const { mask: _stepsMask, ...inner } = context;
    return ENGINE.tidy(() => {
      const y = this.layer.call(ops.reshape(x, [batch * steps, ...x.shape.slice(2)]), rows ? { ...inner, rows } : inner);
      if (Array.isArray(y)) throw this.severalOutputs(y.length);
      return ops.reshape(y, [batch, steps, ...y.shape.slice(1)]);
    });
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? this.layer.trainableWeights : [];
  }

  getConfig(): Record<string, unknown> {
    // The wrapped layer's trainable travels with its config (saved files take it, as TF.js's).
    return { layer: { className: this.layer.className, name: this.layer.name ?? null, config: { ...this.layer.getConfig(), trainable: this.layer.trainable } } };
  }

  override dispose(): void {
    this.layer.dispose();
    this.weights.length = 0;
    this.built = false;
  }
}
