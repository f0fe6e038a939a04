/**
 * The stacked-LSTM forecaster that many TF.js projects write for prices or demand (not a
 * tfjs-examples program): min-max scaled windows, LSTM(returnSequences) -> dropout -> LSTM ->
 * dropout -> Dense(relu) -> Dense(1), Adam, fit with validationSplit and a class extending
 * tf.Callback that counts the epochs against its params (its logs are numbers in verbatim,
 * scalar tensors that fit disposes in TF.js, so the losses come from the History), then a
 * walk-forward forecast (each prediction fed back into the window) inside tf.tidy. A sine wave
 * with a ripple stands in for the prices.
 */
import type { Program, Tensor } from './program.js';

const program: Program = async (tf) => {
  const prices = Array.from({ length: 80 }, (_, i) => 100 + 10 * Math.sin(i / 5) + (i % 7) * 0.3);
  const [min, max] = [Math.min(...prices), Math.max(...prices)];
  const scaled = prices.map((p) => (p - min) / (max - min));
  const lookback = 10;
  const windows: number[][][] = [];
  const targets: number[] = [];
  for (let i = 0; i + lookback < scaled.length; i++) {
    windows.push(scaled.slice(i, i + lookback).map((v) => [v]));
    targets.push(scaled[i + lookback]!);
  }
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: 16, returnSequences: true, inputShape: [lookback, 1] }));
  model.add(tf.layers.dropout({ rate: 0.2 }));
  model.add(tf.layers.lstm({ units: 8, returnSequences: false }));
  model.add(tf.layers.dropout({ rate: 0.2 }));
  model.add(tf.layers.dense({ units: 8, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  class EpochCounter extends tf.Callback {
    epochs: number[] = [];
    override async onEpochEnd(epoch: number) {
      this.epochs.push(epoch);
    }
  }
  const counter = new EpochCounter();
  const history = await model.fit(tf.tensor3d(windows), tf.tensor2d(targets, [targets.length, 1]), { epochs: 12, batchSize: 16, validationSplit: 0.1, callbacks: [counter] });
  if (counter.epochs.length !== counter.params!.epochs) throw new Error(`the callback saw epochs ${counter.epochs.join(', ')} of ${counter.params!.epochs}`);
  let window = scaled.slice(-lookback);
  for (let k = 0; k < 5; k++) {
    const next = tf.tidy(() => (model.predict(tf.tensor3d([window.map((v) => [v])])) as Tensor).dataSync()[0]!);
    window = [...window.slice(1), next];
  }
  return { losses: (history.history.loss as number[]).map(Number), weights: [...model.getWeights(), tf.tensor1d(window)] };
};
export default program;
