/**
 * One test harness for every layer (Keras's run_layer_test idea). For a layer factory and a few
 * input shapes it checks: computeOutputShape against the real output shape; the weights' names
 * (`<path>/<weight>`) and shapes; that a copy made from getConfig() has the same config and,
 * given the same weights, the same outputs bit for bit; that one training step changes the
 * weights; that the reference and WASM backends (1 and 3 threads) give the same bits, in
 * inference and training mode; optional finite-difference gradients; and that each bad argument
 * fails with an "Expected X. Received: arg=value" error naming it.
 */
import assert from 'node:assert/strict';
import * as vb from 'verbatim';

export interface LayerTestCase {
  name: string;
  /** Makes the layer from its constructor arguments (getConfig() must be accepted back). */
  make: (args: Record<string, unknown>) => vb.layers.Layer;
  args: Record<string, unknown>;
  /** Example input shapes, batch first; every one is run. */
  inputShapes: number[][];
  /** The expected output shape (batch first, null for the batch) per input shape. */
  outputShapes: (number | null)[][];
  /** Weight names (after the layer's path) and shapes, in order, for the first input shape. */
  weights: [string, number[]][];
  /** The input dtype ('float32' unless given); int32 inputs are drawn from [0, intRange). */
  inputDtype?: 'float32' | 'int32';
  intRange?: number;
  /** Whether outputs are differentiable in the inputs (checked by finite differences). */
  smooth?: boolean;
  /** Constructor arguments that must be rejected, with a part of the message naming them. */
  badArgs?: [Record<string, unknown>, RegExp][];
}

function input(c: LayerTestCase, shape: number[], seed: number): vb.Tensor {
  const key = vb.random.key(seed);
  if (c.inputDtype === 'int32') return vb.random.randint(key, shape, 0, c.intRange ?? 10);
  return vb.random.normal(key, shape);
}

const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

function outputsOf(c: LayerTestCase, training: boolean): number[][] {
  return c.inputShapes.map((shape, i) => {
    vb.setRandomSeed(7);
    const layer = c.make(c.args);
    // A fixed model name: weight keys derive from it, so every backend starts from the same weights.
    const model = vb.sequential({ name: 'harness_bits', layers: [layer] });
    const x = input(c, shape, 100 + i);
    const y = training ? layer.apply(x, { training: true, step: 3 }) : model.predict(x);
    const result = bits(y);
    model.dispose();
    return result;
  });
}

export async function runLayerTest(c: LayerTestCase): Promise<void> {
  vb.setRandomSeed(1);
  const layer = c.make(c.args);
  const model = vb.sequential({ name: 'harness', layers: [layer] });
  const x = input(c, c.inputShapes[0]!, 2);
  const y = model.predict(x);

  // Output shapes, computed and real.
  c.inputShapes.forEach((shape, i) => {
    const expected = c.outputShapes[i]!;
    assert.deepEqual(layer.computeOutputShape([null, ...shape.slice(1)]), expected, `${c.name}: computeOutputShape for ${JSON.stringify(shape)}`);
    if (i === 0) assert.deepEqual(y.shape, [shape[0], ...expected.slice(1)], `${c.name}: output shape`);
  });

  // Weight names and shapes.
  const weights = layer.weights.map((w) => [w.variable.name.slice(layer.path.length + 1), [...w.variable.shape]]);
  assert.deepEqual(weights, c.weights, `${c.name}: weights`);
  for (const w of layer.weights) assert.ok(w.variable.name.startsWith(`harness/${layer.name}/`), `${c.name}: weight ${w.variable.name} under the model and layer`);

  // Config round trip: the same config, and the same outputs given the same weights.
  const config = layer.getConfig();
  const copy = c.make({ ...config, name: `${layer.name}_copy` });
  assert.deepEqual({ ...copy.getConfig() }, { ...config }, `${c.name}: getConfig round trip`);
  const copyModel = vb.sequential({ name: 'harness_copy', layers: [copy] });
  copyModel.predict(x).dispose();
  copyModel.setWeights(model.getWeights());
  assert.deepEqual(bits(copyModel.predict(x)), bits(y), `${c.name}: a copy from its config, with the same weights, computes the same bits`);
  copyModel.dispose();

  // One training step changes every trainable weight (for layers that have some).
  if (layer.weights.length > 0) {
    model.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1 }), loss: 'mse' });
    const before = layer.weights.map((w) => bits(w.variable));
    const target = vb.random.normal(vb.random.key(3), [...y.shape]);
    const loss = await model.trainOnBatch(x, target);
    assert.ok(Number.isFinite(loss as number), `${c.name}: finite training loss`);
    layer.weights.forEach((w, i) => {
      if (w.variable.trainable) assert.notDeepEqual(bits(w.variable), before[i], `${c.name}: the step changed ${w.variable.name}`);
    });
  }

  // Finite differences of the inputs' gradient.
  if (c.smooth) {
    const probe = vb.random.normal(vb.random.key(4), [...y.shape]);
    const f = (t: vb.Tensor) => vb.sum(vb.mul(layer.apply(t), probe));
    const analytic = vb.grad(f)(x).dataSync();
    const values = x.dataSync() as Float32Array;
    for (let i = 0; i < values.length; i += Math.max(1, Math.floor(values.length / 12))) {
      const h = 1e-2;
      const at = (delta: number) => { const v = values.slice(); v[i]! += delta; return f(vb.tensor(v, [...x.shape])).dataSync()[0]!; };
      const numeric = (at(h) - at(-h)) / (2 * h);
      assert.ok(Math.abs(numeric - analytic[i]!) <= 3e-2 * Math.max(1, Math.abs(numeric)), `${c.name}: d/dx[${i}] ${analytic[i]} vs ${numeric}`);
    }
  }
  model.dispose();

  // Bad arguments.
  for (const [args, message] of c.badArgs ?? []) {
    assert.throws(() => c.make({ ...c.args, ...args }), (e: Error) => /Expected/.test(e.message) && /Received:/.test(e.message) && message.test(e.message),
      `${c.name}: ${JSON.stringify(args)} should be rejected with a message matching ${message}`);
  }

  // The same bits on every backend and thread count, in inference and in training mode.
  if (vb.backendNames().includes('wasm')) {
    const previous = vb.getBackend();
    try {
      vb.setBackend('reference');
      const expected = [outputsOf(c, false), outputsOf(c, true)];
      vb.setBackend('wasm');
      for (const threads of [1, 3]) {
        vb.setNumThreads(threads);
        assert.deepEqual([outputsOf(c, false), outputsOf(c, true)], expected, `${c.name}: wasm with ${threads} threads gives the reference's bits`);
      }
    } finally {
      vb.setBackend(previous);
    }
  }
}
