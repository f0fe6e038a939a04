/**
 * Recurrent layers with Keras 3 semantics and defaults: SimpleRNN, LSTM, GRU. Each is unrolled
 * over the time steps from existing ops, so the gradient flows through the unrolled graph.
 *
 * Per call: x . kernel (+ the input bias) for every step in one matMul on the time-major input,
 * then per step only the recurrent product h . recurrent_kernel and the gates. Masked steps
 * (mask false) keep the previous states and repeat the previous output, as Keras does. Dropout
 * masks are drawn once per sequence (the same for every step and gate, as Keras's default
 * implementation) from foldIn(layerKey, step, 'dropout' | 'recurrent_dropout'): fresh every
 * training step, the same on every run.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { foldIn, key as keyOf, type Key, type Seed } from '../random/keys.js';
import { uniformValues } from '../random/samplers.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { getActivation, type ActivationFn, type ActivationIdentifier, type ResolvedActivation } from './activations.js';
import { parseSeed } from './core.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { firstDraw, Layer, keyForPath, type BatchRows, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2' | Regularizer;

export interface RecurrentArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier | ActivationFn;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier | Initializer;
  recurrentInitializer?: InitializerIdentifier | Initializer;
  biasInitializer?: InitializerIdentifier | Initializer;
  kernelRegularizer?: RegularizerIdentifier;
  recurrentRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  /** Fraction of the input features dropped in training (one mask per sequence). */
  dropout?: number;
  /** Fraction of the recurrent state dropped before h . recurrent_kernel in training (one mask per sequence). */
  recurrentDropout?: number;
  /** Output every step ([batch, time, units]) instead of the last ([batch, units]). */
  returnSequences?: boolean;
  /** Also return the final states: applyOutputs gives [output, ...states]. */
  returnState?: boolean;
  /** Process the sequence last step first (outputs then come in that order). */
  goBackwards?: boolean;
  /** Not implemented: true is an error. */
  stateful?: boolean;
  /** Accepted for TF.js compatibility; the loop is always unrolled. */
  unroll?: boolean;
  /** With a seed the dropout masks come from key(seed); otherwise from keyFor('<model>/<layer>'). */
  seed?: Seed | string | null;
}

export interface GatedRecurrentArgs extends RecurrentArgs {
  recurrentActivation?: ActivationIdentifier | ActivationFn;
}

export interface LSTMArgs extends GatedRecurrentArgs {
  /** Initialise the forget gate's bias to 1 (Keras default true). */
  unitForgetBias?: boolean;
}

export interface GRUArgs extends GatedRecurrentArgs {
  /** Apply the reset gate after the recurrent product, with a separate recurrent bias (Keras default true). */
  resetAfter?: boolean;
}

/** One step: the new states (states[0] is the step's output) from x_t . kernel + input bias and the previous states. */
type StepFn = (projected: Tensor, states: readonly Tensor[], recurrentInput: Tensor) => Tensor[];

/** A recurrent layer's outputs on a sequence: each step's output in processing order (with returnSequences), the last step's, and the final states. */
export interface SequenceResult {
  outputs: Tensor[];
  output: Tensor;
  states: Tensor[];
}

function rate(context: string, argument: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw invalid(context, `Expected ${argument} in [0, 1)`, { [argument]: value });
  return value;
}

function flag(context: string, argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(context, `Expected ${argument} to be a boolean`, { [argument]: value });
  return value;
}

/**
 * The equal row blocks of x (axis 0), split by halving. The gradient of a slice pads it back to
 * its input's size, so one slice per block would cost parts full-size pads and adds; halving
 * costs log2(parts). The gradient's values are the same: each element receives one block's
 * gradient plus exact zeros.
 */
function splitRows(x: Tensor, parts: number): Tensor[] {
  if (parts === 1) return [x];
  const rows = x.shape[0]! / parts;
  const half = parts >> 1;
  const first = ops.slice(x, [0, 0], [half * rows, -1]);
  const second = ops.slice(x, [half * rows, 0], [(parts - half) * rows, -1]);
  return [...splitRows(first, half), ...splitRows(second, parts - half)];
}

/**
 * A dropout mask of the given shape [batch, features]: 0 with probability rate, else
 * 1 / (1 - rate) (float32); a micro-batch (rows) gets its rows of its batch's mask.
 */
function dropoutMask(k: Key, shape: number[], dropRate: number, rows: BatchRows | undefined): Tensor {
  const scale = Math.fround(1 / Math.fround(1 - dropRate));
  const count = shape[0]! * shape[1]!;
  const u = uniformValues(k, count, 0, 1, firstDraw(rows, count, shape[0]!));
  return ENGINE.makeTensor(u.map((v) => (v >= dropRate ? scale : 0)), shape, 'float32');
}

export abstract class RNN extends Layer {
  override supportsMasking = true;
  readonly units: number;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly seed: Seed | undefined;
  /** Set by Bidirectional when returning sequences: masked steps output zeros (Keras's zero_output_for_mask). */
  zeroOutputForMask = false;
  protected readonly activation: ResolvedActivation;
  protected readonly kernelInitializer: Initializer;
  protected readonly recurrentInitializer: Initializer;
  protected readonly biasInitializer: Initializer;
  private readonly kernelRegularizer: Regularizer | undefined;
  private readonly recurrentRegularizer: Regularizer | undefined;
  private readonly biasRegularizer: Regularizer | undefined;
  kernel: Variable | undefined;
  recurrentKernel: Variable | undefined;
  bias: Variable | undefined;

  /** gates: how many units-wide blocks the kernels have; stateCount: how many [batch, units] states. */
  constructor(className: string, args: RecurrentArgs, protected readonly gates: number, readonly stateCount: number) {
    super(className, args);
    if (!Number.isInteger(args.units) || args.units <= 0) throw invalid(className, 'Expected units to be a positive integer', { units: args.units });
    if (args.stateful) throw invalid(className, 'Expected stateful: false (stateful recurrent layers are not implemented)', { stateful: args.stateful });
    this.units = args.units;
    this.activation = getActivation(args.activation === undefined ? 'tanh' : args.activation, className);
    this.useBias = flag(className, 'useBias', args.useBias, true);
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform', className);
    this.recurrentInitializer = getInitializer(args.recurrentInitializer, 'orthogonal', className);
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros', className);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, className);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer, className);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, className);
    this.dropout = rate(className, 'dropout', args.dropout);
    this.recurrentDropout = rate(className, 'recurrentDropout', args.recurrentDropout);
    this.returnSequences = flag(className, 'returnSequences', args.returnSequences, false);
    this.returnState = flag(className, 'returnState', args.returnState, false);
    this.takesInitialState = true;
    this.takesInputList = true;
    this.goBackwards = flag(className, 'goBackwards', args.goBackwards, false);
    flag(className, 'unroll', args.unroll, true); // only checked: the loop is always unrolled
    this.seed = parseSeed(className, args.seed);
  }

  protected get context(): string {
    return `${this.className} (${this.name})`;
  }

  override build(shapes: SymbolicShape | SymbolicShape[]): void {
    const inputShape = sequenceShape(shapes);
    const inputDim = inputShape.at(-1);
    if (inputShape.length !== 3 || typeof inputDim !== 'number') {
      throw invalid(this.context, 'Expected inputs of shape [batch, time, features] with features known', { inputShape });
    }
    const width = this.gates * this.units;
    this.kernel = this.addWeight('kernel', [inputDim, width], this.kernelInitializer, this.kernelRegularizer);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, width], this.recurrentInitializer, this.recurrentRegularizer);
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), this.initialBias(), this.biasRegularizer);
    this.built = true;
  }

  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  protected initialBias(): Initializer {
    return this.biasInitializer;
  }

  /** The bias added to x . kernel before the loop. */
  protected inputBias(): Tensor | undefined {
    return this.bias;
  }

  /** The step function, with the weights it needs prepared once per call. */
  protected abstract makeStep(): StepFn;

  /** The output's shape, then with returnState the states' ([batch, units] each). */
  computeOutputShape(shapes: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const inputShape = sequenceShape(shapes);
    const batch = inputShape[0] ?? null;
    const output = this.returnSequences ? [batch, inputShape[1] ?? null, this.units] : [batch, this.units];
    return this.returnState ? [output, ...Array.from({ length: this.stateCount }, () => [batch, this.units])] : output;
  }

  override computeMask(_input: Tensor, mask: Tensor | undefined): Tensor | undefined {
    return this.returnSequences ? mask : undefined;
  }

  /** Runs the recurrence over x [batch, time, features] with an optional bool mask [batch, time]. */
  runSequence(x: Tensor, context: CallContext, initialStates?: readonly Tensor[]): SequenceResult {
    const inputDim = this.kernel!.shape[0]!;
    if (x.rank !== 3 || x.shape[2] !== inputDim || x.shape[1] === 0) {
      throw invalid(this.context, `Expected inputs of shape [batch, time >= 1, ${inputDim}]`, { 'inputs.shape': x.shape });
    }
    const [batch, time] = x.shape as [number, number, number];
    const { mask } = context;
    if (mask && (mask.dtype !== 'bool' || mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time)) {
      throw invalid(this.context, `Expected a bool mask of shape [${batch}, ${time}]`, { 'mask.shape': mask.shape, 'mask.dtype': mask.dtype });
    }
    const noise = context.training && (this.dropout > 0 || this.recurrentDropout > 0)
      ? foldIn(this.seed === undefined ? keyForPath(this.path) : keyOf(this.seed), context.step) : undefined;
    // int32 and bool sequences are promoted to float32, as the input projection's matmul promotes them in Keras and TF.js.
    let input = x.dtype === 'float32' ? x : ops.cast(x, 'float32');
    if (noise && this.dropout > 0) input = ops.mul(input, ops.reshape(dropoutMask(foldIn(noise, 'dropout'), [batch, inputDim], this.dropout, context.rows), [batch, 1, inputDim]));
    let projected = ops.matMul(ops.reshape(ops.transpose(input, [1, 0, 2]), [time * batch, inputDim]), this.kernel!);
    const inputBias = this.inputBias();
    if (inputBias) projected = ops.add(projected, inputBias);
    const perStep = splitRows(projected, time);
    const recurrentMask = noise && this.recurrentDropout > 0 ? dropoutMask(foldIn(noise, 'recurrent_dropout'), [batch, this.units], this.recurrentDropout, context.rows) : undefined;
    const step = this.makeStep();
    if (initialStates && (initialStates.length !== this.stateCount || initialStates.some((h) => h.rank !== 2 || h.shape[0] !== batch || h.shape[1] !== this.units))) {
      throw invalid(this.context, `Expected ${this.stateCount} initial state(s) of shape [${batch}, ${this.units}]`, { initialState: initialStates.map((h) => `[${h.shape.join(',')}]`).join(' ') });
    }
    let states = initialStates ? [...initialStates] : Array.from({ length: this.stateCount }, () => ops.zeros([batch, this.units]));
    const outputs: Tensor[] = [];
    let last: Tensor | undefined;
    for (let i = 0; i < time; i++) {
      const t = this.goBackwards ? time - 1 - i : i;
      let next = step(perStep[t]!, states, recurrentMask ? ops.mul(states[0]!, recurrentMask) : states[0]!);
      let output = next[0]!;
      if (mask) {
        const keep = ops.slice(mask, [0, t], [batch, 1]);
        const previous = states;
        // Keras: a masked step repeats the previous step's output, zeros before the first step (not the initial state).
        output = ops.where(keep, output, this.zeroOutputForMask || !last ? 0 : last);
        next = next.map((s, k) => ops.where(keep, s, previous[k]!));
      }
      states = next;
      last = output;
      if (this.returnSequences) outputs.push(output);
    }
    return { outputs, output: last!, states };
  }

  /** Every output: [output] or, with returnState, [output, ...final states]; x may be [sequence, ...initial states]. */
  callOutputs(x: Tensor | Tensor[], context: CallContext): Tensor[] {
    return ENGINE.tidy(() => {
      const [sequence, ...initialStates] = Array.isArray(x) ? x : [x];
      const { outputs, output: last, states } = this.runSequence(sequence!, context, initialStates.length > 0 ? initialStates : undefined);
      const output = this.returnSequences ? ops.stack(outputs, 1) : last;
      return this.returnState ? [output, ...states] : [output];
    });
  }

  /** The output, or with returnState [output, ...final states] (TF.js's apply; graphs take each). */
  call(x: Tensor | Tensor[], context: CallContext): Tensor | Tensor[] {
    const outputs = this.callOutputs(x, context);
    return this.returnState ? outputs : outputs[0]!;
  }

  /** Like apply, but returns every output: [output, ...states] with returnState. */
  applyOutputs(x: Tensor | Tensor[], context: Partial<CallContext> = {}): Tensor[] {
    return this.callOutputs(x, this.prepareToApply(x, context));
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units, activation: this.activation.name, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer.name, recurrentInitializer: this.recurrentInitializer.name, biasInitializer: this.biasInitializer.name,
      kernelRegularizer: this.kernelRegularizer?.config ?? null, recurrentRegularizer: this.recurrentRegularizer?.config ?? null,
      biasRegularizer: this.biasRegularizer?.config ?? null,
      dropout: this.dropout, recurrentDropout: this.recurrentDropout, returnSequences: this.returnSequences, returnState: this.returnState,
      goBackwards: this.goBackwards, stateful: false, seed: typeof this.seed === 'bigint' ? this.seed.toString() : this.seed ?? null,
    };
  }
}

/** The sequence's shape among a recurrent layer's inputs (the sequence, then initial states). */
function sequenceShape(shapes: SymbolicShape | SymbolicShape[]): SymbolicShape {
  return (Array.isArray(shapes[0]) ? shapes[0] : shapes) as SymbolicShape;
}

/** h = activation(x . kernel + bias + h_prev . recurrent_kernel). */
export class SimpleRNN extends RNN {
  constructor(args: RecurrentArgs) {
    super('SimpleRNN', args, 1, 1);
  }

  protected makeStep(): StepFn {
    const recurrentKernel = this.recurrentKernel!;
    return (projected, _states, h) => [this.activation.fn(ops.add(projected, ops.matMul(h, recurrentKernel)))];
  }
}

/** The [batch, units] block k of a [batch, gates * units] tensor. */
function gate(z: Tensor, k: number, units: number): Tensor {
  return ops.slice(z, [0, k * units], [-1, units]);
}

/**
 * z = x . kernel + bias + h_prev . recurrent_kernel, split into gates i, f, g, o (Keras's order);
 * c = f * c_prev + i * activation(g), h = o * activation(c). States [h, c].
 */
export class LSTM extends RNN {
  readonly unitForgetBias: boolean;
  private readonly recurrentActivation: ResolvedActivation;

  constructor(args: LSTMArgs) {
    super('LSTM', args, 4, 2);
    this.recurrentActivation = getActivation(args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation, 'LSTM');
    this.unitForgetBias = flag('LSTM', 'unitForgetBias', args.unitForgetBias, true);
  }

  /** With unitForgetBias the forget gate's block starts at 1 (Keras: ones for f, the initializer elsewhere). */
  protected override initialBias(): Initializer {
    if (!this.unitForgetBias) return this.biasInitializer;
    const base = this.biasInitializer;
    const units = this.units;
    return {
      name: base.name,
      values(shape, key) {
        const values = base.values(shape, key);
        values.fill(1, units, 2 * units);
        return values;
      },
    };
  }

  protected makeStep(): StepFn {
    const recurrentKernel = this.recurrentKernel!;
    const { units } = this;
    const act = this.activation.fn;
    const recurrentAct = this.recurrentActivation.fn;
    return (projected, [, c], h) => {
      const z = ops.add(projected, ops.matMul(h, recurrentKernel));
      const i = recurrentAct(gate(z, 0, units));
      const f = recurrentAct(gate(z, 1, units));
      const o = recurrentAct(gate(z, 3, units));
      const cNext = ops.add(ops.mul(f, c!), ops.mul(i, act(gate(z, 2, units))));
      return [ops.mul(o, act(cNext)), cNext];
    };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation.name, unitForgetBias: this.unitForgetBias };
  }
}

/**
 * Gates z (update), r (reset), h (candidate) in Keras's order; h = z * h_prev + (1 - z) * hh.
 * resetAfter (Keras default): hh = activation(x_h + r * (h_prev . R_h + recurrent bias)) with bias
 * [2, 3 units] (input row, recurrent row); otherwise hh = activation(x_h + (r * h_prev) . R_h)
 * with bias [3 units] (TF.js's only mode).
 */
export class GRU extends RNN {
  readonly resetAfter: boolean;
  private readonly recurrentActivation: ResolvedActivation;

  constructor(args: GRUArgs) {
    super('GRU', args, 3, 1);
    this.recurrentActivation = getActivation(args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation, 'GRU');
    this.resetAfter = flag('GRU', 'resetAfter', args.resetAfter, true);
  }

  protected override biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  private biasRow(row: number): Tensor | undefined {
    if (!this.bias || !this.resetAfter) return row === 0 ? this.bias : undefined;
    return ops.reshape(ops.slice(this.bias, [row, 0], [1, -1]), [3 * this.units]);
  }

  protected override inputBias(): Tensor | undefined {
    return this.biasRow(0);
  }

  protected makeStep(): StepFn {
    const { units, resetAfter } = this;
    const act = this.activation.fn;
    const recurrentAct = this.recurrentActivation.fn;
    const recurrentBias = this.biasRow(1);
    const kernel = this.recurrentKernel!;
    const gatesKernel = resetAfter ? kernel : ops.slice(kernel, [0, 0], [-1, 2 * units]);
    const candidateKernel = resetAfter ? undefined : ops.slice(kernel, [0, 2 * units], [-1, units]);
    return (projected, [hPrev], h) => {
      let inner = ops.matMul(h, gatesKernel);
      if (recurrentBias) inner = ops.add(inner, recurrentBias);
      const z = recurrentAct(ops.add(gate(projected, 0, units), gate(inner, 0, units)));
      const r = recurrentAct(ops.add(gate(projected, 1, units), gate(inner, 1, units)));
      const recurrentCandidate = candidateKernel ? ops.matMul(ops.mul(r, h), candidateKernel) : ops.mul(r, gate(inner, 2, units));
      const hh = act(ops.add(gate(projected, 2, units), recurrentCandidate));
      return [ops.add(ops.mul(z, hPrev!), ops.mul(ops.sub(1, z), hh))];
    };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation.name, resetAfter: this.resetAfter };
  }
}

const RECURRENT_CLASSES = { SimpleRNN, LSTM, GRU } as const;

/** A recurrent layer from its class name and getConfig() (what Bidirectional's config holds). */
export function recurrentFromConfig(className: string, config: Record<string, unknown>, context: string): RNN {
  const Class = RECURRENT_CLASSES[className as keyof typeof RECURRENT_CLASSES];
  if (!Class) throw invalid(context, `Expected a recurrent layer: one of ${Object.keys(RECURRENT_CLASSES).join(', ')}`, { className });
  return new Class(config as unknown as LSTMArgs & GRUArgs);
}
