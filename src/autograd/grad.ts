/**
 * Reverse-mode automatic differentiation. While f runs, every primitive whose inputs depend on a
 * watched tensor is recorded on a tape; the backward pass walks the tape in reverse and applies
 * each primitive's gradient rule, accumulating contributions to a tensor in reverse tape order.
 */
import { ENGINE, type Tape } from '../engine/engine.js';
import { ValueError, invalid } from '../errors.js';
import { RULES } from '../primitives/index.js';
import type { GradContext, Primitive, Rule } from '../primitives/types.js';
import { Tensor, Variable } from '../tensor/tensor.js';
import { convertToTensor, onesLike, type TensorLike } from '../ops/creation.js';
import * as ops from '../ops/index.js';

function backward(tape: Tape, y: Tensor, dy: Tensor, xs: readonly Tensor[]): (Tensor | null)[] {
  const grads = new Map<number, Tensor>([[y.id, dy]]);
  for (let i = tape.entries.length - 1; i >= 0; i--) {
    const entry = tape.entries[i]!;
    const g = grads.get(entry.output.id);
    if (!g) continue;
    const needsGrad = entry.inputs.map((t) => t.dtype === 'float32' && tape.tracked.has(t.id));
    if (!needsGrad.some(Boolean)) continue;
    let inputGrads: (Tensor | null)[];
    if (entry.backward) {
      inputGrads = entry.backward(g);
    } else {
      const rule = RULES[entry.primitive as Primitive] as Rule<Primitive>;
      if (rule.grad === 'not-differentiable') continue;
      const context: GradContext<Primitive> = {
        inputs: entry.inputs, output: entry.output, attrs: entry.attrs as never, needsGrad,
      };
      inputGrads = rule.grad(g, context, ops);
    }
    entry.inputs.forEach((input, k) => {
      const gk = inputGrads[k];
      if (!gk || !needsGrad[k]) return;
      const previous = grads.get(input.id);
      grads.set(input.id, previous ? ops.add(previous, gk) : gk);
    });
  }
  return xs.map((x) => grads.get(x.id) ?? null);
}

interface GradientResult {
  value: Tensor;
  grads: (Tensor | null)[];
}

function gradients(f: () => Tensor, xs: readonly Tensor[], dy: TensorLike | undefined, context: string): GradientResult {
  return ENGINE.tidy(() => {
    const tape = ENGINE.startTape(xs);
    try {
      let value: Tensor;
      try {
        value = f();
      } finally {
        ENGINE.stopTape(tape);
      }
      if (!(value instanceof Tensor)) {
        throw invalid(context, 'Expected f to return a Tensor', { 'f()': value });
      }
      if (value.dtype !== 'float32') {
        throw invalid(context, 'Expected f to return a float32 tensor', { 'f().dtype': value.dtype });
      }
      const seed = dy === undefined ? onesLike(value) : convertToTensor(dy, 'dy', context, 'float32');
      if (seed.shape.length !== value.shape.length || seed.shape.some((d, i) => d !== value.shape[i])) {
        throw invalid(context, `Expected dy of the shape of f's result ${JSON.stringify(value.shape)}`, { 'dy.shape': seed.shape });
      }
      return { value, grads: backward(tape, value, seed, xs) };
    } finally {
      ENGINE.releaseTape(tape);
    }
  });
}

/**
 * The gradients alone. f's value, and arguments converted here from JS values, are disposed
 * unless returned; tensors the caller passed stay theirs.
 */
function gradientsOnly(result: GradientResult, given: readonly unknown[], args: readonly Tensor[], context: string): Tensor[] {
  const grads = requireAll(result.grads, context);
  const owned = [result.value, ...args.filter((t, i) => t !== given[i])];
  for (const t of new Set(owned)) if (!given.includes(t) && !grads.includes(t)) t.dispose();
  return grads;
}

function requireAll(grads: (Tensor | null)[], context: string): Tensor[] {
  return grads.map((g, i) => {
    if (g) return g;
    throw new ValueError(`${context}: Expected f's result to depend on every argument. Received: no gradient path from argument ${i} to the result (make sure f uses it in float32 ops)`);
  });
}

/** grad(f)(x, dy?): the gradient of f at x (of sum(f(x) * dy) for a non-scalar result). */
export function grad(f: (x: Tensor) => Tensor): (x: TensorLike, dy?: TensorLike) => Tensor {
  return (x, dy) => {
    const t = convertToTensor(x, 'x', 'grad', 'float32');
    return gradientsOnly(gradients(() => f(t), [t], dy, 'grad'), [x], [t], 'grad')[0]!;
  };
}

export function grads(f: (...args: Tensor[]) => Tensor): (args: TensorLike[], dy?: TensorLike) => Tensor[] {
  return (args, dy) => {
    const ts = args.map((a, i) => convertToTensor(a, `args[${i}]`, 'grads', 'float32'));
    return gradientsOnly(gradients(() => f(...ts), ts, dy, 'grads'), args, ts, 'grads');
  };
}

export function valueAndGrad(f: (x: Tensor) => Tensor): (x: TensorLike, dy?: TensorLike) => { value: Tensor; grad: Tensor } {
  return (x, dy) => {
    const t = convertToTensor(x, 'x', 'valueAndGrad', 'float32');
    const result = gradients(() => f(t), [t], dy, 'valueAndGrad');
    return { value: result.value, grad: requireAll(result.grads, 'valueAndGrad')[0]! };
  };
}

export function valueAndGrads(f: (...args: Tensor[]) => Tensor): (args: TensorLike[], dy?: TensorLike) => { value: Tensor; grads: Tensor[] } {
  return (args, dy) => {
    const ts = args.map((a, i) => convertToTensor(a, `args[${i}]`, 'valueAndGrads', 'float32'));
    const result = gradients(() => f(...ts), ts, dy, 'valueAndGrads');
    return { value: result.value, grads: requireAll(result.grads, 'valueAndGrads') };
  };
}

/**
 * The value of f and its gradients with respect to varList (default: every trainable variable),
 * keyed by variable name; variables f does not depend on are left out.
 */
export function variableGrads(f: () => Tensor, varList?: readonly Variable[]): { value: Tensor; grads: Record<string, Tensor> } {
  const variables = varList ?? [...ENGINE.variables.values()].filter((v) => v.trainable);
  variables.forEach((v, i) => {
    if (!(v instanceof Variable)) throw invalid('variableGrads', 'Expected varList to hold Variables', { [`varList[${i}]`]: v });
  });
  const result = gradients(f, variables, undefined, 'variableGrads');
  if (result.value.size !== 1) {
    throw invalid('variableGrads', 'Expected f to return a scalar', { 'f().shape': result.value.shape });
  }
  const named: Record<string, Tensor> = {};
  variables.forEach((v, i) => {
    const g = result.grads[i];
    if (g) named[v.name] = g;
  });
  return { value: result.value, grads: named };
}
