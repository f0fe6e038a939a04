/**
 * Convolution layers (TF.js option names, Keras defaults): Conv1D, Conv2D, Conv3D,
 * Conv2DTranspose, Conv3DTranspose, DepthwiseConv2D, SeparableConv2D. Kernels are Keras-shaped
 * ([kernel..., in, filters]; the transposes [kernel..., filters, in]; depthwise [kh, kw, in,
 * multiplier]) and named
 * `kernel`, `bias`, `depthwise_kernel`, `pointwise_kernel`, so that keys derived from names
 * match Keras's weight names. channelsFirst inputs are transposed to channels last and back.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import { fusableActivation, getActivation, type ActivationFn, type ActivationIdentifier, type ResolvedActivation } from './activations.js';
import { constraintOptions, getConstraint, type Constraint, type ConstraintOption } from './constraints.js';
import { getInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type LayerArgs, type SymbolicShape } from './layer.js';
import { getRegularizer, type Regularizer } from './regularizers.js';

export type DataFormat = 'channelsLast' | 'channelsFirst';
type RegularizerIdentifier = 'l1' | 'l2' | 'l1l2' | Regularizer;

export interface ConvArgs extends LayerArgs {
  filters?: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: 'valid' | 'same';
  dataFormat?: DataFormat;
  dilationRate?: number | number[];
  activation?: ActivationIdentifier | ActivationFn;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier | Initializer;
  biasInitializer?: InitializerIdentifier | Initializer;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  kernelConstraint?: ConstraintOption;
  biasConstraint?: ConstraintOption;
}

/** n positive integers from a number or an array of n. */
export function tuple(context: string, argument: string, value: unknown, n: number): number[] {
  const v = typeof value === 'number' ? new Array<number>(n).fill(value) : value;
  if (!Array.isArray(v) || v.length !== n || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw invalid(context, `Expected ${argument} to be a positive integer or an array of ${n} of them`, { [argument]: value });
  }
  return v as number[];
}

export function checkPadding(context: string, padding: unknown): 'valid' | 'same' {
  if (padding !== 'valid' && padding !== 'same') throw invalid(context, "Expected padding 'valid' or 'same'", { padding });
  return padding;
}

export function checkDataFormat(context: string, dataFormat: unknown): DataFormat {
  if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
    throw invalid(context, "Expected dataFormat 'channelsLast' or 'channelsFirst'", { dataFormat });
  }
  return dataFormat;
}

/** Channels-last view of a channels-first input (spatial rank r), and the way back. */
export function toChannelsLast(x: Tensor, dataFormat: DataFormat): Tensor {
  if (dataFormat === 'channelsLast') return x;
  return ops.transpose(x, [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1]);
}

export function fromChannelsLast(x: Tensor, dataFormat: DataFormat): Tensor {
  if (dataFormat === 'channelsLast') return x;
  return ops.transpose(x, [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)]);
}

/** Spatial output length of a window along one axis (null stays null). */
export function outputLength(extent: number | null, kernel: number, stride: number, padding: 'valid' | 'same', dilation = 1): number | null {
  return ops.convOutputLength(extent, kernel, stride, padding, dilation);
}

/** The shared options and weights of the convolution layers over `rank` spatial dimensions. */
abstract class BaseConv extends Layer {
  readonly rank: number;
  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: 'valid' | 'same';
  readonly dataFormat: DataFormat;
  readonly dilationRate: number[];
  readonly useBias: boolean;
  protected readonly activation: ResolvedActivation;
  protected readonly kernelInitializer: Initializer;
  protected readonly biasInitializer: Initializer;
  protected readonly kernelRegularizer: Regularizer | undefined;
  protected readonly biasRegularizer: Regularizer | undefined;
  protected readonly kernelConstraint: Constraint | undefined;
  protected readonly biasConstraint: Constraint | undefined;
  kernel: Variable | undefined;
  bias: Variable | undefined;

  constructor(className: string, rank: number, args: ConvArgs, needsFilters = true) {
    super(className, args);
    this.rank = rank;
    if (needsFilters && (!Number.isInteger(args.filters) || args.filters! <= 0)) {
      throw invalid(className, 'Expected filters to be a positive integer', { filters: args.filters });
    }
    this.filters = args.filters ?? 0;
    this.kernelSize = tuple(className, 'kernelSize', args.kernelSize, rank);
    this.strides = tuple(className, 'strides', args.strides ?? 1, rank);
    this.padding = checkPadding(className, args.padding ?? 'valid');
    this.dataFormat = checkDataFormat(className, args.dataFormat ?? 'channelsLast');
    this.dilationRate = tuple(className, 'dilationRate', args.dilationRate ?? 1, rank);
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw invalid(className, 'Expected strides or dilationRate of 1 (they cannot both exceed 1)', { strides: args.strides, dilationRate: args.dilationRate });
    }
    this.useBias = args.useBias ?? true;
    this.activation = getActivation(args.activation, className);
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform', className);
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros', className);
    this.kernelRegularizer = getRegularizer(args.kernelRegularizer, className);
    this.biasRegularizer = getRegularizer(args.biasRegularizer, className);
    this.kernelConstraint = getConstraint(args.kernelConstraint, className, 'kernelConstraint');
    this.biasConstraint = getConstraint(args.biasConstraint, className, 'biasConstraint');
  }

  /** The number of input channels, from a batch-first input shape. */
  protected inputChannels(inputShape: SymbolicShape): number {
    const channels = this.dataFormat === 'channelsLast' ? inputShape.at(-1) : inputShape[1];
    if (inputShape.length !== this.rank + 2 || typeof channels !== 'number') {
      throw invalid(`${this.className} (${this.name})`, `Expected inputs of rank ${this.rank + 2} with a known channel dimension`, { inputShape });
    }
    return channels;
  }

  protected spatialOutput(inputShape: SymbolicShape, channels: number): SymbolicShape {
    const spatial = this.dataFormat === 'channelsLast' ? inputShape.slice(1, -1) : inputShape.slice(2);
    const out = spatial.map((d, i) => outputLength(d, this.kernelSize[i]!, this.strides[i]!, this.padding, this.dilationRate[i]!));
    return this.dataFormat === 'channelsLast' ? [inputShape[0] ?? null, ...out, channels] : [inputShape[0] ?? null, channels, ...out];
  }

  protected finish(y: Tensor): Tensor {
    const biased = this.bias ? ops.add(y, this.bias) : y;
    return fromChannelsLast(this.activation.fn(biased), this.dataFormat);
  }

  protected baseConfig(): Record<string, unknown> {
    return {
      kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dataFormat: this.dataFormat,
      dilationRate: this.dilationRate, activation: this.activation.name, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer.name, biasInitializer: this.biasInitializer.name,
      kernelRegularizer: this.kernelRegularizer?.config ?? null, biasRegularizer: this.biasRegularizer?.config ?? null,
      ...constraintOptions({ kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint }),
    };
  }
}

/** 2-D convolution over [batch, height, width, channels] (or channels first). */
export class Conv2D extends BaseConv {
  constructor(args: ConvArgs, className = 'Conv2D', rank = 2) {
    super(className, rank, args);
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    this.kernel = this.addWeight('kernel', [...this.kernelSize, channels, this.filters], this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.inputChannels(inputShape);
    return this.spatialOutput(inputShape, this.filters);
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => {
      const image = toChannelsLast(x, this.dataFormat);
      const fusable = fusableActivation(this.activation);
      if (this.rank === 2 && this.bias && fusable) {
        const y = ops.fusedConv2d({
          x: image, filter: this.kernel!, strides: [this.strides[0]!, this.strides[1]!], pad: this.padding,
          dilations: [this.dilationRate[0]!, this.dilationRate[1]!], bias: this.bias, activation: fusable,
        });
        return fromChannelsLast(y, this.dataFormat);
      }
      const y = this.rank === 1
        ? ops.conv1d(image, this.kernel!, this.strides[0]!, this.padding, 'NWC', this.dilationRate[0]!)
        : this.rank === 2
          ? ops.conv2d(image, this.kernel!, [this.strides[0]!, this.strides[1]!], this.padding, 'NHWC', [this.dilationRate[0]!, this.dilationRate[1]!])
          : ops.conv3d(image, this.kernel!, this.strides as [number, number, number], this.padding, 'NDHWC', this.dilationRate as [number, number, number]);
      return this.finish(y);
    });
  }

  getConfig(): Record<string, unknown> {
    return { filters: this.filters, ...this.baseConfig() };
  }
}

/** 1-D convolution over [batch, steps, channels] (or channels first). */
export class Conv1D extends Conv2D {
  constructor(args: ConvArgs) {
    super(args, 'Conv1D', 1);
  }
}

/** 3-D convolution over [batch, depth, height, width, channels] (or channels first). */
export class Conv3D extends Conv2D {
  constructor(args: ConvArgs) {
    super(args, 'Conv3D', 3);
  }
}

/** The transpose of Conv2D (a "deconvolution"), kernel [kh, kw, filters, in]. */
export class Conv2DTranspose extends BaseConv {
  constructor(args: ConvArgs, className = 'Conv2DTranspose', rank = 2) {
    super(className, rank, args);
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    this.kernel = this.addWeight('kernel', [...this.kernelSize, this.filters, channels], this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  /** Keras's deconvolution length: valid (n - 1) s + k, same n s (dilation 1). */
  private length(extent: number | null, i: number): number | null {
    if (extent === null) return null;
    const k = (this.kernelSize[i]! - 1) * this.dilationRate[i]! + 1;
    return this.padding === 'same' ? extent * this.strides[i]! : (extent - 1) * this.strides[i]! + k;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.inputChannels(inputShape);
    const spatial = this.dataFormat === 'channelsLast' ? inputShape.slice(1, -1) : inputShape.slice(2);
    const out = spatial.map((d, i) => this.length(d, i));
    return this.dataFormat === 'channelsLast' ? [inputShape[0] ?? null, ...out, this.filters] : [inputShape[0] ?? null, this.filters, ...out];
  }

  call(x: Tensor): Tensor {
    if (this.dilationRate.some((d) => d > 1)) {
      throw invalid(`${this.className} (${this.name})`, 'Expected dilationRate 1', { dilationRate: this.dilationRate });
    }
    return ENGINE.tidy(() => {
      const image = toChannelsLast(x, this.dataFormat);
      const outShape = [image.shape[0]!, ...image.shape.slice(1, -1).map((d, i) => this.length(d, i)!), this.filters];
      const y = this.rank === 2
        ? ops.conv2dTranspose(image, this.kernel!, outShape, [this.strides[0]!, this.strides[1]!], this.padding)
        : ops.conv3dTranspose(image, this.kernel!, outShape, this.strides as [number, number, number], this.padding);
      return this.finish(y);
    });
  }

  getConfig(): Record<string, unknown> {
    return { filters: this.filters, ...this.baseConfig() };
  }
}

/** The transpose of Conv3D, kernel [kd, kh, kw, filters, in]. */
export class Conv3DTranspose extends Conv2DTranspose {
  constructor(args: ConvArgs) {
    super(args, 'Conv3DTranspose', 3);
  }
}

export interface DepthwiseConvArgs extends Omit<ConvArgs, 'filters' | 'kernelInitializer' | 'kernelRegularizer' | 'kernelConstraint'> {
  depthMultiplier?: number;
  depthwiseInitializer?: InitializerIdentifier | Initializer;
  depthwiseRegularizer?: RegularizerIdentifier;
  depthwiseConstraint?: ConstraintOption;
}

/** One filter per input channel (times depthMultiplier): depthwise_kernel [kh, kw, in, multiplier]. */
export class DepthwiseConv2D extends BaseConv {
  readonly depthMultiplier: number;

  constructor(args: DepthwiseConvArgs, className = 'DepthwiseConv2D') {
    super(className, 2, { ...args, ...(args.depthwiseInitializer ? { kernelInitializer: args.depthwiseInitializer } : {}), ...(args.depthwiseRegularizer ? { kernelRegularizer: args.depthwiseRegularizer } : {}),
      ...(args.depthwiseConstraint ? { kernelConstraint: args.depthwiseConstraint } : {}) }, false);
    this.depthMultiplier = args.depthMultiplier ?? 1;
    if (!Number.isInteger(this.depthMultiplier) || this.depthMultiplier <= 0) {
      throw invalid(className, 'Expected depthMultiplier to be a positive integer', { depthMultiplier: args.depthMultiplier });
    }
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    this.kernel = this.addWeight('depthwise_kernel', [...this.kernelSize, channels, this.depthMultiplier], this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', [channels * this.depthMultiplier], this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return this.spatialOutput(inputShape, this.inputChannels(inputShape) * this.depthMultiplier);
  }

  protected depthwise(x: Tensor): Tensor {
    return ops.depthwiseConv2d(toChannelsLast(x, this.dataFormat), this.kernel!, [this.strides[0]!, this.strides[1]!], this.padding, 'NHWC', [this.dilationRate[0]!, this.dilationRate[1]!]);
  }

  call(x: Tensor): Tensor {
    return ENGINE.tidy(() => this.finish(this.depthwise(x)));
  }

  getConfig(): Record<string, unknown> {
    const { kernelInitializer, kernelRegularizer, kernelConstraint, ...rest } = this.baseConfig();
    return {
      ...rest, depthMultiplier: this.depthMultiplier, depthwiseInitializer: kernelInitializer, depthwiseRegularizer: kernelRegularizer,
      ...(kernelConstraint ? { depthwiseConstraint: kernelConstraint } : {}),
    };
  }
}

export interface SeparableConvArgs extends DepthwiseConvArgs {
  filters: number;
  pointwiseInitializer?: InitializerIdentifier | Initializer;
  pointwiseRegularizer?: RegularizerIdentifier;
  pointwiseConstraint?: ConstraintOption;
}

/** A depthwise convolution, then a 1 x 1 convolution to `filters` channels (pointwise_kernel). */
export class SeparableConv2D extends DepthwiseConv2D {
  private readonly pointwiseInitializer: Initializer;
  private readonly pointwiseRegularizer: Regularizer | undefined;
  private readonly pointwiseConstraint: Constraint | undefined;
  pointwise: Variable | undefined;

  constructor(args: SeparableConvArgs) {
    super(args, 'SeparableConv2D');
    if (!Number.isInteger(args.filters) || args.filters <= 0) throw invalid('SeparableConv2D', 'Expected filters to be a positive integer', { filters: args.filters });
    this.pointwiseInitializer = getInitializer(args.pointwiseInitializer, 'glorotUniform', 'SeparableConv2D');
    this.pointwiseRegularizer = getRegularizer(args.pointwiseRegularizer, 'SeparableConv2D');
    this.pointwiseConstraint = getConstraint(args.pointwiseConstraint, 'SeparableConv2D', 'pointwiseConstraint');
  }

  override build(inputShape: SymbolicShape): void {
    const channels = this.inputChannels(inputShape);
    this.kernel = this.addWeight('depthwise_kernel', [...this.kernelSize, channels, this.depthMultiplier], this.kernelInitializer, this.kernelRegularizer, true, this.kernelConstraint);
    this.pointwise = this.addWeight('pointwise_kernel', [1, 1, channels * this.depthMultiplier, this.filters], this.pointwiseInitializer, this.pointwiseRegularizer, true, this.pointwiseConstraint);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer, this.biasRegularizer, true, this.biasConstraint);
    this.built = true;
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.inputChannels(inputShape);
    return this.spatialOutput(inputShape, this.filters);
  }

  override call(x: Tensor): Tensor {
    return ENGINE.tidy(() => this.finish(ops.conv2d(this.depthwise(x), this.pointwise!, 1, 'valid')));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), filters: this.filters, pointwiseInitializer: this.pointwiseInitializer.name, pointwiseRegularizer: this.pointwiseRegularizer?.config ?? null,
      ...constraintOptions({ pointwiseConstraint: this.pointwiseConstraint }),
    };
  }
}
