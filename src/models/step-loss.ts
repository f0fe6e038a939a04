/**
 * A training step's loss (Keras 3 semantics, NUMERICS.md): each output's mean loss, a masked
 * output's over its unmasked entries, and the gradients of their total, shared by fit's steps
 * (src/models/training.ts) and data-parallel micro-batches (src/models/micro-batch.ts).
 */
import { variableGrads } from '../autograd/grad.js';
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import type { CallContext } from '../layers/layer.js';
import { LabelError, valuesMask } from '../losses/loss.js';
import * as ops from '../ops/index.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import type { Compiled } from './arguments.js';
import type { ModelOutputs, TrainableModel } from './batches.js';
import { alignTarget } from './tfjs-logs.js';

/** The outputs and masks kept out of the tidy scope they were made in (a gradient's). */
function keepOutputs({ outputs, masks }: ModelOutputs): ModelOutputs {
  return { outputs: outputs.map((t) => ENGINE.keep(t)), masks: masks.map((m) => m && ENGINE.keep(m)) };
}

export function disposeOutputs({ outputs, masks }: ModelOutputs): void {
  for (const t of new Set([...outputs, ...masks])) t?.dispose();
}

/**
 * A micro-batch's share of its batch's loss (data-parallel training): its examples' losses are
 * divided by the whole batch's count, and the regularization penalties enter one share only.
 */
export interface LossShare {
  batchSize: number;
  penalties: boolean;
}

/**
 * The total loss: each output's mean loss (scaled by its weight, if given), summed left to right
 * in output order starting from the first, then each regularization penalty in layer order.
 * `perOutput` receives each output's term when there are several. The mean is fl(sum / n) (as
 * ops.mean); with a `share`, n counts the share's whole batch (see LossShare). An output that
 * carries a mask (`masks[i]`) has Keras 3's masked mean instead (maskedMean).
 */
export function totalLoss(
  model: TrainableModel, compiled: Compiled, ys: readonly Tensor[], { outputs: predictions, masks }: ModelOutputs, sampleWeights: Tensor | undefined,
  perOutput: (t: Tensor) => void, share?: LossShare,
): Tensor {
  let total: Tensor | undefined;
  compiled.outputs.forEach((output, i) => {
    let perExample: Tensor;
    try {
      perExample = output.loss.call(alignTarget(ys[i]!, predictions[i]!), predictions[i]!);
    } catch (error) {
      if (error instanceof LabelError && compiled.outputs.length > 1) error.output = i;
      throw error;
    }
    const weighted = sampleWeights ? ops.mul(perExample, ops.reshape(sampleWeights, [perExample.shape[0]!, ...perExample.shape.slice(1).map(() => 1)])) : perExample;
    const mask = masks[i];
    let value: Tensor;
    if (mask) {
      if (share) {
        throw invalid('fit', 'Expected model outputs without masks with dataParallel (the mean over a batch\'s unmasked entries is not split into micro-batch shares); train it without dataParallel',
          { output: output.name, 'mask.shape': mask.shape });
      }
      value = maskedMean(weighted, mask, `loss ${output.loss.name} of output ${output.name}`);
    } else {
      const count = share ? (perExample.size / perExample.shape[0]!) * share.batchSize : perExample.size;
      value = ops.div(ops.sum(weighted), count);
    }
    if (output.weight !== undefined) value = ops.mul(value, output.weight);
    if (compiled.outputs.length > 1) perOutput(value);
    total = total === undefined ? value : ops.add(total, value);
  });
  if (share?.penalties !== false) for (const penalty of model.regularizationLosses()) total = ops.add(total!, penalty);
  return total!;
}

/**
 * Keras 3's loss of an output that carries a mask (CompileLoss, Loss.apply_mask): the mean over
 * the unmasked entries, fl(fl(sum of loss * mask) / number of unmasked entries), the sum in
 * row-major order (a masked entry adds loss * 0); 0 when every entry is masked (Keras's
 * divide_no_nan). Sample weights (classWeight) multiply the losses first and do not change the
 * divisor, as in Keras.
 */
function maskedMean(losses: Tensor, mask: Tensor, context: string): Tensor {
  const kept = valuesMask(losses, mask, context);
  return ops.div(ops.sum(ops.mul(losses, kept)), ops.maximum(ops.sum(kept), 1));
}

export interface StepGradients {
  value: Tensor;
  grads: Record<string, Tensor>;
  predictions: ModelOutputs;
  outputTerms: Tensor[];
}

/**
 * The total loss of the model called on xs (context: in training), its gradients, and, kept for
 * the caller, the predictions and each output's term; if the loss throws (a bad label, a mask of
 * another shape) those are disposed first, which a failed step would otherwise leak.
 */
export function stepGradients(
  model: TrainableModel, compiled: Compiled, xs: readonly Tensor[], ys: readonly Tensor[], context: CallContext, sampleWeights: Tensor | undefined,
  trainable: readonly Variable[], share?: LossShare,
): StepGradients {
  let predictions: ModelOutputs = { outputs: [], masks: [] };
  const outputTerms: Tensor[] = [];
  try {
    const { value, grads } = variableGrads(() => {
      predictions = keepOutputs(model.callWithMasks(xs, context));
      return totalLoss(model, compiled, ys, predictions, sampleWeights, (t) => outputTerms.push(ENGINE.keep(t)), share);
    }, trainable);
    return { value, grads, predictions, outputTerms };
  } catch (error) {
    disposeOutputs(predictions);
    for (const t of outputTerms) t.dispose();
    throw error;
  }
}
