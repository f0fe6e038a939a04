/**
 * Masks in training, with Keras 3's semantics: GlobalAveragePooling1D averages the unmasked
 * steps. Known answers, and the unpadded sequences.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';

const L = vb.layers;
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));
const scalars = (result: vb.Tensor | vb.Tensor[]) => (Array.isArray(result) ? result : [result]).map((t) => t.dataSync()[0]!);

/** Runs `body` with console.warn collected. */
function warningsOf(body: () => void): string[] {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    body();
  } finally {
    console.warn = warn;
  }
  return warnings;
}

/** A model made twice, built for padded and for plain sequences: the second gets the first's weights. */
function twin(make: () => vb.LayersModel, padded: number[], plain: number[]): [vb.LayersModel, vb.LayersModel] {
  const a = make();
  a.predict(vb.zeros(padded, 'int32'));
  const b = make();
  b.predict(vb.zeros(plain, 'int32'));
  b.setWeights(a.getWeights());
  return [a, b];
}

describe('masked pooling', () => {
  it('globalAveragePooling1d averages the unmasked steps only (Keras 3): known answers, NaN at masked steps counts for nothing', () => {
    const x = vb.tensor3d([
      [[1, 2], [100, 100], [3, 4], [5, 6]],
      [[NaN, 1], [9, 9], [7, 8], [Infinity, 0]],
    ]);
    const mask = vb.tensor([[1, 0, 1, 1], [0, 0, 1, 0]], [2, 4], 'bool');
    const pooled = L.globalAveragePooling1d().apply(x, { mask }) as vb.Tensor;
    assert.deepEqual(pooled.arraySync(), [[3, 4], [7, 8]]);
    const kept = L.globalAveragePooling1d({ keepDims: true }).apply(x, { mask }) as vb.Tensor;
    assert.deepEqual(kept.arraySync(), [[[3, 4]], [[7, 8]]]);
    const first = L.globalAveragePooling1d({ dataFormat: 'channelsFirst' }).apply(vb.transpose(x, [0, 2, 1]), { mask }) as vb.Tensor;
    assert.deepEqual(first.arraySync(), [[3, 4], [7, 8]]);
    // No unmasked step: 0 / 0, as Keras.
    const none = L.globalAveragePooling1d().apply(vb.ones([1, 2, 2]), { mask: vb.tensor([[0, 0]], [1, 2], 'bool') }) as vb.Tensor;
    assert.deepEqual(none.arraySync(), [[NaN, NaN]]);
    assert.throws(() => L.globalAveragePooling1d().apply(x, { mask: vb.ones([2, 3], 'bool') }),
      /^ValueError: GlobalAveragePooling1D \(global_average_pooling1d(_\d+)?\): Expected a mask of shape \[2, 4\] \(batch, steps\)\. Received: mask\.shape=\[2, 3\]$/);
  });

  it('embedding(maskZero) -> globalAveragePooling1d -> dense: a padded sequence predicts, evaluates and trains as the unpadded one; no warning', async () => {
    vb.setRandomSeed(41);
    const make = () => vb.sequential({ layers: [L.embedding({ inputDim: 10, outputDim: 4, maskZero: true }), L.globalAveragePooling1d(), L.dense({ units: 1, activation: 'sigmoid' })] });
    const [padded, plain] = twin(make, [1, 5], [1, 3]);
    const y = vb.tensor2d([[1]]);
    const warnings = warningsOf(() => {
      for (const ids of [[0, 3, 0, 7, 2], [3, 7, 2, 0, 0]]) {
        assert.deepEqual(bits(padded.predict(vb.tensor([ids], [1, 5], 'int32')) as vb.Tensor), bits(plain.predict(vb.tensor([[3, 7, 2]], [1, 3], 'int32')) as vb.Tensor), `padded ${ids}`);
      }
    });
    assert.deepEqual(warnings, []);
    for (const m of [padded, plain]) m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    assert.deepEqual(scalars(padded.evaluate(vb.tensor([[3, 0, 7, 2, 0]], [1, 5], 'int32'), y)), scalars(plain.evaluate(vb.tensor([[3, 7, 2]], [1, 3], 'int32'), y)));
    for (let step = 0; step < 3; step++) {
      await padded.trainOnBatch(vb.tensor([[0, 0, 3, 7, 2]], [1, 5], 'int32'), y);
      await plain.trainOnBatch(vb.tensor([[3, 7, 2]], [1, 3], 'int32'), y);
    }
    padded.getWeights().forEach((w, i) => assert.deepEqual(bits(w), bits(plain.getWeights()[i]!), `weight ${i} after three steps`));
  });

  it('globalMaxPooling1d drops the mask with a warning and takes the max over every step (Keras 3: no mask support)', () => {
    vb.setRandomSeed(42);
    const embedding = L.embedding({ inputDim: 10, outputDim: 3, maskZero: true });
    const model = vb.sequential({ layers: [embedding, L.globalMaxPooling1d()] });
    const ids = vb.tensor([[0, 4, 5]], [1, 3], 'int32');
    let out: vb.Tensor | undefined;
    const warnings = warningsOf(() => { out = model.predict(ids) as vb.Tensor; });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /global_max_pooling1d.*does not support masking/);
    assert.deepEqual(bits(out!), bits(vb.max(embedding.apply(ids) as vb.Tensor, 1)), 'the padded step counts');
  });
});
