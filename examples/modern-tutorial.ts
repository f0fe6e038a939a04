// The modern reproducibility tutorial in verbatim: one seed, strict mode, and the run prints the
// same history and weights digest on every run, in every process, on every machine.
import * as vb from 'verbatim';

vb.setRandomSeed(42);
vb.enableOpDeterminism();

const rng = vb.random.generator(42);
const x = rng.normal([1000, 20]);
const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');

const model = vb.sequential({
  layers: [
    vb.layers.dense({ units: 32, activation: 'relu', inputShape: [20] }),
    vb.layers.dropout({ rate: 0.2 }),
    vb.layers.dense({ units: 1, activation: 'sigmoid' }),
  ],
});
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
const history = await model.fit(x, y, { epochs: 3, batchSize: 32, shuffle: false, verbose: 2 });

console.log('history', JSON.stringify(history.history));
console.log('digest', model.weightsDigest());
