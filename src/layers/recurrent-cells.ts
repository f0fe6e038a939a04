/**
 * Recurrent cells (Keras 3's SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells): one time step
 * of a recurrence, with its weights and dropout. The RNN layer (src/layers/recurrent.ts) runs a
 * cell over the sequence; SimpleRNN, LSTM and GRU are RNN over their cell. A cell is not a layer
 * of a model by itself: used as one it is an error saying to wrap it in rnn.
 *
 * A cell's weights are `<rnn path>/kernel`, ... (TF.js's names: `rnn/kernel`), a stacked cell's
 * `<rnn path>/RNNCell_<i>/kernel` (TF.js's StackedRNNCells scope). Its dropout masks are drawn once
 * per sequence (the same for every step and gate, as Keras's default implementation) from
 * foldIn(key, step, 'dropout' | 'recurrent_dropout'), key from its seed or else from its path:
 * fresh every training step, the same on every run.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { foldIn, key as keyOf, type Key, type Seed } from '../random/keys.js';
import { uniformValues } from '../random/samplers.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { getActivation, type ActivationFn, type ActivationIdentifier, type ResolvedActivation } from './activations.js';
import { parseSeed, seedConfig } from './core.js';
import { constraintOptions, getConstraint, type Constraint, type ConstraintOption } from './constraints.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { firstDraw, Layer, keyForPath, snakeCase, type BatchRows, type CallContext, type LayerArgs } from './layer.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2' | Regularizer;

export interface CellArgs extends LayerArgs {
  units: number;
  activation?: ActivationIdentifier | ActivationFn;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier | Initializer;
  recurrentInitializer?: InitializerIdentifier | Initializer;
  biasInitializer?: InitializerIdentifier | Initializer;
  kernelRegularizer?: RegularizerIdentifier;
  recurrentRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  kernelConstraint?: ConstraintOption;
  recurrentConstraint?: ConstraintOption;
  biasConstraint?: ConstraintOption;
  /** Fraction of the input features dropped in training (one mask per sequence). */
  dropout?: number;
  /** Fraction of the recurrent state dropped before h . recurrent_kernel in training (one mask per sequence). */
  recurrentDropout?: number;
  /** With a seed the dropout masks come from key(seed); otherwise from keyFor of the cell's path. */
  seed?: Seed | string | null;
}

export interface GatedCellArgs extends CellArgs {
  recurrentActivation?: ActivationIdentifier | ActivationFn;
}

export interface LSTMCellArgs extends GatedCellArgs {
  /** Initialise the forget gate's bias to 1 (Keras default true). */
  unitForgetBias?: boolean;
}

export interface GRUCellArgs extends GatedCellArgs {
  /** Apply the reset gate after the recurrent product, with a separate recurrent bias (Keras default true). */
  resetAfter?: boolean;
}

/** A cell as a config holds it (getConfig's `cell`, a file's after conversion): its class name and options. */
export interface CellConfig {
  className: string;
  config: Record<string, unknown>;
  name?: string;
}

/** One step: the new states (states[0] is the step's output) from x_t . kernel + input bias and the previous states. */
export type StepFn = (projected: Tensor, states: readonly Tensor[], recurrentInput: Tensor) => Tensor[];

/** A cell's dropout masks for one call ([batch, features] each), absent when not dropping. */
export interface CellMasks {
  input?: Tensor;
  recurrent?: Tensor;
}

export function rate(context: string, argument: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw invalid(context, `Expected ${argument} in [0, 1)`, { [argument]: value });
  return value;
}

export function flag(context: string, argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalid(context, `Expected ${argument} to be a boolean`, { [argument]: value });
  return value;
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

/** A cell or a stack of cells: run by an RNN layer, never a layer of a model by itself. */
export abstract class CellLayer extends Layer {
  /** The RNN layer that runs the cell (a cell serves one). */
  owner: Layer | undefined;

  private notALayer(): Error {
    return invalid(this.className, 'Expected the cell inside a recurrent layer: vb.layers.rnn({cell}) runs it over the sequence (a cell computes one time step and is no layer of a model)', { cell: this.name ?? snakeCase(this.className) });
  }

  override build(): void {
    throw this.notALayer();
  }

  computeOutputShape(): never {
    throw this.notALayer();
  }

  call(): never {
    throw this.notALayer();
  }

  /** The cell's {className, config, name?}, as RNN's and StackedRNNCells' configs hold it. */
  toCellConfig(): CellConfig {
    return { className: this.className, config: { ...this.getConfig(), trainable: this.trainable }, ...(this.name === undefined ? {} : { name: this.name }) };
  }
}

export abstract class RecurrentCell extends CellLayer {
  readonly units: number;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly seed: Seed | undefined;
  protected readonly activation: ResolvedActivation;
  protected readonly kernelInitializer: Initializer;
  protected readonly recurrentInitializer: Initializer;
  protected readonly biasInitializer: Initializer;
  private readonly kernelRegularizer: Regularizer | undefined;
  private readonly recurrentRegularizer: Regularizer | undefined;
  private readonly biasRegularizer: Regularizer | undefined;
  private readonly kernelConstraint: Constraint | undefined;
  private readonly recurrentConstraint: Constraint | undefined;
  private readonly biasConstraint: Constraint | undefined;
  kernel: Variable | undefined;
  recurrentKernel: Variable | undefined;
  bias: Variable | undefined;

  /**
   * gates: how many units-wide blocks the kernels have; stateCount: how many [batch, units] states.
   * context names the options' owner in errors: the cell, or the layer (lstm) that made it, which
   * keeps its own name and input shape (the cell takes none of them).
   */
  constructor(className: string, args: CellArgs, protected readonly gates: number, readonly stateCount: number, context = className) {
    super(className, context === className ? args : {});
    if (!Number.isInteger(args.units) || args.units <= 0) throw invalid(context, 'Expected units to be a positive integer', { units: args.units });
    this.units = args.units;
    this.activation = getActivation(args.activation === undefined ? 'tanh' : args.activation, context);
    this.useBias = flag(context, 'useBias', args.useBias, true);
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform', context);
    this.recurrentInitializer = getInitializer(args.recurrentInitializer, 'orthogonal', context);
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros', context);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, context);
    this.recurrentRegularizer = getRegularizer(args.recurrentRegularizer, context);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, context);
    this.kernelConstraint = getConstraint(args.kernelConstraint, context, 'kernelConstraint');
    this.recurrentConstraint = getConstraint(args.recurrentConstraint, context, 'recurrentConstraint');
    this.biasConstraint = getConstraint(args.biasConstraint, context, 'biasConstraint');
    this.dropout = rate(context, 'dropout', args.dropout);
    this.recurrentDropout = rate(context, 'recurrentDropout', args.recurrentDropout);
    this.seed = parseSeed(context, args.seed);
  }

  /** Creates the weights under `path` for steps of inputDim features (the RNN layer builds its cells). */
  buildCell(path: string, inputDim: number): void {
    this.path = path;
    const width = this.gates * this.units;
    this.kernel = this.addWeight('kernel', [inputDim, width], this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, width], this.recurrentInitializer, this.recurrentRegularizer, true, this.recurrentConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', this.biasShape(), this.initialBias(), this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  protected biasShape(): number[] {
    return [this.gates * this.units];
  }

  protected initialBias(): Initializer {
    return this.biasInitializer;
  }

  /** The bias added to x . kernel. */
  protected inputBias(): Tensor | undefined {
    return this.bias;
  }

  /** x [rows, features] . kernel + the input bias: a step's (or, in one product, every step's) input projection. */
  project(x: Tensor): Tensor {
    const projected = ops.matMul(x, this.kernel!);
    const inputBias = this.inputBias();
    return inputBias ? ops.add(projected, inputBias) : projected;
  }

  /** The step function, with the weights it needs prepared once per call. */
  abstract makeStep(): StepFn;

  /** The call's dropout masks, drawn in training only. */
  dropoutMasks(context: CallContext, batch: number): CellMasks {
    if (!context.training || (this.dropout === 0 && this.recurrentDropout === 0)) return {};
    const noise = foldIn(this.seed === undefined ? keyForPath(this.path) : keyOf(this.seed), context.step);
    return {
      ...(this.dropout > 0 ? { input: dropoutMask(foldIn(noise, 'dropout'), [batch, this.kernel!.shape[0]!], this.dropout, context.rows) } : {}),
      ...(this.recurrentDropout > 0 ? { recurrent: dropoutMask(foldIn(noise, 'recurrent_dropout'), [batch, this.units], this.recurrentDropout, context.rows) } : {}),
    };
  }

  getConfig(): Record<string, unknown> {
    return {
      units: this.units, activation: this.activation.name, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer.name, recurrentInitializer: this.recurrentInitializer.name, biasInitializer: this.biasInitializer.name,
      kernelRegularizer: this.kernelRegularizer?.config ?? null, recurrentRegularizer: this.recurrentRegularizer?.config ?? null,
      biasRegularizer: this.biasRegularizer?.config ?? null,
      ...constraintOptions({ kernelConstraint: this.kernelConstraint, recurrentConstraint: this.recurrentConstraint, biasConstraint: this.biasConstraint }),
      dropout: this.dropout, recurrentDropout: this.recurrentDropout, seed: seedConfig(this.seed),
    };
  }
}

/** h = activation(x . kernel + bias + h_prev . recurrent_kernel). */
export class SimpleRNNCell extends RecurrentCell {

  constructor(args: CellArgs, context?: string) {
    super('SimpleRNNCell', args, 1, 1, context);
  }

  makeStep(): StepFn {
    const recurrentKernel = this.recurrentKernel!;
    return (projected, _states, h) => [this.activation.fn(ops.add(projected, ops.matMul(h, recurrentKernel)))];
  }
}

/** The [batch, units] block k of a [batch, gates * units] tensor. */
function gate(z: Tensor, k: number, units: number): Tensor {
  return ops.slice(z, [0, k * units], [-1, units]);
}

/** A cell whose gates take the recurrent activation (LSTM, GRU): sigmoid by default, as Keras. */
abstract class GatedCell extends RecurrentCell {
  protected readonly recurrentActivation: ResolvedActivation;

  constructor(className: string, args: GatedCellArgs, gates: number, stateCount: number, context: string) {
    super(className, args, gates, stateCount, context);
    this.recurrentActivation = getActivation(args.recurrentActivation === undefined ? 'sigmoid' : args.recurrentActivation, context);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: this.recurrentActivation.name };
  }
}

/**
 * z = x . kernel + bias + h_prev . recurrent_kernel, split into gates i, f, g, o (Keras's order);
 * c = f * c_prev + i * activation(g), h = o * activation(c). States [h, c].
 */
export class LSTMCell extends GatedCell {
  readonly unitForgetBias: boolean;

  constructor(args: LSTMCellArgs, context = 'LSTMCell') {
    super('LSTMCell', args, 4, 2, context);
    this.unitForgetBias = flag(context, 'unitForgetBias', args.unitForgetBias, true);
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

  makeStep(): StepFn {
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
    return { ...super.getConfig(), unitForgetBias: this.unitForgetBias };
  }
}

/**
 * Gates z (update), r (reset), h (candidate) in Keras's order; h = z * h_prev + (1 - z) * hh.
 * resetAfter (Keras default): hh = activation(x_h + r * (h_prev . R_h + recurrent bias)) with bias
 * [2, 3 units] (input row, recurrent row); otherwise hh = activation(x_h + (r * h_prev) . R_h)
 * with bias [3 units] (TF.js's only mode).
 */
export class GRUCell extends GatedCell {
  readonly resetAfter: boolean;

  constructor(args: GRUCellArgs, context = 'GRUCell') {
    super('GRUCell', args, 3, 1, context);
    this.resetAfter = flag(context, 'resetAfter', args.resetAfter, true);
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

  makeStep(): StepFn {
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
    return { ...super.getConfig(), resetAfter: this.resetAfter };
  }
}

export interface StackedRNNCellsArgs extends LayerArgs {
  /** The cells, first to last: each step's output of one is the next one's input. */
  cells: (RecurrentCell | CellConfig)[];
}

/** Cells run one after the other at every step, as one cell (Keras's StackedRNNCells). */
export class StackedRNNCells extends CellLayer {
  readonly cells: RecurrentCell[];

  constructor(args: StackedRNNCellsArgs) {
    super('StackedRNNCells', args);
    const given: unknown = args.cells;
    if (!Array.isArray(given) || given.length === 0) {
      throw invalid('StackedRNNCells', 'Expected cells to be a non-empty list of cells (simpleRNNCell, lstmCell, gruCell)', { cells: given });
    }
    this.cells = given.map((cell, i) => {
      const made = cellFrom(cell, 'StackedRNNCells', `cells[${i}]`);
      if (!(made instanceof RecurrentCell)) throw invalid('StackedRNNCells', 'Expected cells to be simpleRNNCell, lstmCell or gruCell (stack the cells of a stack in one list)', { [`cells[${i}]`]: made.className });
      return made;
    });
    const repeated = this.cells.findIndex((cell, i) => this.cells.indexOf(cell) !== i);
    if (repeated >= 0) throw invalid('StackedRNNCells', 'Expected distinct cells (a cell has its own weights)', { [`cells[${repeated}]`]: this.cells[repeated]!.name ?? this.cells[repeated]!.className });
    for (const cell of this.cells) cell.owner = this;
  }

  getConfig(): Record<string, unknown> {
    return { cells: this.cells.map((cell) => cell.toCellConfig()) };
  }
}

const CELL_CLASSES = { SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells } as const;

/**
 * A cell not yet used (a cell layer, or its {className, config, name?} as getConfig gives it).
 * `argument` names the option in errors.
 */
export function cellFrom(value: unknown, context: string, argument: string): CellLayer {
  if (value instanceof CellLayer) {
    if (value.owner || value.built) throw invalid(context, 'Expected a cell not already in a recurrent layer (each has its own weights: make another)', { [argument]: value.name ?? value.className });
    return value;
  }
  const className = value !== null && typeof value === 'object' ? (value as CellConfig).className : undefined;
  const config = value !== null && typeof value === 'object' ? (value as CellConfig).config : undefined;
  const Class = typeof className === 'string' && Object.hasOwn(CELL_CLASSES, className) ? CELL_CLASSES[className as keyof typeof CELL_CLASSES] : undefined;
  if (!Class || config === null || typeof config !== 'object') {
    const received = value instanceof Layer ? value.className : typeof className === 'string' ? className : value;
    throw invalid(context, `Expected ${argument} to be a cell (simpleRNNCell, lstmCell, gruCell, stackedRNNCells, or a list of cells) or its {className, config}`, { [argument]: received });
  }
  const { name } = value as CellConfig;
  return new Class({ ...(config as unknown as LSTMCellArgs & GRUCellArgs & StackedRNNCellsArgs), ...(typeof name === 'string' ? { name } : {}) });
}
