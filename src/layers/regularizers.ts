/** Weight penalties added to the training loss: l1 * sum(|w|) + l2 * sum(w^2) (Keras 3 and TF.js). */
import { invalid, refuseUnknownOptions } from '../errors.js';
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';

export interface Regularizer {
  readonly name: string;
  readonly config: { l1: number; l2: number };
  penalty(weight: Tensor): Tensor;
}

function make(name: string, l1: number, l2: number): Regularizer {
  for (const [argument, value] of Object.entries({ l1, l2 })) {
    if (typeof value !== 'number' || !(value >= 0)) throw invalid(`regularizers.${name}`, `Expected ${argument} >= 0`, { [argument]: value });
  }
  return {
    name,
    config: { l1, l2 },
    penalty(weight) {
      let total: Tensor = ops.scalar(0);
      if (l1 > 0) total = ops.add(total, ops.mul(ops.sum(ops.abs(weight)), l1));
      if (l2 > 0) total = ops.add(total, ops.mul(ops.sum(ops.square(weight)), l2));
      return total;
    },
  };
}

/** A regularizer factory's options, checked: another (a misspelt `l2`) would leave the default 0.01 in force. */
function options<C extends object>(name: string, config: C, known: string[]): C {
  refuseUnknownOptions(`regularizers.${name}`, config, known);
  return config;
}

export const l1 = (config: { l1?: number } = {}) => make('l1', options('l1', config, ['l1']).l1 ?? 0.01, 0);
export const l2 = (config: { l2?: number } = {}) => make('l2', 0, options('l2', config, ['l2']).l2 ?? 0.01);
export const l1l2 = (config: { l1?: number; l2?: number } = {}) => {
  const { l1: a, l2: b } = options('l1l2', config, ['l1', 'l2']);
  return make('l1l2', a ?? 0.01, b ?? 0.01);
};

/**
 * A regularizer from its name, a regularizer, or its config ({l1, l2}, as getConfig() gives);
 * undefined and null mean none.
 */
export function getRegularizer(
  identifier: 'l1' | 'l2' | 'l1l2' | string | Regularizer | { l1: number; l2: number } | null | undefined, context: string,
): Regularizer | undefined {
  if (identifier === undefined || identifier === null) return undefined;
  if (typeof identifier === 'object' && typeof (identifier as Regularizer).penalty === 'function') return identifier as Regularizer;
  if (typeof identifier === 'object') {
    // Another key (TF.js's serialized {className, config}, a misspelt l2) would regularize nothing.
    const unknown = Object.keys(identifier).filter((k) => k !== 'l1' && k !== 'l2');
    if (unknown.length > 0) throw invalid(context, "Expected a regularizer: 'l1', 'l2', 'l1l2', a regularizer object or its config {l1, l2}", { regularizer: identifier });
    const { l1: a = 0, l2: b = 0 } = identifier as { l1?: number; l2?: number };
    return make(a > 0 && b > 0 ? 'l1l2' : a > 0 ? 'l1' : 'l2', a, b);
  }
  const factories: Record<string, () => Regularizer> = { l1, l2, l1l2, l1_l2: l1l2 };
  // Own names only: 'constructor' or '__proto__' would otherwise reach Object.prototype.
  const factory = Object.hasOwn(factories, identifier) ? factories[identifier] : undefined;
  if (!factory) throw invalid(context, "Expected a regularizer: 'l1', 'l2', 'l1l2' or a regularizer object", { regularizer: identifier });
  return factory();
}
