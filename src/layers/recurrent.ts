/**
 * Recurrent layers with Keras 3 semantics and defaults: RNN over a cell (src/layers/recurrent-cells.ts)
 * or a stack of cells, and SimpleRNN, LSTM, GRU, each RNN over its cell (Keras: LSTM is
 * RNN(LSTMCell)). The loop is unrolled over the time steps from existing ops, so the gradient
 * flows through the unrolled graph.
 *
 * Per call: x . kernel (+ the input bias) of the first cell for every step in one matMul on the
 * time-major input, then per step only the recurrent products and the gates (and a stacked
 * cell's projection of the previous cell's output). Masked steps (mask false) keep the previous
 * states and repeat the previous output, as Keras does.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Seed } from '../random/keys.js';
import { Tensor, type Variable } from '../tensor/tensor.js';
import { Layer, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
import {
  cellFrom, CellLayer, flag, GRUCell, LSTMCell, RecurrentCell, SimpleRNNCell, StackedRNNCells,
  type CellArgs, type CellConfig, type GatedCellArgs, type GRUCellArgs, type LSTMCellArgs,
} from './recurrent-cells.js';

/** The options of an RNN layer besides its cell (Keras's and TF.js's). */
export interface SequenceArgs extends LayerArgs {
  /** Output every step ([batch, time, units]) instead of the last ([batch, units]). */
  returnSequences?: boolean;
  /** Also return the final states: applyOutputs gives [output, ...states]. */
  returnState?: boolean;
  /** Process the sequence last step first (outputs then come in that order). */
  goBackwards?: boolean;
  /**
   * Carry the final states of each batch into the next as its initial states, row by row (Keras,
   * TF.js): every batch then has the first one's size; resetStates() starts again from zeros.
   */
  stateful?: boolean;
  /** Accepted for TF.js compatibility; the loop is always unrolled. */
  unroll?: boolean;
}

export interface RNNArgs extends SequenceArgs {
  /** A cell not yet used, a list of them (stacked, as StackedRNNCells), or its {className, config} as getConfig() gives it. */
  cell: CellLayer | RecurrentCell[] | CellConfig;
}

export interface RecurrentArgs extends CellArgs, SequenceArgs {}
export interface GatedRecurrentArgs extends GatedCellArgs, SequenceArgs {}
export interface LSTMArgs extends LSTMCellArgs, SequenceArgs {}
export interface GRUArgs extends GRUCellArgs, SequenceArgs {}

/** A recurrent layer's outputs on a sequence: each step's output in processing order (with returnSequences), the last step's, and the final states. */
export interface SequenceResult {
  outputs: Tensor[];
  output: Tensor;
  states: Tensor[];
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

/** A stateful layer's states after its last call: the next call's initial states. */
export interface CarriedStates {
  batch: number;
  /** Each state's values ([batch, units], row-major), in the layer's state order. */
  values: Float32Array[];
}

/** Runs a cell (or stacked cells) over a sequence (Keras's RNN). */
export class RNN extends Layer {
  override supportsMasking = true;
  /** The cell as given: one cell or a StackedRNNCells. */
  readonly cell: CellLayer;
  /** The cells run at each step, first to last. */
  readonly cells: readonly RecurrentCell[];
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  /**
   * With stateful, the states the last call ended with (copied out of the step's tensors, so no
   * gradient or tensor lifetime crosses batches); undefined: zeros, at whatever batch size comes.
   */
  private carried: CarriedStates | undefined;
  /** Set by Bidirectional when returning sequences: masked steps output zeros (Keras's zero_output_for_mask). */
  zeroOutputForMask = false;

  /** className: SimpleRNN, LSTM and GRU are RNN over the cell they make. */
  constructor(args: RNNArgs, className = 'RNN') {
    super(className, args);
    if (args.cell === undefined || args.cell === null) throw invalid(className, 'Expected a cell: rnn({cell: vb.layers.lstmCell({units})}), or a list of cells', { cell: args.cell });
    this.cell = Array.isArray(args.cell) ? new StackedRNNCells({ cells: args.cell }) : cellFrom(args.cell, className, 'cell');
    this.cells = this.cell instanceof StackedRNNCells ? this.cell.cells : [this.cell as RecurrentCell];
    this.cell.owner = this;
    this.returnSequences = flag(className, 'returnSequences', args.returnSequences, false);
    this.returnState = flag(className, 'returnState', args.returnState, false);
    this.takesInitialState = true;
    this.takesInputList = true;
    this.goBackwards = flag(className, 'goBackwards', args.goBackwards, false);
    this.stateful = flag(className, 'stateful', args.stateful, false);
    flag(className, 'unroll', args.unroll, true); // only checked: the loop is always unrolled
  }

  /** The output's size: the last cell's units. */
  get units(): number {
    return this.cells.at(-1)!.units;
  }

  /** How many [batch, units] states: every cell's, first cell first (Keras's order, flattened). */
  get stateCount(): number {
    return this.stateUnits().length;
  }

  /** Each state's units, in order. */
  private stateUnits(): number[] {
    return this.cells.flatMap((cell) => Array.from({ length: cell.stateCount }, () => cell.units));
  }

  /** How errors name the layer: its class, and its name once it has one (a standalone layer has none until applied). */
  protected get context(): string {
    return this.name ? `${this.className} (${this.name})` : this.className;
  }

  /** Builds the cells: one at the layer's path (`rnn/kernel`, as TF.js), stacked ones at `rnn/RNNCell_<i>` (TF.js's scope). */
  override build(shapes: SymbolicShape | SymbolicShape[]): void {
    const inputShape = sequenceShape(shapes);
    let inputDim = inputShape.at(-1);
    if (inputShape.length !== 3 || typeof inputDim !== 'number') {
      throw invalid(this.context, 'Expected inputs of shape [batch, time, features] with features known', { inputShape });
    }
    const stacked = this.cell instanceof StackedRNNCells;
    this.cells.forEach((cell, i) => {
      cell.buildCell(stacked ? `${this.path}/RNNCell_${i}` : this.path, inputDim as number);
      this.weights.push(...cell.weights);
      inputDim = cell.units;
    });
    if (stacked) this.cell.built = true;
    const trainable = new Set(this.trainableWeights);
    for (const w of this.weights) w.variable.trainable = trainable.has(w.variable);
    this.built = true;
  }

  /** The output's shape, then with returnState the states' ([batch, units] each). */
  computeOutputShape(shapes: SymbolicShape | SymbolicShape[]): SymbolicShape | SymbolicShape[] {
    const inputShape = sequenceShape(shapes);
    const batch = inputShape[0] ?? null;
    const output = this.returnSequences ? [batch, inputShape[1] ?? null, this.units] : [batch, this.units];
    return this.returnState ? [output, ...this.stateUnits().map((units) => [batch, units])] : output;
  }

  override computeMask(_input: Tensor, mask: Tensor | undefined): Tensor | undefined {
    return this.returnSequences ? mask : undefined;
  }

  /** Runs the recurrence over x [batch, time, features] with an optional bool mask [batch, time]. */
  runSequence(x: Tensor, context: CallContext, initialStates?: readonly Tensor[]): SequenceResult {
    const first = this.cells[0]!;
    const inputDim = first.kernel!.shape[0]!;
    if (x.rank !== 3 || x.shape[2] !== inputDim || x.shape[1] === 0) {
      throw invalid(this.context, `Expected inputs of shape [batch, time >= 1, ${inputDim}]`, { 'inputs.shape': x.shape });
    }
    const [batch, time] = x.shape as [number, number, number];
    const { mask } = context;
    if (mask && (mask.dtype !== 'bool' || mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time)) {
      throw invalid(this.context, `Expected a bool mask of shape [${batch}, ${time}]`, { 'mask.shape': mask.shape, 'mask.dtype': mask.dtype });
    }
    const masks = this.cells.map((cell) => cell.dropoutMasks(context, batch));
    // int32 and bool sequences are promoted to float32, as the input projection's matmul promotes them in Keras and TF.js.
    let input = x.dtype === 'float32' ? x : ops.cast(x, 'float32');
    if (masks[0]!.input) input = ops.mul(input, ops.reshape(masks[0]!.input, [batch, 1, inputDim]));
    const perStep = splitRows(first.project(ops.reshape(ops.transpose(input, [1, 0, 2]), [time * batch, inputDim])), time);
    const steps = this.cells.map((cell) => cell.makeStep());
    const stateUnits = this.stateUnits();
    if (initialStates && (initialStates.length !== stateUnits.length || initialStates.some((h, k) => h.rank !== 2 || h.shape[0] !== batch || h.shape[1] !== stateUnits[k]))) {
      const expected = stateUnits.map((units) => `[${batch}, ${units}]`).join(' ');
      throw invalid(this.context, `Expected ${stateUnits.length} initial state(s) of shape ${expected}`, { initialState: initialStates.map((h) => `[${h.shape.join(',')}]`).join(' ') });
    }
    let states = initialStates ? [...initialStates] : this.carried ? this.carriedTensors(batch, x.shape) : stateUnits.map((units) => ops.zeros([batch, units]));
    const outputs: Tensor[] = [];
    let last: Tensor | undefined;
    for (let i = 0; i < time; i++) {
      const t = this.goBackwards ? time - 1 - i : i;
      let next: Tensor[] = [];
      let output = perStep[t]!;
      this.cells.forEach((cell, k) => {
        const own = states.slice(next.length, next.length + cell.stateCount);
        const { input: inputMask, recurrent } = masks[k]!;
        const projected = k === 0 ? output : cell.project(inputMask ? ops.mul(output, inputMask) : output);
        const cellNext = steps[k]!(projected, own, recurrent ? ops.mul(own[0]!, recurrent) : own[0]!);
        output = cellNext[0]!;
        next.push(...cellNext);
      });
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
    // Keras: every call of a stateful layer (training or not, initial states given or not) keeps its final states.
    if (this.stateful) this.carried = { batch, values: states.map((s) => Float32Array.from(s.dataSync())) };
    return { outputs, output: last!, states };
  }

  /** The carried states as tensors, for a batch of the size they were carried for. */
  private carriedTensors(batch: number, inputShape: readonly number[]): Tensor[] {
    const { batch: carriedBatch, values } = this.carried!;
    if (batch !== carriedBatch) {
      throw invalid(this.context, `Expected a batch of ${carriedBatch} sequences, as the last one: a stateful layer carries each row's states into the same row of the next batch (call resetStates() before another batch size)`, { 'inputs.shape': inputShape });
    }
    const units = this.stateUnits();
    return values.map((v, k) => ops.tensor(v, [batch, units[k]!]));
  }

  /**
   * TF.js's resetStates (Keras's reset_state): the next call starts from zeros, or from `states`
   * ([batch, units] each, as many as the layer has; their batch size is then the one it takes).
   */
  resetStates(states?: Tensor | Tensor[]): void {
    const context = `${this.context}.resetStates`;
    if (!this.stateful) throw invalid(context, 'Expected a stateful layer (made with stateful: true)', { stateful: this.stateful });
    if (states === undefined || states === null) {
      this.carried = undefined;
      return;
    }
    const list: unknown[] = Array.isArray(states) ? states : [states];
    const units = this.stateUnits();
    const batch = list[0] instanceof Tensor ? list[0].shape[0] : undefined;
    const fits = (h: unknown, k: number) => h instanceof Tensor && h.rank === 2 && h.shape[0] === batch && h.shape[1] === units[k] && h.dtype === 'float32';
    if (list.length !== units.length || !list.every(fits)) {
      const shown = list.map((h) => (h instanceof Tensor ? `${h.dtype}[${h.shape.join(',')}]` : `not a tensor (${jsonOrKind(h)})`)).join(' ');
      throw invalid(context, `Expected ${units.length} float32 state(s) of shape ${units.map((u) => `[batch, ${u}]`).join(' ')}, one batch size for all`, { states: shown });
    }
    this.carried = { batch: batch!, values: (list as Tensor[]).map((h) => Float32Array.from(h.dataSync())) };
  }

  /** A copy of the carried states (for backups), or undefined at zeros. */
  carriedStates(): CarriedStates | undefined {
    return this.carried && { batch: this.carried.batch, values: this.carried.values.map((v) => v.slice()) };
  }

  /** Restores what carriedStates gave (a backup's), checked against the layer's states. */
  restoreCarriedStates(carried: CarriedStates | undefined, context: string): void {
    if (carried !== undefined) {
      const units = this.stateUnits();
      const { batch, values } = carried;
      if (!Number.isSafeInteger(batch) || batch < 1 || !Array.isArray(values) || values.length !== units.length || values.some((v, k) => !(v instanceof Float32Array) || v.length !== batch * units[k]!)) {
        throw invalid(context, `Expected the carried states of ${this.name}: ${units.length} of [batch, units] values`, { batch, states: Array.isArray(values) ? values.length : values });
      }
    }
    this.carried = carried && { batch: carried.batch, values: carried.values.map((v) => v.slice()) };
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

  /** A cell made with trainable: false (or a stack of them) stays frozen, as in Keras and TF.js. */
  override get trainableWeights(): Variable[] {
    return this.trainable && this.cell.trainable ? this.cells.flatMap((cell) => cell.trainableWeights) : [];
  }

  /** The options besides the cell's. */
  protected sequenceConfig(): Record<string, unknown> {
    return { returnSequences: this.returnSequences, returnState: this.returnState, goBackwards: this.goBackwards, stateful: this.stateful };
  }

  getConfig(): Record<string, unknown> {
    return { cell: this.cell.toCellConfig(), ...this.sequenceConfig() };
  }

  override dispose(): void {
    for (const cell of this.cells) cell.dispose();
    this.weights.length = 0;
    this.built = false;
  }
}

/** A value as JSON, or its kind when JSON cannot show it (a cycle, a BigInt). */
function jsonOrKind(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value;
  }
}

/** The sequence's shape of a recurrent layer's inputs ([sequence, ...initial states], or the sequence alone). */
export function sequenceShape(shapes: SymbolicShape | SymbolicShape[]): SymbolicShape {
  return (Array.isArray(shapes[0]) ? shapes[0] : shapes) as SymbolicShape;
}

/** SimpleRNN, LSTM and GRU: RNN over the one cell they make from their options, whose weights and options they show. */
abstract class OneCellRNN<C extends RecurrentCell> extends RNN {
  declare readonly cell: C;

  get kernel(): Variable | undefined {
    return this.cell.kernel;
  }

  get recurrentKernel(): Variable | undefined {
    return this.cell.recurrentKernel;
  }

  get bias(): Variable | undefined {
    return this.cell.bias;
  }

  get useBias(): boolean {
    return this.cell.useBias;
  }

  get dropout(): number {
    return this.cell.dropout;
  }

  get recurrentDropout(): number {
    return this.cell.recurrentDropout;
  }

  get seed(): Seed | undefined {
    return this.cell.seed;
  }

  /** The cell's options with the sequence options, in one flat config (Keras's and TF.js's for these layers). */
  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.cell.getConfig())) {
      if (key === 'seed') Object.assign(config, this.sequenceConfig());
      config[key] = value;
    }
    return config;
  }
}

/** h = activation(x . kernel + bias + h_prev . recurrent_kernel): RNN(SimpleRNNCell). */
export class SimpleRNN extends OneCellRNN<SimpleRNNCell> {
  constructor(args: RecurrentArgs) {
    super({ ...args, cell: new SimpleRNNCell(args, 'SimpleRNN') }, 'SimpleRNN');
  }
}

/** RNN(LSTMCell): states [h, c]. */
export class LSTM extends OneCellRNN<LSTMCell> {
  constructor(args: LSTMArgs) {
    super({ ...args, cell: new LSTMCell(args, 'LSTM') }, 'LSTM');
  }

  get unitForgetBias(): boolean {
    return this.cell.unitForgetBias;
  }
}

/** RNN(GRUCell). */
export class GRU extends OneCellRNN<GRUCell> {
  constructor(args: GRUArgs) {
    super({ ...args, cell: new GRUCell(args, 'GRU') }, 'GRU');
  }

  get resetAfter(): boolean {
    return this.cell.resetAfter;
  }
}

const RECURRENT_CLASSES = { SimpleRNN, LSTM, GRU, RNN } as const;

/** A recurrent layer from its class name and getConfig() (what Bidirectional's config holds). */
export function recurrentFromConfig(className: string, config: Record<string, unknown>, context: string): RNN {
  const Class = Object.hasOwn(RECURRENT_CLASSES, className) ? RECURRENT_CLASSES[className as keyof typeof RECURRENT_CLASSES] : undefined;
  if (!Class) throw invalid(context, `Expected a recurrent layer: one of ${Object.keys(RECURRENT_CLASSES).join(', ')}`, { className });
  return new Class(config as unknown as LSTMArgs & GRUArgs & RNNArgs);
}
