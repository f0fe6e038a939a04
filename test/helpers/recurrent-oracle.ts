/** Recurrent layers against TF.js 4.22: the same layer under a dense head in both libraries, with the same weights. */
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose, toTf } from './close.js';

/** A layer in verbatim and its TF.js twin (Keras's defaults passed to TF.js explicitly), on inputs of `input`'s shape. */
export interface RecurrentOracleCase {
  name: string;
  ours: () => vb.layers.Layer;
  theirs: () => tf.layers.Layer;
  input: number[];
  /** The layer returns sequences (flattened before the head). */
  sequences?: boolean;
}

/** Non-trivial weights for every weight of a model (a bias of zeros would hide bias bugs). */
export function randomizeWeights(model: vb.LayersModel, seed: number): void {
  model.setWeights(model.weights.map((w, i) => vb.mul(vb.random.normal(vb.random.key(seed + i), [...w.shape]), 0.5)));
}

/**
 * Both models (the layer, a flatten for sequences, a dense head of 2 units, so every weight
 * trains end to end) with the same random weights; their outputs on x are checked to agree.
 */
export function oracleTwins(c: RecurrentOracleCase): { x: vb.Tensor; ours: vb.LayersModel; theirs: tf.LayersModel; y0: vb.Tensor } {
  vb.setRandomSeed(3);
  const x = vb.random.normal(vb.random.key(1), c.input);
  const ours = vb.sequential({ layers: [c.ours(), ...(c.sequences ? [vb.layers.flatten()] : []), vb.layers.dense({ units: 2 })] });
  ours.predict(x).dispose();
  randomizeWeights(ours, 10);
  const y0 = ours.predict(x) as vb.Tensor;
  const theirs = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: c.input.slice(1) }), c.theirs(), ...(c.sequences ? [tf.layers.flatten()] : []), tf.layers.dense({ units: 2 })] });
  theirs.setWeights(ours.getWeights().map(toTf));
  assertClose(y0.dataSync(), (theirs.predict(toTf(x)) as tf.Tensor).dataSync(), `${c.name}: outputs`);
  return { x, ours, theirs, y0 };
}
