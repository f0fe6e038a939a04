/**
 * The golden workload: every op, sampler, initializer, activation, loss, metric and optimizer,
 * and training with shuffle, dropout, a batch size that does not divide the data, a data
 * pipeline and a model that blows up to NaN. `goldenDigests(vb)` returns one SHA-256 per entry
 * over raw bytes; test/golden/digests.json pins them (a changed bit must be made on purpose:
 * `npm run golden:update`), and the same function runs unchanged in every engine
 * (test/engines.test.ts). It takes the library as an argument, so that a test can hand it a
 * proxy that records which parts of the API it reached.
 */
import type * as Verbatim from 'verbatim';
import { Sha256 } from '../../src/util/sha256.js';

type VB = typeof Verbatim;
type Tensor = Verbatim.Tensor;
type Digests = Record<string, string>;

/** SHA-256 over numbers as little-endian float64 (history values, metric results). */
function numbersDigest(values: readonly number[]): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return new Sha256().update(bytes).hex();
}

/** Element-wise and structural ops on fixed random inputs, with gradients where they exist. */
function opDigests(vb: VB, out: Digests): void {
  const k = vb.random.key(7);
  const [k1, k2, k3, k4, k5] = vb.random.split(k, 5) as [Verbatim.Key, Verbatim.Key, Verbatim.Key, Verbatim.Key, Verbatim.Key];
  const x = vb.random.normal(k1, [4, 6]);
  const y = vb.random.normal(k2, [6]);
  const positive = vb.random.uniform(k3, [4, 6], { minval: 0.1, maxval: 3 });
  const ints = vb.random.randint(k4, [4, 6], -5, 6);
  const mask = vb.random.bernoulli(k5, 0.5, [4, 6]);
  const image = vb.random.normal(vb.random.key(8), [2, 7, 7, 3]);
  const filter = vb.random.normal(vb.random.key(9), [3, 3, 3, 4]);
  const put = (name: string, t: Tensor | Tensor[]) => { out[`op/${name}`] = vb.digest(t); };
  const withGrad = (name: string, f: (t: Tensor) => Tensor, input: Tensor = x) => {
    put(name, f(input));
    // A weighted sum, so that every output element sends its own gradient back.
    put(`${name}/grad`, vb.grad((t: Tensor) => {
      const o = f(t);
      return vb.sum(vb.mul(o, vb.cos(vb.reshape(vb.range(0, o.size), o.shape))));
    })(input));
  };
  const unary = { neg: vb.neg, abs: vb.abs, sign: vb.sign, exp: vb.exp, expm1: vb.expm1, tanh: vb.tanh, sigmoid: vb.sigmoid, softplus: vb.softplus, erf: vb.erf,
    relu: vb.relu, relu6: vb.relu6, elu: vb.elu, selu: vb.selu, leakyRelu: vb.leakyRelu, softsign: vb.softsign, swish: vb.swish, gelu: vb.gelu,
    floor: vb.floor, ceil: vb.ceil, round: vb.round, sin: vb.sin, cos: vb.cos, square: vb.square, softmax: vb.softmax, logSoftmax: vb.logSoftmax };
  for (const [name, f] of Object.entries(unary)) withGrad(name, f as (t: Tensor) => Tensor);
  for (const [name, f] of Object.entries({ sqrt: vb.sqrt, log: vb.log, log1p: vb.log1p, reciprocal: vb.reciprocal })) withGrad(name, f, positive);
  for (const [name, f] of Object.entries({ tan: vb.tan, atan: vb.atan, sinh: vb.sinh, cosh: vb.cosh, asinh: vb.asinh })) withGrad(name, f);
  // Inside their domains: |0.3 x| < 1 for these x, 1 + x > 1 for the positive ones.
  for (const [name, f] of Object.entries({ asin: vb.asin, acos: vb.acos, atanh: vb.atanh })) withGrad(name, (t) => f(vb.mul(t, 0.3)));
  withGrad('acosh', (t) => vb.acosh(vb.add(t, 1)), positive);
  withGrad('atan2', (t) => vb.atan2(t, y));
  put('zerosLike/onesLike', [vb.zerosLike(x), vb.onesLike(ints)]);
  withGrad('geluApproximate', (t) => vb.gelu(t, true));
  withGrad('clipByValue', (t) => vb.clipByValue(t, -0.5, 0.7));
  const binary = { add: vb.add, sub: vb.sub, mul: vb.mul, div: vb.div, maximum: vb.maximum, minimum: vb.minimum };
  for (const [name, f] of Object.entries(binary)) withGrad(name, (t) => f(t, y));
  withGrad('pow', (t) => vb.pow(t, vb.abs(x)), positive);
  for (const name of ['greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual'] as const) put(name, vb[name](ints, vb.slice(vb.concat([ints, ints], 1), [0, 3], [4, 6])));
  put('logicalAnd', vb.logicalAnd(mask, vb.logicalNot(vb.transpose(vb.reshape(mask, [6, 4])).reshape([4, 6]))));
  put('logicalOr', vb.logicalOr(mask, vb.greater(x, 0)));
  put('int32 arithmetic', [vb.add(ints, 3), vb.mul(ints, ints), vb.div(ints, 2), vb.sub(ints, vb.abs(ints)), vb.neg(ints), vb.relu(ints)]);
  withGrad('where', (t) => vb.where(mask, t, vb.mul(t, 2)));
  for (const name of ['sum', 'prod', 'max', 'min', 'mean', 'variance', 'logSumExp'] as const) {
    withGrad(`${name}(axis 1)`, (t) => vb[name](t, 1));
    withGrad(`${name}(all, keepDims)`, (t) => vb[name](t, null, true));
  }
  put('moments', Object.values(vb.moments(x, 0)));
  put('argMax/argMin', [vb.argMax(x, 1), vb.argMin(x, 0), vb.argMax(ints, 0)]);
  put('int32 reductions', [vb.sum(ints, 0), vb.prod(ints, 1), vb.max(ints), vb.min(ints, 1)]);
  withGrad('cumsum', (t) => vb.cumsum(t, 1, true, true));
  const top = vb.topk(x, 3);
  put('topk', [top.values, top.indices]);
  withGrad('unsortedSegmentSum', (t) => vb.unsortedSegmentSum(t, vb.tensor([2, 0, 2, 1], [4], 'int32'), 3));
  withGrad('matMul', (t) => vb.matMul(t, vb.reshape(t, [6, 4]), false, false));
  withGrad('matMul transposed', (t) => vb.matMul(t, t, true, false));
  withGrad('fused.matMul', (t) => vb.fused.matMul({ a: t, b: vb.transpose(t), bias: vb.tensor([0.5, -1, 0, 2]), activation: 'relu' }));
  withGrad('reshape/transpose/broadcastTo', (t) => vb.broadcastTo(vb.transpose(vb.reshape(t, [2, 3, 4]), [2, 0, 1]), [3, 4, 2, 3]));
  withGrad('slice/pad', (t) => vb.pad(vb.slice(t, [1, 2], [2, 3]), [[1, 0], [2, 1]], 0.25));
  withGrad('concat/stack', (t) => vb.concat([t, vb.stack([t, t], 1).reshape([8, 6])], 0));
  withGrad('unstack', (t) => vb.add(vb.unstack(t, 1)[2]!, vb.unstack(t)[3]!.sum()));
  withGrad('split', (t) => vb.add(vb.split(t, 2, 1)[1]!, vb.split(t, [1, 3], 0)[0]!.sum()));
  withGrad('expandDims/squeeze', (t) => vb.squeeze(vb.expandDims(t, 1), [1]));
  withGrad('tile', (t) => vb.tile(t, [2, 3]));
  withGrad('gather', (t) => vb.gather(t, vb.tensor([5, 0, 0, 3], [4], 'int32'), 1));
  withGrad('scatterAdd', (t) => vb.scatterAdd(t, vb.tensor([1, 1, 0, 2], [4], 'int32'), 0, 3));
  put('oneHot', vb.oneHot(vb.tensor([0, 3, 1, 3], [4], 'int32'), 5));
  put('creation', [vb.linspace(-1, 2, 7), vb.range(0, 3, 0.4), vb.eye(3, 4), vb.fill([2, 3], 0.1), vb.zeros([2]), vb.ones([2], 'int32'),
    vb.scalar(1.1), vb.tensor1d([1, 2]), vb.tensor2d([[1], [2]]), vb.tensor3d([[[1]]]), vb.tensor4d([[[[1e-40]]]]), vb.cast(x, 'int32'), vb.cast(ints, 'bool')]);
  put('chain methods', [x.toInt().toFloat().flatten(), ints.asType('bool').toInt(), x.as1D().as2D(6, 4).as3D(2, 3, 4).as4D(1, 2, 3, 4).reshapeAs(x).clone(), x.sum().asScalar()]);
  const conv = (name: string, f: (t: Tensor) => Tensor) => withGrad(name, f, image);
  conv('conv2d same', (t) => vb.conv2d(t, filter, 1, 'same'));
  conv('conv2d valid strided', (t) => vb.conv2d(t, filter, [2, 1], 'valid'));
  conv('conv2d dilated', (t) => vb.conv2d(t, filter, 1, 'valid', 'NHWC', [1, 2]));
  conv('fused.conv2d', (t) => vb.fused.conv2d({ x: t, filter, strides: 2, pad: 'same', bias: vb.tensor([1, 0, -1, 0.5]), activation: 'relu' }));
  conv('conv1d', (t) => vb.conv1d(vb.reshape(t, [2, 49, 3]), vb.reshape(vb.slice(filter, [0, 0, 0, 0], [1, 3, 3, 4]), [3, 3, 4]), 2, 'same'));
  conv('depthwiseConv2d', (t) => vb.depthwiseConv2d(t, vb.slice(filter, [0, 0, 0, 0], [3, 3, 3, 2]), 1, 'same'));
  conv('separableConv2d', (t) => vb.separableConv2d(t, vb.slice(filter, [0, 0, 0, 0], [3, 3, 3, 1]), vb.reshape(vb.slice(filter, [0, 0, 0, 0], [1, 1, 3, 4]), [1, 1, 3, 4]), 1, 'valid'));
  conv('conv2dTranspose', (t) => vb.conv2dTranspose(t, vb.transpose(filter, [0, 1, 3, 2]).slice([0, 0, 0, 0], [3, 3, 2, 3]), [2, 14, 14, 2], 2, 'same'));
  conv('maxPool', (t) => vb.maxPool(t, 3, 2, 'same'));
  conv('avgPool', (t) => vb.avgPool(t, [2, 3], [2, 1], 'valid'));
  const patches = { kernel: [2, 2] as [number, number], strides: [2, 2] as [number, number], dilations: [1, 1] as [number, number], pads: [1, 0, 0, 1] as [number, number, number, number] };
  conv('extractPatches/scatterPatches', (t) => vb.scatterPatches(vb.extractPatches(t, patches, -1), patches, [7, 7]));
  // Volumes [2, 7, 7, 3, 2] (depth, height, width, channels) of the image and its sine, and a [2, 3, 3, 2, 4] filter.
  const volume = (t: Tensor) => vb.concat([vb.reshape(t, [2, 7, 7, 3, 1]), vb.reshape(vb.sin(t), [2, 7, 7, 3, 1])], 4);
  const filter3d = vb.reshape(vb.slice(vb.reshape(vb.concat([filter, vb.neg(filter)], 0), [216]), [0], [144]), [2, 3, 3, 2, 4]);
  conv('conv3d same', (t) => vb.conv3d(volume(t), filter3d, 1, 'same'));
  conv('conv3d valid strided', (t) => vb.conv3d(volume(t), filter3d, [1, 2, 3], 'valid'));
  conv('conv3d dilated', (t) => vb.conv3d(volume(t), filter3d, 1, 'valid', 'NDHWC', [2, 2, 1]));
  conv('conv3dTranspose', (t) => vb.conv3dTranspose(volume(t), vb.slice(vb.transpose(filter3d, [0, 1, 2, 4, 3]), [0, 0, 0, 0, 0], [2, 3, 3, 3, 2]), [2, 14, 14, 6, 3], 2, 'same'));
  conv('maxPool3d', (t) => vb.maxPool3d(volume(t), 3, [1, 2, 2], 'same'));
  conv('avgPool3d', (t) => vb.avgPool3d(volume(t), [2, 3, 2], [2, 1, 3], 'valid'));
  const volumePatches = { kernel: [2, 2, 3], strides: [2, 1, 2], dilations: [1, 2, 1], pads: [1, 0, 0, 1, 2, 0] };
  conv('extractPatches/scatterPatches 3-D', (t) => vb.scatterPatches(vb.extractPatches(volume(t), volumePatches, -1), volumePatches, [7, 7, 3]));
  conv('resizeBilinear', (t) => vb.resizeBilinear(t, [5, 9], false, true));
  conv('resizeNearestNeighbor', (t) => vb.resizeNearestNeighbor(t, [10, 4], true));
  conv('image.flipLeftRight', (t) => vb.image.flipLeftRight(t));
  conv('mirrorPad', (t) => vb.add(vb.mirrorPad(t, [[0, 0], [2, 1], [1, 2], [0, 0]], 'reflect'), vb.mirrorPad(t, [[0, 0], [1, 2], [2, 1], [0, 0]], 'symmetric')));
  conv('image.transform', (t) => vb.image.transform(t, vb.tensor([[0.9, -0.2, 1, 0.1, 1.1, -0.5, 0, 0], [1, 0, 0.5, 0, 1, 0.5, 0.01, 0]]), 'bilinear', 'reflect'));
  withGrad('batchNorm', (t) => vb.batchNorm(t, vb.mean(t, 0), vb.variance(t, 0), y, vb.exp(y), 0.001));
  withGrad('squaredDifference', (t) => vb.squaredDifference(t, y));
  withGrad('floorDiv/mod', (t) => vb.add(vb.floorDiv(t, vb.mul(y, 0.5)), vb.mod(vb.mul(t, 3), y)));
  put('int32 floorDiv/mod', [vb.floorDiv(ints, vb.add(vb.abs(ints), 1)), vb.mod(ints, 3), vb.mod(ints, -4), vb.mod(ints, 0)]);
  withGrad('reverse', (t) => vb.reverse(t, [0, 1]));
  put('isNaN/all/any', [vb.isNaN(vb.div(x, vb.round(x))), vb.all(mask, 1), vb.any(mask, 0, true), vb.all(ints)]);
  for (const [ord, axis] of [['euclidean', null], [1, 1], [Infinity, 0], [-Infinity, null], ['fro', [0, 1]], [1, [1, 0]]] as const) {
    withGrad(`norm ${String(ord)} ${JSON.stringify(axis)}`, (t) => vb.norm(t, ord, axis as number | number[] | null));
  }
  // TF.js's convenience ops, compositions of the ops above (src/ops/compat.ts).
  withGrad('TF.js compositions', (t) => vb.addN([vb.divNoNan(t, vb.round(y)), vb.rsqrt(vb.abs(t)), vb.step(t, 0.3), vb.logSigmoid(t), vb.prelu(t, vb.mul(y, 0.1)), vb.clone(t)]));
  put('TF.js compositions, no gradient', [vb.dot(x, y), vb.euclideanNorm(x, 1), vb.isFinite(vb.div(x, vb.round(x))), vb.isInf(vb.div(x, vb.round(x))),
    vb.logicalXor(mask, vb.greater(x, 0)), vb.buffer([2], 'float32', Float32Array.of(1, 2)).toTensor()]);
  withGrad('cumprod', (t) => vb.add(vb.cumprod(t, 1), vb.cumprod(t, 0, true, true)));
  // Counting and searching (src/ops/bucketing.ts).
  const counts = vb.abs(ints);
  put('bincount/denseBincount', [vb.bincount(vb.reshape(counts, [24]), vb.reshape(x, [24]), 5), vb.denseBincount(counts, [], 4), vb.denseBincount(counts, ints, 6), vb.denseBincount(counts, x, 3, true)]);
  const edges = vb.neg(vb.topk(vb.neg(x), 6).values);
  put('searchSorted/lowerBound/upperBound', [vb.searchSorted(edges, x), vb.lowerBound(edges, vb.mul(x, 2)), vb.upperBound(edges, vb.round(x))]);
  // Rearranging (src/ops/space.ts).
  conv('spaceToBatchND/batchToSpaceND', (t) => vb.batchToSpaceND(vb.spaceToBatchND(t, [2, 2], [[1, 0], [0, 1]]), [2, 1], [[0, 1], [1, 0]]));
  conv('depthToSpace', (t) => {
    const deep = vb.concat([t, vb.mul(t, 2), t, vb.neg(t)], 3);
    return vb.add(vb.depthToSpace(deep, 2), vb.transpose(vb.depthToSpace(vb.transpose(deep, [0, 3, 1, 2]), 2, 'NCHW'), [0, 2, 3, 1]));
  });
  conv('localResponseNormalization', (t) => vb.add(vb.localResponseNormalization(t), vb.localResponseNormalization(t, 1, 0.5, 2, 0.75)));
  // vb.linalg (src/ops/linalg-namespace.ts).
  withGrad('linalg.bandPart', (t) => vb.add(vb.linalg.bandPart(t, 1, 2), vb.linalg.bandPart(t, -1, vb.scalar(0, 'int32'))));
  withGrad('linalg.gramSchmidt', (t) => vb.linalg.gramSchmidt(t) as Tensor);
  withGrad('linalg.qr', (t) => vb.concat([...vb.linalg.qr(t), ...vb.linalg.qr(vb.transpose(t), true)].map((m) => vb.reshape(m, [-1])), 0));
}

/** Every sampler of vb.random, the TF.js-style ones, the generator, and every initializer. */
function samplerDigests(vb: VB, out: Digests): void {
  const k = vb.random.key(11);
  const put = (name: string, t: Tensor | Tensor[]) => { out[`sampler/${name}`] = vb.digest(t); };
  put('normal', vb.random.normal(k, [1000], { mean: 1, stddev: 2 }));
  put('uniform', vb.random.uniform(vb.random.foldIn(k, 1), [1000], { minval: -3, maxval: 5 }));
  put('truncatedNormal', vb.random.truncatedNormal(vb.random.foldIn(k, 'truncated'), [1000]));
  put('bernoulli', vb.random.bernoulli(vb.random.foldIn(k, 2), 0.3, [1000]));
  put('randint', vb.random.randint(vb.random.foldIn(k, 3), [1000], -7, 100));
  put('permutation', [vb.random.permutation(vb.random.foldIn(k, 4), 100), vb.random.permutation(vb.random.foldIn(k, 5), vb.range(0, 10))]);
  out['sampler/randomBits+split+hashString'] = numbersDigest([...vb.random.randomBits(k, 16), ...vb.random.split(k, 3).flatMap((s) => [...vb.random.randomBits(s, 2)]), vb.random.hashString('verbatim')]);
  out['sampler/threefry2x32'] = numbersDigest([...vb.random.threefry2x32(1, 2, 3, 4)]);
  const g = vb.random.generator(5);
  put('generator', [g.normal([100]), g.uniform([100], -1, 1), g.integers([100], 0, 9), g.permutation(20)]);
  vb.setRandomSeed(3);
  put('TF.js style', [vb.randomNormal([100]), vb.randomUniform([100], -2, 2), vb.truncatedNormal([100], 0, 1, 'float32', 9), vb.randomNormal([10], 0, 1, 'float32', 4)]);
  const initializers = vb.initializers as unknown as Record<string, (config?: object) => Verbatim.initializers.Initializer>;
  // TF.js's spellings are the same functions as Keras's (leCunNormal is lecunNormal): each initializer once.
  const tfjsSpellings = ['leCunNormal', 'leCunUniform'];
  for (const name of Object.keys(initializers).filter((n) => n !== 'getInitializer' && !tfjsSpellings.includes(n))) {
    const init = initializers[name]!(name === 'constant' ? { value: 0.3 } : {});
    put(`initializer ${name}`, vb.tensor(init.values([5, 7], vb.random.key(name.length)), [5, 7]));
  }
}

function activationDigests(vb: VB, out: Digests): void {
  const x = vb.random.normal(vb.random.key(12), [3, 5]);
  for (const name of vb.layers.ACTIVATION_NAMES) {
    const layer = vb.layers.activation({ activation: name });
    out[`activation/${name}`] = vb.digest([layer.apply(x) as Tensor, vb.grad((t: Tensor) => vb.sum(vb.square(layer.apply(t) as Tensor)))(x)]);
  }
  const leaky = vb.layers.leakyReLU({ alpha: 0.2 });
  out['activation/layers.leakyReLU'] = vb.digest([leaky.apply(x) as Tensor, vb.grad((t: Tensor) => vb.sum(vb.square(leaky.apply(t) as Tensor)))(x)]);
  const prelu = vb.layers.prelu({ alphaInitializer: 'randomNormal' });
  const preluOut = prelu.apply(x) as Tensor;
  const alpha = prelu.weights[0]!.variable;
  const { grads } = vb.variableGrads(() => vb.sum(vb.square(prelu.apply(x) as Tensor)), [alpha]);
  out['activation/layers.prelu'] = vb.digest([preluOut, alpha, grads[alpha.name]!, vb.grad((t: Tensor) => vb.sum(vb.square(prelu.apply(t) as Tensor)))(x)]);
}

function lossAndMetricDigests(vb: VB, out: Digests): void {
  const logits = vb.random.normal(vb.random.key(13), [6, 4]);
  const probabilities = vb.softmax(logits);
  const labels = vb.tensor([0, 3, 1, 1, 2, 0], [6], 'int32');
  const oneHot = vb.oneHot(labels, 4);
  const binary = vb.cast(vb.random.bernoulli(vb.random.key(14), 0.5, [6, 4]), 'float32');
  for (const name of vb.losses.LOSS_NAMES) {
    const loss = vb.losses.getLoss(name, 'golden');
    const [yTrue, yPred] = /sparse/.test(loss.name) ? [labels, probabilities] : /categorical/.test(loss.name) ? [oneHot, probabilities] : /binary/.test(loss.name) ? [binary, vb.sigmoid(logits)] : [binary, logits];
    out[`loss/${name}`] = vb.digest([loss.call(yTrue, yPred), vb.grad((p: Tensor) => vb.sum(loss.call(yTrue, p)))(yPred)]);
  }
  out['loss/fromLogits'] = vb.digest([vb.losses.categoricalCrossentropy({ fromLogits: true }).call(oneHot, logits), vb.losses.sparseCategoricalCrossentropy({ fromLogits: true }).call(labels, logits),
    vb.losses.binaryCrossentropy({ fromLogits: true, labelSmoothing: 0.1 }).call(binary, logits), vb.losses.huber({ delta: 0.5 }).call(binary, logits)]);
  for (const name of vb.metrics.METRIC_NAMES) {
    const metric = vb.metrics.getMetric(name, 'golden');
    const [yTrue, yPred] = /sparse/i.test(name) ? [labels, probabilities] : /categorical/i.test(name) ? [oneHot, probabilities] : [binary, vb.sigmoid(logits)];
    metric.update(yTrue, yPred);
    metric.update(yTrue, vb.sqrt(yPred));
    out[`metric/${name}`] = numbersDigest([metric.result()]);
  }
}

/** Each optimizer minimizes a small non-convex function for a few steps. */
function optimizerDigests(vb: VB, out: Digests): void {
  const makers: Record<string, () => Verbatim.optimizers.Optimizer> = Object.fromEntries(vb.optimizers.OPTIMIZER_NAMES.map((n) => [n, () => vb.optimizers.getOptimizer(n, 'golden')]));
  Object.assign(makers, {
    'sgd momentum nesterov': () => vb.train.momentum(0.05, 0.9, true),
    'rmsprop centered momentum': () => vb.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true),
    'adam exponentialDecay': () => vb.optimizers.adam({ learningRate: vb.optimizers.exponentialDecay({ initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5, staircase: true }) }),
    'adamw cosineDecay amsgrad': () => vb.optimizers.adamw({ learningRate: vb.optimizers.cosineDecay({ initialLearningRate: 0.05, decaySteps: 5, warmupTarget: 0.1, warmupSteps: 2 }), amsgrad: true }),
    'adagrad clipnorm': () => vb.optimizers.adagrad({ learningRate: 0.3, clipnorm: 0.5 }),
    'adamax clipvalue': () => vb.optimizers.adamax({ clipvalue: 0.1 }),
    'sgd globalClipnorm': () => vb.optimizers.sgd({ learningRate: 0.5, globalClipnorm: 0.2 }),
  });
  for (const [name, make] of Object.entries(makers)) {
    const w = vb.variable(vb.random.normal(vb.random.key(15), [3, 4]), true, `w_${name.replace(/\W/g, '_')}`);
    const optimizer = make();
    for (let step = 0; step < 6; step++) optimizer.minimize(() => vb.sum(vb.mul(vb.sin(w), vb.square(w))));
    out[`optimizer/${name}`] = vb.digest([w, ...optimizer.slotVariables().map((s) => s.tensor)]);
    optimizer.dispose();
    w.dispose();
    // 70003 elements: the fused update kernels' SIMD body, scalar tail and thread split.
    const big = vb.variable(vb.random.normal(vb.random.key(16), [70003]), true, `big_${name.replace(/\W/g, '_')}`);
    const bigOptimizer = make();
    for (let step = 0; step < 3; step++) bigOptimizer.minimize(() => vb.sum(vb.mul(vb.sin(big), vb.square(big))));
    out[`optimizer/${name} 70003`] = vb.digest([big, ...bigOptimizer.slotVariables().map((s) => s.tensor)]);
    bigOptimizer.dispose();
    big.dispose();
  }
}

async function trainingDigests(vb: VB, out: Digests): Promise<void> {
  vb.setRandomSeed(21);
  const x = vb.random.normal(vb.random.key(22), [103, 8]);
  const y = vb.cast(vb.greater(vb.sum(vb.mul(x, vb.range(-3, 5)), 1, true), 0), 'float32');
  // Named models, disposed at the end: auto-generated names count the models made so far in the
  // process, and the keys of unseeded weights follow the names.
  const model = vb.sequential({
    name: 'golden_mlp',
    layers: [
      vb.layers.dense({ units: 16, activation: 'relu', inputShape: [8], kernelRegularizer: vb.regularizers.l2({ l2: 1e-3 }) }),
      vb.layers.dropout({ rate: 0.3 }),
      vb.layers.dense({ units: 8, activation: 'tanh', useBias: false, kernelInitializer: 'heNormal' }),
      vb.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', 'auc'] });
  const history = await model.fit(x, y, { epochs: 3, batchSize: 10, shuffle: true, validationSplit: 0.2, verbose: 0 });
  out['training/dense dropout shuffle'] = model.weightsDigest();
  out['training/dense dropout shuffle history'] = numbersDigest(Object.keys(history.history).sort().flatMap((k) => history.history[k]!));
  out['training/predict+evaluate'] = vb.digest([model.predict(x) as Tensor, ...[model.evaluate(x, y, { batchSize: 7 })].flat()]);

  const images = vb.random.uniform(vb.random.key(23), [30, 8, 8, 1]);
  const classes = vb.oneHot(vb.random.randint(vb.random.key(24), [30], 0, 3), 3);
  const cnn = vb.sequential({
    name: 'golden_cnn',
    layers: [
      vb.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1], padding: 'same' }),
      vb.layers.maxPooling2d({ poolSize: 2 }),
      vb.layers.separableConv2d({ filters: 4, kernelSize: 2 }),
      vb.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      vb.layers.flatten(),
      vb.layers.dropout({ rate: 0.2 }),
      vb.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  cnn.compile({ optimizer: vb.optimizers.rmsprop({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['categoricalAccuracy'] });
  await cnn.fit(images, classes, { epochs: 2, batchSize: 8, shuffle: true, verbose: 0 });
  out['training/convolution'] = cnn.weightsDigest();

  const dataset = vb.data.fromTensorSlices({ xs: x, ys: y }).shuffle(50, { seed: 5 }).map((e) => { const { xs, ys } = e as { xs: Tensor; ys: Tensor }; return { xs: vb.mul(xs, 0.5), ys }; }).batch(16);
  const piped = vb.sequential({ name: 'golden_pipeline', layers: [vb.layers.dense({ units: 4, activation: 'elu', inputShape: [8] }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
  piped.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.1, momentum: 0.5 }), loss: 'binaryCrossentropy' });
  await piped.fit(dataset, { epochs: 2, verbose: 0 });
  out['training/data pipeline'] = piped.weightsDigest();

  // A model that blows up: every engine must store the same (canonical) NaN bits.
  const blown = vb.sequential({ name: 'golden_blown', layers: [vb.layers.dense({ units: 4, inputShape: [8] }), vb.layers.dense({ units: 1 })] });
  blown.compile({ optimizer: vb.optimizers.sgd({ learningRate: 1e30 }), loss: 'meanSquaredError' });
  // fit stops at the first non-finite loss (weights infinite); a second fit turns them to NaN.
  for (let i = 0; i < 3; i++) await blown.fit(x, vb.mul(y, 1e30), { epochs: 1, batchSize: 32, verbose: 0 });
  out['training/blown up to NaN'] = blown.weightsDigest();
  out['training/blown up has NaN'] = String(blown.weights.some((w) => (w.dataSync() as Float32Array).some(Number.isNaN)));
  for (const m of [model, cnn, piped, blown]) m.dispose();
}

/** Trains `model` briefly; its weights digest and its history's. */
async function trained(out: Digests, name: string, model: Verbatim.LayersModel, x: Tensor | Tensor[], y: Tensor | Tensor[], args: Verbatim.FitArgs = {}): Promise<void> {
  const history = await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: true, verbose: 0, ...args });
  out[`layers/${name}`] = model.weightsDigest();
  out[`layers/${name} history`] = numbersDigest(Object.keys(history.history).sort().flatMap((k) => history.history[k]!));
  model.dispose();
}

/** Models of every kind of layer: recurrent, attention, normalization, noise, augmentation, merge, functional. */
async function layerDigests(vb: VB, out: Digests): Promise<void> {
  vb.setRandomSeed(31);
  const L = vb.layers;
  const tokens = vb.mul(vb.random.randint(vb.random.key(32), [20, 8], 1, 20), vb.cast(vb.greater(vb.random.uniform(vb.random.key(33), [20, 8]), 0.3), 'int32'));
  const labels = vb.cast(vb.greater(vb.sum(tokens, 1, true), 60), 'float32');
  const text = vb.sequential({ name: 'golden_text', layers: [L.embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputLength: 8 }), L.lstm({ units: 5, dropout: 0.2, recurrentDropout: 0.2 }), L.dense({ units: 1, activation: 'sigmoid' })] });
  text.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  await trained(out, 'embedding+lstm (masked)', text, tokens, labels);

  const recurrent = vb.sequential({ name: 'golden_recurrent', layers: [
    L.embedding({ inputDim: 20, outputDim: 3, inputLength: 8 }), L.bidirectional({ layer: L.gru({ units: 3, returnSequences: true }), mergeMode: 'ave' }),
    L.simpleRNN({ units: 3, returnSequences: true, goBackwards: true }), L.gru({ units: 2, resetAfter: false }), L.dense({ units: 1, activation: 'sigmoid' }),
  ] });
  recurrent.compile({ optimizer: 'rmsprop', loss: 'binaryCrossentropy' });
  await trained(out, 'bidirectional gru, simpleRNN, gru', recurrent, tokens, labels);

  // rnn over cells: a list of cells stacked (dropout in each), then a stackedRNNCells, masked.
  const cells = vb.sequential({ name: 'golden_cells', layers: [
    L.embedding({ inputDim: 20, outputDim: 3, maskZero: true, inputLength: 8 }),
    L.rnn({ cell: [L.lstmCell({ units: 4, dropout: 0.2, recurrentDropout: 0.1 }), L.gruCell({ units: 3, resetAfter: false, dropout: 0.3 })], returnSequences: true }),
    L.rnn({ cell: L.stackedRNNCells({ cells: [L.simpleRNNCell({ units: 2, recurrentDropout: 0.2 })] }), goBackwards: true }), L.dense({ units: 1, activation: 'sigmoid' }),
  ] });
  cells.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  await trained(out, 'rnn over stacked cells (masked)', cells, tokens, labels);

  const sequence = vb.input({ shape: [8], dtype: 'int32', name: 'sequence' });
  const embedded = L.embedding({ inputDim: 20, outputDim: 8 }).apply(sequence);
  const attended = L.multiHeadAttention({ numHeads: 2, keyDim: 4, dropout: 0.1 }).apply([embedded, embedded]);
  const normalized = L.layerNormalization().apply(L.add().apply([embedded, L.dropout({ rate: 0.1 }).apply(attended)]));
  const fed = L.layerNormalization().apply(L.add().apply([normalized, L.dense({ units: 8 }).apply(L.dense({ units: 16, activation: 'gelu' }).apply(normalized))]));
  const transformer = vb.model({ inputs: sequence, outputs: L.dense({ units: 1, activation: 'sigmoid' }).apply(L.globalAveragePooling1d().apply(fed)), name: 'golden_transformer' });
  transformer.compile({ optimizer: 'adamw', loss: 'binaryCrossentropy' });
  await trained(out, 'transformer block', transformer, tokens, labels);

  const images = vb.random.uniform(vb.random.key(34), [16, 10, 10, 3]);
  const classes = vb.oneHot(vb.random.randint(vb.random.key(35), [16], 0, 2), 2);
  const augmented = vb.sequential({ name: 'golden_augmented', layers: [
    L.rescaling({ scale: 2, offset: -1, inputShape: [10, 10, 3] }), L.randomFlip(), L.randomRotation({ factor: 0.2 }), L.randomZoom({ heightFactor: 0.2 }),
    L.randomTranslation({ heightFactor: 0.1, widthFactor: 0.2, fillMode: 'wrap' }), L.randomContrast({ factor: 0.3 }), L.randomCrop({ height: 9, width: 9 }),
    L.resizing({ height: 8, width: 8 }), L.centerCrop({ height: 6, width: 6 }), L.conv2d({ filters: 3, kernelSize: 3 }), L.batchNormalization(),
    L.spatialDropout2d({ rate: 0.2 }), L.gaussianNoise({ stddev: 0.1 }), L.flatten(), L.gaussianDropout({ rate: 0.1 }), L.alphaDropout({ rate: 0.1 }), L.dense({ units: 2, activation: 'softmax' }),
  ] });
  augmented.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await trained(out, 'augmentation, batchNormalization, noise', augmented, images, classes);

  const spatial = vb.sequential({ name: 'golden_spatial', layers: [
    L.zeroPadding2d({ padding: 1, inputShape: [10, 10, 3] }), L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }), L.upSampling2d({ size: 2 }),
    L.cropping2d({ cropping: [[1, 2], [2, 1]] }), L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2 }), L.globalMaxPooling2d(), L.dense({ units: 2, activation: 'softmax' }),
  ] });
  spatial.compile({ optimizer: 'adamax', loss: 'categoricalCrossentropy' });
  await trained(out, 'zeroPadding, depthwise, upSampling, cropping, conv2dTranspose', spatial, images, classes);
  const signals = vb.sequential({ name: 'golden_signals', layers: [
    L.reshape({ targetShape: [30, 10], inputShape: [10, 10, 3] }), L.conv1d({ filters: 4, kernelSize: 3, dilationRate: 2 }), L.maxPooling1d({ poolSize: 2 }),
    L.averagePooling1d({ poolSize: 2, padding: 'same' }), L.reshape({ targetShape: [7, 1, 4] }), L.globalAveragePooling2d(), L.dense({ units: 2, activation: 'softmax' }),
  ] });
  signals.compile({ optimizer: 'adagrad', loss: 'categoricalCrossentropy' });
  await trained(out, 'conv1d and 1-D pooling', signals, images, classes);
  const steps = vb.sequential({ name: 'golden_steps', layers: [
    L.reshape({ targetShape: [30, 10], inputShape: [10, 10, 3] }), L.zeroPadding1d({ padding: [1, 2] }), L.conv1d({ filters: 4, kernelSize: 3 }), L.thresholdedReLU({ theta: 0.05 }),
    L.upSampling1d({ size: 2 }), L.cropping1D({ cropping: [3, 1] }), L.elu({ alpha: 0.5 }), L.reLU({ maxValue: 1.5 }), L.globalAveragePooling1d(), L.dense({ units: 2 }), L.softmax(),
  ] });
  steps.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy' });
  await trained(out, 'zeroPadding1d, upSampling1d, cropping1D, activation layers', steps, images, classes);

  const a = vb.input({ shape: [4], name: 'a' });
  const b = vb.input({ shape: [4], name: 'b' });
  const shared = L.dense({ units: 4, activation: 'tanh' });
  const [sa, sb] = [shared.apply(a), shared.apply(b)];
  const merged = L.concatenate().apply([L.add().apply([sa, sb]), L.subtract().apply([sa, sb]), L.multiply().apply([sa, sb]), L.average().apply([sa, sb]), L.maximum().apply([sa, sb]), L.minimum().apply([sa, sb]), L.dot({ axes: -1, normalize: true }).apply([sa, sb])]);
  const repeated = L.timeDistributed({ layer: L.dense({ units: 2 }) }).apply(L.permute({ dims: [2, 1] }).apply(L.repeatVector({ n: 3 }).apply(merged)));
  const score = L.dense({ units: 1, name: 'score' }).apply(L.flatten().apply(repeated));
  const label = L.dense({ units: 2, activation: 'softmax', name: 'label' }).apply(L.spatialDropout1d({ rate: 0.2 }).apply(L.reshape({ targetShape: [25, 1] }).apply(merged)));
  const functional = vb.model({ inputs: [a, b], outputs: [score, L.flatten().apply(L.globalMaxPooling1d().apply(label))], name: 'golden_functional' });
  functional.compile({ optimizer: 'sgd', loss: ['meanSquaredError', 'categoricalCrossentropy'], lossWeights: [1, 0.5], metrics: [['mae'], ['accuracy']] });
  const xa = vb.random.normal(vb.random.key(36), [12, 4]);
  const xb = vb.random.normal(vb.random.key(37), [12, 4]);
  await trained(out, 'functional, shared layer, merges', functional, [xa, xb], [vb.sum(xa, 1, true), vb.oneHot(vb.cast(vb.greater(vb.sum(xb, 1), 0), 'int32'), 2)]);

  // Steps padded with -1 (where the tokens are 0) masked by Masking for a gru.
  const present = vb.reshape(vb.cast(vb.greater(tokens, 0), 'float32'), [20, 8, 1]);
  const padded = vb.sub(vb.mul(vb.add(vb.random.normal(vb.random.key(38), [20, 8, 3]), 1), present), 1);
  const masked = vb.sequential({ name: 'golden_masking', layers: [L.masking({ maskValue: -1, inputShape: [8, 3] }), L.gru({ units: 3 }), L.dense({ units: 1, activation: 'sigmoid' })] });
  masked.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  await trained(out, 'masking+gru', masked, padded, labels);

  // Keras 3 masks through batchNormalization (masked moments), cross-attention and concatenate (their masks).
  const words = vb.input({ shape: [8], dtype: 'int32', name: 'words' });
  const embeddedWords = L.batchNormalization().apply(L.embedding({ inputDim: 20, outputDim: 4, maskZero: true }).apply(words));
  const attendedWords = L.multiHeadAttention({ numHeads: 2, keyDim: 2 }).apply([embeddedWords, embeddedWords]);
  const joinedWords = L.concatenate({ axis: 1 }).apply([embeddedWords, attendedWords]);
  const maskedLayers = vb.model({ inputs: words, outputs: L.dense({ units: 1, activation: 'sigmoid' }).apply(L.gru({ units: 3 }).apply(joinedWords)), name: 'golden_masked_layers' });
  maskedLayers.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  await trained(out, 'batchNormalization, multiHeadAttention, concatenate (masked)', maskedLayers, tokens, labels);

  // Masks in training (Keras 3): pooling over the unmasked steps; a tagger's loss and metrics over them.
  const pooled = vb.sequential({ name: 'golden_masked_pooling', layers: [L.embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputLength: 8 }), L.globalAveragePooling1d(), L.dense({ units: 1, activation: 'sigmoid' })] });
  pooled.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  await trained(out, 'embedding(maskZero)+globalAveragePooling1d', pooled, tokens, labels);
  const tags = vb.cast(vb.mod(tokens, 3), 'float32');
  const tagger = vb.sequential({ name: 'golden_tagger', layers: [
    L.embedding({ inputDim: 20, outputDim: 4, maskZero: true, inputLength: 8 }), L.lstm({ units: 4, returnSequences: true }), L.timeDistributed({ layer: L.dense({ units: 3, activation: 'softmax' }) }),
  ] });
  tagger.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await trained(out, 'tagger (masked loss and metrics)', tagger, tokens, tags, { validationData: [tokens, tags] });

  // Volumes: the images as [10, 10, 3, 1] (depth, height, width, channels).
  const volumes = vb.sequential({ name: 'golden_volumes', layers: [
    L.reshape({ targetShape: [10, 10, 3, 1], inputShape: [10, 10, 3] }), L.conv3d({ filters: 3, kernelSize: [3, 3, 2], padding: 'same', activation: 'relu' }),
    L.maxPooling3d({ poolSize: [2, 2, 1] }), L.conv3dTranspose({ filters: 2, kernelSize: 2, strides: [1, 1, 2] }), L.averagePooling3d({ poolSize: 2, padding: 'same' }),
    L.globalAveragePooling3d({ keepDims: true }), L.globalMaxPooling3d(), L.dense({ units: 2, activation: 'softmax' }),
  ] });
  volumes.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await trained(out, 'conv3d, 3-D pooling, conv3dTranspose', volumes, images, classes);
  const volumeSpatial = vb.sequential({ name: 'golden_volume_spatial', layers: [
    L.reshape({ targetShape: [10, 10, 3, 1], inputShape: [10, 10, 3] }), L.zeroPadding3d({ padding: [1, 0, 2] }), L.conv3d({ filters: 2, kernelSize: 3 }),
    L.upSampling3d({ size: [1, 2, 2] }), L.cropping3d({ cropping: [[0, 1], [2, 1], [1, 0]] }), L.flatten(), L.dense({ units: 2, activation: 'softmax' }),
  ] });
  volumeSpatial.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await trained(out, 'zeroPadding3d, upSampling3d, cropping3d', volumeSpatial, images, classes);
}

/** Data stages and training options: repeat, filter, take, skip, prefetch, generator, fitDataset, trainOnBatch, classWeight, validationData, initialEpoch, earlyStopping. */
async function optionDigests(vb: VB, out: Digests): Promise<void> {
  vb.setRandomSeed(41);
  const x = vb.random.normal(vb.random.key(42), [30, 3]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
  const make = (name: string) => {
    const m = vb.sequential({ name, layers: [vb.layers.inputLayer({ inputShape: [3] }), vb.layers.dense({ units: 4, activation: 'relu' }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
    m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const rows = Array.from({ length: 30 }, (_, i) => i);
  const data = vb.data.generator(function* rowsOf() { for (const i of rows) yield { xs: vb.slice(x, [i, 0], [1, 3]).reshape([3]), ys: vb.slice(y, [i, 0], [1, 1]).reshape([1]) }; })
    .filter((e) => (e as { xs: Tensor }).xs.sum().dataSync()[0]! > -2).skip(2).take(24).repeat(2).shuffle(10, { seed: 3, reshuffleEachIteration: true }).batch(7).prefetch(2);
  const piped = make('golden_options_data');
  await piped.fitDataset(data, { epochs: 2, verbose: 0 });
  out['options/data generator, filter, skip, take, repeat, shuffle, prefetch, fitDataset'] = piped.weightsDigest();
  piped.dispose();

  const options = make('golden_options_fit');
  const history = await options.fit(x, y, {
    epochs: 6, initialEpoch: 1, batchSize: 9, shuffle: true, classWeight: { 0: 0.3, 1: 2 }, validationData: [vb.mul(x, 0.5), y],
    callbacks: [vb.callbacks.earlyStopping({ monitor: 'val_loss', patience: 1, minDelta: 10 })], verbose: 0,
  });
  const batchLoss = await options.trainOnBatch(vb.slice(x, [0, 0], [5, 3]), vb.slice(y, [0, 0], [5, 1]));
  out['options/classWeight, validationData, initialEpoch, earlyStopping, trainOnBatch'] = options.weightsDigest();
  out['options/history and trainOnBatch'] = numbersDigest([...Object.keys(history.history).sort().flatMap((k) => history.history[k]!), ...[batchLoss].flat()]);
  options.dispose();
}

/** Each weight constraint's projection (norms over several axes of 21000 elements), and fits whose every step applies them. */
async function constraintDigests(vb: VB, out: Digests): Promise<void> {
  const w = vb.random.normal(vb.random.key(51), [6, 50, 70]);
  const C = vb.constraints;
  const projections = {
    maxNorm: C.maxNorm({ maxValue: 5, axis: [0, 2] }), minMaxNorm: C.minMaxNorm({ minValue: 3, maxValue: 4, rate: 0.6, axis: -1 }), nonNeg: C.nonNeg(), unitNorm: C.unitNorm({ axis: [0, 1] }),
  };
  for (const [name, constraint] of Object.entries(projections)) out[`constraint/${name}`] = vb.digest(vb.tidy(() => constraint.apply(w)));
  vb.setRandomSeed(52);
  const L = vb.layers;
  const images = vb.random.uniform(vb.random.key(53), [16, 6, 6, 2]);
  const classes = vb.oneHot(vb.random.randint(vb.random.key(54), [16], 0, 2), 2);
  const convolution = vb.sequential({ name: 'golden_constraints', layers: [
    L.conv2d({ filters: 3, kernelSize: 3, inputShape: [6, 6, 2], kernelConstraint: C.maxNorm({ maxValue: 0.5, axis: [0, 1, 2] }), biasConstraint: 'nonNeg' }),
    L.batchNormalization({ gammaConstraint: C.unitNorm(), betaConstraint: C.minMaxNorm({ maxValue: 0.1 }) }), L.flatten(),
    L.dense({ units: 2, activation: 'softmax', kernelConstraint: C.minMaxNorm({ minValue: 0.5, maxValue: 0.7, rate: 0.5 }), biasConstraint: C.nonNeg() }),
  ] });
  convolution.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  await trained(out, 'constraints: conv2d, batchNormalization, dense', convolution, images, classes);
  const tokens = vb.random.randint(vb.random.key(55), [16, 5], 0, 10);
  const recurrent = vb.sequential({ name: 'golden_constraints_recurrent', layers: [
    L.embedding({ inputDim: 10, outputDim: 3, inputLength: 5, embeddingsConstraint: C.maxNorm({ maxValue: 1, axis: 1 }) }),
    L.gru({ units: 3, kernelConstraint: 'unitNorm', recurrentConstraint: C.maxNorm({ maxValue: 0.8 }), biasConstraint: 'nonNeg' }), L.dense({ units: 2, activation: 'softmax' }),
  ] });
  recurrent.compile({ optimizer: 'rmsprop', loss: 'categoricalCrossentropy' });
  await trained(out, 'constraints: embedding, gru', recurrent, tokens, classes);
}

/** The workload's digests by entry name; the same on every backend, thread count and engine. */
export async function goldenDigests(vb: VB): Promise<Digests> {
  const out: Digests = {};
  vb.tidy(() => opDigests(vb, out));
  vb.tidy(() => samplerDigests(vb, out));
  vb.tidy(() => activationDigests(vb, out));
  vb.tidy(() => lossAndMetricDigests(vb, out));
  vb.tidy(() => optimizerDigests(vb, out));
  await trainingDigests(vb, out);
  await layerDigests(vb, out);
  await optionDigests(vb, out);
  await constraintDigests(vb, out);
  return out;
}
