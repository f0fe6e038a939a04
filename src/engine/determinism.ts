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

/**
 * The Math.random guard's state, on globalThis so that every copy of verbatim in a process (and
 * the preload, which runs before any of them) shares one guard. A module that captured
 * `Math.random` after the guard was installed holds the guard, so turning strict mode on later
 * still reaches its calls; one that captured it before holds the original, which is why the
 * preload (`node --import verbatim/strict`, and `verbatim run`'s) installs it first.
 */
interface MathRandomGuard {
  policy: MathRandomPolicy | 'off';
  original: () => number;
  /** Installed by enableOpDeterminism (removed again by disable), not by a preload (which stays for the process). */
  temporary: boolean;
}

const GUARD = Symbol.for('verbatim.mathRandomGuard');
const guardState = () => (globalThis as { [GUARD]?: MathRandomGuard })[GUARD];

/** A frame of a builtin (V8's `Array.map (<anonymous>)`, Safari's `map@[native code]`): it has no place in the code. */
const BUILTIN_FRAME = /\((<anonymous>|native)\)$|\[native code\]$/;

/**
 * " by <frame>": the first frame of the stack past the guard (V8 starts with the message line,
 * Firefox and Safari with the guard's frame) and past builtins that called Math.random for the
 * code (Array.from({length: 3}, Math.random), map, sort), so that a message read without its
 * stack (a run's recorded reason) names the caller's place in the code.
 */
function callerOf(stack: string | undefined): string {
  const frames = (stack ?? '').split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== 'Error' && !line.includes('guardedMathRandom'));
  const caller = frames.find((frame) => !BUILTIN_FRAME.test(frame)) ?? frames[0];
  return caller ? ` by ${caller.replace(/^at /, '')}` : '';
}

/** Replaces Math.random by the guard, dormant until strict mode is enabled. */
export function installMathRandomGuard(temporary = false): MathRandomGuard {
  const existing = guardState();
  if (existing) return existing;
  const state: MathRandomGuard = { policy: 'off', original: Math.random, temporary };
  const original = state.original;
  Math.random = function guardedMathRandom(): number {
    if (state.policy === 'off' || state.policy === 'allow') return original();
    const message = `Math.random was called${callerOf(new Error().stack)} while op determinism is enabled; its values cannot be `
      + 'reproduced. Draw from a key instead (vb.random.* or vb.random.generator(seed)), or call '
      + "vb.enableOpDeterminism({mathRandom: 'warn' | 'allow'}).";
    if (state.policy === 'throw') throw new DeterminismError(message);
    console.warn(`${message}\n${new Error('Math.random caller').stack ?? ''}`);
    return original();
  };
  (globalThis as { [GUARD]?: MathRandomGuard })[GUARD] = state;
  return state;
}

export function isOpDeterminismEnabled(): boolean {
  return enabled;
}

/**
 * Strict mode. Limit: a dependency that copied `Math.random` before this ran (ESM imports run
 * before the importing module's body) keeps the unguarded function; `verbatim run` and `verbatim
 * doctor` install the guard before any module loads, and plain node does with
 * `node --import verbatim/strict script.js`.
 */
export function enableOpDeterminism(options: OpDeterminismOptions = {}): void {
  const policy = options.mathRandom ?? 'throw';
  if (policy !== 'throw' && policy !== 'warn' && policy !== 'allow') {
    throw invalid('enableOpDeterminism', "Expected mathRandom to be 'throw', 'warn' or 'allow'", { mathRandom: policy });
  }
  enabled = true;
  installMathRandomGuard(true).policy = policy;
}

export function disableOpDeterminism(): void {
  enabled = false;
  const state = guardState();
  if (!state) return;
  state.policy = 'off';
  if (state.temporary) {
    Math.random = state.original;
    delete (globalThis as { [GUARD]?: MathRandomGuard })[GUARD];
  }
}
