import * as vb from 'verbatim';
vb.setRandomSeed(1);
const rng = vb.random.generator(42);
const x = rng.normal([1000, 20]);
const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
const model = vb.sequential({ layers: [vb.layers.dense({ units: 32, activation: 'relu', inputShape: [20] }), vb.layers.dropout({ rate: 0.2 }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
const rates = [];
for (let e = 0; e < 20; e++) { const t0 = performance.now(); await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false }); rates.push(Math.round(1000 / ((performance.now() - t0) / 1000))); }
console.log(rates.join(' '));
