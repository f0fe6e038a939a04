import { Activation, Dense, Dropout, Flatten, InputLayer, Masking, Reshape, type DenseArgs, type DropoutArgs } from './core.js';
import type { ActivationFn, ActivationIdentifier } from './activations.js';
import type { Layer, LayerArgs } from './layer.js';
import { invalid } from '../errors.js';
import { withKnownOptions } from './options.js';
import { MultiHeadAttention, type MultiHeadAttentionArgs, type AttentionOptions } from './attention.js';
import {
  Conv1D, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, DepthwiseConv2D, SeparableConv2D, type ConvArgs, type DepthwiseConvArgs, type SeparableConvArgs,
} from './convolutional.js';
import {
  AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
  GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D, type GlobalPoolingArgs, type PoolingArgs,
} from './pooling.js';
import { BatchNormalization, LayerNormalization, type BatchNormalizationArgs, type LayerNormalizationArgs } from './normalization.js';
import {
  AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D,
  type AlphaDropoutArgs, type GaussianDropoutArgs, type GaussianNoiseArgs, type SpatialDropout2DArgs, type SpatialDropoutArgs,
} from './noise.js';
import { Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, type ConcatenateArgs, type DotArgs } from './merge.js';
import { Permute, RepeatVector, TimeDistributed, type PermuteArgs, type TimeDistributedArgs } from './plumbing.js';
import { Embedding, type EmbeddingArgs } from './embedding.js';
import { GRU, LSTM, RNN, SimpleRNN, type GRUArgs, type LSTMArgs, type RecurrentArgs, type RNNArgs } from './recurrent.js';
import { GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, type CellArgs, type GRUCellArgs, type LSTMCellArgs, type StackedRNNCellsArgs } from './recurrent-cells.js';
import { Bidirectional, type BidirectionalArgs } from './bidirectional.js';
import {
  Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
  type Cropping1DArgs, type Cropping2DArgs, type UpSampling1DArgs, type UpSampling2DArgs, type ZeroPadding1DArgs, type ZeroPadding2DArgs,
} from './spatial.js';
import { ELU, LeakyReLU, ReLU, Softmax, ThresholdedReLU, type ELUArgs, type LeakyReLUArgs, type ReLUArgs, type SoftmaxArgs, type ThresholdedReLUArgs } from './activation-layers.js';

/**
 * A built-in layer's factory: an option the layer does not have is an error (src/layers/options.ts),
 * and so is a missing one it needs (lstm() is 'Expected units ...', not a TypeError).
 */
function checked<F extends (args: never) => Layer>(make: F): F {
  return ((args?: object) => {
    if (args !== undefined && args !== null && (typeof args !== 'object' || Array.isArray(args))) throw invalid('layers', 'Expected the layer\'s options as an object', { args });
    return withKnownOptions(make((args ?? {}) as never), args ?? undefined);
  }) as unknown as F;
}

export { ACTIVATION_NAMES, type ActivationIdentifier } from './activations.js';
export { MultiHeadAttention, type MultiHeadAttentionArgs, type AttentionOptions };
export { SymbolicTensor, type ApplyOptions, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
/** The base class of every layer, and the one users extend (TF.js's tf.layers.Layer). */
export { UserLayer as Layer } from './custom.js';
export { Dense, Dropout, Activation, Flatten, Reshape, InputLayer, Masking, type DenseArgs, type DropoutArgs } from './core.js';

export const dense = checked((args: DenseArgs) => new Dense(args));
export const dropout = checked((args: DropoutArgs) => new Dropout(args));
export const multiHeadAttention = checked((args: MultiHeadAttentionArgs) => new MultiHeadAttention(args));
export const activation = checked((args: LayerArgs & { activation: ActivationIdentifier | ActivationFn }) => new Activation(args));
export const leakyReLU = checked((args: LeakyReLUArgs = {}) => new LeakyReLU(args));
export { LeakyReLU, Softmax, ReLU, ELU, ThresholdedReLU, type LeakyReLUArgs, type SoftmaxArgs, type ReLUArgs, type ELUArgs, type ThresholdedReLUArgs } from './activation-layers.js';
export const softmax = checked((args: SoftmaxArgs = {}) => new Softmax(args));
export const reLU = checked((args: ReLUArgs = {}) => new ReLU(args));
export const elu = checked((args: ELUArgs = {}) => new ELU(args));
export const thresholdedReLU = checked((args: ThresholdedReLUArgs = {}) => new ThresholdedReLU(args));
export const flatten = checked((args: ConstructorParameters<typeof Flatten>[0] = {}) => new Flatten(args));
export const reshape = checked((args: LayerArgs & { targetShape: number[] }) => new Reshape(args));
/** Keras's Masking (TF.js's tf.layers.masking): steps whose features all equal maskValue (default 0) are masked. */
export const masking = checked((args: LayerArgs & { maskValue?: number } = {}) => new Masking(args));
/** TF.js's tf.layers.input: the same as tf.input (a symbolic input of a graph). */
export { input } from '../models/topology.js';
export const inputLayer = checked((args: { inputShape?: (number | null)[]; batchInputShape?: (number | null)[]; name?: string; dtype?: 'float32' | 'int32' }) => new InputLayer(args));

export {
  Conv1D, Conv2D, Conv3D, Conv2DTranspose, Conv3DTranspose, DepthwiseConv2D, SeparableConv2D,
  type ConvArgs, type DepthwiseConvArgs, type SeparableConvArgs, type DataFormat,
} from './convolutional.js';
export {
  MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
  GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D, type PoolingArgs, type GlobalPoolingArgs,
} from './pooling.js';
export {
  ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D, UpSampling1D, UpSampling2D, UpSampling3D,
  type ZeroPadding1DArgs, type ZeroPadding2DArgs, type Cropping1DArgs, type Cropping2DArgs, type UpSampling1DArgs, type UpSampling2DArgs,
} from './spatial.js';

export const conv1d = checked((args: ConvArgs) => new Conv1D(args));
export const conv2d = checked((args: ConvArgs) => new Conv2D(args));
export const conv3d = checked((args: ConvArgs) => new Conv3D(args));
export const conv2dTranspose = checked((args: ConvArgs) => new Conv2DTranspose(args));
export const conv3dTranspose = checked((args: ConvArgs) => new Conv3DTranspose(args));
export const depthwiseConv2d = checked((args: DepthwiseConvArgs) => new DepthwiseConv2D(args));
export const separableConv2d = checked((args: SeparableConvArgs) => new SeparableConv2D(args));
export const maxPooling1d = checked((args: PoolingArgs = {}) => new MaxPooling1D(args));
export const maxPooling2d = checked((args: PoolingArgs = {}) => new MaxPooling2D(args));
export const averagePooling1d = checked((args: PoolingArgs = {}) => new AveragePooling1D(args));
export const averagePooling2d = checked((args: PoolingArgs = {}) => new AveragePooling2D(args));
export const maxPooling3d = checked((args: PoolingArgs = {}) => new MaxPooling3D(args));
export const averagePooling3d = checked((args: PoolingArgs = {}) => new AveragePooling3D(args));
/** Keras's global poolings of volumes (TF.js has none, so it cannot load a file holding them). */
export const globalAveragePooling3d = checked((args: GlobalPoolingArgs = {}) => new GlobalAveragePooling3D(args));
export const globalMaxPooling3d = checked((args: GlobalPoolingArgs = {}) => new GlobalMaxPooling3D(args));
export const globalAveragePooling1d = checked((args: GlobalPoolingArgs = {}) => new GlobalAveragePooling1D(args));
export const globalAveragePooling2d = checked((args: GlobalPoolingArgs = {}) => new GlobalAveragePooling2D(args));
export const globalMaxPooling1d = checked((args: GlobalPoolingArgs = {}) => new GlobalMaxPooling1D(args));
export const globalMaxPooling2d = checked((args: GlobalPoolingArgs = {}) => new GlobalMaxPooling2D(args));
/** TF.js's other names for the pooling layers. */
export const maxPool1d = maxPooling1d;
export const maxPool2d = maxPooling2d;
export const avgPool1d = averagePooling1d;
export const avgPool2d = averagePooling2d;
export const avgPooling1d = averagePooling1d;
export const avgPooling2d = averagePooling2d;
export const avgPool3d = averagePooling3d;
export const avgPooling3d = averagePooling3d;
export const globalMaxPool1d = globalMaxPooling1d;
export const globalMaxPool2d = globalMaxPooling2d;
export const zeroPadding2d = checked((args: ZeroPadding2DArgs = {}) => new ZeroPadding2D(args));
export const cropping2d = checked((args: Cropping2DArgs = {}) => new Cropping2D(args));
export const upSampling2d = checked((args: UpSampling2DArgs = {}) => new UpSampling2D(args));
/** Keras's 3-D spatial layers (TF.js has none, so it cannot load a file holding them). */
export const zeroPadding3d = checked((args: ZeroPadding2DArgs = {}) => new ZeroPadding3D(args));
export const cropping3d = checked((args: Cropping2DArgs = {}) => new Cropping3D(args));
export const upSampling3d = checked((args: Omit<UpSampling2DArgs, 'interpolation'> = {}) => new UpSampling3D(args));
/** Keras's 1-D forms (TF.js has none), named in TF.js's style. */
export const zeroPadding1d = checked((args: ZeroPadding1DArgs = {}) => new ZeroPadding1D(args));
export const cropping1d = checked((args: Cropping1DArgs = {}) => new Cropping1D(args));
export const upSampling1d = checked((args: UpSampling1DArgs = {}) => new UpSampling1D(args));
/** TF.js's spelling of the cropping layers' names (and the same for 1-D and 3-D). */
export const cropping2D = cropping2d;
export const cropping1D = cropping1d;
export const cropping3D = cropping3d;

export { BatchNormalization, LayerNormalization, type BatchNormalizationArgs, type LayerNormalizationArgs } from './normalization.js';
export {
  SpatialDropout1D, SpatialDropout2D, GaussianNoise, GaussianDropout, AlphaDropout,
  type SpatialDropoutArgs, type SpatialDropout2DArgs, type GaussianNoiseArgs, type GaussianDropoutArgs, type AlphaDropoutArgs,
} from './noise.js';

export const batchNormalization = checked((args: BatchNormalizationArgs = {}) => new BatchNormalization(args));
export const layerNormalization = checked((args: LayerNormalizationArgs = {}) => new LayerNormalization(args));
export const spatialDropout1d = checked((args: SpatialDropoutArgs) => new SpatialDropout1D(args));
export const spatialDropout2d = checked((args: SpatialDropout2DArgs) => new SpatialDropout2D(args));
export const gaussianNoise = checked((args: GaussianNoiseArgs) => new GaussianNoise(args));
export const gaussianDropout = checked((args: GaussianDropoutArgs) => new GaussianDropout(args));
export const alphaDropout = checked((args: AlphaDropoutArgs) => new AlphaDropout(args));

export { Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, type ConcatenateArgs, type DotArgs } from './merge.js';
export { Permute, RepeatVector, TimeDistributed, type PermuteArgs, type TimeDistributedArgs } from './plumbing.js';

export const add = checked((args: LayerArgs = {}) => new Add(args));
export const subtract = checked((args: LayerArgs = {}) => new Subtract(args));
export const multiply = checked((args: LayerArgs = {}) => new Multiply(args));
export const average = checked((args: LayerArgs = {}) => new Average(args));
export const maximum = checked((args: LayerArgs = {}) => new Maximum(args));
export const minimum = checked((args: LayerArgs = {}) => new Minimum(args));
export const concatenate = checked((args: ConcatenateArgs = {}) => new Concatenate(args));
export const dot = checked((args: DotArgs) => new Dot(args));
export const permute = checked((args: PermuteArgs) => new Permute(args));
export const repeatVector = checked((args: LayerArgs & { n: number }) => new RepeatVector(args));
export const timeDistributed = checked((args: TimeDistributedArgs) => new TimeDistributed(args));

export { Embedding, type EmbeddingArgs } from './embedding.js';
export { RNN, SimpleRNN, LSTM, GRU, type RNNArgs, type SequenceArgs, type RecurrentArgs, type GatedRecurrentArgs, type LSTMArgs, type GRUArgs, type SequenceResult } from './recurrent.js';
export {
  RecurrentCell, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells,
  type CellArgs, type GatedCellArgs, type LSTMCellArgs, type GRUCellArgs, type StackedRNNCellsArgs, type CellConfig,
} from './recurrent-cells.js';
export { Bidirectional, type BidirectionalArgs, type MergeMode } from './bidirectional.js';

export const embedding = checked((args: EmbeddingArgs) => new Embedding(args));
export const simpleRNN = checked((args: RecurrentArgs) => new SimpleRNN(args));
export const lstm = checked((args: LSTMArgs) => new LSTM(args));
export const gru = checked((args: GRUArgs) => new GRU(args));
/** Keras's RNN: runs a cell (or a list of cells, stacked) over the sequence; rnn({cell: lstmCell({units})}) computes what lstm({units}) does. */
export const rnn = checked((args: RNNArgs) => new RNN(args));
export const simpleRNNCell = checked((args: CellArgs) => new SimpleRNNCell(args));
export const lstmCell = checked((args: LSTMCellArgs) => new LSTMCell(args));
export const gruCell = checked((args: GRUCellArgs) => new GRUCell(args));
export const stackedRNNCells = checked((args: StackedRNNCellsArgs) => new StackedRNNCells(args));
export const bidirectional = checked((args: BidirectionalArgs) => new Bidirectional(args));

export {
  Rescaling, CenterCrop, Resizing, type RescalingArgs, type CropArgs, type ResizingArgs, type ResizeInterpolation,
} from './preprocessing.js';
export {
  RandomFlip, RandomRotation, RandomTranslation, RandomZoom, RandomCrop, RandomContrast, type AugmentationArgs, type GeometricArgs,
  type RandomFlipArgs, type RandomRotationArgs, type RandomTranslationArgs, type RandomZoomArgs, type RandomCropArgs, type RandomContrastArgs, type FlipMode,
} from './augmentation.js';
import { CenterCrop, Rescaling, Resizing, type CropArgs, type RescalingArgs, type ResizingArgs } from './preprocessing.js';
import {
  RandomContrast, RandomCrop, RandomFlip, RandomRotation, RandomTranslation, RandomZoom, type RandomContrastArgs, type RandomCropArgs,
  type RandomFlipArgs, type RandomRotationArgs, type RandomTranslationArgs, type RandomZoomArgs,
} from './augmentation.js';

export const rescaling = checked((args: RescalingArgs) => new Rescaling(args));
export const centerCrop = checked((args: CropArgs) => new CenterCrop(args));
export const resizing = checked((args: ResizingArgs) => new Resizing(args));
export const randomFlip = checked((args: RandomFlipArgs = {}) => new RandomFlip(args));
export const randomRotation = checked((args: RandomRotationArgs) => new RandomRotation(args));
export const randomTranslation = checked((args: RandomTranslationArgs) => new RandomTranslation(args));
export const randomZoom = checked((args: RandomZoomArgs) => new RandomZoom(args));
export const randomCrop = checked((args: RandomCropArgs) => new RandomCrop(args));
export const randomContrast = checked((args: RandomContrastArgs) => new RandomContrast(args));

export { PReLU, type PReLUArgs } from './prelu.js';
import { PReLU, type PReLUArgs } from './prelu.js';
export const prelu = checked((args: PReLUArgs = {}) => new PReLU(args));
