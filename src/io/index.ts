/**
 * Saving and loading models in TF.js 4.22's format (model.json + weights), both ways: model.save,
 * loadLayersModel, model.toJSON, models.modelFromJSON, the handlers of vb.io, and the class
 * registry of vb.serialization. A load builds the whole model before touching a weight and
 * either returns a complete model or throws a ValueError having disposed everything it made.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid, refuseUnknownOptions, ValueError } from '../errors.js';
import { withLoadBudget } from '../layers/layer.js';
import { LayersModel, registerModelSerializer } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { browserDownloads, browserIndexedDB, browserLocalStorage } from './browser.js';
import { isPlainObject, own } from './config.js';
import { fileSystem, http } from './handlers.js';
import { Created, fileNames, fileOutputNames, KERAS_VERSION, keyNamesOf, modelFromJson, modelToJson, renamedLayers, tfjsWeightNames } from './model-json.js';
import { compileFromTrainingConfig, restoreOptimizer, savedTraining } from './training-config.js';
import type { IOHandler, Json, LoadOptions, ModelArtifacts, SaveConfig, SaveResult } from './types.js';
import { concatenateWeightData, decodeWeights, encodeWeights, type NamedValues } from './weights.js';

export type { IOHandler, LoadOptions, ModelArtifacts, ModelArtifactsInfo, SaveConfig, SaveResult, WeightSpec, WeightsManifestGroup } from './types.js';
export { getModelArtifactsInfoForJSON, fromMemory, withSaveHandler, http } from './handlers.js';
export { browserDownloads, browserFiles, listModels, removeModel } from './browser.js';
export { registerClass, getRegisteredClass } from './registry.js';

const GENERATED_BY = 'verbatim (TF.js Layers format, tfjs-layers 4.22.0)';

/** The handler a URL names (TF.js's router), or the handler itself. */
function handlerFor(handlerOrUrl: unknown, operation: 'save' | 'load', options: LoadOptions = {}): IOHandler {
  const context = operation === 'save' ? 'model.save' : 'loadLayersModel';
  if (typeof handlerOrUrl === 'string') {
    const url = handlerOrUrl;
    if (url.startsWith('file://')) return fileSystem(url);
    if (url.startsWith('localstorage://')) return browserLocalStorage(url.slice('localstorage://'.length));
    if (url.startsWith('indexeddb://')) return browserIndexedDB(url.slice('indexeddb://'.length));
    // TF.js's 'downloads://prefix' saves by io.browserDownloads(prefix), 'model' when empty.
    if (url.startsWith('downloads://') && operation === 'save') return browserDownloads(url.slice('downloads://'.length) || undefined);
    if (/^https?:\/\//.test(url)) return http(url, options);
    throw invalid(context, `Expected a handler or a URL starting with file://, localstorage://, indexeddb://${operation === 'load' ? ' or http(s)://' : ', http(s):// or downloads://'}`, { url });
  }
  const method = typeof handlerOrUrl === 'object' && handlerOrUrl !== null ? (handlerOrUrl as Record<string, unknown>)[operation] : undefined;
  if (typeof method !== 'function') throw invalid(context, `Expected a URL or an IOHandler with a ${operation}() method`, { handler: handlerOrUrl });
  return handlerOrUrl as IOHandler;
}

/** The model's topology as model.json has it. */
export function modelTopology(model: LayersModel): Record<string, unknown> {
  return { ...modelToJson(model), keras_version: KERAS_VERSION, backend: 'tensor_flow.js' };
}

function assertBuilt(model: LayersModel): void {
  if (!model.expectedInputShapes()) throw invalid(`${model.name}.save`, 'Expected a built model (give the first layer an inputShape, or fit or predict first)', { model: model.name });
  // A Sequential emptied by pop keeps its input shape, but a file of no layers could not be loaded.
  if (model instanceof Sequential && model.layers.length === 0) {
    throw invalid(`${model.name}.save`, 'Expected a Sequential model with at least one layer', { layers: 0 });
  }
}

/**
 * The model's artifacts: topology, weight specs named as TF.js names them, and their bytes; with
 * the optimizer's training config and state when given (includeOptimizer); only the trainable
 * weights with trainableOnly (TF.js: such a file loads with strict false).
 */
export function modelArtifacts(model: LayersModel, optimizerState?: { trainingConfig: Json; weights: NamedValues[] }, trainableOnly = false): ModelArtifacts {
  assertBuilt(model);
  const names = fileNames(model);
  const weights: NamedValues[] = tfjsWeightNames(model, names).filter(([, v]) => !trainableOnly || v.trainable)
    .map(([name, v]) => ({ name, shape: [...v.shape], dtype: 'float32', values: v.dataSync() as Float32Array }));
  const { specs, data } = encodeWeights([...weights, ...(optimizerState?.weights ?? [])]);
  const keyNames = keyNamesOf(model);
  const layerNames = renamedLayers(names);
  const verbatim = { ...(Object.keys(keyNames).length > 0 ? { keyNames } : {}), ...(Object.keys(layerNames).length > 0 ? { layerNames } : {}) };
  return {
    modelTopology: modelTopology(model), format: 'layers-model', generatedBy: GENERATED_BY, convertedBy: null, weightSpecs: specs, weightData: data,
    ...(optimizerState ? { trainingConfig: optimizerState.trainingConfig } : {}),
    ...(Object.keys(verbatim).length > 0 ? { userDefinedMetadata: { verbatim } } : {}),
  };
}

async function save(model: unknown, handlerOrUrl: IOHandler | string, config: SaveConfig = {}): Promise<SaveResult> {
  if (!(model instanceof LayersModel)) throw invalid('model.save', 'Expected a LayersModel', { model });
  if (config !== undefined && !isPlainObject(config)) throw invalid(`${model.name}.save`, 'Expected config to be {includeOptimizer?, trainableOnly?}', { config });
  const context = `${model.name}.save`;
  // A misspelt option would be dropped silently (the optimizer not saved).
  refuseUnknownOptions(context, config, ['includeOptimizer', 'trainableOnly']);
  assertBuilt(model);
  const handler = handlerFor(handlerOrUrl, 'save');
  const names = fileNames(model);
  const outputs = fileOutputNames(model, names);
  const optimizerState = config.includeOptimizer
    ? await savedTraining(model, new Map(tfjsWeightNames(model, names).map(([file, v]) => [v.name, file])), new Map(model.outputNames.map((n, i) => [n, outputs[i]!])), context)
    : undefined;
  return handler.save!(modelArtifacts(model, optimizerState, config.trainableOnly === true));
}

registerModelSerializer({ save, toJSON: (model) => modelTopology(model as LayersModel) });

/** The names verbatim records in userDefinedMetadata.verbatim.keyNames or layerNames (strings only; anything else is ignored). */
function savedNames(metadata: unknown, key: 'keyNames' | 'layerNames'): Record<string, string> {
  const verbatim = isPlainObject(metadata) ? own(metadata, 'verbatim') : undefined;
  const names = isPlainObject(verbatim) ? own(verbatim, key) : undefined;
  if (!isPlainObject(names)) return {};
  return Object.fromEntries(Object.entries(names).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A Keras-converter file wraps the topology as {model_config, training_config}. */
function unwrapTopology(topology: unknown): unknown {
  return isPlainObject(topology) && isPlainObject(own(topology, 'model_config')) ? own(topology, 'model_config') : topology;
}

/**
 * A model from artifacts: the weights are decoded and checked first, then the model is built with
 * no more weight elements than the file holds, then every weight is matched by name and shape;
 * only then are values assigned. Anything wrong disposes what was made and throws a ValueError.
 */
export async function modelFromArtifacts(artifacts: unknown, options: LoadOptions = {}, context = 'loadLayersModel'): Promise<LayersModel> {
  if (!isPlainObject(artifacts)) throw invalid(context, 'Expected model artifacts {modelTopology, weightSpecs, weightData}', { artifacts });
  const strict = options.strict ?? true;
  const topology = unwrapTopology(own(artifacts, 'modelTopology'));
  if (topology instanceof ArrayBuffer) throw invalid(context, 'Expected a Layers model (a graph model is not supported)', { modelTopology: 'GraphDef' });
  const specs = own(artifacts, 'weightSpecs');
  const data = own(artifacts, 'weightData');
  if ((specs === undefined) !== (data === undefined)) throw invalid(context, 'Expected both weightSpecs and weightData, or neither', { weightSpecs: specs === undefined ? undefined : 'given', weightData: data === undefined ? undefined : 'given' });
  const decoded = specs === undefined ? [] : decodeWeights(specs, concatenateWeightData(data, context), context);
  const values = decoded.filter((v) => v.group !== 'optimizer');
  const optimizerValues = decoded.filter((v) => v.group === 'optimizer');
  const trainingConfig = own(artifacts, 'trainingConfig');
  const total = values.reduce((n, v) => n + v.values.length, 0);
  const metadata = own(artifacts, 'userDefinedMetadata');
  const created = new Created(savedNames(metadata, 'keyNames'), savedNames(metadata, 'layerNames'));
  try {
    const build = () => modelFromJson(topology, 'modelTopology', context, created);
    const model = strict ? withLoadBudget(total, build) : build();
    const byName = new Map(values.map((v) => [v.name, v]));
    const targets = tfjsWeightNames(model);
    const assignments: [typeof targets[number][1], NamedValues][] = [];
    for (const [name, variable] of targets) {
      const value = byName.get(name);
      if (!value) {
        if (strict) throw invalid(context, `Expected a weight named ${name} in the file (weights there: ${[...byName.keys()].join(', ') || 'none'})`, { missing: name });
        continue;
      }
      if (value.shape.length !== variable.rank || value.shape.some((d, i) => d !== variable.shape[i])) {
        throw invalid(context, `Expected weight ${name} of shape ${JSON.stringify(variable.shape)}`, { [`${name}.shape`]: value.shape });
      }
      if (value.dtype !== 'float32') throw invalid(context, `Expected weight ${name} of dtype float32`, { [`${name}.dtype`]: value.dtype });
      assignments.push([variable, value]);
      byName.delete(name);
    }
    if (strict && byName.size > 0) throw invalid(context, 'Expected every weight in the file to belong to the model', { unused: [...byName.keys()] });
    for (const [variable, value] of assignments) ENGINE.tidy(() => variable.assign(ENGINE.makeTensor(value.values, value.shape, 'float32')));
    // As TF.js: a saved training config compiles the model, and saved optimizer weights restore its state.
    if (trainingConfig != null) compileFromTrainingConfig(model, trainingConfig, new Map(fileOutputNames(model).map((file, i) => [file, model.outputNames[i]!])), context);
    if (optimizerValues.length > 0) await restoreOptimizer(model, optimizerValues, new Map(targets.map(([file, v]) => [v.name, file])), context);
    created.commitKeyNames();
    return model;
  } catch (error) {
    created.disposeAll();
    if (error instanceof ValueError) throw error;
    throw invalid(context, 'Expected a model file verbatim can build', { error: error instanceof Error ? error.message : String(error) });
  }
}

/** Loads a model saved in TF.js's Layers format from a URL or an IOHandler (TF.js's tf.loadLayersModel). */
export async function loadLayersModel(handlerOrUrl: IOHandler | string, options: LoadOptions = {}): Promise<LayersModel> {
  if (options !== undefined && !isPlainObject(options)) throw invalid('loadLayersModel', 'Expected options to be an object', { options });
  // A misspelt strict, or TF.js's options verbatim lacks (fromTFHub, weightUrlConverter: other files), would be dropped silently.
  refuseUnknownOptions('loadLayersModel', options, ['strict', 'requestInit', 'fetchFunc', 'weightPathPrefix', 'onProgress']);
  const { onProgress } = options;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('loadLayersModel', 'Expected onProgress to be a function', { onProgress });
  const handler = handlerFor(handlerOrUrl, 'load', options);
  let artifacts: unknown;
  try {
    artifacts = await handler.load!();
  } catch (error) {
    if (error instanceof ValueError) throw error;
    throw invalid('loadLayersModel', 'Expected the handler to load model artifacts', { error: error instanceof Error ? error.message : String(error) });
  }
  const model = await modelFromArtifacts(artifacts, options);
  onProgress?.(1);
  return model;
}

/**
 * A model from its topology (TF.js's tf.models.modelFromJSON): the object model.json has under
 * modelTopology, or {modelTopology}. Its weights are initialized afresh, by name from the seed.
 */
export async function modelFromJSON(json: unknown): Promise<LayersModel> {
  const context = 'models.modelFromJSON';
  const parsed = typeof json === 'string' ? (() => {
    try { return JSON.parse(json) as unknown; } catch (e) { throw invalid(context, 'Expected valid JSON', { error: (e as Error).message }); }
  })() : json;
  const topology = isPlainObject(parsed) && own(parsed, 'modelTopology') !== undefined ? own(parsed, 'modelTopology') : parsed;
  const created = new Created();
  try {
    const model = modelFromJson(unwrapTopology(topology), 'modelTopology', context, created);
    created.commitKeyNames();
    return model;
  } catch (error) {
    created.disposeAll();
    if (error instanceof ValueError) throw error;
    throw invalid(context, 'Expected a model config verbatim can build', { error: error instanceof Error ? error.message : String(error) });
  }
}
