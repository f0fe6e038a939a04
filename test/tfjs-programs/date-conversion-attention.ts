/**
 * date-conversion-attention: human-readable dates ("JAN 5, 2019") to ISO ("2019-01-05") with an
 * attention seq2seq model built functionally: embeddings, an LSTM encoder and decoder
 * returning sequences, dot-product attention (tf.layers.dot, a softmax activation, dot again),
 * concatenate, timeDistributed Dense tanh then softmax; teacher forcing, Adam.
 */
import { lcg, lossesOf, type Program } from './program.js';

const program: Program = async (tf) => {
  const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
  const inputVocabulary = Array.from('\n0123456789ABCDEFGJLMNOPRSTUVY ,');
  const outputVocabulary = Array.from('\t0123456789-');
  const inputLength = 12;
  const outputLength = 10;
  const random = lcg(19);
  const encoderIn: number[][] = [];
  const decoderIn: number[][] = [];
  const decoderOut: number[][][] = [];
  for (let i = 0; i < 64; i++) {
    const month = Math.floor(random() * 12);
    const day = 1 + Math.floor(random() * 28);
    const year = 1980 + Math.floor(random() * 40);
    const human = `${months[month]} ${day}, ${year}`.padEnd(inputLength, '\n');
    const iso = `${year}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    encoderIn.push(Array.from(human, (ch) => inputVocabulary.indexOf(ch)));
    const outIndices = Array.from(iso, (ch) => outputVocabulary.indexOf(ch));
    decoderIn.push([0, ...outIndices.slice(0, -1)]);
    decoderOut.push(outIndices.map((k) => outputVocabulary.map((_, j) => (j === k ? 1 : 0))));
  }
  const embeddingDims = 16;
  const lstmUnits = 24;
  const encoderInput = tf.input({ shape: [inputLength] });
  const decoderInput = tf.input({ shape: [outputLength] });
  let encoder = tf.layers.embedding({ inputDim: inputVocabulary.length, outputDim: embeddingDims, inputLength, maskZero: true }).apply(encoderInput);
  encoder = tf.layers.lstm({ units: lstmUnits, returnSequences: true }).apply(encoder);
  const encoderLast = tf.layers.lstm({ units: lstmUnits, returnSequences: false }).apply(encoder);
  let decoder = tf.layers.embedding({ inputDim: outputVocabulary.length, outputDim: embeddingDims, inputLength: outputLength, maskZero: true }).apply(decoderInput);
  decoder = tf.layers.lstm({ units: lstmUnits, returnSequences: true }).apply(decoder, { initialState: [encoderLast, encoderLast] });
  let attention = tf.layers.dot({ axes: [2, 2] }).apply([decoder, encoder] as never);
  attention = tf.layers.activation({ activation: 'softmax', name: 'attention' }).apply(attention);
  const context = tf.layers.dot({ axes: [2, 1] }).apply([attention, encoder] as never);
  const combined = tf.layers.concatenate().apply([context, decoder] as never);
  let output = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: lstmUnits, activation: 'tanh' }) }).apply(combined);
  output = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: outputVocabulary.length, activation: 'softmax' }) }).apply(output);
  const model = tf.model({ inputs: [encoderInput, decoderInput], outputs: output as ReturnType<typeof tf.input> });
  model.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  const history = await model.fit([tf.tensor2d(encoderIn), tf.tensor2d(decoderIn)], tf.tensor3d(decoderOut), { epochs: 6, batchSize: 32 });
  const attentionModel = tf.model({ inputs: model.inputs, outputs: model.getLayer('attention').output });
  const weightsOfAttention = attentionModel.predict([tf.tensor2d([encoderIn[0]!]), tf.tensor2d([decoderIn[0]!])]) as ReturnType<typeof tf.tensor3d>;
  if (weightsOfAttention.shape.join() !== `1,${outputLength},${inputLength}`) throw new Error('attention weights have the wrong shape');
  return { losses: lossesOf(history), weights: model.getWeights() };
};
export default program;
