// A text classifier with an embedding and an LSTM, on sentences the example makes itself (no
// download): 1 to 24 words from a vocabulary of 100, padded with 0 to 24; words 1-10 are
// "positive", 11-20 "negative", the rest neutral, and a sentence is positive when it has more
// positive than negative words. The embedding's mask (maskZero) makes the LSTM skip the padding.
// It prints the test accuracy (chance is about 1/2) and the weights digest.
import * as vb from 'verbatim';

vb.setRandomSeed(42);
vb.enableOpDeterminism();

const VOCABULARY = 100;
const LENGTH = 24;

/** `count` padded sentences and their labels, from a generator of this seed. */
function makeSentences(seed: number, count: number): { words: vb.Tensor; labels: vb.Tensor } {
  const rng = vb.random.generator(seed);
  const lengths = rng.integers([count], 1, LENGTH + 1).dataSync();
  const draws = rng.integers([count, LENGTH], 1, VOCABULARY).dataSync();
  const words = new Int32Array(count * LENGTH);
  const labels = new Float32Array(count);
  for (let n = 0; n < count; n++) {
    let score = 0;
    for (let t = 0; t < lengths[n]!; t++) {
      const w = draws[n * LENGTH + t]!;
      words[n * LENGTH + t] = w;
      score += w <= 10 ? 1 : w <= 20 ? -1 : 0;
    }
    labels[n] = score > 0 ? 1 : 0;
  }
  return { words: vb.tensor(words, [count, LENGTH], 'int32'), labels: vb.tensor(labels, [count, 1]) };
}

const model = vb.sequential({
  name: 'text_classifier',
  layers: [
    vb.layers.embedding({ inputDim: VOCABULARY, outputDim: 16, maskZero: true, inputLength: LENGTH }),
    vb.layers.lstm({ units: 16 }),
    vb.layers.dense({ units: 1, activation: 'sigmoid' }),
  ],
});
model.compile({ optimizer: vb.optimizers.adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });

const train = makeSentences(1, 2000);
const test = makeSentences(2, 500);
const history = await model.fit(train.words, train.labels, { epochs: 6, batchSize: 32, shuffle: true, verbose: 2 });
const [, accuracy] = model.evaluate(test.words, test.labels) as vb.Tensor[];

console.log('history', JSON.stringify(history.history));
console.log('accuracy', accuracy!.dataSync()[0]);
console.log('digest', model.weightsDigest());
