/**
 * The classes a model file may name (TF.js's tf.serialization.registerClass): every built-in
 * layer under its Keras class name, plus the classes users register (custom layers). A class is
 * constructed as TF.js does: its static fromConfig(cls, config) if it has one, else new cls(config).
 */
import { invalid } from '../errors.js';
import * as L from '../layers/index.js';
import type { Layer } from '../layers/layer.js';

/** A layer class: constructed from its config; `className` names it in files. */
export interface SerializableClass {
  className: string;
  new (config: Record<string, unknown>): Layer;
  fromConfig?(cls: SerializableClass, config: Record<string, unknown>): Layer;
}

const registry = new Map<string, SerializableClass>();

/** Registers a class under its static `className` so that loaded models can make its layers. */
export function registerClass<T extends { className?: unknown }>(cls: T): T {
  const name = typeof cls === 'function' ? (cls as { className?: unknown }).className : undefined;
  if (typeof cls !== 'function') throw invalid('serialization.registerClass', 'Expected a class', { cls });
  if (typeof name !== 'string' || name === '') {
    throw invalid('serialization.registerClass', 'Expected the class to have a static className, a non-empty string', { className: name });
  }
  registry.set(name, cls as unknown as SerializableClass);
  return cls;
}

/** The registered class of this name, or undefined. */
export function getRegisteredClass(name: string): SerializableClass | undefined {
  return registry.get(name);
}

/** Whether the class is one of verbatim's own layers (whose options its getConfig() lists in full). */
export function isBuiltIn(cls: SerializableClass): boolean {
  return Object.values(BUILT_IN).includes(cls);
}

export function registeredClassNames(): string[] {
  return [...registry.keys()].sort();
}

const BUILT_IN: Record<string, unknown> = {
  Dense: L.Dense, Dropout: L.Dropout, Activation: L.Activation, LeakyReLU: L.LeakyReLU, Flatten: L.Flatten, Reshape: L.Reshape,
  Conv1D: L.Conv1D, Conv2D: L.Conv2D, Conv3D: L.Conv3D, Conv2DTranspose: L.Conv2DTranspose, Conv3DTranspose: L.Conv3DTranspose,
  DepthwiseConv2D: L.DepthwiseConv2D, SeparableConv2D: L.SeparableConv2D, MaxPooling1D: L.MaxPooling1D, MaxPooling2D: L.MaxPooling2D,
  MaxPooling3D: L.MaxPooling3D, AveragePooling1D: L.AveragePooling1D, AveragePooling2D: L.AveragePooling2D,
  AveragePooling3D: L.AveragePooling3D, GlobalAveragePooling1D: L.GlobalAveragePooling1D, GlobalAveragePooling2D: L.GlobalAveragePooling2D,
  GlobalAveragePooling3D: L.GlobalAveragePooling3D, GlobalMaxPooling1D: L.GlobalMaxPooling1D, GlobalMaxPooling2D: L.GlobalMaxPooling2D,
  GlobalMaxPooling3D: L.GlobalMaxPooling3D,
  ZeroPadding2D: L.ZeroPadding2D, Cropping2D: L.Cropping2D, UpSampling2D: L.UpSampling2D,
  ZeroPadding3D: L.ZeroPadding3D, Cropping3D: L.Cropping3D, UpSampling3D: L.UpSampling3D,
  ZeroPadding1D: L.ZeroPadding1D, Cropping1D: L.Cropping1D, UpSampling1D: L.UpSampling1D,
  Softmax: L.Softmax, ReLU: L.ReLU, ELU: L.ELU, ThresholdedReLU: L.ThresholdedReLU,
  BatchNormalization: L.BatchNormalization, LayerNormalization: L.LayerNormalization,
  SpatialDropout1D: L.SpatialDropout1D, SpatialDropout2D: L.SpatialDropout2D, GaussianNoise: L.GaussianNoise,
  GaussianDropout: L.GaussianDropout, AlphaDropout: L.AlphaDropout,
  Add: L.Add, Subtract: L.Subtract, Multiply: L.Multiply, Average: L.Average, Maximum: L.Maximum, Minimum: L.Minimum,
  Concatenate: L.Concatenate, Dot: L.Dot, Permute: L.Permute, RepeatVector: L.RepeatVector, TimeDistributed: L.TimeDistributed,
  Embedding: L.Embedding, SimpleRNN: L.SimpleRNN, LSTM: L.LSTM, GRU: L.GRU, Bidirectional: L.Bidirectional,
  RNN: L.RNN, SimpleRNNCell: L.SimpleRNNCell, LSTMCell: L.LSTMCell, GRUCell: L.GRUCell, StackedRNNCells: L.StackedRNNCells,
  MultiHeadAttention: L.MultiHeadAttention, Rescaling: L.Rescaling, CenterCrop: L.CenterCrop, Resizing: L.Resizing,
  RandomFlip: L.RandomFlip, RandomRotation: L.RandomRotation, RandomTranslation: L.RandomTranslation, RandomZoom: L.RandomZoom,
  RandomCrop: L.RandomCrop, RandomContrast: L.RandomContrast,
  PReLU: L.PReLU, Masking: L.Masking,
};
/** Keras's other names for the same classes. */
const ALIASES: Record<string, string> = {
  MaxPool1D: 'MaxPooling1D', MaxPool2D: 'MaxPooling2D', AvgPool1D: 'AveragePooling1D', AvgPool2D: 'AveragePooling2D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D', GlobalAvgPool2D: 'GlobalAveragePooling2D', GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D', Convolution1D: 'Conv1D', Convolution2D: 'Conv2D', Conv2DTranspose: 'Conv2DTranspose',
  Deconvolution2D: 'Conv2DTranspose', SeparableConvolution2D: 'SeparableConv2D',
  MaxPool3D: 'MaxPooling3D', AvgPool3D: 'AveragePooling3D', GlobalAvgPool3D: 'GlobalAveragePooling3D', GlobalMaxPool3D: 'GlobalMaxPooling3D',
  Convolution3D: 'Conv3D', Convolution3DTranspose: 'Conv3DTranspose', Deconvolution3D: 'Conv3DTranspose',
};
for (const [name, cls] of Object.entries(BUILT_IN)) registry.set(name, cls as SerializableClass);
for (const [alias, name] of Object.entries(ALIASES)) registry.set(alias, registry.get(name)!);
