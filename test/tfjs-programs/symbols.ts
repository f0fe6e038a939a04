/**
 * The TF.js API that the 27 Layers-API programs of tfjs-examples use: the one list from which
 * docs/tfjs-compatibility.md is generated (test/tfjs-compatibility.test.ts checks that the
 * document is current and that every status is true of verbatim as built).
 *
 * How the list was derived from the originals (tfjs-examples at HEAD, each program's .js/.ts
 * sources without tests and build files): every `tf.*` and `tfn.*` (tfjs-node) path that names a
 * function, namespace member or class (type-only names such as tf.Tensor2D, tf.Logs or
 * tf.Rank.R2, and words in comments, left out); and every method of TF.js's Tensor,
 * LayersModel, Dataset, Optimizer and TensorBuffer whose name the programs call as `.name(`
 * (by name, then pruned by reading: Promise.all, string split, tf.layers.dot( and names only in
 * JSDoc types such as tf.Callback and tf.train.Optimizer are not calls of TF.js methods).
 * A symbol's status is not written here but found: present on verbatim means supported, unless
 * DIFFERS says how it differs on purpose.
 */

export const SYMBOLS = [
  // tf.* functions and namespaces' members
  'tf.argMax', 'tf.browser.fromPixels', 'tf.browser.toPixels', 'tf.buffer', 'tf.callbacks.earlyStopping', 'tf.concat',
  'tf.data.array', 'tf.data.csv', 'tf.data.generator', 'tf.data.zip', 'tf.dispose', 'tf.div', 'tf.ENV.set', 'tf.expandDims',
  'tf.gather', 'tf.image.resizeBilinear', 'tf.input', 'tf.io.browserHTTPRequest', 'tf.io.listModels', 'tf.io.removeModel',
  'tf.layers.activation', 'tf.layers.batchNormalization', 'tf.layers.bidirectional', 'tf.layers.concatenate', 'tf.layers.conv1d',
  'tf.layers.conv2d', 'tf.layers.conv2dTranspose', 'tf.layers.dense', 'tf.layers.dot', 'tf.layers.dropout', 'tf.layers.embedding',
  'tf.layers.flatten', 'tf.layers.globalMaxPool1d', 'tf.layers.gru', 'tf.layers.input', 'tf.layers.inputLayer',
  'tf.layers.leakyReLU', 'tf.layers.lstm', 'tf.layers.maxPooling2d', 'tf.layers.multiply', 'tf.layers.repeatVector',
  'tf.layers.reshape', 'tf.layers.simpleRNN', 'tf.layers.timeDistributed', 'tf.linspace', 'tf.loadLayersModel', 'tf.loadModel',
  'tf.log', 'tf.logicalAnd', 'tf.losses.absoluteDifference', 'tf.losses.meanSquaredError', 'tf.losses.sigmoidCrossEntropy',
  'tf.mean', 'tf.memory', 'tf.metrics.binaryCrossentropy', 'tf.metrics.meanSquaredError',
  'tf.metrics.precision', 'tf.metrics.recall', 'tf.model', 'tf.models.modelFromJSON', 'tf.moments', 'tf.mul', 'tf.multinomial',
  'tf.nextFrame', 'tf.node.summaryFileWriter', 'tf.oneHot', 'tf.ones', 'tf.onesLike', 'tf.randomNormal', 'tf.randomUniform',
  'tf.regularizers.l2', 'tf.reshape', 'tf.scalar', 'tf.sequential', 'tf.serialization.registerClass', 'tf.sigmoid', 'tf.split',
  'tf.sqrt', 'tf.square', 'tf.squeeze', 'tf.stack', 'tf.sub', 'tf.sum', 'tf.tensor', 'tf.tensor1d', 'tf.tensor2d', 'tf.tensor3d',
  'tf.tensor4d', 'tf.tidy', 'tf.train.adam', 'tf.train.rmsprop', 'tf.train.sgd', 'tf.unstack', 'tf.util.assert',
  'tf.util.assertShapesMatch', 'tf.util.now', 'tf.util.shuffle', 'tf.util.sizeFromShape', 'tf.variableGrads', 'tf.where',
  'tf.zeros', 'tf.zerosLike',
  // classes the programs name (instanceof, extends, new)
  'tf.LayersModel', 'tf.Sequential', 'tf.SymbolicTensor', 'tf.Tensor', 'tf.TensorBuffer', 'tf.data.Dataset', 'tf.layers.Layer', 'tf.Model',
  // tfjs-node
  'tfn.callbacks.earlyStopping', 'tfn.node.tensorBoard',
  // Tensor methods
  'Tensor.abs', 'Tensor.add', 'Tensor.argMax', 'Tensor.array', 'Tensor.arraySync', 'Tensor.as1D', 'Tensor.as2D',
  'Tensor.as3D', 'Tensor.asScalar', 'Tensor.asType', 'Tensor.cast', 'Tensor.ceil', 'Tensor.concat',
  'Tensor.conv1d', 'Tensor.conv2d', 'Tensor.conv2dTranspose', 'Tensor.cos', 'Tensor.data', 'Tensor.dataSync', 'Tensor.dispose',
  'Tensor.div', 'Tensor.equal', 'Tensor.exp', 'Tensor.expandDims', 'Tensor.flatten', 'Tensor.floor',
  'Tensor.gather', 'Tensor.greater', 'Tensor.log', 'Tensor.logicalAnd', 'Tensor.max', 'Tensor.mean', 'Tensor.min', 'Tensor.mul',
  'Tensor.neg', 'Tensor.oneHot', 'Tensor.onesLike', 'Tensor.pow', 'Tensor.relu', 'Tensor.reshape', 'Tensor.round', 'Tensor.sigmoid', 'Tensor.sin', 'Tensor.slice', 'Tensor.sqrt', 'Tensor.square',
  'Tensor.squeeze', 'Tensor.stack', 'Tensor.sub', 'Tensor.sum', 'Tensor.tile', 'Tensor.toFloat', 'Tensor.toInt',
  'Tensor.topk', 'Tensor.transpose', 'Tensor.unstack', 'Tensor.where', 'Tensor.zerosLike',
  // LayersModel (and Layer) methods
  'LayersModel.apply', 'LayersModel.compile', 'LayersModel.evaluate', 'LayersModel.evaluateDataset', 'LayersModel.fit',
  'LayersModel.fitDataset', 'LayersModel.getLayer', 'LayersModel.getWeights',
  'LayersModel.predict', 'LayersModel.save', 'LayersModel.setWeights', 'LayersModel.summary',
  'LayersModel.toJSON', 'LayersModel.trainOnBatch',
  'Layer.getClassName', 'Layer.invokeCallHook',
  // Dataset methods
  'Dataset.batch', 'Dataset.concatenate', 'Dataset.filter', 'Dataset.forEachAsync', 'Dataset.iterator', 'Dataset.map',
  'Dataset.prefetch', 'Dataset.repeat', 'Dataset.shuffle', 'Dataset.skip', 'Dataset.take', 'Dataset.toArray',
  // Optimizer and TensorBuffer methods
  'Optimizer.minimize', 'TensorBuffer.get', 'TensorBuffer.set', 'TensorBuffer.toTensor',
] as const;

export type TfjsSymbol = (typeof SYMBOLS)[number];

/** Symbols verbatim has with other behaviour on purpose, and why. */
export const DIFFERS: Partial<Record<TfjsSymbol, string>> = {
  'tf.util.shuffle': "keyed (a seed or key, else the global seed's unnamed stream), never Math.random: the same order on every run",
  'tf.multinomial': "keyed draws by NUMERICS.md's algorithm: TF.js's distribution, not TF.js's draws",
  'tf.randomNormal': "a seed gives verbatim's own stream (keyed), not TF.js's numbers; without one, the global seed's unnamed stream",
  'tf.randomUniform': "a seed gives verbatim's own stream (keyed), not TF.js's numbers; without one, the global seed's unnamed stream",
  'tf.util.now': 'a clock for timing only: nothing numeric may read it',
  'tf.memory': "TF.js's fields, counted exactly (unreliable is always false), plus numLeaked",
  'tf.data.Dataset': 'shuffle is keyed by name or seed, and each hand-made iteration is the next pass (a new order with reshuffleEachIteration)',
  'tf.layers.Layer': "custom layers' weights are named <model>/<layer>/<weight> and drawn from that name's key, like built-in layers",
  'LayersModel.fit': "Keras's semantics where they differ: regularization penalties in evaluate and val_loss; unknown options are errors",
  'LayersModel.evaluate': "includes regularization penalties, as Keras (TF.js leaves them out)",
  'tf.layers.batchNormalization': 'a frozen (trainable = false) BatchNormalization runs in inference mode, as Keras 3',
  'LayersModel.summary': "Keras's table layout",
  'tf.ENV.set': 'flags are kept and read back (any name), but none changes a number: one arithmetic on every backend',
  'tf.loadModel': "TF.js 0.x's name of loadLayersModel, kept as an alias",
  'tf.Model': "TF.js 0.x's name of LayersModel, kept as an alias",
  'tf.io.browserHTTPRequest': "TF.js 0.x's name of io.http, kept as an alias",
  'tf.layers.lstm': "Keras 3's default recurrentActivation 'sigmoid' (TF.js: 'hardSigmoid'); give it to match TF.js",
  'tf.layers.gru': "Keras 3's defaults: recurrentActivation 'sigmoid' (TF.js: 'hardSigmoid') and resetAfter true (TF.js: false, another bias layout)",
};

/** Why a symbol verbatim lacks is not planned, where it is not (others are gaps to close). */
export const NOT_PLANNED: Partial<Record<TfjsSymbol, string>> = {
  'tf.node.summaryFileWriter': "tfjs-node's TensorBoard writer (native code); verbatim records runs with `verbatim run` instead",
  'tfn.node.tensorBoard': "tfjs-node's TensorBoard callback (native code); verbatim records runs with `verbatim run` instead",
};
