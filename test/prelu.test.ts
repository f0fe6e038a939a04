/**
 * The PReLU layer: the layer harness (shapes, weights, config round trip, a training step, bad
 * arguments, the same bits on every backend), values and gradients (alpha's and the input's)
 * against TF.js 4.22 and finite differences, and model files both ways with TF.js.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runLayerTest } from './helpers/layer-harness.js';

before(async () => {
  await tf.setBackend('cpu');
});

const make = (args: Record<string, unknown>) => vb.layers.prelu(args as vb.layers.PReLUArgs);
const close = (ours: ArrayLike<number>, theirs: ArrayLike<number>, label: string, tolerance = 1e-6) => {
  assert.equal(ours.length, theirs.length, `${label}: lengths`);
  for (let i = 0; i < ours.length; i++) {
    assert.ok(Math.abs(ours[i]! - theirs[i]!) <= tolerance * Math.max(1, Math.abs(theirs[i]!)), `${label}[${i}]: verbatim ${ours[i]}, TF.js ${theirs[i]}`);
  }
};

describe('PReLU layer harness', () => {
  it('one alpha per element', () => runLayerTest({
    name: 'prelu', make, args: {}, inputShapes: [[2, 4]], outputShapes: [[null, 4]], weights: [['alpha', [4]]],
    badArgs: [
      [{ sharedAxes: 0 }, /sharedAxes=0/], [{ sharedAxes: [1, 'x'] }, /sharedAxes=\[1, "x"\]/], [{ alphaInitializer: 'nope' }, /initializer="nope"/],
      [{ alphaConstraint: 'l2' }, /alphaConstraint="l2"/], [{ alphaRegularizer: 'l3' }, /l3/],
    ],
  }));

  it('alpha shared along the spatial axes of an image (one per channel), regularized', () => runLayerTest({
    name: 'prelu shared', make, args: { sharedAxes: [1, 2], alphaInitializer: 'ones', alphaRegularizer: 'l2' },
    inputShapes: [[2, 3, 3, 2], [1, 5, 4, 2]], outputShapes: [[null, 3, 3, 2], [null, 5, 4, 2]], weights: [['alpha', [1, 1, 2]]],
  }));

  it('computes x for x >= 0 and alpha x below; a shared axis outside the input, or an unknown unshared dimension, is an error', () => {
    const layer = vb.layers.prelu({ alphaInitializer: 'constant' });
    layer.apply(vb.zeros([1, 4])).dispose();
    layer.setWeights([vb.tensor([0.5, -2, 0, 0.25])]);
    assert.deepEqual(Array.from(layer.apply(vb.tensor([[-2, -1, -3, 4], [1, 3, 0, -8]])).dataSync()), [-1, 2, 0, 4, 1, 3, 0, -2]);
    assert.throws(() => layer.apply(vb.zeros([1, 5])), /Expected inputs of shape \[batch, 4\]\. Received: inputs\.shape=\[1, 5\]/);
    // int32 and bool inputs compute in float32, as in the other activation layers (bool failed naming relu;
    // int32's -2^31 was negated in int32, where it stays -2^31).
    const ints = layer.apply(vb.tensor([[-2, 1, 0, -2147483648]], [1, 4], 'int32'));
    assert.equal(ints.dtype, 'float32');
    assert.deepEqual(Array.from(ints.dataSync()), [-1, 1, 0, -536870912]);
    assert.deepEqual(Array.from(layer.apply(vb.tensor([[true, false, true, true]], [1, 4], 'bool')).dataSync()), [1, 0, 1, 1]);
    assert.throws(() => vb.layers.prelu({ sharedAxes: 3 }).apply(vb.zeros([1, 4, 2])), /Expected sharedAxes among the input's axes 1 to 2/);
    assert.throws(() => vb.sequential({ layers: [vb.layers.prelu({ inputShape: [null, 3] })] }), /Expected an input whose dimensions are known, except along sharedAxes/);
    const shared = vb.sequential({ layers: [vb.layers.prelu({ inputShape: [null, 3], sharedAxes: 1 })] });
    assert.deepEqual(shared.predict(vb.zeros([1, 7, 3])).shape, [1, 7, 3], 'sequences of any length, alpha shared along time');
    assert.deepEqual(shared.getConfig().layers, [{ className: 'PReLU', name: 'p_re_lu', config: { alphaInitializer: 'zeros', alphaRegularizer: null, sharedAxes: [1] } }]);
    shared.dispose();
  });
});

describe('PReLU against TF.js 4.22', () => {
  function models(sharedAxes?: number[]) {
    vb.setRandomSeed(4);
    const ours = vb.sequential({ layers: [
      vb.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 2] }), vb.layers.prelu({ alphaInitializer: 'randomNormal', ...(sharedAxes ? { sharedAxes } : {}) }),
      vb.layers.flatten(), vb.layers.dense({ units: 2 }),
    ] });
    const theirs = tf.sequential({ layers: [
      tf.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 2] }), tf.layers.prelu(sharedAxes ? { sharedAxes } : {}), tf.layers.flatten(), tf.layers.dense({ units: 2 }),
    ] });
    theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync(), [...w.shape])));
    return { ours, theirs };
  }
  const x = vb.random.normal(vb.random.key(5), [6, 4, 4, 2]);
  const y = vb.random.normal(vb.random.key(6), [6, 2]);

  for (const sharedAxes of [undefined, [1, 2]]) {
    it(`predictions and one SGD step (gradients of alpha, the kernel and the inputs) ${sharedAxes ? 'with sharedAxes [1, 2]' : 'per element'}`, async () => {
      const { ours, theirs } = models(sharedAxes);
      const tx = tf.tensor(x.dataSync(), [...x.shape]);
      const ty = tf.tensor(y.dataSync(), [...y.shape]);
      close(ours.predict(x).dataSync(), (theirs.predict(tx) as tf.Tensor).dataSync(), 'predictions');
      // The inputs' gradient through the layer (TF.js's prelu kernel against Keras's relu(x) - alpha relu(-x)).
      const ourGrad = vb.grad((t: vb.Tensor) => vb.sum(vb.square(ours.predict(t))))(x);
      const theirGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.square(theirs.predict(t) as tf.Tensor)))(tx);
      close(ourGrad.dataSync(), theirGrad.dataSync(), 'd/dx', 1e-5);
      const alphaBefore = Array.from(ours.getWeights()[2]!.dataSync());
      ours.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
      theirs.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      await ours.trainOnBatch(x, y);
      await theirs.trainOnBatch(tx, ty);
      const trained = ours.getWeights();
      trained.forEach((w, i) => close(w.dataSync(), theirs.getWeights()[i]!.dataSync(), `weight ${i} after one step`, 1e-5));
      assert.notDeepEqual(Array.from(trained[2]!.dataSync()), alphaBefore, 'the step moved alpha');
      ours.dispose();
      theirs.dispose();
    });
  }

  it('alpha\'s gradient agrees with finite differences', () => {
    const layer = vb.layers.prelu({ alphaInitializer: 'randomNormal' });
    const input = vb.random.normal(vb.random.key(7), [5, 3]);
    const probe = vb.random.normal(vb.random.key(8), [5, 3]);
    layer.apply(input).dispose();
    const alpha = layer.weights[0]!.variable;
    const f = () => vb.sum(vb.mul(layer.apply(input), probe));
    const { grads } = vb.variableGrads(f, [alpha]);
    const analytic = grads[alpha.name]!.dataSync();
    const start = Float32Array.from(alpha.dataSync());
    for (let i = 0; i < start.length; i++) {
      const at = (delta: number) => { const v = start.slice(); v[i]! += delta; alpha.assign(vb.tensor(v, [3])); return f().dataSync()[0]!; };
      const numeric = (at(1e-2) - at(-1e-2)) / 2e-2;
      assert.ok(Math.abs(numeric - analytic[i]!) < 1e-3, `d/dalpha[${i}]: ${analytic[i]} vs ${numeric}`);
      // The gradient is sum over the batch of probe * min(x, 0), never 0 for these inputs.
      assert.notEqual(analytic[i], 0);
    }
    alpha.assign(vb.tensor(start, [3]));
  });

  it('saved by verbatim, TF.js loads it and predicts the same; saved by TF.js, verbatim loads it', async () => {
    const { ours, theirs } = models([1, 2]);
    const tx = tf.tensor(x.dataSync(), [...x.shape]);
    const handler = <A>(keep: (a: A) => void) => async (a: A) => { keep(a); return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }; };
    let saved: vb.ModelArtifacts | undefined;
    await ours.save(vb.io.withSaveHandler(handler((a: vb.ModelArtifacts) => { saved = a; })));
    const layerJson = (saved!.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers.find((l) => l.class_name === 'PReLU')!;
    assert.deepEqual(layerJson.config.shared_axes, [1, 2]);
    assert.deepEqual(layerJson.config.alpha_initializer, { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } });
    const inTfjs = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    assert.deepEqual(Array.from((inTfjs.predict(tx) as tf.Tensor).dataSync()), Array.from((theirs.predict(tx) as tf.Tensor).dataSync()));
    close(ours.predict(x).dataSync(), (inTfjs.predict(tx) as tf.Tensor).dataSync(), 'TF.js predicting from verbatim\'s file');

    let fromTfjs: tf.io.ModelArtifacts | undefined;
    await theirs.save(tf.io.withSaveHandler(handler((a: tf.io.ModelArtifacts) => { fromTfjs = a; })));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(fromTfjs as vb.ModelArtifacts));
    const prelu = loaded.layers.find((l) => l.className === 'PReLU')!;
    assert.deepEqual(prelu.getConfig(), { alphaInitializer: 'zeros', alphaRegularizer: null, sharedAxes: [1, 2] });
    assert.deepEqual(Array.from((loaded.predict(x) as vb.Tensor).dataSync()), Array.from(ours.predict(x).dataSync()), 'the same weights, the same bits as the original');
    loaded.dispose();
    inTfjs.dispose();
    ours.dispose();
    theirs.dispose();
  });
});
