import * as vb from 'verbatim';
if (process.argv[2]) vb.setBackend(process.argv[2]);
if (process.argv[3]) vb.setNumThreads(Number(process.argv[3]));
vb.setRandomSeed(1);
async function A() {
  const rng = vb.random.generator(42);
  const x = rng.normal([1000, 20]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
  const model = vb.sequential({ layers: [vb.layers.dense({ units: 32, activation: 'relu', inputShape: [20] }), vb.layers.dropout({ rate: 0.2 }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
  const dt = (performance.now() - t0) / 1000;
  console.log('A', (3000 / dt).toFixed(0), 'ex/s');
}
async function B() {
  const rng = vb.random.generator(43);
  const x = rng.uniform([8192, 784]);
  const labels = rng.integers([8192], 0, 10);
  const y = vb.oneHot(labels, 10);
  const model = vb.sequential({ layers: [vb.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }), vb.layers.dense({ units: 512, activation: 'relu' }), vb.layers.dense({ units: 10, activation: 'softmax' })] });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await model.fit(vb.slice(x, [0], [1024]), vb.slice(y, [0], [1024]), { epochs: 1, batchSize: 128, verbose: 0 });
  const t0 = performance.now();
  await model.fit(x, y, { epochs: 2, batchSize: 128, verbose: 0 });
  const dt = (performance.now() - t0) / 1000;
  console.log('B', (2 * 8192 / dt).toFixed(0), 'ex/s');
}
await A();
if (process.argv[2] !== 'reference') await B();
