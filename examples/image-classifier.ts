// An image classifier with seeded augmentation, on images the example draws itself (no
// download): 16x16 grayscale pictures of a horizontal bar, a vertical bar or a plus sign, at a
// random place, with noise. Random flips, translations and contrast are drawn per image from each
// layer's key and the training step: the same augmented batches on every run, fresh every step,
// and nothing at inference. It prints the test accuracy (chance is 1/3) and the weights digest.
import * as vb from 'verbatim';

vb.setRandomSeed(42);
vb.enableOpDeterminism();

const SIZE = 16;
const CLASSES = 3;

/** `count` images of the three shapes and their one-hot labels, from a generator of this seed. */
function makeImages(seed: number, count: number): { images: vb.Tensor; labels: vb.Tensor } {
  const rng = vb.random.generator(seed);
  const classes = rng.integers([count], 0, CLASSES).dataSync();
  const places = rng.integers([count, 2], 3, SIZE - 3).dataSync();
  const noise = rng.uniform([count, SIZE, SIZE], 0, 0.3).dataSync();
  const pixels = new Float32Array(count * SIZE * SIZE);
  for (let n = 0; n < count; n++) {
    const [row, col] = [places[2 * n]!, places[2 * n + 1]!];
    for (let i = 0; i < SIZE; i++) {
      for (let j = 0; j < SIZE; j++) {
        const horizontal = Math.abs(i - row) <= 1 && Math.abs(j - col) <= 4;
        const vertical = Math.abs(j - col) <= 1 && Math.abs(i - row) <= 4;
        const on = classes[n] === 0 ? horizontal : classes[n] === 1 ? vertical : horizontal || vertical;
        const p = (n * SIZE + i) * SIZE + j;
        pixels[p] = Math.min(1, noise[p]! + (on ? 0.8 : 0));
      }
    }
  }
  return { images: vb.tensor(pixels, [count, SIZE, SIZE, 1]), labels: vb.oneHot(vb.tensor(classes, [count], 'int32'), CLASSES) };
}

const model = vb.sequential({
  name: 'image_classifier',
  layers: [
    vb.layers.randomFlip({ mode: 'horizontal', inputShape: [SIZE, SIZE, 1] }),
    vb.layers.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1, fillMode: 'constant' }),
    vb.layers.randomContrast({ factor: 0.2 }),
    vb.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', padding: 'same' }),
    vb.layers.maxPooling2d({ poolSize: 2 }),
    vb.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' }),
    vb.layers.maxPooling2d({ poolSize: 2 }),
    vb.layers.flatten(),
    vb.layers.dropout({ rate: 0.3 }),
    vb.layers.dense({ units: CLASSES, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: vb.optimizers.adam({ learningRate: 0.003 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

const train = makeImages(1, 900);
const test = makeImages(2, 300);
const history = await model.fit(train.images, train.labels, { epochs: 5, batchSize: 32, shuffle: true, verbose: 2 });
const [, accuracy] = model.evaluate(test.images, test.labels) as vb.Tensor[];

console.log('history', JSON.stringify(history.history));
console.log('accuracy', accuracy!.dataSync()[0]);
console.log('digest', model.weightsDigest());
