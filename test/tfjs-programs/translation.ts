/**
 * translation: character-level seq2seq (English to French in the original): an LSTM encoder
 * with returnState, a decoder LSTM started from the encoder's states with teacher forcing, a
 * Dense softmax; then separate encoder and decoder inference models built from the trained
 * layers decode one sentence step by step.
 */
import { lcg, lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(23);
  const words = ['go', 'run', 'hi', 'stop', 'wait'];
  const translations = ['va', 'cours', 'salut', 'arrete', 'attends'];
  const inputChars = Array.from(new Set(words.join(''))).sort();
  const targetChars = ['\t', '\n', ...Array.from(new Set(translations.join(''))).sort()];
  const inputLength = 4;
  const targetLength = 9;
  const encoderData: number[][][] = [];
  const decoderData: number[][][] = [];
  const targetData: number[][][] = [];
  for (let i = 0; i < 40; i++) {
    const k = Math.floor(random() * words.length);
    const target = `\t${translations[k]}\n`;
    encoderData.push(Array.from({ length: inputLength }, (_, t) => inputChars.map((c) => (c === words[k]![t] ? 1 : 0))));
    decoderData.push(Array.from({ length: targetLength }, (_, t) => targetChars.map((c) => (c === target[t] ? 1 : 0))));
    targetData.push(Array.from({ length: targetLength }, (_, t) => targetChars.map((c) => (c === target[t + 1] ? 1 : 0))));
  }
  const latentDim = 24;
  const encoderInputs = tf.layers.input({ shape: [null, inputChars.length] as number[], name: 'encoderInputs' });
  const encoderLstm = tf.layers.lstm({ units: latentDim, returnState: true, name: 'encoderLstm' });
  const [, stateH, stateC] = encoderLstm.apply(encoderInputs) as ReturnType<typeof tf.input>[];
  const decoderInputs = tf.layers.input({ shape: [null, targetChars.length] as number[], name: 'decoderInputs' });
  const decoderLstm = tf.layers.lstm({ units: latentDim, returnSequences: true, returnState: true, name: 'decoderLstm' });
  const [decoderSequence] = decoderLstm.apply([decoderInputs, stateH!, stateC!]) as ReturnType<typeof tf.input>[];
  const decoderDense = tf.layers.dense({ units: targetChars.length, activation: 'softmax', name: 'decoderDense' });
  const decoderOutputs = decoderDense.apply(decoderSequence!) as ReturnType<typeof tf.input>;
  const model = tf.model({ inputs: [encoderInputs, decoderInputs], outputs: decoderOutputs });
  model.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy' });
  const history = await model.fit([tf.tensor3d(encoderData), tf.tensor3d(decoderData)], tf.tensor3d(targetData), { batchSize: 20, epochs: 8, validationSplit: 0.2 });

  const encoderModel = tf.model({ inputs: encoderInputs, outputs: [stateH!, stateC!] });
  const stateInputH = tf.layers.input({ shape: [latentDim] });
  const stateInputC = tf.layers.input({ shape: [latentDim] });
  const [stepSequence, stepH, stepC] = decoderLstm.apply([decoderInputs, stateInputH, stateInputC]) as ReturnType<typeof tf.input>[];
  const decoderModel = tf.model({
    inputs: [decoderInputs, stateInputH, stateInputC],
    outputs: [decoderDense.apply(stepSequence!) as ReturnType<typeof tf.input>, stepH!, stepC!],
  });
  let states = encoderModel.predict(tf.tensor3d([encoderData[0]!])) as ReturnType<typeof tf.tensor2d>[];
  let token = tf.buffer([1, 1, targetChars.length]);
  token.set(1, 0, 0, 0);
  let decoded = '';
  for (let step = 0; step < targetLength && !decoded.endsWith('\n'); step++) {
    const [probabilities, h, c] = decoderModel.predict([token.toTensor(), ...states]) as ReturnType<typeof tf.tensor3d>[];
    const index = probabilities!.argMax(-1).dataSync()[0]!;
    decoded += targetChars[index];
    token = tf.buffer([1, 1, targetChars.length]);
    token.set(1, 0, 0, index);
    states = [h as unknown as ReturnType<typeof tf.tensor2d>, c as unknown as ReturnType<typeof tf.tensor2d>];
  }
  return { losses: lossesOf(history), weights: model.getWeights() };
};
export default program;
