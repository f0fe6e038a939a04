/**
 * Weight constraints (vb.constraints: maxNorm, minMaxNorm, nonNeg, unitNorm): each projection
 * against Keras 3's formula computed here in float32, applied after every optimizer step in fit,
 * trainOnBatch, minimize and applyGradients, in data-parallel fit and in a fit resumed from a saved
 * model; one step against TF.js 4.22 (whose fit never applies constraints: its constraint objects
 * are applied to its stepped weights); model files both ways with TF.js; bad arguments.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

before(async () => {
  await tf.setBackend('cpu');
});

const f = Math.fround;
type Projection = { kind: 'maxNorm' | 'minMaxNorm' | 'unitNorm' | 'nonNeg'; axis?: number[]; minValue?: number; maxValue?: number; rate?: number };

/**
 * Keras 3's projection in float32: norms = fl(sqrt(sum of fl(w * w))) over the axes, summed in
 * increasing flat index; maxNorm and minMaxNorm w * fl(desired / fl(norms + fl(1e-7))), unitNorm
 * w / fl(norms + fl(1e-7)), nonNeg max(w, 0).
 */
function project(values: ArrayLike<number>, shape: readonly number[], p: Projection): Float32Array {
  const out = new Float32Array(values.length);
  if (p.kind === 'nonNeg') {
    for (let i = 0; i < values.length; i++) out[i] = values[i]! > 0 || Number.isNaN(values[i]) ? values[i]! : 0;
    return out;
  }
  const axes = (p.axis ?? [0]).map((a) => (a < 0 ? a + shape.length : a));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const group = (i: number) => shape.reduce((g, d, k) => (axes.includes(k) ? g : g * d + (Math.floor(i / strides[k]!) % d)), 0);
  const sums = new Map<number, number>();
  for (let i = 0; i < values.length; i++) sums.set(group(i), f((sums.get(group(i)) ?? 0) + f(values[i]! * values[i]!)));
  const clip = (n: number, lo: number, hi: number) => Math.min(Math.max(n, f(lo)), f(hi));
  for (let i = 0; i < values.length; i++) {
    const n = f(Math.sqrt(sums.get(group(i))!));
    const denominator = f(n + f(1e-7));
    if (p.kind === 'unitNorm') {
      out[i] = f(values[i]! / denominator);
      continue;
    }
    const desired = p.kind === 'maxNorm'
      ? clip(n, 0, p.maxValue ?? 2)
      : f(f(clip(n, p.minValue ?? 0, p.maxValue ?? 1) * f(p.rate ?? 1)) + f(n * f(1 - (p.rate ?? 1))));
    out[i] = f(values[i]! * f(desired / denominator));
  }
  return out;
}

function constraintOf({ kind, ...args }: Projection): vb.constraints.Constraint {
  return kind === 'nonNeg' ? vb.constraints.nonNeg() : vb.constraints[kind](args);
}
const bits = (t: vb.Tensor) => Array.from(t.dataSync());

describe('each projection is Keras 3\'s formula in float32', () => {
  const w = vb.random.normal(vb.random.key(1), [3, 2, 4, 5]);
  const cases: Projection[] = [
    { kind: 'maxNorm' }, { kind: 'maxNorm', maxValue: 0.7, axis: [0, 1, 2] }, { kind: 'maxNorm', maxValue: 3, axis: [-1] },
    { kind: 'minMaxNorm' }, { kind: 'minMaxNorm', minValue: 2.5, maxValue: 2.7, rate: 0.3, axis: [1, 3] },
    { kind: 'unitNorm' }, { kind: 'unitNorm', axis: [0, 1, 2] }, { kind: 'nonNeg' },
  ];
  for (const p of cases) {
    it(`${p.kind} ${JSON.stringify({ ...p, kind: undefined })}`, () => {
      const c = constraintOf(p);
      const constrained = c.apply(w);
      assert.deepEqual(bits(constrained), Array.from(project(w.dataSync(), w.shape, p)));
      assert.notDeepEqual(bits(constrained), bits(w), 'the projection changes these weights');
    });
  }

  it('nonNeg makes -0 and negatives +0 and keeps NaN (Keras 3\'s maximum(w, 0))', () => {
    assert.deepEqual(bits(vb.constraints.nonNeg().apply(vb.tensor([-0, -2, 3, NaN, 0]))), [0, 0, 3, NaN, 0]);
    assert.ok(Object.is(vb.constraints.nonNeg().apply(vb.tensor([-0])).dataSync()[0], 0));
  });
});

/** The two-layer model of the training tests: every kind of constraint on its weights. */
function constrainedModel(name: string, withConstraints = true) {
  const c = (p: Projection) => (withConstraints ? constraintOf(p) : null);
  const model = vb.sequential({ name, layers: [
    vb.layers.dense({ units: 3, inputShape: [4], biasInitializer: vb.initializers.constant({ value: -1 }), kernelConstraint: c(KERNEL), biasConstraint: c({ kind: 'nonNeg' }) }),
    vb.layers.dense({ units: 2, kernelConstraint: c(KERNEL_2), biasConstraint: c({ kind: 'unitNorm' }) }),
  ] });
  return model;
}
const KERNEL: Projection = { kind: 'maxNorm', maxValue: 0.4 };
const KERNEL_2: Projection = { kind: 'minMaxNorm', minValue: 0.9, maxValue: 1.1, rate: 0.8 };
const PROJECTIONS: Projection[] = [KERNEL, { kind: 'nonNeg' }, KERNEL_2, { kind: 'unitNorm' }];

describe('constraints in training', () => {
  const x = vb.random.normal(vb.random.key(2), [6, 4]);
  const y = vb.random.normal(vb.random.key(3), [6, 2]);

  for (const optimizer of vb.optimizers.OPTIMIZER_NAMES) {
    it(`fit with ${optimizer}: after every step each weight is its constraint applied to the unconstrained step`, async () => {
      vb.setRandomSeed(4);
      const ours = constrainedModel(`constrained_${optimizer}`);
      const twin = constrainedModel(`twin_${optimizer}`, false);
      ours.compile({ optimizer, loss: 'meanSquaredError' });
      twin.compile({ optimizer, loss: 'meanSquaredError' });
      const changed = new Set<number>();
      for (let step = 0; step < 3; step++) {
        // The twin steps from the same weights (and so keeps the same optimizer state) without constraints.
        twin.setWeights(ours.getWeights());
        await ours.fit(x, y, { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
        await twin.fit(x, y, { epochs: 1, batchSize: 6, shuffle: false, verbose: 0 });
        ours.weights.forEach((w, i) => {
          const free = twin.weights[i]!;
          assert.deepEqual(bits(w), Array.from(project(free.dataSync(), free.shape, PROJECTIONS[i]!)), `${w.name} after step ${step}`);
          if (bits(w).some((v, k) => v !== free.dataSync()[k])) changed.add(i);
        });
      }
      assert.deepEqual([...changed].sort(), [0, 1, 2, 3], 'every constraint changed its weight at some step');
      ours.dispose();
      twin.dispose();
    });
  }

  it('custom training loops: minimize (with model.trainableWeights) and applyGradients constrain the updated weights', () => {
    vb.setRandomSeed(5);
    const ours = constrainedModel('loop');
    const twin = constrainedModel('loop_twin', false);
    twin.setWeights(ours.getWeights());
    const optimizer = vb.train.adam(0.1);
    const free = vb.train.adam(0.1);
    const loss = (m: vb.LayersModel) => () => vb.losses.meanSquaredError(y, m.predict(x) as vb.Tensor);
    optimizer.minimize(loss(ours), false, ours.trainableWeights.map((w) => w.val));
    free.minimize(loss(twin), false, twin.trainableWeights.map((w) => w.val));
    ours.weights.forEach((w, i) => assert.deepEqual(bits(w), Array.from(project(twin.weights[i]!.dataSync(), w.shape, PROJECTIONS[i]!)), `${w.name} after minimize`));
    twin.setWeights(ours.getWeights());
    const { grads } = optimizer.computeGradients(loss(ours));
    const { grads: freeGrads } = free.computeGradients(loss(twin));
    optimizer.applyGradients(grads);
    free.applyGradients(freeGrads);
    ours.weights.forEach((w, i) => assert.deepEqual(bits(w), Array.from(project(twin.weights[i]!.dataSync(), w.shape, PROJECTIONS[i]!)), `${w.name} after applyGradients`));
    ours.dispose();
    twin.dispose();
  });

  it('a custom layer\'s addWeight constraint (TF.js\'s argument order) is applied in fit; a bad one is an error naming the layer', async () => {
    class Scale extends vb.layers.Layer {
      static get className() { return 'ConstrainedScale'; }
      w: vb.Variable | undefined;
      constructor(readonly constraint: unknown) { super({}); }
      override build(inputShape: (number | null)[]) { this.w = this.addWeight('w', [inputShape.at(-1)!], 'float32', 'randomNormal', null, true, this.constraint as 'nonNeg'); }
      override call(inputs: vb.Tensor | vb.Tensor[]) { return vb.mul(Array.isArray(inputs) ? inputs[0]! : inputs, this.w!); }
      override getConfig() { return { ...super.getConfig() }; }
    }
    vb.setRandomSeed(6);
    const make = (constraint: unknown, name: string) => {
      const m = vb.sequential({ name, layers: [vb.layers.inputLayer({ inputShape: [4] }), new Scale(constraint)] });
      m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 1 }), loss: 'meanSquaredError' });
      return m;
    };
    const ours = make('nonNeg', 'custom');
    const twin = make(null, 'custom_twin');
    twin.setWeights(ours.getWeights());
    await ours.fit(x, vb.slice(x, [0, 0], [6, 4]).neg(), { epochs: 1, batchSize: 6, verbose: 0 });
    await twin.fit(x, vb.slice(x, [0, 0], [6, 4]).neg(), { epochs: 1, batchSize: 6, verbose: 0 });
    assert.ok(twin.weights[0]!.dataSync().some((v) => v < 0), 'unconstrained, the step makes weights negative');
    assert.deepEqual(bits(ours.weights[0]!), Array.from(project(twin.weights[0]!.dataSync(), [4], { kind: 'nonNeg' })));
    assert.throws(() => make('l2', 'bad_custom').predict(x), /constrained_scale.addWeight: Expected constraint to be a constraint: 'maxNorm', .*Received: constraint="l2"/);
    assert.throws(() => make(vb.constraints.maxNorm({ axis: 1 }), 'bad_axis').predict(x), /addWeight: Expected MaxNorm's axis among the axes of w \(shape \[4\]\)\. Received: axis=1/);
    ours.dispose();
    twin.dispose();
  });

  it('data-parallel fit: one micro-batch per batch is plain fit bit for bit; 1 and 2 worker threads agree and keep the norms bounded', async () => {
    const rows = vb.random.normal(vb.random.key(7), [24, 4]);
    const targets = vb.random.normal(vb.random.key(8), [24, 2]);
    const train = async (name: string, dataParallel?: vb.FitArgs['dataParallel'], withConstraints = true) => {
      vb.setRandomSeed(9);
      const m = constrainedModel(name, withConstraints);
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      await m.fit(rows, targets, { epochs: 2, batchSize: 6, verbose: 0, ...(dataParallel ? { dataParallel } : {}) });
      const result = { digest: m.weightsDigest(), kernelNorms: bits(vb.norm(m.weights[0]!, 'euclidean', 0)), bias: bits(m.weights[1]!) };
      m.dispose();
      return result;
    };
    const plain = await train('dp');
    assert.notEqual(plain.digest, (await train('dp', undefined, false)).digest);
    assert.deepEqual(await train('dp', { workers: 2, microBatch: 6 }), plain);
    const two = await train('dp', { workers: 2, microBatch: 2 });
    assert.deepEqual(await train('dp', { workers: 1, microBatch: 2 }), two);
    assert.ok(two.kernelNorms.every((n) => n <= 0.4), `kernel norms ${two.kernelNorms}`);
    assert.ok(two.bias.every((b) => b >= 0));
  });

  it('a model saved with its optimizer and loaded trains on to the bits of one longer fit (the constraints come back from the file)', async () => {
    const train = async (name: string, withConstraints = true) => {
      vb.setRandomSeed(10);
      const m = constrainedModel(name, withConstraints);
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      return m;
    };
    const digestOfLonger = async (withConstraints: boolean) => {
      const longer = await train('resumed', withConstraints);
      await longer.fit(x, y, { epochs: 4, batchSize: 3, shuffle: false, verbose: 0 });
      const digest = longer.weightsDigest();
      longer.dispose();
      return digest;
    };
    const digest = await digestOfLonger(true);
    assert.notEqual(digest, await digestOfLonger(false), 'the constraints change the training');
    const first = await train('resumed');
    await first.fit(x, y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
    let saved: vb.ModelArtifacts | undefined;
    await first.save(vb.io.withSaveHandler(async (a: vb.ModelArtifacts) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }; }), { includeOptimizer: true });
    first.dispose();
    const resumed = await vb.loadLayersModel(vb.io.fromMemory(saved!));
    await resumed.fit(x, y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
    assert.equal(resumed.weightsDigest(), digest);
    resumed.dispose();
  });
});

const saveTo = <A>(keep: (a: A) => void) => async (a: A) => { keep(a); return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' as const } }; };
const close = (ours: ArrayLike<number>, theirs: ArrayLike<number>, label: string, tolerance = 1e-5) => {
  assert.equal(ours.length, theirs.length, `${label}: lengths`);
  for (let i = 0; i < ours.length; i++) {
    assert.ok(Math.abs(ours[i]! - theirs[i]!) <= tolerance * Math.max(1, Math.abs(theirs[i]!)), `${label}[${i}]: verbatim ${ours[i]}, TF.js ${theirs[i]}`);
  }
};

describe('constraints against TF.js 4.22', () => {
  const x = vb.random.normal(vb.random.key(11), [5, 4, 4, 2]);
  const y = vb.random.normal(vb.random.key(12), [5, 2]);
  const tx = tf.tensor(x.dataSync(), [...x.shape]);
  const ty = tf.tensor(y.dataSync(), [...y.shape]);
  const projections: Projection[] = [{ kind: 'unitNorm', axis: [0, 1, 2] }, { kind: 'nonNeg' }, { kind: 'maxNorm', maxValue: 0.3 }, { kind: 'minMaxNorm', minValue: 0.5, maxValue: 0.6, rate: 0.5 }];
  const theirConstraint = ({ kind, ...args }: Projection) => (kind === 'nonNeg' ? tf.constraints.nonNeg() : tf.constraints[kind](args as never));
  function models() {
    vb.setRandomSeed(13);
    const [a, b, c, d] = projections.map(constraintOf);
    const ours = vb.sequential({ name: 'vs_tfjs', layers: [
      vb.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 2], biasInitializer: 'randomNormal', kernelConstraint: a, biasConstraint: b }),
      vb.layers.flatten(), vb.layers.dense({ units: 2, biasInitializer: 'ones', kernelConstraint: c, biasConstraint: d }),
    ] });
    // TF.js's model without constraints: its setWeights would project the weights it is given (LayerVariable.write).
    const theirs = tf.sequential({ layers: [tf.layers.conv2d({ filters: 3, kernelSize: 2, inputShape: [4, 4, 2] }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    theirs.setWeights(ours.getWeights().map((w) => tf.tensor(w.dataSync(), [...w.shape])));
    return { ours, theirs };
  }

  it('one adam step: verbatim\'s fit equals TF.js\'s step followed by TF.js\'s constraints (TF.js\'s fit does not apply them)', async () => {
    const { ours, theirs } = models();
    ours.compile({ optimizer: vb.train.adam(0.05), loss: 'meanSquaredError' });
    theirs.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    await ours.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0 });
    await theirs.trainOnBatch(tx, ty);
    theirs.getWeights().forEach((w, i) => {
      const projected = theirConstraint(projections[i]!).apply(w);
      assert.ok(Math.max(...Array.from(tf.abs(tf.sub(projected, w)).dataSync())) > 1e-3, `the constraint moves weight ${i}`);
      close(ours.getWeights()[i]!.dataSync(), projected.dataSync(), `weight ${i} after one step`);
    });
    ours.dispose();
    theirs.dispose();
  });

  it('saved by verbatim, TF.js loads the constraints (its own classes and configs) and, as its setWeights does, projects the weights by them', async () => {
    const { ours, theirs } = models();
    ours.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await ours.fit(x, y, { epochs: 1, batchSize: 5, verbose: 0 });
    let saved: vb.ModelArtifacts | undefined;
    await ours.save(vb.io.withSaveHandler(saveTo((a: vb.ModelArtifacts) => { saved = a; })));
    const layers = (saved!.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
    assert.deepEqual(layers[0]!.config.kernel_constraint, { class_name: 'UnitNorm', config: { axis: [0, 1, 2] } });
    assert.deepEqual(layers[2]!.config.bias_constraint, { class_name: 'MinMaxNorm', config: { min_value: 0.5, max_value: 0.6, rate: 0.5, axis: 0 } });
    const inTfjs = await tf.loadLayersModel(tf.io.fromMemory(saved as tf.io.ModelArtifacts));
    assert.deepEqual(inTfjs.layers[2]!.getConfig().kernelConstraint, { className: 'MaxNorm', config: { maxValue: 0.3, axis: 0 } });
    assert.deepEqual(inTfjs.layers[0]!.getConfig().biasConstraint, { className: 'NonNeg', config: {} });
    // TF.js's LayerVariable.write applies the constraint to what it loads (Keras's assign does not): MinMaxNorm's rate 0.5 moves the weight again.
    inTfjs.getWeights().forEach((w, i) => close(w.dataSync(), theirConstraint(projections[i]!).apply(tf.tensor(ours.getWeights()[i]!.dataSync(), w.shape)).dataSync(), `TF.js's loaded weight ${i}`));
    inTfjs.dispose();
    ours.dispose();
    theirs.dispose();
  });

  it('saved by TF.js with constraints on every kind of weight, verbatim loads them onto the weights and predicts the same', async () => {
    const theirs = tf.sequential({ layers: [
      tf.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 5, embeddingsConstraint: 'nonNeg' }),
      tf.layers.lstm({ units: 3, returnSequences: true, kernelConstraint: tf.constraints.maxNorm({ maxValue: 1.5, axis: 0 }), recurrentConstraint: 'unitNorm', biasConstraint: tf.constraints.minMaxNorm({ maxValue: 2 }) }),
      tf.layers.batchNormalization({ gammaConstraint: 'nonNeg', betaConstraint: tf.constraints.maxNorm({ maxValue: 1 }) }),
      tf.layers.flatten(), tf.layers.dense({ units: 2, kernelConstraint: 'maxNorm' }),
    ] });
    const tokens = tf.tensor([[1, 2, 3, 4, 5], [9, 8, 7, 0, 0]], [2, 5], 'int32');
    let fromTfjs: tf.io.ModelArtifacts | undefined;
    await theirs.save(tf.io.withSaveHandler(saveTo((a: tf.io.ModelArtifacts) => { fromTfjs = a; })));
    const loaded = await vb.loadLayersModel(vb.io.fromMemory(fromTfjs as vb.ModelArtifacts));
    const configs = loaded.layers.map((l) => Object.fromEntries(Object.entries(l.getConfig()).filter(([k]) => k.endsWith('Constraint'))));
    assert.deepEqual(configs, [
      { embeddingsConstraint: { className: 'NonNeg', config: {} } },
      { kernelConstraint: { className: 'MaxNorm', config: { maxValue: 1.5, axis: 0 } }, recurrentConstraint: { className: 'UnitNorm', config: { axis: 0 } }, biasConstraint: { className: 'MinMaxNorm', config: { minValue: 0, maxValue: 2, rate: 1, axis: 0 } } },
      { betaConstraint: { className: 'MaxNorm', config: { maxValue: 1, axis: 0 } }, gammaConstraint: { className: 'NonNeg', config: {} } },
      {}, { kernelConstraint: { className: 'MaxNorm', config: { maxValue: 2, axis: 0 } } },
    ]);
    close((loaded.predict(vb.tensor(tokens.dataSync(), [2, 5], 'int32')) as vb.Tensor).dataSync(), (theirs.predict(tokens) as tf.Tensor).dataSync(), 'predictions', 1e-6);
    // The weights optimizers will constrain (moving_mean and moving_variance have none).
    assert.deepEqual(loaded.weights.filter((w) => w.constraint !== null).map((w) => w.name.split('/').at(-1)), ['embeddings', 'kernel', 'recurrent_kernel', 'bias', 'gamma', 'beta', 'kernel']);
    loaded.dispose();

    // A class verbatim does not have, or a bad argument in a known one, is a clear error.
    const edited = (edit: (config: Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(fromTfjs)) as tf.io.ModelArtifacts;
      edit((copy.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[4]!.config);
      return vb.loadLayersModel(vb.io.fromMemory({ ...copy, weightData: fromTfjs!.weightData } as vb.ModelArtifacts));
    };
    await assert.rejects(edited((c) => { c.kernel_constraint = { class_name: 'RadialConstraint', config: {} }; }),
      /Expected a constraint \{class_name: 'MaxNorm' \| 'MinMaxNorm' \| 'NonNeg' \| 'UnitNorm', config\} or null\. Received: config\.kernel_constraint\.class_name="RadialConstraint"/);
    await assert.rejects(edited((c) => { c.kernel_constraint = 'maxNorm'; }), /Received: config\.kernel_constraint="maxNorm"/);
    await assert.rejects(edited((c) => { c.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: -1, axis: 0 } }; }), /constraints\.maxNorm: Expected maxValue to be a finite number >= 0\. Received: maxValue=-1/);
    await assert.rejects(edited((c) => { c.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 1, axis: 2 } }; }), /Expected MaxNorm's axis among the axes of kernel \(shape \[15,2\]\)\. Received: axis=2/);
    theirs.dispose();
  });
});

describe('constraint arguments', () => {
  it('bad arguments are errors naming them; null is no constraint', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => vb.constraints.maxNorm({ maxValue: -1 }), /constraints\.maxNorm: Expected maxValue to be a finite number >= 0\. Received: maxValue=-1/],
      [() => vb.constraints.maxNorm({ maxValue: NaN }), /Received: maxValue=NaN/],
      [() => vb.constraints.maxNorm({ max_value: 2 } as never), /constraints\.maxNorm: Expected options among maxValue, axis\. Received: max_value=2/],
      [() => vb.constraints.minMaxNorm({ minValue: 2, maxValue: 1 }), /Expected maxValue to be a finite number >= 2\. Received: maxValue=1/],
      [() => vb.constraints.minMaxNorm({ rate: 1.5 }), /Expected rate to be a finite number in \[0, 1\]\. Received: rate=1\.5/],
      [() => vb.constraints.unitNorm({ axis: 'x' as never }), /constraints\.unitNorm: Expected axis to be an integer or a non-empty list of integers\. Received: axis="x"/],
      [() => vb.constraints.unitNorm({ axis: [] }), /Received: axis=\[\]/],
      [() => vb.constraints.nonNeg({ axis: 0 } as never), /constraints\.nonNeg: Expected no options\. Received: axis=0/],
      [() => vb.constraints.maxNorm(2 as never), /constraints\.maxNorm: Expected an options object\. Received: args=2/],
      [() => vb.layers.dense({ units: 2, kernelConstraint: 'l2' as never }), /Dense: Expected kernelConstraint to be a constraint: 'maxNorm', 'minMaxNorm', 'nonNeg', 'unitNorm' .*Received: kernelConstraint="l2"/],
      [() => vb.layers.lstm({ units: 2, recurrentConstraint: { className: 'Radial', config: {} } as never }), /Expected recurrentConstraint to be a constraint.*Received: recurrentConstraint=\{"className":"Radial","config":\{\}\}/],
      [() => vb.layers.dense({ units: 2, kernelConstraint: { className: 'MaxNorm', config: { maxValue: -1 } } }), /constraints\.maxNorm: Expected maxValue/],
      [() => vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3], kernelConstraint: vb.constraints.maxNorm({ axis: [0, 2] }) })] }), /addWeight: Expected MaxNorm's axis among the axes of kernel \(shape \[3,2\]\)\. Received: axis=\[0, 2\]/],
      [() => vb.layers.multiHeadAttention({ numHeads: 1, keyDim: 2, kernelConstraint: 'maxNorm' } as never), /MultiHeadAttention: Expected options among .*Received: kernelConstraint="maxNorm"/],
    ];
    for (const [make, message] of cases) assert.throws(make, message);
    const plain = vb.layers.dense({ units: 2, kernelConstraint: null, biasConstraint: null });
    assert.equal(Object.keys(plain.getConfig()).some((k) => k.endsWith('Constraint')), false);
    const named = vb.layers.dense({ units: 2, kernelConstraint: 'MaxNorm', biasConstraint: 'unit_norm' as never });
    assert.deepEqual([named.getConfig().kernelConstraint, named.getConfig().biasConstraint], [{ className: 'MaxNorm', config: { maxValue: 2, axis: 0 } }, { className: 'UnitNorm', config: { axis: 0 } }]);
  });
});
