/**
 * vb.losses.* and vb.metrics.* as TF.js's functions returning tensors (TF.js 4.22 as the oracle),
 * the Keras loss and metric strings compile accepts (against float64 formulas), and the old
 * Keras-style objects, which compile still takes.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { assertClose, assertTensorClose } from './helpers/close.js';

before(async () => {
  await tf.setBackend('cpu');
});

const LABELS = [[0, 1, 1], [1, 0, 0], [0, 0, 1], [1, 1, 0]];
const PREDS = [[0.1, 0.8, 0.6], [0.7, 0.3, 0.2], [0.4, 0.2, 0.9], [0.6, 0.45, 0.05]];
const LOGITS = [[-1.2, 2.1, 0.3], [0.5, -0.7, 1.9], [2.2, 0.1, -0.4], [-0.3, 0.9, 0.8]];
const WEIGHTS = [[1], [0], [2], [0.5]];

describe('vb.losses as tf.losses functions', () => {
  const REDUCTIONS = [undefined, vb.Reduction.NONE, vb.Reduction.MEAN, vb.Reduction.SUM, vb.Reduction.SUM_BY_NONZERO_WEIGHTS] as const;
  type Case = [string, (w: number[][] | undefined, r: vb.Reduction | undefined) => vb.Tensor, (w: tf.Tensor | undefined, r: tf.Reduction | undefined) => tf.Tensor];
  const y = () => tf.tensor2d(LABELS);
  const p = () => tf.tensor2d(PREDS);
  const CASES: Case[] = [
    ['meanSquaredError', (w, r) => vb.losses.meanSquaredError(LABELS, PREDS, w, r), (w, r) => tf.losses.meanSquaredError(y(), p(), w, r)],
    ['absoluteDifference', (w, r) => vb.losses.absoluteDifference(LABELS, PREDS, w, r), (w, r) => tf.losses.absoluteDifference(y(), p(), w, r)],
    ['hingeLoss', (w, r) => vb.losses.hingeLoss(LABELS, LOGITS, w, r), (w, r) => tf.losses.hingeLoss(y(), tf.tensor2d(LOGITS), w, r)],
    ['huberLoss', (w, r) => vb.losses.huberLoss(LABELS, LOGITS, w, 0.7, r), (w, r) => tf.losses.huberLoss(y(), tf.tensor2d(LOGITS), w, 0.7, r)],
    ['logLoss', (w, r) => vb.losses.logLoss(LABELS, PREDS, w, 1e-6, r), (w, r) => tf.losses.logLoss(y(), p(), w, 1e-6, r)],
    ['cosineDistance', (w, r) => vb.losses.cosineDistance(LABELS, PREDS, 1, w, r), (w, r) => tf.losses.cosineDistance(y(), p(), 1, w, r)],
    ['sigmoidCrossEntropy', (w, r) => vb.losses.sigmoidCrossEntropy(LABELS, LOGITS, w, 0.1, r), (w, r) => tf.losses.sigmoidCrossEntropy(y(), tf.tensor2d(LOGITS), w, 0.1, r)],
    ['softmaxCrossEntropy', (w, r) => vb.losses.softmaxCrossEntropy(LABELS, LOGITS, w?.map((row) => row[0]!) as never, 0.2, r),
      (w, r) => tf.losses.softmaxCrossEntropy(y(), tf.tensor2d(LOGITS), w?.reshape([4]), 0.2, r)],
  ];
  for (const [name, ours, theirs] of CASES) {
    it(`${name} returns TF.js's tensor for every reduction, with and without weights`, () => {
      for (const reduction of REDUCTIONS) {
        for (const weighted of [false, true]) {
          const label = `${name} reduction=${reduction} weights=${weighted}`;
          const value = ours(weighted ? WEIGHTS : undefined, reduction);
          assert.ok(value instanceof vb.Tensor, label);
          assertTensorClose(value, theirs(weighted ? tf.tensor2d(WEIGHTS) : undefined, reduction as tf.Reduction | undefined), label);
        }
      }
    });
  }

  it('computeWeightedLoss matches TF.js; bad shapes and reductions are errors naming them', () => {
    const losses = [[1, 2], [3, 4]];
    for (const reduction of REDUCTIONS) {
      assertTensorClose(vb.losses.computeWeightedLoss(losses, [[0], [2]], reduction), tf.losses.computeWeightedLoss(tf.tensor2d(losses), tf.tensor2d([[0], [2]]), reduction as tf.Reduction | undefined), `reduction ${reduction}`);
    }
    assert.throws(() => vb.losses.meanSquaredError([1, 2], [1, 2, 3]), /labels and predictions of the same shape/);
    assert.throws(() => vb.losses.computeWeightedLoss([1], undefined, 7 as never), /reduction=7/);
  });

  it('tf.losses.meanSquaredError passed to compile trains as the Keras loss, and meanSquaredError() is still the Keras object', async () => {
    const train = async (loss: unknown) => {
      vb.setRandomSeed(1);
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [3] })] });
      model.compile({ optimizer: 'sgd', loss: loss as never });
      const history = await model.fit(vb.tensor2d(PREDS), vb.tensor2d([[1], [2], [3], [4]]), { epochs: 2, verbose: 0 });
      return [history.history.loss, model.getWeights().map((w) => Array.from(w.dataSync()))];
    };
    assert.deepEqual(await train(vb.losses.meanSquaredError), await train('meanSquaredError'));
    assert.deepEqual(await train(vb.losses.meanSquaredError()), await train('mse'));
    assert.equal(vb.losses.meanSquaredError().name, 'meanSquaredError');
  });
});

describe('vb.metrics as tf.metrics functions', () => {
  const CASES: [string, (a: vb.Tensor, b: vb.Tensor) => vb.Tensor, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, number[][], number[][]][] = [
    ['binaryAccuracy', vb.metrics.binaryAccuracy, tf.metrics.binaryAccuracy, LABELS, PREDS],
    ['categoricalAccuracy', vb.metrics.categoricalAccuracy, tf.metrics.categoricalAccuracy, LABELS, PREDS],
    ['precision', vb.metrics.precision, tf.metrics.precision, LABELS, [[0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1]]],
    ['recall', vb.metrics.recall, tf.metrics.recall, LABELS, [[0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1]]],
    ['meanSquaredError', vb.metrics.meanSquaredError, tf.metrics.meanSquaredError, LABELS, PREDS],
    ['mse', vb.metrics.mse, tf.metrics.mse, LABELS, PREDS],
    ['meanAbsoluteError', vb.metrics.meanAbsoluteError, tf.metrics.meanAbsoluteError, LABELS, PREDS],
    ['MAPE', vb.metrics.MAPE, tf.metrics.MAPE, [[1, 2, 3], [-1, 0.5, 4]], [[1.5, 2, 2], [-0.5, 0.7, 3]]],
    ['cosineProximity', vb.metrics.cosineProximity, tf.metrics.cosineProximity, LABELS, PREDS],
    ['binaryCrossentropy', vb.metrics.binaryCrossentropy, tf.metrics.binaryCrossentropy, LABELS, PREDS],
    ['categoricalCrossentropy', vb.metrics.categoricalCrossentropy, tf.metrics.categoricalCrossentropy, LABELS, PREDS],
    ['r2Score', vb.metrics.r2Score, tf.metrics.r2Score, [[1, 2], [3, 5]], [[1.1, 1.9], [3.3, 4.5]]],
  ];
  for (const [name, ours, theirs, a, b] of CASES) {
    it(`${name}(yTrue, yPred) returns TF.js's tensor`, () => {
      assertTensorClose(ours(vb.tensor2d(a), vb.tensor2d(b)), theirs(tf.tensor2d(a), tf.tensor2d(b)), name);
    });
  }

  it('sparseCategoricalAccuracy matches TF.js with [N, 1] and [N] labels', () => {
    const preds = vb.tensor2d(PREDS);
    assertTensorClose(vb.metrics.sparseCategoricalAccuracy(vb.tensor2d([[1], [0], [1], [0]]), preds),
      tf.metrics.sparseCategoricalAccuracy(tf.tensor2d([[1], [0], [1], [0]]), tf.tensor2d(PREDS)), 'sparse [N, 1]');
    assertClose(vb.metrics.sparseCategoricalAccuracy(vb.tensor1d([1, 0, 2, 0]), preds).dataSync(), [1, 1, 1, 1], 'sparse [N]');
  });

  it('precision() and recall() without tensors are still Keras stateful metrics (threshold 0.5)', () => {
    const m = vb.metrics.precision({ threshold: 0.5 });
    m.update(vb.tensor2d(LABELS), vb.tensor2d(PREDS));
    // predicted positive (> 0.5): 0.8, 0.6, 0.7, 0.9, 0.6, all with label 1: TP 5, FP 0; 6 labels are 1: FN 1.
    assert.equal(m.result(), 1);
    const r = vb.metrics.recall();
    r.update(vb.tensor2d(LABELS), vb.tensor2d(PREDS));
    assert.equal(r.result(), Math.fround(5 / 6));
  });
});

/** Float64 reference of each Keras loss per example (row). */
const F64: Record<string, (y: number[], p: number[]) => number> = {
  hinge: (y, p) => mean(p.map((pi, i) => Math.max(1 - (2 * y[i]! - 1) * pi, 0))),
  squaredHinge: (y, p) => mean(p.map((pi, i) => Math.max(1 - (2 * y[i]! - 1) * pi, 0) ** 2)),
  logcosh: (y, p) => mean(p.map((pi, i) => Math.log(Math.cosh(pi - y[i]!)))),
  poisson: (y, p) => mean(p.map((pi, i) => pi - y[i]! * Math.log(pi + 1e-7))),
  kld: (y, p) => y.reduce((s, yi, i) => { const a = Math.min(Math.max(yi, 1e-7), 1); return s + a * Math.log(a / Math.min(Math.max(p[i]!, 1e-7), 1)); }, 0),
  mape: (y, p) => 100 * mean(p.map((pi, i) => Math.abs((y[i]! - pi) / Math.max(Math.abs(y[i]!), 1e-7)))),
  msle: (y, p) => mean(p.map((pi, i) => (Math.log(Math.max(pi, 1e-7) + 1) - Math.log(Math.max(y[i]!, 1e-7) + 1)) ** 2)),
  cosine: (y, p) => -y.reduce((s, yi, i) => s + yi * p[i]!, 0) / Math.sqrt(y.reduce((s, v) => s + v * v, 0) * p.reduce((s, v) => s + v * v, 0)),
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const ALIASES: Record<string, string[]> = {
  hinge: ['hinge'], squaredHinge: ['squaredHinge', 'squared_hinge'], logcosh: ['logcosh'], poisson: ['poisson'],
  kld: ['kld', 'kullbackLeiblerDivergence', 'kl_divergence'], mape: ['mape', 'meanAbsolutePercentageError'],
  msle: ['msle', 'meanSquaredLogarithmicError'], cosine: ['cosine', 'cosineProximity', 'cosine_similarity'],
};

describe('Keras loss and metric strings in compile', () => {
  for (const [reference, names] of Object.entries(ALIASES)) {
    it(`${names.join(', ')}: per-example values of Keras's formula (float64 reference), as a loss and as a metric`, () => {
      const expected = LABELS.map((y, i) => F64[reference]!(y, PREDS[i]!));
      for (const name of names) {
        const loss = vb.losses.getLoss(name, 'test');
        assertClose(loss.call(vb.tensor2d(LABELS), vb.tensor2d(PREDS)).dataSync(), expected, `loss ${name}`, 1e-5, 1e-6);
        const metric = vb.metrics.getMetric(name, 'test');
        metric.update(vb.tensor2d(LABELS), vb.tensor2d(PREDS));
        assertClose([metric.result()], [mean(expected)], `metric ${name}`, 1e-5, 1e-6);
      }
    });
  }

  it('an option a loss, metric or regularizer object lacks is an error, not its default in force', () => {
    assert.throws(() => vb.losses.binaryCrossentropy({ from_logits: true } as never), /binaryCrossentropy: Expected options among fromLogits, labelSmoothing\. Received: from_logits=true/);
    assert.throws(() => vb.losses.categoricalCrossentropy({ labelSmooth: 0.1 } as never), /Received: labelSmooth=0\.1/);
    assert.throws(() => vb.losses.sparseCategoricalCrossentropy({ fromLogit: true } as never), /sparseCategoricalCrossentropy: Expected options among fromLogits\. Received: fromLogit=true/);
    assert.throws(() => vb.losses.huber({ d: 2 } as never), /huber: Expected options among delta\. Received: d=2/);
    assert.throws(() => vb.metrics.auc({ curve: 'PR' } as never), /auc: Expected options among numThresholds, name\. Received: curve="PR"/);
    assert.throws(() => vb.metrics.precision({ thresholds: 0.3 } as never), /precision: Expected options among threshold, name\. Received: thresholds=0\.3/);
    assert.throws(() => vb.regularizers.l2({ l: 0.5 } as never), /regularizers\.l2: Expected options among l2\. Received: l=0\.5/);
    assert.deepEqual(vb.regularizers.l1l2({ l1: 0.1 }).config, { l1: 0.1, l2: 0.01 });
  });

  it('hinge losses keep labels that are already -1 / 1', () => {
    const y = [[-1, 1], [1, -1]];
    const p = [[0.3, 0.2], [2, 0.5]];
    assertClose(vb.losses.getLoss('hinge', 'test').call(vb.tensor2d(y), vb.tensor2d(p)).dataSync(), [mean([1.3, 0.8]), mean([0, 1.5])], 'hinge -1/1');
  });

  it('compile accepts the strings and a loss list for several outputs, and trains', async () => {
    vb.setRandomSeed(2);
    const input = vb.input({ shape: [3] });
    const a = vb.layers.dense({ units: 2, activation: 'softmax', name: 'a' }).apply(input);
    const b = vb.layers.dense({ units: 1, activation: 'softplus', name: 'b' }).apply(input);
    const model = vb.model({ inputs: input, outputs: [a, b] });
    model.compile({ optimizer: 'adam', loss: ['kld', 'poisson'], metrics: [['mape', 'cosine'], ['msle', 'logcosh', 'squared_hinge']] });
    const history = await model.fit(vb.tensor2d(PREDS), [vb.tensor2d([[0.2, 0.8], [0.5, 0.5], [1, 0], [0.3, 0.7]]), vb.tensor2d([[1], [0], [2], [1]])], { epochs: 2, verbose: 0 });
    assert.deepEqual(Object.keys(history.history).sort(), ['a_cosine', 'a_loss', 'a_mape', 'b_logcosh', 'b_loss', 'b_msle', 'b_squared_hinge', 'loss']);
    assert.ok(history.history.loss!.every(Number.isFinite));
    assert.throws(() => model.compile({ optimizer: 'adam', loss: ['kld'] }), /one entry per output/);
  });
});
