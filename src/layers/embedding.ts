/**
 * Embedding: integer indices to rows of an [inputDim, outputDim] table (gather; its gradient is
 * scatterAdd). With maskZero, index 0 is padding and the output carries a mask (true where the
 * index is not 0) for the layers after it.
 */
import { indexText } from '../tensor/shape.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { constraintOptions, getConstraint, type Constraint, type ConstraintOption } from './constraints.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type LayerArgs, type SymbolicShape } from './layer.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

export interface EmbeddingArgs extends LayerArgs {
  inputDim: number;
  outputDim: number;
  /** Index 0 is padding: the output carries a mask, and inputDim must leave room for it. */
  maskZero?: boolean;
  /** The sequence length (TF.js; Keras 3 dropped it): shorthand for inputShape [inputLength]. */
  inputLength?: number;
  /** Default 'uniform': Keras's RandomUniform(-0.05, 0.05). */
  embeddingsInitializer?: InitializerIdentifier | 'uniform' | Initializer;
  embeddingsRegularizer?: 'l1' | 'l2' | 'l1l2' | Regularizer;
  embeddingsConstraint?: ConstraintOption;
}

export class Embedding extends Layer {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | undefined;
  private readonly embeddingsInitializer: Initializer;
  private readonly embeddingsRegularizer: Regularizer | undefined;
  private readonly embeddingsConstraint: Constraint | undefined;
  embeddings: Variable | undefined;

  constructor(args: EmbeddingArgs) {
    const { inputLength } = args;
    if (inputLength !== undefined && inputLength !== null && !(Number.isInteger(inputLength) && inputLength > 0)) {
      throw invalid('Embedding', 'Expected inputLength to be a positive integer', { inputLength });
    }
    const declared = inputLength && args.inputShape === undefined ? { inputShape: [inputLength] } : {};
    // inputDim is the vocabulary size here (Keras), not the LayerArgs shorthand for inputShape.
    super('Embedding', { ...args, inputDim: undefined, ...declared });
    for (const name of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(args[name]) || args[name] <= 0) throw invalid('Embedding', `Expected ${name} to be a positive integer`, { [name]: args[name] });
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.maskZero = args.maskZero ?? false;
    this.supportsMasking = this.maskZero;
    this.inputLength = inputLength ?? undefined;
    const init = args.embeddingsInitializer === 'uniform' ? 'randomUniform' : args.embeddingsInitializer;
    this.embeddingsInitializer = getInitializer(init, 'randomUniform', 'Embedding');
    this.embeddingsRegularizer = getRegularizer(args.embeddingsRegularizer, 'Embedding');
    this.embeddingsConstraint = getConstraint(args.embeddingsConstraint, 'Embedding', 'embeddingsConstraint');
  }

  override build(): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.embeddingsInitializer, this.embeddingsRegularizer, true, this.embeddingsConstraint);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return [...inputShape, this.outputDim];
  }

  /** Integer indices in [0, inputDim) as int32; anything else is an error naming the first bad index. */
  private indices(x: Tensor): Tensor {
    if (x.dtype === 'bool') throw invalid(`Embedding (${this.name})`, 'Expected int32 indices (or float32 holding integers)', { 'inputs.dtype': x.dtype });
    const values = x.dataSync();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(Number.isInteger(v) && v >= 0 && v < this.inputDim)) {
        throw invalid(`Embedding (${this.name})`, `Expected indices in [0, ${this.inputDim})`, { [`inputs${indexText(i, x.shape)}`]: v });
      }
    }
    return x.dtype === 'int32' ? x : ops.cast(x, 'int32');
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => ops.gather(this.embeddings!, this.indices(x)));
  }

  override computeMask(input: Tensor, _mask?: Tensor): Tensor | undefined {
    return this.maskZero ? ops.notEqual(input, 0) : undefined;
  }

  getConfig(): Record<string, unknown> {
    return {
      inputDim: this.inputDim, outputDim: this.outputDim, maskZero: this.maskZero, inputLength: this.inputLength ?? null,
      embeddingsInitializer: this.embeddingsInitializer.name, embeddingsRegularizer: this.embeddingsRegularizer?.config ?? null,
      ...constraintOptions({ embeddingsConstraint: this.embeddingsConstraint }),
    };
  }
}
