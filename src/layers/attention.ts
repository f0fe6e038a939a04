/**
 * Multi-head attention as Keras 3 has it (TF.js has none): query, key and value projections
 * (kernels [dim, numHeads, keyDim] named query/kernel, key/kernel, value/kernel), scores
 * q k^T / sqrt(keyDim) over the sequence axis, a masked softmax (masked scores get -1e9 added,
 * Keras's large negative for float32), dropout on the attention probabilities, and an output
 * projection (attention_output/kernel [numHeads, valueDim, outputDim]). Inputs are rank 3,
 * [batch, time, features]; attention runs over the time axis.
 */
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { ENGINE } from '../engine/engine.js';
import type { Seed } from '../random/keys.js';
import { Tensor, type Variable } from '../tensor/tensor.js';
import { invertedDropout, parseSeed, seedConfig, stepKey } from './core.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type BatchRows, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';

export interface MultiHeadAttentionArgs extends LayerArgs {
  numHeads: number;
  keyDim: number;
  /** Default: keyDim. */
  valueDim?: number;
  /** Dropout rate on the attention probabilities (training only). */
  dropout?: number;
  useBias?: boolean;
  /** The output's last dimension; default: the query's. */
  /** null (as getConfig() reports the default) means the query's last dimension. */
  outputShape?: number | null;
  kernelInitializer?: InitializerIdentifier | Initializer;
  biasInitializer?: InitializerIdentifier | Initializer;
  seed?: Seed | string | null;
}

/** What attend() takes besides the tensors: Keras's call arguments. */
export interface AttentionOptions {
  /** Boolean (or 0/1) [batch, queryTime, valueTime], or a shape that broadcasts to it: which keys each query may attend to. */
  attentionMask?: Tensor;
  /** The query's mask [batch, queryTime] (Keras's query_mask, the mask the query carries): masked query steps attend to nothing. */
  queryMask?: Tensor;
  /** The value's mask [batch, valueTime] (Keras's value_mask): masked value steps are attended to by no query. */
  valueMask?: Tensor;
  /** The key's mask [batch, valueTime] (Keras's key_mask), as the value's. */
  keyMask?: Tensor;
  /** Each query attends only to itself and earlier positions. */
  useCausalMask?: boolean;
  training?: boolean;
  step?: number;
  /** A data-parallel micro-batch's rows of its batch (CallContext rows): its rows of the batch's dropout mask. */
  rows?: BatchRows;
}

const LARGE_NEGATIVE = -1e9;

/** AttentionOptions' keys: another (Keras's returnAttentionScores, say) is an error, never ignored. */
const ATTEND_OPTIONS = ['attentionMask', 'queryMask', 'valueMask', 'keyMask', 'useCausalMask', 'training', 'step', 'rows'];

/** One input shape or several, as a list. */
function shapeList(shape: SymbolicShape | SymbolicShape[]): SymbolicShape[] {
  return Array.isArray(shape[0]) ? (shape as SymbolicShape[]) : [shape as SymbolicShape];
}

function positiveInteger(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) > 0;
}

export class MultiHeadAttention extends Layer {
  override readonly takesInputList = true;
  /** The inputs' masks restrict the attention (combinedMask); the output carries the query's (Keras 3). */
  override readonly supportsMasking = true;
  override readonly masksPerInput = true;
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly outputDim: number | undefined;
  readonly seed: Seed | undefined;
  private readonly kernelInitializer: Initializer;
  private readonly biasInitializer: Initializer;
  private projections: Record<'query' | 'key' | 'value' | 'output', { kernel: Variable; bias?: Variable }> | undefined;

  constructor(args: MultiHeadAttentionArgs) {
    super('MultiHeadAttention', args);
    for (const name of ['numHeads', 'keyDim'] as const) {
      if (!positiveInteger(args[name])) throw invalid('MultiHeadAttention', `Expected ${name} to be a positive integer`, { [name]: args[name] });
    }
    if (args.valueDim !== undefined && !positiveInteger(args.valueDim)) throw invalid('MultiHeadAttention', 'Expected valueDim to be a positive integer', { valueDim: args.valueDim });
    if (args.outputShape != null && !positiveInteger(args.outputShape)) throw invalid('MultiHeadAttention', 'Expected outputShape to be a positive integer', { outputShape: args.outputShape });
    if (args.dropout !== undefined && !(typeof args.dropout === 'number' && args.dropout >= 0 && args.dropout < 1)) {
      throw invalid('MultiHeadAttention', 'Expected dropout in [0, 1)', { dropout: args.dropout });
    }
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.valueDim = args.valueDim ?? args.keyDim;
    this.dropout = args.dropout ?? 0;
    if (args.useBias !== undefined && typeof args.useBias !== 'boolean') throw invalid('MultiHeadAttention', 'Expected useBias to be a boolean', { useBias: args.useBias });
    this.useBias = args.useBias ?? true;
    this.outputDim = args.outputShape ?? undefined;
    this.seed = parseSeed('MultiHeadAttention', args.seed);
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform', 'MultiHeadAttention');
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros', 'MultiHeadAttention');
  }

  /** Builds for [query, value?, key?] shapes (value defaults to query, key to value). */
  override build(inputShape: SymbolicShape | SymbolicShape[]): void {
    const [queryShape, valueShape = queryShape, keyShape = valueShape] = shapeList(inputShape);
    const dims = [queryShape!, valueShape, keyShape].map((shape, i) => {
      const d = shape.at(-1);
      if (shape.length !== 3 || typeof d !== 'number') {
        throw invalid(`MultiHeadAttention (${this.name})`, 'Expected inputs of rank 3 [batch, time, features] with known features', { [['query', 'value', 'key'][i]!]: shape });
      }
      return d;
    });
    const [queryDim, valueDim, keyDim] = dims as [number, number, number];
    const h = this.numHeads;
    const projection = (name: string, kernelShape: number[], biasShape: number[]) => ({
      kernel: this.addWeight(`${name}/kernel`, kernelShape, this.kernelInitializer),
      ...(this.useBias ? { bias: this.addWeight(`${name}/bias`, biasShape, this.biasInitializer) } : {}),
    });
    this.projections = {
      query: projection('query', [queryDim, h, this.keyDim], [h, this.keyDim]),
      key: projection('key', [keyDim, h, this.keyDim], [h, this.keyDim]),
      value: projection('value', [valueDim, h, this.valueDim], [h, this.valueDim]),
      output: projection('attention_output', [h, this.valueDim, this.outputDim ?? queryDim], [this.outputDim ?? queryDim]),
    };
    this.built = true;
  }

  /** [query, value, key]: a longer list is an error, never an input silently ignored. */
  private checkInputCount(count: number): void {
    if (count < 1 || count > 3) throw invalid(`MultiHeadAttention (${this.name ?? 'unnamed'})`, 'Expected one tensor or a list [query, value, key?] of 1 to 3 tensors', { inputs: count });
  }

  computeOutputShape(inputShape: SymbolicShape | SymbolicShape[]): SymbolicShape {
    this.checkInputCount(shapeList(inputShape).length);
    const queryShape = shapeList(inputShape)[0]!;
    return [...queryShape.slice(0, -1), this.outputDim ?? queryShape.at(-1)!];
  }

  /**
   * [query, value, key?] (in a functional model), or one tensor: self-attention, Keras's mha(x, x),
   * whose mask is the query's and the value's. The inputs' masks are Keras's query_mask,
   * value_mask and key_mask.
   */
  call(x: Tensor | Tensor[], context: CallContext): Tensor {
    if (Array.isArray(x)) this.checkInputCount(x.length);
    const [query, value = query, key = value] = Array.isArray(x) ? x : [x];
    const [queryMask, givenValueMask, keyMask] = context.inputMasks ?? [context.mask];
    const valueMask = Array.isArray(x) && x.length > 1 ? givenValueMask : queryMask;
    const masks = { ...(queryMask ? { queryMask } : {}), ...(valueMask ? { valueMask } : {}), ...(keyMask ? { keyMask } : {}) };
    return this.attend(query!, value!, key, { training: context.training, step: context.step, ...masks, ...(context.rows ? { rows: context.rows } : {}) });
  }

  /**
   * attention(query, value, key): [batch, queryTime, outputDim]. Builds on first use; training
   * (with its step) enables dropout on the attention probabilities.
   */
  attend(query: Tensor, value: Tensor, key: Tensor = value, options: AttentionOptions = {}): Tensor {
    this.ensureStandaloneName();
    const context = `MultiHeadAttention (${this.name})`;
    if (options === null || typeof options !== 'object') throw invalid(context, `Expected options to be an object with keys among ${ATTEND_OPTIONS.join(', ')}`, { options });
    const unknown = Object.keys(options).filter((k) => !ATTEND_OPTIONS.includes(k));
    if (unknown.length > 0) throw invalid(context, `Expected options among ${ATTEND_OPTIONS.join(', ')}`, { option: unknown.join(', ') });
    const inputs = [['query', query], ['value', value], ['key', key]] as const;
    for (const [name, t] of inputs) if (!(t instanceof Tensor)) throw invalid(context, `Expected ${name} to be a tensor`, { [name]: t });
    if (!this.built) this.build([query, value, key].map((t) => [null, ...t.shape.slice(1)]));
    const p = this.projections!;
    for (const [name, t] of inputs) {
      const features = p[name].kernel.shape[0]!;
      if (t.rank !== 3 || t.shape[2] !== features) throw invalid(context, `Expected ${name} of shape [batch, time, ${features}] (the layer was built for it)`, { [`${name}.shape`]: t.shape });
    }
    const [batch, queryTime] = query.shape as [number, number, number];
    const valueTime = value.shape[1]!;
    if (key.shape[0] !== batch || value.shape[0] !== batch || key.shape[1] !== valueTime) {
      throw invalid(`MultiHeadAttention (${this.name})`, 'Expected query, value and key with one batch size, and value and key with one length', { 'query.shape': query.shape, 'value.shape': value.shape, 'key.shape': key.shape });
    }
    return ENGINE.tidy(() => {
      // [batch, time, dim] -> [batch, heads, time, headDim]
      const project = (x: Tensor, w: { kernel: Variable; bias?: Variable }, headDim: number) => {
        const [b, t, d] = x.shape as [number, number, number];
        let y = ops.reshape(ops.matMul(ops.reshape(x, [b * t, d]), ops.reshape(w.kernel, [d, this.numHeads * headDim])), [b, t, this.numHeads, headDim]);
        if (w.bias) y = ops.add(y, w.bias);
        return ops.transpose(y, [0, 2, 1, 3]);
      };
      // 1 / sqrt(keyDim) rounded once to float32, as Keras multiplies the query by it.
      const q = ops.mul(project(query, p.query, this.keyDim), Math.fround(1 / Math.sqrt(this.keyDim)));
      const k = project(key, p.key, this.keyDim);
      const v = project(value, p.value, this.valueDim);
      let scores = ops.matMul(q, k, false, true);
      const mask = this.combinedMask(batch, queryTime, valueTime, options);
      if (mask) scores = ops.add(scores, ops.mul(ops.sub(1, ops.expandDims(mask, 1)), LARGE_NEGATIVE));
      let probabilities = ops.softmax(scores, -1);
      if (options.training && this.dropout > 0) probabilities = invertedDropout(probabilities, this.dropout, stepKey(this, this.seed, options.step ?? 0), probabilities.shape, options.rows);
      const attended = ops.transpose(ops.matMul(probabilities, v), [0, 2, 1, 3]);
      const outputDim = p.output.kernel.shape[2]!;
      let out = ops.reshape(ops.matMul(ops.reshape(attended, [batch * queryTime, this.numHeads * this.valueDim]), ops.reshape(p.output.kernel, [this.numHeads * this.valueDim, outputDim])), [batch, queryTime, outputDim]);
      if (p.output.bias) out = ops.add(out, p.output.bias);
      return out;
    });
  }

  /**
   * The float32 0/1 mask [batch, queryTime, valueTime], as Keras's _compute_attention_mask: the
   * logical and of attentionMask, the query's mask (per query step), the value's and the key's
   * (per key step) and the causal mask; none without any of them.
   */
  private combinedMask(batch: number, queryTime: number, valueTime: number, options: AttentionOptions): Tensor | undefined {
    const context = `MultiHeadAttention (${this.name})`;
    const expected = [batch, queryTime, valueTime];
    const parts: Tensor[] = [];
    if (options.attentionMask) {
      const m = options.attentionMask;
      // As Keras: a mask without the batch axis, or with 1 where it is shared ([batch, 1, valueTime]: key padding), broadcasts.
      const aligned = expected.slice(3 - (m instanceof Tensor ? m.rank : 3));
      if (!(m instanceof Tensor) || m.rank < 2 || m.rank > 3 || !m.shape.every((d, i) => d === aligned[i] || d === 1)) {
        throw invalid(context, `Expected attentionMask of shape ${JSON.stringify(expected)} or one that broadcasts to it ([${queryTime}, ${valueTime}], [${batch}, 1, ${valueTime}], ...)`,
          m instanceof Tensor ? { 'attentionMask.shape': m.shape } : { attentionMask: m });
      }
      parts.push(ops.cast(m, 'bool'));
    }
    // A query step's mask covers its row of keys, a value (key) step's its column of queries.
    for (const [name, length, axis] of [['queryMask', queryTime, 2], ['valueMask', valueTime, 1], ['keyMask', valueTime, 1]] as const) {
      const m = options[name];
      if (m === undefined || m === null) continue;
      if (!(m instanceof Tensor) || m.rank !== 2 || m.shape[0] !== batch || m.shape[1] !== length) {
        throw invalid(context, `Expected ${name} of shape [${batch}, ${length}]`, m instanceof Tensor ? { [`${name}.shape`]: m.shape } : { [name]: m });
      }
      parts.push(ops.expandDims(ops.cast(m, 'bool'), axis));
    }
    if (options.useCausalMask) parts.push(ops.lessEqual(ops.reshape(ops.range(0, valueTime, 1, 'int32'), [1, valueTime]), ops.reshape(ops.range(0, queryTime, 1, 'int32'), [queryTime, 1])));
    if (parts.length === 0) return undefined;
    return ops.cast(ops.broadcastTo(parts.reduce((a, b) => ops.logicalAnd(a, b)), expected), 'float32');
  }

  getConfig(): Record<string, unknown> {
    return {
      numHeads: this.numHeads, keyDim: this.keyDim, valueDim: this.valueDim, dropout: this.dropout, useBias: this.useBias,
      outputShape: this.outputDim ?? null, kernelInitializer: this.kernelInitializer.name, biasInitializer: this.biasInitializer.name,
      seed: seedConfig(this.seed),
    };
  }
}
