/**
 * Preprocessing and augmentation layers: every layer through the layer harness; identity at
 * inference; the same augmented batches on every run, backend and thread count, fresh ones every
 * step and per example; a rotation by a hand-picked angle, a translation and a zoom against
 * float64 models of Keras's matrices; resizing and cropping against TF.js.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest, type LayerTestCase } from './helpers/layer-harness.js';
import { applyMap, rotationMatrix, transformMap } from './helpers/image-reference.js';

const L = vb.layers;
const make = <A>(factory: (args: A) => vb.layers.Layer) => (args: Record<string, unknown>) => factory(args as A);

const CASES: LayerTestCase[] = [
  {
    name: 'rescaling', make: make(L.rescaling), args: { scale: 1 / 255, offset: -0.5 }, inputShapes: [[2, 3, 4, 2], [2, 5]], outputShapes: [[null, 3, 4, 2], [null, 5]],
    weights: [], smooth: true, badArgs: [[{ scale: 'big' }, /scale="big"/], [{ offset: [Number.NaN] }, /offset=\[NaN\]/]],
  },
  { name: 'rescaling per channel', make: make(L.rescaling), args: { scale: [2, 0.5], offset: [1, 0] }, inputShapes: [[2, 3, 3, 2]], outputShapes: [[null, 3, 3, 2]], weights: [], smooth: true },
  {
    name: 'centerCrop', make: make(L.centerCrop), args: { height: 3, width: 2 }, inputShapes: [[2, 6, 5, 2], [1, 2, 4, 1]], outputShapes: [[null, 3, 2, 2], [null, 3, 2, 1]],
    weights: [], smooth: true, badArgs: [[{ height: 0 }, /height=0/], [{ width: 2.5 }, /width=2.5/], [{ dataFormat: 'NHWC' }, /dataFormat="NHWC"/]],
  },
  {
    name: 'resizing bilinear', make: make(L.resizing), args: { height: 5, width: 7 }, inputShapes: [[2, 3, 4, 2]], outputShapes: [[null, 5, 7, 2]],
    weights: [], smooth: true, badArgs: [[{ interpolation: 'bicubic' }, /interpolation="bicubic"/], [{ cropToAspectRatio: 'yes' }, /cropToAspectRatio="yes"/]],
  },
  { name: 'resizing nearest, cropToAspectRatio, channelsFirst', make: make(L.resizing), args: { height: 4, width: 4, interpolation: 'nearest', cropToAspectRatio: true, dataFormat: 'channelsFirst' }, inputShapes: [[2, 2, 6, 9]], outputShapes: [[null, 2, 4, 4]], weights: [] },
  {
    name: 'randomFlip', make: make(L.randomFlip), args: { seed: 3 }, inputShapes: [[4, 3, 4, 2]], outputShapes: [[null, 3, 4, 2]], weights: [], smooth: true,
    badArgs: [[{ mode: 'diagonal' }, /mode="diagonal"/], [{ seed: 1.5 }, /seed=1.5/]],
  },
  {
    name: 'randomRotation', make: make(L.randomRotation), args: { factor: 0.2 }, inputShapes: [[3, 5, 6, 2]], outputShapes: [[null, 5, 6, 2]], weights: [], smooth: true,
    badArgs: [[{ factor: 1.5 }, /factor=1.5/], [{ fillMode: 'mirror' }, /fillMode="mirror"/], [{ interpolation: 'area' }, /interpolation="area"/], [{ fillValue: 'zero' }, /fillValue="zero"/]],
  },
  {
    name: 'randomTranslation', make: make(L.randomTranslation), args: { heightFactor: [-0.2, 0.3], widthFactor: 0.4, fillMode: 'wrap', interpolation: 'nearest' },
    inputShapes: [[3, 5, 6, 2]], outputShapes: [[null, 5, 6, 2]], weights: [], badArgs: [[{ widthFactor: [0.1, 2] }, /widthFactor=\[0.1, 2\]/]],
  },
  {
    name: 'randomZoom', make: make(L.randomZoom), args: { heightFactor: 0.3, widthFactor: [-0.2, 0.1], fillMode: 'constant', fillValue: 0.25, seed: 11 },
    inputShapes: [[3, 5, 6, 2]], outputShapes: [[null, 5, 6, 2]], weights: [], badArgs: [[{ heightFactor: [1, 2, 3] }, /heightFactor=\[1, 2, 3\]/]],
  },
  {
    name: 'randomCrop', make: make(L.randomCrop), args: { height: 3, width: 4 }, inputShapes: [[2, 6, 7, 2], [1, 3, 4, 1]], outputShapes: [[null, 3, 4, 2], [null, 3, 4, 1]],
    weights: [], smooth: true, badArgs: [[{ height: -3 }, /height=-3/]],
  },
  {
    name: 'randomContrast', make: make(L.randomContrast), args: { factor: [0.2, 0.5], valueRange: [-10, 10] }, inputShapes: [[3, 4, 5, 2]], outputShapes: [[null, 4, 5, 2]], weights: [],
    badArgs: [[{ factor: 1.5 }, /factor=1.5/], [{ factor: -0.1 }, /factor=-0.1/], [{ valueRange: [1, 0] }, /valueRange=\[1, 0\]/]],
  },
];

const seeded = (shape: number[], seed: number) => vb.randomNormal(shape, 0, 1, 'float32', seed);
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const RANDOM_LAYERS = () => [
  L.randomFlip({}), L.randomRotation({ factor: 0.3 }), L.randomTranslation({ heightFactor: 0.3, widthFactor: 0.2 }),
  L.randomZoom({ heightFactor: 0.4 }), L.randomCrop({ height: 4, width: 5 }), L.randomContrast({ factor: 0.6, valueRange: [-5, 5] }),
];

function assertClose(ours: ArrayLike<number>, expected: ArrayLike<number>, label: string, tolerance = 1e-5): void {
  assert.equal(ours.length, expected.length, `${label}: size`);
  for (let i = 0; i < ours.length; i++) {
    if (!(Math.abs(ours[i]! - expected[i]!) <= tolerance * Math.max(1, Math.abs(expected[i]!)))) assert.fail(`${label}: element ${i}: ${ours[i]} vs ${expected[i]}`);
  }
}

/** A model of one layer named 'aug' whose training-mode output at `step` is returned. */
function augmented(layer: vb.layers.Layer, x: vb.Tensor, step: number): vb.Tensor {
  const model = vb.sequential({ name: 'aug', layers: [layer] });
  const y = layer.apply(x, { training: true, step });
  model.dispose();
  return y;
}

describe('preprocessing and augmentation layers', () => {
  before(() => tf.setBackend('cpu'));

  for (const c of CASES) it(`${c.name}: the layer harness`, async () => runLayerTest(c));

  it('random layers are the identity at inference; randomCrop crops the centre to the aspect ratio and resizes', () => {
    const x = seeded([3, 6, 8, 2], 1);
    for (const layer of RANDOM_LAYERS().filter((l) => !(l instanceof vb.layers.RandomCrop))) {
      const model = vb.sequential({ layers: [layer] });
      assert.deepEqual(bits(model.predict(x)), bits(x), `${layer.className} at inference`);
    }
    const ints = vb.tensor(Array.from({ length: 8 }, (_, i) => i), [2, 2, 2, 1], 'int32');
    assert.deepEqual([L.randomFlip({}).apply(ints).dtype, Array.from(L.randomZoom({ heightFactor: 0.2 }).apply(ints).dataSync())], ['float32', [0, 1, 2, 3, 4, 5, 6, 7]], 'integer images become float32, as Keras casts them');
    // Keras: crop height floor(8 * 4 / 5) = 6 (all of it), width floor(6 * 5 / 4) = 7 from column 0, then resize.
    const crop = vb.sequential({ layers: [L.randomCrop({ height: 4, width: 5 })] }).predict(x);
    const expected = tf.image.resizeBilinear(tf.tensor(x.dataSync() as Float32Array, [3, 6, 8, 2]).slice([0, 0, 0, 0], [3, 6, 7, 2]) as tf.Tensor4D, [4, 5], false, true);
    assertClose(crop.dataSync(), expected.dataSync(), 'randomCrop at inference');
  });

  it('resizing and centerCrop match TF.js tf.image.resize (half-pixel centres) and slicing', () => {
    const x = seeded([2, 7, 5, 3], 2);
    const twin = tf.tensor(x.dataSync() as Float32Array, [2, 7, 5, 3]) as tf.Tensor4D;
    assertClose(L.resizing({ height: 4, width: 9 }).apply(x).dataSync(), tf.image.resizeBilinear(twin, [4, 9], false, true).dataSync(), 'bilinear');
    assertClose(L.resizing({ height: 4, width: 9, interpolation: 'nearest' }).apply(x).dataSync(), tf.image.resizeNearestNeighbor(twin, [4, 9], false, true).dataSync(), 'nearest');
    // cropToAspectRatio 1:1 of 7 x 5: the centred 5 x 5 window from row 1.
    const square = tf.image.resizeBilinear(twin.slice([0, 1, 0, 0], [2, 5, 5, 3]) as tf.Tensor4D, [3, 3], false, true);
    assertClose(L.resizing({ height: 3, width: 3, cropToAspectRatio: true }).apply(x).dataSync(), square.dataSync(), 'cropToAspectRatio');
    assertClose(L.centerCrop({ height: 4, width: 2 }).apply(x).dataSync(), twin.slice([0, 1, 1, 0], [2, 4, 2, 3]).dataSync(), 'centre crop offsets floor(diff / 2)');
    assertClose(L.rescaling({ scale: 2, offset: 1 }).apply(x).dataSync(), twin.mul(2).add(1).dataSync(), 'rescaling');
  });

  it('the same seed gives the same augmentation on every run; another step or seed gives another', () => {
    const x = seeded([4, 6, 8, 2], 3);
    for (const factory of [() => L.randomRotation({ factor: 0.3, seed: 5 }), () => L.randomZoom({ heightFactor: 0.4, seed: 5 }), () => L.randomCrop({ height: 4, width: 5, seed: 5 })]) {
      const first = bits(augmented(factory(), x, 7));
      assert.deepEqual(bits(augmented(factory(), x, 7)), first, 'the same step twice');
      assert.notDeepEqual(bits(augmented(factory(), x, 8)), first, 'the next step');
    }
    // Unseeded layers draw from the global seed and the layer's path.
    vb.setRandomSeed(1);
    const a = bits(augmented(L.randomTranslation({ heightFactor: 0.3, widthFactor: 0.3 }), x, 0));
    vb.setRandomSeed(1);
    assert.deepEqual(bits(augmented(L.randomTranslation({ heightFactor: 0.3, widthFactor: 0.3 }), x, 0)), a, 'the same global seed');
    vb.setRandomSeed(2);
    assert.notDeepEqual(bits(augmented(L.randomTranslation({ heightFactor: 0.3, widthFactor: 0.3 }), x, 0)), a, 'another global seed');
  });

  it('each example of a batch gets its own transformation', () => {
    const one = seeded([1, 6, 6, 1], 4);
    const batch = vb.tile(one, [8, 1, 1, 1]);
    for (const layer of RANDOM_LAYERS().filter((l) => !(l instanceof vb.layers.RandomCrop))) {
      const y = augmented(layer, batch, 2);
      const images = new Set(vb.unstack(y).map((t) => bits(t).join(',')));
      assert.ok(images.size >= 2, `${layer.className}: ${images.size} distinct outputs for 8 copies of one image`);
    }
  });

  it('adding a layer shifts no other layer\'s randomness', () => {
    const x = seeded([3, 6, 6, 1], 5);
    vb.setRandomSeed(9);
    const alone = L.randomRotation({ factor: 0.3 });
    const modelA = vb.sequential({ name: 'shared', layers: [alone] });
    const expected = bits(alone.apply(x, { training: true, step: 4 }));
    modelA.dispose();
    const withOthers = L.randomRotation({ factor: 0.3 });
    const modelB = vb.sequential({ name: 'shared', layers: [withOthers, L.randomFlip({}), L.randomContrast({ factor: 0.5 })] });
    assert.deepEqual(bits(withOthers.apply(x, { training: true, step: 4 })), expected);
    modelB.dispose();
  });

  it('a rotation by a hand-picked angle (factor 1/12: 30 degrees) against the float64 rotation, and a counter-clockwise quarter turn', () => {
    const x = seeded([2, 7, 5, 2], 6);
    const y = augmented(L.randomRotation({ factor: [1 / 12, 1 / 12], fillMode: 'reflect' }), x, 0);
    const map = transformMap([2, 7, 5, 2], [rotationMatrix(Math.PI / 6, 7, 5)], 'bilinear', 'reflect');
    assertClose(y.dataSync(), applyMap(map, x.dataSync()), '30 degrees', 2e-5);
    // A quarter turn of [[1, 2, 3], [4, 5, 6], [7, 8, 9]] counter-clockwise is [[3, 6, 9], [2, 5, 8], [1, 4, 7]].
    const grid = vb.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const turned = augmented(L.randomRotation({ factor: [0.25, 0.25], interpolation: 'nearest' }), grid, 0);
    assert.deepEqual(Array.from(turned.dataSync()), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  });

  it('a translation and a zoom with fixed factors, by hand and against the float64 sampler', () => {
    const grid = vb.tensor(Array.from({ length: 16 }, (_, i) => i + 1), [1, 4, 4, 1]);
    // Down by 0.5 * 4 = 2 rows, right by 0.25 * 4 = 1 column, zeros shifted in.
    const moved = augmented(L.randomTranslation({ heightFactor: [0.5, 0.5], widthFactor: [0.25, 0.25], fillMode: 'constant' }), grid, 0);
    assert.deepEqual(Array.from(moved.dataSync()), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7]);
    const x = seeded([1, 6, 8, 1], 7);
    const zoomed = augmented(L.randomZoom({ heightFactor: [-0.5, -0.5], widthFactor: [0.25, 0.25] }), x, 0);
    const matrix = [1.25, 0, 3.5 * (1 - 1.25), 0, 0.5, 2.5 * (1 - 0.5), 0, 0];
    assertClose(zoomed.dataSync(), applyMap(transformMap([1, 6, 8, 1], [matrix], 'bilinear', 'reflect'), x.dataSync()), 'zoom');
  });

  it('randomFlip gives each image one of its flips, all of them over a batch; randomCrop a window of the input; randomContrast one factor per image', () => {
    const one = vb.tensor(Array.from({ length: 6 }, (_, i) => i), [1, 2, 3, 1]);
    const batch = vb.tile(one, [16, 1, 1, 1]);
    const variants = new Map<string, string>([
      ['0,1,2,3,4,5', 'none'], ['2,1,0,5,4,3', 'horizontal'], ['3,4,5,0,1,2', 'vertical'], ['5,4,3,2,1,0', 'both'],
    ]);
    const seen = new Set(vb.unstack(augmented(L.randomFlip({ seed: 1 }), batch, 0)).map((t) => variants.get(Array.from(t.dataSync()).join(','))));
    assert.deepEqual([...seen].sort(), ['both', 'horizontal', 'none', 'vertical']);
    const horizontal = new Set(vb.unstack(augmented(L.randomFlip({ mode: 'horizontal', seed: 1 }), batch, 0)).map((t) => variants.get(Array.from(t.dataSync()).join(','))));
    assert.deepEqual([...horizontal].sort(), ['horizontal', 'none']);

    const x = vb.reshape(vb.range(0, 2 * 6 * 7), [2, 6, 7, 1]);
    const offsets = new Set<string>();
    for (let step = 0; step < 6; step++) {
      const crop = augmented(L.randomCrop({ height: 3, width: 4, seed: 2 }), x, step).dataSync();
      const [top, left] = [Math.floor(crop[0]! / 7), crop[0]! % 7];
      offsets.add(`${top},${left}`);
      assert.deepEqual(Array.from(crop), Array.from(vb.slice(x, [0, top, left, 0], [2, 3, 4, 1]).dataSync()), `step ${step}: one window for the batch`);
    }
    assert.ok(offsets.size > 1, 'the window moves between steps');

    const images = seeded([4, 3, 5, 2], 8);
    const out = augmented(L.randomContrast({ factor: 0.5, valueRange: [-100, 100] }), images, 0);
    const factors = vb.unstack(images).map((image, i) => {
      const mean = vb.mean(image, [0, 1], true);
      const ratio = vb.div(vb.sub(vb.unstack(out)[i]!, mean), vb.sub(image, mean)).dataSync();
      ratio.forEach((r) => assert.ok(Math.abs(r - ratio[0]!) < 1e-3, `image ${i}: one factor (${r} vs ${ratio[0]})`));
      assert.ok(ratio[0]! >= 0.5 && ratio[0]! <= 1.5, `image ${i}: factor ${ratio[0]} in [0.5, 1.5]`);
      return ratio[0]!;
    });
    assert.ok(new Set(factors).size === 4, 'one factor per image');
  });

  it('training with augmentation gives the same weights on the reference and on WASM with 1, 2 and 3 threads', async (t) => {
    if (!vb.backendNames().includes('wasm')) return t.skip('no WASM backend here');
    const previous = { backend: vb.getBackend(), threads: vb.getNumThreads() };
    const train = async () => {
      vb.setRandomSeed(21);
      const x = vb.random.generator(1).normal([16, 6, 6, 1]);
      const y = vb.random.generator(2).normal([16, 1]);
      const model = vb.sequential({ name: 'augmented_training', layers: [
        L.randomFlip({ inputShape: [6, 6, 1] }), L.randomRotation({ factor: 0.1 }), L.randomZoom({ heightFactor: 0.2 }),
        L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1 }), L.randomContrast({ factor: 0.3, valueRange: [-3, 3] }),
        L.randomCrop({ height: 4, width: 4 }), L.flatten(), L.dense({ units: 1 }),
      ] });
      model.compile({ optimizer: 'sgd', loss: 'mse' });
      await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
      const digest = model.weightsDigest();
      model.dispose();
      return digest;
    };
    try {
      vb.setBackend('reference');
      const expected = await train();
      assert.equal(await train(), expected, 'a second run');
      vb.setBackend('wasm');
      for (const threads of [1, 2, 3]) {
        vb.setNumThreads(threads);
        assert.equal(await train(), expected, `wasm, ${threads} threads`);
      }
    } finally {
      vb.setBackend(previous.backend);
      vb.setNumThreads(previous.threads);
    }
  });
});
