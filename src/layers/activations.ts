/**
 * Activations by name, with Keras 3 definitions. Where TF.js differs, Keras wins:
 * hardSigmoid is relu6(x + 3) / 6 (TF.js: clip(0.2 x + 0.5, 0, 1)), leakyRelu's slope is 0.2,
 * and gelu is the exact erf form unless approximate.
 */
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

export type ActivationIdentifier =
  | 'linear' | 'relu' | 'relu6' | 'elu' | 'selu' | 'sigmoid' | 'hardSigmoid' | 'tanh' | 'softmax'
  | 'softplus' | 'softsign' | 'swish' | 'gelu' | 'leakyRelu' | 'tfjsHardSigmoid' | 'mish' | 'logSoftmax' | 'geluNew';

export type ActivationFn = (x: Tensor) => Tensor;

const ACTIVATIONS: Record<ActivationIdentifier, ActivationFn> = {
  linear: (x) => x,
  relu: (x) => ops.relu(x),
  relu6: (x) => ops.relu6(x),
  elu: (x) => ops.elu(x),
  selu: (x) => ops.selu(x),
  sigmoid: (x) => ops.sigmoid(x),
  hardSigmoid: (x) => ops.div(ops.relu6(ops.add(x, 3)), 6),
  tanh: (x) => ops.tanh(x),
  softmax: (x) => ops.softmax(x),
  softplus: (x) => ops.softplus(x),
  softsign: (x) => ops.softsign(x),
  swish: (x) => ops.swish(x),
  gelu: (x) => ops.gelu(x),
  leakyRelu: (x) => ops.leakyRelu(x),
  // TF.js's (and Keras 2's) hard sigmoid, what 'hard_sigmoid' means in files TF.js saved (TF.js's
  // LSTM and GRU use it by default): loading them must compute what they computed.
  tfjsHardSigmoid: (x) => ops.clipByValue(ops.add(ops.mul(x, 0.2), 0.5), 0, 1),
  mish: (x) => ops.mul(x, ops.tanh(ops.softplus(x))),
  // TF.js's 'logSoftmax' (Keras's 'log_softmax'), over the last axis.
  logSoftmax: (x) => ops.logSoftmax(x),
  // TF.js's 'gelu_new': gelu's tanh approximation (Keras's gelu with approximate=True).
  geluNew: (x) => ops.gelu(x, true),
};

/** The built-in activations' names. */
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationIdentifier[];

/** Also accepts Keras's snake_case spellings (hard_sigmoid, leaky_relu, log_softmax), 'silu' and TF.js's 'gelu_new'. */
const ALIASES: Record<string, ActivationIdentifier> = {
  hard_sigmoid: 'hardSigmoid', leaky_relu: 'leakyRelu', silu: 'swish', log_softmax: 'logSoftmax', gelu_new: 'geluNew',
};

/**
 * A resolved activation: its name (a user function's own name) and whether it is the built-in
 * one of that name, which layers may fuse (a user function named relu must still be called).
 */
export interface ResolvedActivation {
  name: string;
  fn: ActivationFn;
  builtin: boolean;
}

export function getActivation(identifier: ActivationIdentifier | string | ActivationFn | undefined | null, context: string): ResolvedActivation {
  if (identifier === undefined || identifier === null) return { name: 'linear', fn: ACTIVATIONS.linear, builtin: true };
  if (typeof identifier === 'function') return { name: identifier.name || 'custom', fn: identifier, builtin: false };
  const name = ALIASES[identifier] ?? identifier;
  const fn = ACTIVATIONS[name as ActivationIdentifier];
  if (!fn) {
    throw invalid(context, `Expected activation to be one of ${Object.keys(ACTIVATIONS).join(', ')} or a function`, { activation: identifier });
  }
  return { name, fn, builtin: true };
}

/** 'relu' or 'linear' when the activation is that built-in one (which fused kernels apply), else undefined. */
export function fusableActivation(activation: ResolvedActivation): 'relu' | 'linear' | undefined {
  return activation.builtin && (activation.name === 'relu' || activation.name === 'linear') ? activation.name : undefined;
}
