/**
 * The optimizer base class: learning rate (a number or a schedule of the step), gradient
 * clipping, slot variables and the step counter. Subclasses give the update rule of one
 * variable, written as float32 tensor ops in Keras 3's order of operations.
 */
import { variableGrads } from '../autograd/grad.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
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

export type NamedGradients = Record<string, Tensor> | readonly { name: string; tensor: Tensor }[];

export abstract class Optimizer {
  /** Number of update steps applied so far. */
  iterations = 0;
  readonly learningRate: LearningRate;
  protected readonly clipnorm: number | undefined;
  protected readonly clipvalue: number | undefined;
  protected readonly globalClipnorm: number | undefined;
  private readonly slots = new Map<string, Variable>();

  constructor(readonly name: string, config: OptimizerConfig, defaultLearningRate: number) {
    this.learningRate = config.learningRate ?? defaultLearningRate;
    if (typeof this.learningRate === 'number' && !(this.learningRate >= 0)) {
      throw invalid(name, 'Expected learningRate >= 0', { learningRate: this.learningRate });
    }
    const clipping = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((k) => config[k] !== undefined);
    if (clipping.length > 1) {
      throw invalid(name, 'Expected at most one of clipnorm, clipvalue and globalClipnorm', { [clipping[0]!]: config[clipping[0]!], [clipping[1]!]: config[clipping[1]!] });
    }
    for (const k of clipping) {
      if (!(config[k]! > 0)) throw invalid(name, `Expected ${k} > 0`, { [k]: config[k] });
    }
    this.clipnorm = config.clipnorm;
    this.clipvalue = config.clipvalue;
    this.globalClipnorm = config.globalClipnorm;
  }

  /** The learning rate of the coming step, as a float32 number. */
  currentLearningRate(): number {
    return Math.fround(typeof this.learningRate === 'number' ? this.learningRate : this.learningRate.at(this.iterations));
  }

  /** The hyperparameters, for run records and summaries. */
  abstract getConfig(): Record<string, unknown>;

  /** Updates one variable from its gradient at learning rate lr (the step is this.iterations). */
  protected abstract updateStep(variable: Variable, gradient: Tensor, lr: number): void;

  /** A zero-initialised (or constant) state variable belonging to `variable`, created on first use. */
  protected slot(variable: Variable, slotName: string, initialValue = 0): Variable {
    const id = `${variable.name}/${slotName}`;
    let v = this.slots.get(id);
    if (!v) {
      const name = uniqueName(`${this.name}/${id}`, (n) => ENGINE.variables.has(n));
      v = ENGINE.tidy(() => ENGINE.makeVariable(ops.fill(variable.shape, initialValue), false, name));
      this.slots.set(id, v);
    }
    return v;
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
    });
    this.iterations++;
  }

  /** TF.js's minimize: one step on the gradients of f (a scalar) with respect to varList. */
  minimize(f: () => Tensor, returnCost = false, varList?: Variable[]): Tensor | null {
    const { value, grads } = variableGrads(f, varList);
    this.applyGradients(grads);
    for (const g of Object.values(grads)) g.dispose();
    if (returnCost) return value;
    value.dispose();
    return null;
  }

  /** The step counter and every slot variable, in creation order. */
  getWeights(): { name: string; tensor: Tensor }[] {
    return [...this.slots.values()].map((v) => ({ name: v.name, tensor: v }));
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}
