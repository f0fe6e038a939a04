// The modern tutorial through vb.data: a seeded shuffle buffer, batches of 32 and prefetching.
// The shuffle order of epoch e is drawn from foldIn(key(42), e): different every epoch, the same
// on every run.
import * as vb from 'verbatim';

vb.setRandomSeed(42);
vb.enableOpDeterminism();

const rng = vb.random.generator(42);
const xs = rng.normal([1000, 20]);
const ys = vb.cast(vb.greater(vb.sum(xs, 1, true), 0), 'float32');

const dataset = vb.data.fromTensorSlices({ xs, ys })
  .shuffle(256, { seed: 42 })
  .batch(32)
  .prefetch(2);

const model = vb.sequential({
  layers: [
    vb.layers.dense({ units: 32, activation: 'relu', inputShape: [20] }),
    vb.layers.dropout({ rate: 0.2 }),
    vb.layers.dense({ units: 1, activation: 'sigmoid' }),
  ],
});
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
const history = await model.fit(dataset, { epochs: 3, verbose: 2 });

console.log('history', JSON.stringify(history.history));
console.log('digest', model.weightsDigest());
