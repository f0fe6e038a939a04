/**
 * The optimizer base class: learning rate (a number or a schedule of the step), gradient
 * clipping, slot variables and the step counter. Subclasses give the update rule of one
 * variable, written as float32 tensor ops in Keras 3's order of operations.
 */
import { variableGrads } from '../autograd/grad.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { Tensor, type Variable } from '../tensor/tensor.js';
import { uniqueName } from '../layers/layer.js';
import type { LearningRateSchedule } from './schedules.js';

export type LearningRate = number | LearningRateSchedule;

export interface OptimizerConfig {
  learningRate?: LearningRate;
  /** Clip each gradient to this L2 norm. */
  clipnorm?: number;
  /** Clip each gradient element to [-clipvalue, clipvalue]. */
  clipvalue?: number;
  /** Scale all gradients together so that their joint L2 norm is at most this. */
  globalClipnorm?: number;
}

/** One entry of an optimizer's state, as TF.js's optimizer.getWeights() lists it. */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/**
 * A kind of slot variable: `slot` is verbatim's name, `exported` TF.js 4.22's (the suffix after
 * `<variable name>/`). `always` kinds are listed for every variable even when unused (TF.js's
 * RMSprop always has a momentum accumulator, and its setWeights slices the list by count).
 */
export interface SlotKind {
  slot: string;
  exported: string;
  always?: boolean;
}

interface Slot {
  variableName: string;
  slot: string;
  value: Variable;
}

export type NamedGradients = Record<string, Tensor> | readonly { name: string; tensor: Tensor }[];

/** A learning rate or schedule; anything else would train wrong silently (a string's .at(step) is one of its characters). */
function checkedLearningRate(learningRate: unknown, context: string): LearningRate {
  const isSchedule = typeof learningRate === 'object' && learningRate !== null && typeof (learningRate as { at?: unknown }).at === 'function';
  if (!isSchedule && !(typeof learningRate === 'number' && Number.isFinite(learningRate) && learningRate >= 0)) {
    throw invalid(context, 'Expected learningRate to be a finite number >= 0 or a schedule (exponentialDecay, cosineDecay)', { learningRate });
  }
  return learningRate as LearningRate;
}

export abstract class Optimizer {
  /** Number of update steps applied so far. */
  iterations = 0;
  /** The learning rate or schedule: setLearningRate changes it, from the next step on. */
  learningRate: LearningRate;
  protected readonly clipnorm: number | undefined;
  protected readonly clipvalue: number | undefined;
  protected readonly globalClipnorm: number | undefined;
  private readonly slots = new Map<string, Slot>();
  /** The slot kinds of this optimizer, in the order TF.js groups them in getWeights(). */
  protected readonly slotKinds: readonly SlotKind[] = [];

  constructor(readonly name: string, config: OptimizerConfig, defaultLearningRate: number) {
    this.learningRate = checkedLearningRate(config.learningRate ?? defaultLearningRate, name);
    const clipping = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((k) => config[k] !== undefined);
    if (clipping.length > 1) {
      throw invalid(name, 'Expected at most one of clipnorm, clipvalue and globalClipnorm', { [clipping[0]!]: config[clipping[0]!], [clipping[1]!]: config[clipping[1]!] });
    }
    for (const k of clipping) {
      const value: unknown = config[k];
      if (typeof value !== 'number' || !(value > 0)) throw invalid(name, `Expected ${k} to be a number > 0`, { [k]: value });
    }
    this.clipnorm = config.clipnorm;
    this.clipvalue = config.clipvalue;
    this.globalClipnorm = config.globalClipnorm;
  }

  /**
   * TF.js's setLearningRate (of its SGD and Momentum; here of every optimizer, as Keras lets
   * any optimizer's learning_rate be set): the steps from the next one on use it.
   */
  setLearningRate(learningRate: LearningRate): void {
    this.learningRate = checkedLearningRate(learningRate, `${this.name}.setLearningRate`);
  }

  /** The learning rate of the coming step, as a float32 number. */
  currentLearningRate(): number {
    return Math.fround(typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.at(this.iterations));
  }

  /** The hyperparameters, for run records and summaries. */
  abstract getConfig(): Record<string, unknown>;

  /** The gradient clipping this optimizer was made with (saved with it, so that a resume clips alike). */
  clipping(): { clipnorm?: number; clipvalue?: number; globalClipnorm?: number } {
    return Object.fromEntries(Object.entries({ clipnorm: this.clipnorm, clipvalue: this.clipvalue, globalClipnorm: this.globalClipnorm }).filter(([, v]) => v !== undefined));
  }

  /** Updates one variable from its gradient at learning rate lr (the step is this.iterations). */
  protected abstract updateStep(variable: Variable, gradient: Tensor, lr: number): void;

  /** A zero-initialised (or constant) state variable belonging to `variable`, created on first use. */
  protected slot(variable: Variable, slotName: string, initialValue = 0): Variable {
    const id = `${variable.name}/${slotName}`;
    let s = this.slots.get(id);
    if (!s) {
      s = this.makeSlot(variable.name, slotName, ops.fill(variable.shape, initialValue));
    }
    return s.value;
  }

  private makeSlot(variableName: string, slot: string, initial: Tensor): Slot {
    const id = `${variableName}/${slot}`;
    const name = uniqueName(`${this.name}/${id}`, (n) => ENGINE.variables.has(n));
    const s = { variableName, slot, value: ENGINE.tidy(() => ENGINE.makeVariable(initial, false, name)) };
    this.slots.set(id, s);
    return s;
  }

  private clip(gradients: Tensor[]): Tensor[] {
    if (this.clipvalue !== undefined) return gradients.map((g) => ops.clipByValue(g, -this.clipvalue!, this.clipvalue!));
    const byNorm = (g: Tensor, norm: Tensor, limit: number) => ops.div(ops.mul(g, limit), ops.maximum(norm, limit));
    if (this.clipnorm !== undefined) return gradients.map((g) => byNorm(g, ops.sqrt(ops.sum(ops.square(g))), this.clipnorm!));
    if (this.globalClipnorm !== undefined) {
      let total: Tensor = ops.scalar(0);
      for (const g of gradients) total = ops.add(total, ops.sum(ops.square(g)));
      const norm = ops.sqrt(total);
      return gradients.map((g) => byNorm(g, norm, this.globalClipnorm!));
    }
    return gradients;
  }

  /** Applies one step: gradients keyed by variable name (as variableGrads returns them). */
  applyGradients(gradients: NamedGradients): void {
    const entries = Array.isArray(gradients)
      ? (gradients as readonly { name: string; tensor: Tensor }[]).map((e) => [e.name, e.tensor] as const)
      : Object.entries(gradients as Record<string, Tensor>);
    const variables = entries.map(([name]) => {
      const v = ENGINE.variables.get(name);
      if (!v) throw invalid(`${this.name}.applyGradients`, 'Expected gradients keyed by the names of live variables', { name });
      return v;
    });
    ENGINE.tidy(() => {
      const lr = this.currentLearningRate();
      const clipped = this.clip(entries.map(([, g]) => g));
      variables.forEach((v, i) => {
        if (clipped[i]!.shape.some((d, k) => d !== v.shape[k]) || clipped[i]!.rank !== v.rank) {
          throw invalid(`${this.name}.applyGradients`, `Expected the gradient of ${v.name} to have shape ${JSON.stringify(v.shape)}`, { 'gradient.shape': clipped[i]!.shape });
        }
        this.updateStep(v, clipped[i]!, lr);
      });
      // Keras 3: after the step, each updated variable with a constraint is assigned its projection.
      for (const v of variables) if (v.constraint) v.assign(v.constraint.apply(v));
    });
    this.iterations++;
  }

  /** TF.js's minimize: one step on the gradients of f (a scalar) with respect to varList. */
  minimize(f: () => Tensor, returnCost = false, varList?: Variable[]): Tensor | null {
    const { value, grads } = this.computeGradients(f, varList);
    this.applyGradients(grads);
    for (const g of Object.values(grads)) g.dispose();
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /**
   * TF.js's computeGradients: f's value (a scalar) and its gradients with respect to varList
   * (every trainable variable by default), keyed by variable name as applyGradients takes them.
   */
  computeGradients(f: () => Tensor, varList?: Variable[]): { value: Tensor; grads: Record<string, Tensor> } {
    return variableGrads(f, varList);
  }

  /** Every slot variable under its verbatim name, in creation order (what golden digests hash). */
  slotVariables(): NamedTensor[] {
    return [...this.slots.values()].map((s) => ({ name: s.value.name, tensor: s.value }));
  }

  /**
   * The state in TF.js's form: `{name: 'iter', tensor: int32 scalar}` first, then the slot
   * variables grouped by kind in TF.js's order (Adam: every `<variable>/m`, then every
   * `<variable>/v`), variables in the order they were first updated. The slot tensors are the
   * live variables (as in TF.js); the iter scalar and zero-filled `always` slots are new tensors.
   * Slots of variables disposed since (a layer removed by pop, then disposed) are left out.
   */
  async getWeights(): Promise<NamedTensor[]> {
    const variableNames = [...new Set([...this.slots.values()].map((s) => s.variableName))].filter((name) => ENGINE.variables.has(name));
    const state: NamedTensor[] = [{ name: 'iter', tensor: ops.scalar(this.iterations, 'int32') }];
    for (const kind of this.slotKinds) {
      for (const variableName of variableNames) {
        const name = `${variableName}/${kind.exported}`;
        const s = this.slots.get(`${variableName}/${kind.slot}`);
        if (s) state.push({ name, tensor: s.value });
        else if (kind.always) state.push({ name, tensor: ops.zeros(ENGINE.variables.get(variableName)!.shape) });
      }
    }
    return state;
  }

  /**
   * Restores a state listed by getWeights() (this optimizer's or TF.js's), exactly: the step
   * counter and every slot. Slots bind to live variables by name (`<variable>/<slot>`); the
   * whole list is checked before anything changes, so a bad list leaves the optimizer as it was.
   */
  async setWeights(weights: readonly NamedTensor[]): Promise<void> {
    const context = `${this.name}.setWeights`;
    if (!Array.isArray(weights) || weights.length === 0) {
      throw invalid(context, 'Expected a non-empty array of {name, tensor} starting with iter', { weights });
    }
    weights.forEach((w, i) => {
      if (typeof w !== 'object' || w === null || typeof w.name !== 'string' || !(w.tensor instanceof Tensor) || w.tensor.isDisposed) {
        throw invalid(context, 'Expected every entry to be {name: string, tensor: live Tensor}', { [`weights[${i}]`]: w });
      }
    });
    const [iter, ...rest] = weights;
    const iterations = iter!.tensor.rank === 0 ? iter!.tensor.dataSync()[0]! : NaN;
    if (iter!.name !== 'iter' || !(Number.isSafeInteger(iterations) && iterations >= 0)) {
      throw invalid(context, 'Expected the first entry to be iter, a scalar non-negative integer step count', { name: iter!.name, shape: iter!.tensor.shape, value: iterations });
    }
    const seen = new Set<string>();
    const parsed = rest.map(({ name, tensor }) => {
      const kind = this.slotKinds.find((k) => name.endsWith(`/${k.exported}`));
      if (!kind) {
        throw invalid(context, `Expected slot names <variable>/<${this.slotKinds.map((k) => k.exported).join('|')}>`, { name });
      }
      const variableName = name.slice(0, name.length - kind.exported.length - 1);
      const variable = ENGINE.variables.get(variableName);
      if (!variable) throw invalid(context, 'Expected each slot to belong to a live variable (slots bind by variable name)', { name, variable: variableName });
      if (tensor.dtype !== 'float32' || tensor.rank !== variable.rank || tensor.shape.some((d: number, i: number) => d !== variable.shape[i])) {
        throw invalid(context, `Expected ${name} to be float32 of shape ${JSON.stringify(variable.shape)}`, { shape: tensor.shape, dtype: tensor.dtype });
      }
      if (seen.has(name)) throw invalid(context, 'Expected each slot once', { name });
      seen.add(name);
      return { variableName, slot: kind.slot, tensor };
    });
    // getWeights lists this optimizer's own slot variables: copied before they are disposed, so that
    // setWeights(await getWeights()) restores the state it was given (TF.js copies them too).
    const own = new Set<Tensor>([...this.slots.values()].map((s) => s.value));
    const copies = parsed.map((p) => (own.has(p.tensor) ? ENGINE.makeTensor(p.tensor.dataSync().slice(), p.tensor.shape, 'float32') : undefined));
    this.dispose();
    parsed.forEach((p, i) => this.makeSlot(p.variableName, p.slot, copies[i] ?? p.tensor));
    for (const copy of copies) copy?.dispose();
    this.iterations = iterations;
  }

  dispose(): void {
    for (const s of this.slots.values()) s.value.dispose();
    this.slots.clear();
  }
}
