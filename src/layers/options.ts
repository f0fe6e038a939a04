/**
 * The options a built-in layer takes: those its getConfig() reports and those of every layer. An
 * option a layer does not have (a typo, Keras's `groups`, a constraint of a weight without one, Dropout's `noiseShape`)
 * would otherwise be dropped silently and the layer compute something else: the factories
 * (vb.layers.*) and the loader (src/io) refuse it.
 */
import { refuseUnknownOptions } from '../errors.js';
import type { Layer } from './layer.js';

/** Options every layer takes (LayerArgs), besides those its getConfig() reports. */
export const LAYER_ARGS: readonly string[] = ['name', 'trainable', 'inputShape', 'inputDim', 'batchInputShape'];

/** Options TF.js or Keras take that carry nothing verbatim needs when they hold these values. */
export const IGNORED_OPTIONS: Readonly<Record<string, (value: unknown) => boolean>> = {
  // A layer's dtype in TF.js; verbatim's layers compute in float32 (int32 inputs are indices).
  dtype: (v) => v === 'float32' || v === 'int32' || v === null || v === undefined,
  sparse: (v) => !v, ragged: (v) => !v, batchSize: (v) => v === null || v === undefined || (Number.isInteger(v) && (v as number) > 0), unroll: (v) => !v,
  implementation: () => true, activityRegularizer: (v) => v === null || v === undefined,
  // TF.js writes null where it means its default; Keras's default applies in verbatim.
  unitForgetBias: (v) => v === null, maskZero: (v) => v === null, inputLength: (v) => v === null,
};

const anyUnroll = (v: unknown): boolean => v === null || v === undefined || typeof v === 'boolean';

/**
 * Options one class takes from Keras that carry nothing at these values. Only that class's: Keras
 * 3's LeakyReLU names its slope negative_slope, which must not be dropped (leaving alpha 0.3).
 */
const CLASS_IGNORED_OPTIONS: Readonly<Record<string, Readonly<Record<string, (value: unknown) => boolean>>>> = {
  // Keras's ReLU writes its leaky and thresholded forms' parameters; at 0 (its defaults) it is the plain ReLU.
  ReLU: { negativeSlope: (v) => v === 0, threshold: (v) => v === 0 },
  // Recurrent layers always unroll their loop, which computes what a symbolic loop would: true is theirs only.
  ...Object.fromEntries(['SimpleRNN', 'LSTM', 'GRU'].map((name) => [name, { unroll: anyUnroll }])),
  // Keras 3's RNN writes zero_output_for_mask: false is what verbatim's RNN computes (Bidirectional sets it itself).
  RNN: { unroll: anyUnroll, zeroOutputForMask: (v) => v === false || v === null },
};

/** Whether an option's value means nothing to verbatim (IGNORED_OPTIONS, the class's own, or no constraint: null, TF.js's default). */
export function isIgnoredOption(name: string, value: unknown, className?: string): boolean {
  if (name.endsWith('Constraint')) return value === null || value === undefined;
  const forClass = className !== undefined && Object.hasOwn(CLASS_IGNORED_OPTIONS, className) ? CLASS_IGNORED_OPTIONS[className]! : {};
  if (Object.hasOwn(forClass, name)) return forClass[name]!(value);
  return Object.hasOwn(IGNORED_OPTIONS, name) && IGNORED_OPTIONS[name]!(value);
}

/** The names of the options a built-in layer was given that it does not have. */
export function unknownOptions(layer: Layer, options: Record<string, unknown>): string[] {
  const known = new Set([...Object.keys(layer.getConfig()), ...LAYER_ARGS]);
  return Object.keys(options).filter((k) => !known.has(k) && !isIgnoredOption(k, options[k], layer.className));
}

/** The layer, once the options it was made with are all its own. */
export function withKnownOptions<L extends Layer>(layer: L, options: object | undefined): L {
  refuseUnknownOptions(layer.className, options, [...Object.keys(layer.getConfig()), ...LAYER_ARGS], (k, v) => isIgnoredOption(k, v, layer.className));
  return layer;
}
