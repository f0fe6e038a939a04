import { ENGINE } from '../engine/engine.js';

/**
 * Wraps a public op so that the temporary tensors it makes (numbers and arrays converted to
 * tensors, intermediate results of composite ops) are disposed when it returns.
 */
export function op<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args: A) => ENGINE.tidy(() => fn(...args));
}
