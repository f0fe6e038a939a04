/**
 * model.save(..., {includeOptimizer: true}) as TF.js 4.22 does it: the artifacts gain a
 * trainingConfig ({loss, metrics, optimizer_config: {class_name, config}}) and the optimizer's
 * state (optimizer.getWeights()) as weights of the group 'optimizer', slots named after the
 * file's weight names. Loading compiles the model from the training config and restores the
 * state, so that training resumes exactly where the saved model stood.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { getLoss } from '../losses/index.js';
import type { LayersModel } from '../models/model.js';
import type { CompileArgs } from '../models/arguments.js';
import { Adadelta, Adagrad, Adam, Adamax, AdamW, RMSprop, SGD, type Optimizer } from '../optimizers/index.js';
import { Variable } from '../tensor/tensor.js';
import { isPlainObject, own } from './config.js';
import type { Json } from './types.js';
import type { NamedValues } from './weights.js';

type Config = Record<string, unknown>;

/**
 * Each optimizer under TF.js's class name with TF.js's config keys (what TF.js reads back), plus
 * verbatim's own keys where TF.js has none (AdamW's weightDecay, amsgrad, clipping), which TF.js
 * ignores. AdamW has no TF.js class: TF.js cannot load such a training config.
 */
function optimizerConfig(optimizer: Optimizer, context: string): { class_name: string; config: Config } {
  const c = optimizer.getConfig();
  if (typeof c.learningRate !== 'number') {
    throw invalid(context, 'Expected a number learningRate to save the optimizer (a schedule has no TF.js form)', { learningRate: c.learningRate });
  }
  const common = { learningRate: c.learningRate, ...optimizer.clipping() };
  if (optimizer instanceof AdamW) return { class_name: 'AdamW', config: { ...common, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, amsgrad: c.amsgrad, weightDecay: c.weightDecay } };
  if (optimizer instanceof Adam) return { class_name: 'Adam', config: { ...common, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, ...(c.amsgrad ? { amsgrad: true } : {}) } };
  if (optimizer instanceof Adamax) return { class_name: 'Adamax', config: { ...common, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, decay: 0 } };
  if (optimizer instanceof RMSprop) return { class_name: 'RMSProp', config: { ...common, decay: c.rho, momentum: c.momentum, epsilon: c.epsilon, centered: c.centered } };
  if (optimizer instanceof Adagrad) return { class_name: 'Adagrad', config: { ...common, initialAccumulatorValue: c.initialAccumulatorValue, epsilon: c.epsilon } };
  if (optimizer instanceof Adadelta) return { class_name: 'Adadelta', config: { ...common, rho: c.rho, epsilon: c.epsilon } };
  if (optimizer instanceof SGD) {
    return c.momentum === 0 ? { class_name: 'SGD', config: common } : { class_name: 'Momentum', config: { ...common, momentum: c.momentum, useNesterov: c.nesterov } };
  }
  throw invalid(context, 'Expected one of verbatim\'s optimizers to save the training config', { optimizer: optimizer.constructor.name });
}

/** A number field of a saved optimizer config, or undefined when absent. */
function numberField(config: Config, key: string, context: string): number | undefined {
  const value = own(config, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(context, `Expected optimizer_config.config.${key} to be a finite number`, { [key]: value });
  return value;
}

function booleanField(config: Config, key: string, context: string): boolean | undefined {
  const value = own(config, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(context, `Expected optimizer_config.config.${key} to be a boolean`, { [key]: value });
  return value;
}

const CLASSES = ['SGD', 'Momentum', 'Adam', 'AdamW', 'Adamax', 'RMSProp', 'Adagrad', 'Adadelta'];

function optimizerFromConfig(saved: unknown, context: string): Optimizer {
  if (!isPlainObject(saved)) throw invalid(context, 'Expected trainingConfig.optimizer_config to be {class_name, config}', { optimizer_config: saved });
  const className = own(saved, 'class_name');
  const config = own(saved, 'config') ?? {};
  if (!isPlainObject(config)) throw invalid(context, 'Expected optimizer_config.config to be an object', { config });
  const n = (key: string) => numberField(config, key, context);
  const common = { learningRate: n('learningRate'), clipnorm: n('clipnorm'), clipvalue: n('clipvalue'), globalClipnorm: n('globalClipnorm') };
  const adam = { ...common, beta1: n('beta1'), beta2: n('beta2'), epsilon: n('epsilon') };
  switch (className) {
    case 'SGD': return new SGD(common);
    case 'Momentum': return new SGD({ ...common, momentum: n('momentum'), nesterov: booleanField(config, 'useNesterov', context) });
    case 'Adam': return new Adam({ ...adam, amsgrad: booleanField(config, 'amsgrad', context) });
    case 'AdamW': return new AdamW({ ...adam, amsgrad: booleanField(config, 'amsgrad', context), weightDecay: n('weightDecay') });
    case 'Adamax': return new Adamax(adam);
    case 'RMSProp': return new RMSprop({ ...common, rho: n('decay'), momentum: n('momentum'), epsilon: n('epsilon'), centered: booleanField(config, 'centered', context) });
    case 'Adagrad': return new Adagrad({ ...common, initialAccumulatorValue: n('initialAccumulatorValue'), epsilon: n('epsilon') });
    case 'Adadelta': return new Adadelta({ ...common, rho: n('rho'), epsilon: n('epsilon') });
    default: throw invalid(context, `Expected an optimizer class of ${CLASSES.join(', ')}`, { class_name: className });
  }
}

/** Losses and metrics by name only (strings, lists and records of strings): functions have no file form. */
function namesOnly(value: unknown, what: string, context: string): Json {
  const ok = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && v.every(ok)) || (isPlainObject(v) && Object.values(v).every(ok));
  if (!ok(value)) throw invalid(context, `Expected ${what} given by name to save the training config (a function or object has no file form)`, { [what]: typeof value });
  return value as Json;
}

/**
 * Each loss under the one name TF.js knows it by ('mse' is 'meanSquaredError' there; TF.js has no
 * aliases and refuses to load a config naming one), TF.js's cosineProximity being verbatim's
 * cosineSimilarity. Losses TF.js lacks keep their names.
 */
function tfjsLossNames(value: unknown, context: string): unknown {
  if (typeof value === 'string') {
    const name = getLoss(value, context).name;
    return name === 'cosineSimilarity' ? 'cosineProximity' : name;
  }
  if (Array.isArray(value)) return value.map((v) => tfjsLossNames(v, context));
  return Object.fromEntries(Object.entries(value as Config).map(([k, v]) => [k, tfjsLossNames(v, context)]));
}

/** snake_case names (Keras's files) as the camelCase names compile takes; camelCase stays. */
function camelNames(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (Array.isArray(value)) return value.map(camelNames);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, camelNames(v)]));
  return value;
}

/** The weight a slot `<weight>/<slot>` belongs to: the longest weight name that prefixes it. */
function owner(slot: string, weights: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const w of weights) if (slot.startsWith(`${w}/`) && (best === undefined || w.length > best.length)) best = w;
  return best;
}

/** A record by output name keyed by the outputs' other names: in the file, where a layer may be renamed (see fileNames), or back. */
function byOutputNames(value: unknown, outputNames: ReadonlyMap<string, string>): unknown {
  return isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [outputNames.get(k) ?? k, v])) : value;
}

/**
 * The training config and the optimizer state (slots renamed to the file's weight names, records
 * of losses, metrics and loss weights to its output names: `outputNames` maps the model's to them).
 */
export async function savedTraining(
  model: LayersModel, fileNames: ReadonlyMap<string, string>, outputNames: ReadonlyMap<string, string>, context: string,
): Promise<{ trainingConfig: Json; weights: NamedValues[] }> {
  const args: CompileArgs | undefined = model.compileArgs;
  const optimizer = model.optimizer;
  if (!args || !optimizer) throw invalid(context, 'Expected a compiled model to save with includeOptimizer', { includeOptimizer: true });
  const trainingConfig: Config = {
    loss: byOutputNames(tfjsLossNames(namesOnly(args.loss, 'loss', context), context), outputNames),
    metrics: args.metrics === undefined ? null : byOutputNames(namesOnly(args.metrics, 'metrics', context), outputNames),
    optimizer_config: optimizerConfig(optimizer, context),
  };
  if (args.lossWeights !== undefined) trainingConfig.loss_weights = byOutputNames(args.lossWeights, outputNames);
  const state = await optimizer.getWeights();
  // Slots of weights the model does not have (a layer it no longer has, removed by pop after
  // training, or another model's sharing the optimizer) change nothing of this model: left out.
  const weights = state.flatMap(({ name, tensor }): NamedValues[] => {
    if (name === 'iter') return [{ name, shape: [], dtype: 'int32', values: Int32Array.from(tensor.dataSync() as Int32Array), group: 'optimizer' }];
    const variable = owner(name, fileNames.keys());
    if (variable === undefined) return [];
    return [{ name: `${fileNames.get(variable)!}${name.slice(variable.length)}`, shape: [...tensor.shape], dtype: 'float32', values: Float32Array.from(tensor.dataSync() as Float32Array), group: 'optimizer' }];
  });
  // getWeights() made the iter scalar (and zero-filled unused slots) as new tensors.
  for (const { tensor } of state) if (!(tensor instanceof Variable)) tensor.dispose();
  return { trainingConfig: trainingConfig as Json, weights };
}

/**
 * Compiles a loaded model from a saved training config (TF.js's loadTrainingConfig); `outputNames`
 * maps the outputs' names in the file to the model's.
 */
export function compileFromTrainingConfig(model: LayersModel, saved: unknown, outputNames: ReadonlyMap<string, string>, context: string): void {
  if (!isPlainObject(saved)) throw invalid(context, 'Expected trainingConfig to be an object', { trainingConfig: saved });
  for (const key of ['weighted_metrics', 'sample_weight_mode']) {
    if (own(saved, key) != null) throw invalid(context, `Expected no ${key} in the training config (not supported)`, { [key]: own(saved, key) });
  }
  const loss = own(saved, 'loss');
  const metrics = own(saved, 'metrics');
  const lossWeights = own(saved, 'loss_weights');
  model.compile({
    optimizer: optimizerFromConfig(own(saved, 'optimizer_config'), context),
    loss: byOutputNames(camelNames(namesOnly(loss, 'loss', context)), outputNames) as CompileArgs['loss'],
    ...(metrics == null ? {} : { metrics: byOutputNames(camelNames(namesOnly(metrics, 'metrics', context)), outputNames) as CompileArgs['metrics'] }),
    ...(lossWeights == null ? {} : { lossWeights: byOutputNames(lossWeights, outputNames) as CompileArgs['lossWeights'] }),
  });
}

/**
 * Restores the optimizer state saved under the file's weight names onto a loaded model whose
 * variables `fileNames` maps (variable name -> file name).
 */
export async function restoreOptimizer(model: LayersModel, saved: readonly NamedValues[], fileNames: ReadonlyMap<string, string>, context: string): Promise<void> {
  const optimizer = model.optimizer;
  if (!optimizer) throw invalid(context, 'Expected a trainingConfig with the optimizer weights (they need an optimizer to go to)', { optimizerWeights: saved.length });
  const variableOf = new Map([...fileNames].map(([variable, file]) => [file, variable]));
  // Every name is resolved before any tensor is made, so that a bad name leaks nothing.
  const names = saved.map((w) => {
    if (w.name === 'iter') return w.name;
    const file = owner(w.name, variableOf.keys());
    if (file !== undefined) return `${variableOf.get(file)!}${w.name.slice(file.length)}`;
    // TF.js names a slot after its variable, which is `<weight>_<n>` where another variable of
    // its process had taken the weight's name (two models with a layer named alike).
    const renamed = /^(.+)_\d+(\/[^/]+)$/.exec(w.name);
    if (renamed && variableOf.has(renamed[1]!)) return `${variableOf.get(renamed[1]!)!}${renamed[2]!}`;
    throw invalid(context, 'Expected every optimizer weight to name one of the model\'s weights', { weight: w.name });
  });
  const tensors = saved.map((w, i) => ({ name: names[i]!, tensor: ENGINE.makeTensor(w.values, w.shape, w.dtype) }));
  try {
    await optimizer.setWeights(tensors);
  } finally {
    for (const t of tensors) t.tensor.dispose();
  }
}
