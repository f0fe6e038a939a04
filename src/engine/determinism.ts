/**
 * Op determinism ("strict mode"): while enabled, anything that would make a run
 * unreproducible is an error: unkeyed sampling without a seed, kernels without a bitwise
 * guarantee, and Math.random from any code at all (replaced by a guard whose error stack names
 * the caller).
 */
import { DeterminismError, invalid } from '../errors.js';

export type MathRandomPolicy = 'throw' | 'warn' | 'allow';

export interface OpDeterminismOptions {
  /** What a call of Math.random does while strict mode is on (default 'throw'). */
  mathRandom?: MathRandomPolicy;
}

let enabled = false;
let originalMathRandom: (() => number) | undefined;

export function isOpDeterminismEnabled(): boolean {
  return enabled;
}

export function enableOpDeterminism(options: OpDeterminismOptions = {}): void {
  const policy = options.mathRandom ?? 'throw';
  if (policy !== 'throw' && policy !== 'warn' && policy !== 'allow') {
    throw invalid('enableOpDeterminism', "Expected mathRandom to be 'throw', 'warn' or 'allow'", { mathRandom: policy });
  }
  restoreMathRandom();
  enabled = true;
  if (policy === 'allow') return;
  const original = Math.random;
  originalMathRandom = original;
  Math.random = function guardedMathRandom(): number {
    const message = 'Math.random was called while op determinism is enabled; its values cannot be '
      + 'reproduced. Draw from a key instead (vb.random.* or vb.random.generator(seed)), or call '
      + "vb.enableOpDeterminism({mathRandom: 'warn' | 'allow'}).";
    if (policy === 'throw') throw new DeterminismError(message);
    console.warn(`${message}\n${new Error('Math.random caller').stack ?? ''}`);
    return original();
  };
}

export function disableOpDeterminism(): void {
  restoreMathRandom();
  enabled = false;
}

function restoreMathRandom(): void {
  if (originalMathRandom) {
    Math.random = originalMathRandom;
    originalMathRandom = undefined;
  }
}
