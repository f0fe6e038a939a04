/**
 * PReLU (Keras's and TF.js's parametric ReLU): x where x >= 0, alpha x elsewhere, with a trainable
 * alpha for each element of one example, shared (of size 1) along sharedAxes.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { constraintOptions, getConstraint, type Constraint, type ConstraintOption } from './constraints.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type LayerArgs, type SymbolicShape } from './layer.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

export interface PReLUArgs extends LayerArgs {
  /** Default 'zeros' (Keras and TF.js): the layer starts as relu. */
  alphaInitializer?: InitializerIdentifier | Initializer;
  alphaRegularizer?: 'l1' | 'l2' | 'l1l2' | Regularizer;
  alphaConstraint?: ConstraintOption;
  /** Axes (1 is the first after the batch) along which one alpha serves every position, e.g. [1, 2] for one per channel of an image. */
  sharedAxes?: number | number[] | null;
}

export class PReLU extends Layer {
  override supportsMasking = true;
  readonly sharedAxes: number[] | undefined;
  private readonly alphaInitializer: Initializer;
  private readonly alphaRegularizer: Regularizer | undefined;
  private readonly alphaConstraint: Constraint | undefined;
  alpha: Variable | undefined;

  constructor(args: PReLUArgs = {}) {
    super('PReLU', args);
    const shared = args.sharedAxes;
    const axes = shared === undefined || shared === null ? undefined : Array.isArray(shared) ? [...shared] : [shared];
    if (axes && !axes.every((a) => Number.isInteger(a) && a >= 1)) {
      throw invalid('PReLU', 'Expected sharedAxes to be an axis >= 1 or a list of them (axis 0 is the batch)', { sharedAxes: shared });
    }
    this.sharedAxes = axes;
    this.alphaInitializer = getInitializer(args.alphaInitializer, 'zeros', 'PReLU');
    this.alphaRegularizer = getRegularizer(args.alphaRegularizer, 'PReLU');
    this.alphaConstraint = getConstraint(args.alphaConstraint, 'PReLU', 'alphaConstraint');
  }

  override build(inputShape: SymbolicShape): void {
    const context = `PReLU (${this.name})`;
    const outside = this.sharedAxes?.find((a) => a >= inputShape.length);
    if (outside !== undefined) throw invalid(context, `Expected sharedAxes among the input's axes 1 to ${inputShape.length - 1}`, { sharedAxes: this.sharedAxes, inputShape });
    const shape = inputShape.slice(1).map((d, i) => (this.sharedAxes?.includes(i + 1) ? 1 : d));
    if (shape.some((d) => d === null)) {
      throw invalid(context, 'Expected an input whose dimensions are known, except along sharedAxes', { inputShape });
    }
    this.alpha = this.addWeight('alpha', shape as number[], this.alphaInitializer, this.alphaRegularizer, true, this.alphaConstraint);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(inputs: Tensor): Tensor {
    const alpha = this.alpha!;
    if (inputs.rank !== alpha.rank + 1 || alpha.shape.some((d, i) => d !== 1 && d !== inputs.shape[i + 1])) {
      throw invalid(`PReLU (${this.name})`, `Expected inputs of shape [batch, ${alpha.shape.map((d) => (d === 1 ? 'any' : d)).join(', ')}]`, { 'inputs.shape': inputs.shape });
    }
    return ENGINE.tidy(() => {
      // As the other activation layers: int32 and bool inputs compute in float32.
      const x = ops.asFloat(inputs, 'PReLU');
      // Keras's relu(x) + (-alpha) relu(-x), with its negation folded into a subtraction (the same bits).
      return ops.sub(ops.relu(x), ops.mul(alpha, ops.relu(ops.neg(x))));
    });
  }

  getConfig(): Record<string, unknown> {
    return {
      alphaInitializer: this.alphaInitializer.name, alphaRegularizer: this.alphaRegularizer?.config ?? null, sharedAxes: this.sharedAxes ? [...this.sharedAxes] : null,
      ...constraintOptions({ alphaConstraint: this.alphaConstraint }),
    };
  }
}
