// The classic tutorial: fit y = x + 0.1 on 0.0..0.9 ten times and print each model's MSE.
// Without a seed the ten values differ, and differ between runs of the script; with --seed N
// the list is identical on every run (each model is still initialised differently, from its
// own name: sequential, sequential_1, ...).
import * as vb from 'verbatim';

const seedFlag = process.argv.indexOf('--seed');
if (seedFlag >= 0) vb.setRandomSeed(Number(process.argv[seedFlag + 1]));

const sequence = Array.from({ length: 10 }, (_, i) => i / 10);
const x = vb.tensor2d(sequence.slice(0, -1), [9, 1]);
const y = vb.tensor2d(sequence.slice(1), [9, 1]);

const errors: number[] = [];
for (let repeat = 0; repeat < 10; repeat++) {
  const model = vb.sequential({
    layers: [vb.layers.dense({ units: 10, inputDim: 1 }), vb.layers.dense({ units: 1 })],
  });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  await model.fit(x, y, { epochs: 100, batchSize: 9, verbose: 0 });
  const mse = vb.tidy(() => vb.mean(vb.square(vb.sub(model.predict(x), y))).dataSync()[0]!);
  errors.push(mse);
  // Under `verbatim run` this is recorded as a custom value: `ls`, the summary and the report use it.
  vb.runs.log('mse', mse, { step: repeat });
  console.log(`repeat ${repeat + 1}: mse ${mse}`);
  model.dispose();
}
console.log('seed', String(vb.getRandomSeed()));
console.log('errors', JSON.stringify(errors));
