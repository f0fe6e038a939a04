/**
 * Mask propagation with Keras 3 semantics, in one place so that every model type propagates masks
 * the same way. A layer with supportsMasking receives the mask its input carries (context.mask)
 * and its output carries layer.computeMask(input, mask): an embedding with maskZero creates one,
 * Dense, Dropout and Activation pass it on, a recurrent layer consumes it (and passes it on with
 * returnSequences). A layer without supportsMasking drops the mask, and says so once, as Keras
 * warns.
 */
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CallContext, InputMasks, Layer } from './layer.js';

const warned = new WeakSet<Layer>();

/**
 * The mask a list of inputs carries into a merge layer (add, subtract, multiply, average,
 * maximum, minimum): none unless every input carries one, then their logical or, as Keras 3's
 * Merge.compute_mask (a step stays while any input has it; Keras 2 and TF.js take the and).
 */
export function mergedMask(masks: readonly (Tensor | undefined)[]): Tensor | undefined {
  if (masks.length === 0 || masks.some((m) => m === undefined)) return undefined;
  return (masks as Tensor[]).reduce((a, b) => ops.logicalOr(a, b));
}

/**
 * Runs layer.call on an input that carries `mask` (for a layer with masksPerInput called on a
 * list, each input's mask); returns the output and the mask each of its outputs carries: the
 * first maskedOutputs carry computeMask's, or each the one callWithOutputMasks gives it.
 */
export function callWithMask(layer: Layer, input: Tensor | Tensor[], mask: Tensor | InputMasks | undefined, context: CallContext): { output: Tensor | Tensor[]; masks: InputMasks } {
  if (!layer.supportsMasking) {
    const carried = Array.isArray(mask) ? mask.some((m) => m !== undefined) : mask !== undefined;
    if (carried && !layer.ignoresMasks && !warned.has(layer)) {
      warned.add(layer);
      console.warn(`Layer '${layer.name}' (${layer.className}) does not support masking: the mask its input carries stops here, and later layers see none.`);
    }
    const { mask: _dropped, ...rest } = context;
    return { output: layer.call(input, rest), masks: [] };
  }
  const masked = Array.isArray(mask) ? { ...context, inputMasks: mask } : mask ? { ...context, mask } : context;
  if (layer.callWithOutputMasks) return layer.callWithOutputMasks(input, masked);
  const output = layer.call(input, masked);
  const outputMask = layer.computeMask(input, mask);
  return { output, masks: Array.from({ length: layer.maskedOutputs }, () => outputMask) };
}
