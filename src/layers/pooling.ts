/**
 * Pooling layers (TF.js option names, Keras defaults: poolSize 2, strides = poolSize, 'valid'):
 * MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, and the global poolings 1D/2D/3D (mean or max over
 * every spatial position, keepDims optional). As in Keras 3, only GlobalAveragePooling1D supports
 * masks: it averages over the unmasked steps and its output carries no mask; the others drop a
 * mask with callWithMask's warning (GlobalMaxPooling1D takes the max over every step).
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkDataFormat, checkPadding, fromChannelsLast, outputLength, toChannelsLast, tuple, type DataFormat } from './convolutional.js';
import { Layer, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';

export interface PoolingArgs extends LayerArgs {
  poolSize?: number | number[];
  strides?: number | number[] | null;
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat;
}

abstract class Pooling extends Layer {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: DataFormat;

  constructor(className: string, readonly rank: number, private readonly mode: 'max' | 'avg', args: PoolingArgs) {
    super(className, args);
    this.poolSize = tuple(className, 'poolSize', args.poolSize ?? 2, rank);
    this.strides = tuple(className, 'strides', args.strides ?? this.poolSize, rank);
    this.padding = checkPadding(className, args.padding ?? 'valid');
    this.dataFormat = checkDataFormat(className, args.dataFormat ?? 'channelsLast');
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    if (inputShape.length !== this.rank + 2) throw invalid(`${this.className} (${this.name})`, `Expected inputs of rank ${this.rank + 2}`, { inputShape });
    const last = this.dataFormat === 'channelsLast';
    const spatial = last ? inputShape.slice(1, -1) : inputShape.slice(2);
    const out = spatial.map((d, i) => outputLength(d, this.poolSize[i]!, this.strides[i]!, this.padding));
    return last ? [inputShape[0] ?? null, ...out, inputShape.at(-1) ?? null] : [inputShape[0] ?? null, inputShape[1] ?? null, ...out];
  }

  call(x: Tensor): Tensor {
    if (x.rank !== this.rank + 2) throw invalid(`${this.className} (${this.name})`, `Expected inputs of rank ${this.rank + 2}`, { 'inputs.shape': x.shape });
    return ENGINE.tidy(() => fromChannelsLast(this.pool(toChannelsLast(x, this.dataFormat)), this.dataFormat));
  }

  /** The pooling of a channels-last input (1-D as 2-D over a height of 1). */
  private pool(image: Tensor): Tensor {
    if (this.rank === 3) {
      const [size, strides] = [this.poolSize, this.strides] as [number, number, number][];
      return this.mode === 'max' ? ops.maxPool3d(image, size!, strides!, this.padding) : ops.avgPool3d(image, size!, strides!, this.padding);
    }
    const size: [number, number] = this.rank === 1 ? [1, this.poolSize[0]!] : [this.poolSize[0]!, this.poolSize[1]!];
    const strides: [number, number] = this.rank === 1 ? [1, this.strides[0]!] : [this.strides[0]!, this.strides[1]!];
    const input = this.rank === 1 ? ops.expandDims(image, 1) : image;
    const y = this.mode === 'max' ? ops.maxPool(input, size, strides, this.padding) : ops.avgPool(input, size, strides, this.padding);
    return this.rank === 1 ? ops.squeeze(y, [1]) : y;
  }

  getConfig(): Record<string, unknown> {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat };
  }
}

export class MaxPooling1D extends Pooling {
  constructor(args: PoolingArgs = {}) { super('MaxPooling1D', 1, 'max', args); }
}
export class MaxPooling2D extends Pooling {
  constructor(args: PoolingArgs = {}) { super('MaxPooling2D', 2, 'max', args); }
}
export class MaxPooling3D extends Pooling {
  constructor(args: PoolingArgs = {}) { super('MaxPooling3D', 3, 'max', args); }
}
export class AveragePooling1D extends Pooling {
  constructor(args: PoolingArgs = {}) { super('AveragePooling1D', 1, 'avg', args); }
}
export class AveragePooling2D extends Pooling {
  constructor(args: PoolingArgs = {}) { super('AveragePooling2D', 2, 'avg', args); }
}
export class AveragePooling3D extends Pooling {
  constructor(args: PoolingArgs = {}) { super('AveragePooling3D', 3, 'avg', args); }
}

export interface GlobalPoolingArgs extends LayerArgs {
  dataFormat?: DataFormat;
  keepDims?: boolean;
}

abstract class GlobalPooling extends Layer {
  readonly dataFormat: DataFormat;
  readonly keepDims: boolean;

  constructor(className: string, readonly rank: number, private readonly mode: 'max' | 'avg', args: GlobalPoolingArgs) {
    super(className, args);
    this.dataFormat = checkDataFormat(className, args.dataFormat ?? 'channelsLast');
    this.keepDims = args.keepDims ?? false;
  }

  private axes(): number[] {
    return Array.from({ length: this.rank }, (_, i) => i + (this.dataFormat === 'channelsLast' ? 1 : 2));
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    if (inputShape.length !== this.rank + 2) throw invalid(`${this.className} (${this.name})`, `Expected inputs of rank ${this.rank + 2}`, { inputShape });
    const axes = this.axes();
    if (this.keepDims) return inputShape.map((d, i) => (axes.includes(i) ? 1 : d));
    return inputShape.filter((_, i) => !axes.includes(i));
  }

  call(x: Tensor, context?: CallContext): Tensor {
    if (x.rank !== this.rank + 2) throw invalid(`${this.className} (${this.name})`, `Expected inputs of rank ${this.rank + 2}`, { 'inputs.shape': x.shape });
    if (context?.mask) return this.maskedMean(x, context.mask);
    return this.mode === 'max' ? ops.max(x, this.axes(), this.keepDims) : ops.mean(x, this.axes(), this.keepDims);
  }

  /**
   * Keras 3's masked GlobalAveragePooling1D: fl(sum over the unmasked steps / their number), the
   * masked steps replaced by 0 (so whatever they hold, even NaN, counts for nothing); a sequence
   * with no unmasked step gives 0 / 0 = NaN, as in Keras.
   */
  private maskedMean(x: Tensor, mask: Tensor): Tensor {
    const steps = this.axes()[0]!;
    if (mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[steps]) {
      throw invalid(`${this.className} (${this.name})`, `Expected a mask of shape [${x.shape[0]}, ${x.shape[steps]}] (batch, steps)`, { 'mask.shape': mask.shape });
    }
    return ENGINE.tidy(() => {
      const kept = ops.expandDims(ops.cast(mask, 'bool'), this.dataFormat === 'channelsLast' ? 2 : 1);
      const sum = ops.sum(ops.where(kept, x, 0), steps, this.keepDims);
      return ops.div(sum, ops.sum(ops.cast(kept, 'float32'), steps, this.keepDims));
    });
  }

  getConfig(): Record<string, unknown> {
    return { dataFormat: this.dataFormat, keepDims: this.keepDims };
  }
}

export class GlobalAveragePooling1D extends GlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) {
    super('GlobalAveragePooling1D', 1, 'avg', args);
    this.supportsMasking = true;
  }

  /** The mask is consumed: the pooled output has no steps (Keras). */
  override computeMask(): undefined {
    return undefined;
  }
}
export class GlobalAveragePooling2D extends GlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) { super('GlobalAveragePooling2D', 2, 'avg', args); }
}
export class GlobalAveragePooling3D extends GlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) { super('GlobalAveragePooling3D', 3, 'avg', args); }
}
export class GlobalMaxPooling1D extends GlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) { super('GlobalMaxPooling1D', 1, 'max', args); }
}
export class GlobalMaxPooling2D extends GlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) { super('GlobalMaxPooling2D', 2, 'max', args); }
}
export class GlobalMaxPooling3D extends GlobalPooling {
  constructor(args: GlobalPoolingArgs = {}) { super('GlobalMaxPooling3D', 3, 'max', args); }
}
