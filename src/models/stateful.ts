/**
 * Stateful recurrent layers across a model (Keras's and TF.js's stateful RNNs): model.resetStates()
 * resets them all, and backups keep their carried states so that a resumed fit continues each
 * row's sequence exactly where the interrupted one was.
 */
import { invalid } from '../errors.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { RNN, type CarriedStates } from '../layers/recurrent.js';

/**
 * A model, or anything a callback is given as one: its layers if it has them (a LayersModel, a
 * model standing as a layer through its model); without layers it has no stateful layer.
 */
function layersOf(model: object): readonly unknown[] {
  const { layers } = model as { layers?: unknown };
  return Array.isArray(layers) ? layers : [];
}

/** The stateful recurrent layers, in layer order (each direction of a Bidirectional; inside models used as layers). */
export function statefulLayers(model: object): RNN[] {
  return layersOf(model).flatMap((layer): RNN[] => {
    if (layer instanceof RNN) return layer.stateful ? [layer] : [];
    if (layer instanceof Bidirectional) return layer.stateful ? [layer.forwardLayer, layer.backwardLayer] : [];
    const inner = (layer as { model?: unknown }).model;
    return inner !== null && typeof inner === 'object' ? statefulLayers(inner) : [];
  });
}

/** Every stateful layer's carried states (null where at zeros), for a backup. */
export function carriedStatesOf(model: object): (CarriedStates | null)[] {
  return statefulLayers(model).map((layer) => layer.carriedStates() ?? null);
}

/** Restores what carriedStatesOf gave, checked: one entry per stateful layer. */
export function restoreCarriedStates(model: object, states: readonly (CarriedStates | null)[], context: string): void {
  const layers = statefulLayers(model);
  if (!Array.isArray(states) || states.length !== layers.length) {
    throw invalid(context, `Expected the carried states of ${layers.length} stateful recurrent layer(s)`, { carriedStates: Array.isArray(states) ? `a list of ${states.length}` : states });
  }
  layers.forEach((layer, i) => layer.restoreCarriedStates(states[i] ?? undefined, context));
}

/**
 * TF.js's check before a model with stateful layers runs on tensors: their rows split into whole
 * batches. A last, smaller batch would be refused only once the batches before it had moved the
 * carried states (and trained the weights, in fit).
 */
export function checkWholeBatches(model: object, rows: number, batchSize: number, context: string, argument: string): void {
  if (rows <= batchSize || rows % batchSize === 0) return;
  const [layer] = statefulLayers(model);
  if (!layer) return;
  throw invalid(context, `Expected ${argument} divisible by the batch size with a stateful recurrent layer (${layer.name}): every batch must have the size of the last, and the last batch would have ${rows % batchSize}`, { [argument]: rows, batchSize });
}
