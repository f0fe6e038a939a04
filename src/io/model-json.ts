/**
 * Models as TF.js's model.json topology (Keras's JSON: class_name/config, snake_case keys) and
 * back, and the names TF.js gives their weights: `<layer>/<weight>` (a nested model's layers by
 * their own names, a TimeDistributed's inner weights as the wrapper's, a Bidirectional's as
 * `<bidirectional>/forward_<inner>/<weight>`), which is what TF.js matches weights by on loading.
 */
import { invalid, ValueError } from '../errors.js';
import { InputLayer } from '../layers/core.js';
import { holdsVariables, keyNameOf, Layer, setKeyName, SymbolicTensor, uniqueName } from '../layers/layer.js';
import { LAYER_ARGS, unknownOptions } from '../layers/options.js';
import { TimeDistributed } from '../layers/plumbing.js';
import { Bidirectional } from '../layers/bidirectional.js';
import { RNN } from '../layers/recurrent.js';
import { StackedRNNCells } from '../layers/recurrent-cells.js';
import { LayersModel, ModelLayer } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { input } from '../models/topology.js';
import type { Variable } from '../tensor/tensor.js';
import { configFromJson, configToJson, isPlainObject, own, refuseNonFinite, snakeKey } from './config.js';
import { getRegisteredClass, isBuiltIn, registeredClassNames } from './registry.js';
import type { Json } from './types.js';


/** The format version TF.js files carry; 'hard_sigmoid' in them means TF.js's hard sigmoid. */
export const KERAS_VERSION = 'tfjs-layers 4.22.0';

/** A wrapped layer's {className, config, name?} (as getConfig() gives it) in the file's spelling. */
function nestedToJson(layer: Json): Json {
  const config = configToJson((layer.config ?? {}) as Json, nestedToJson);
  return { class_name: layer.className, config: { ...config, ...(typeof layer.name === 'string' ? { name: layer.name } : {}) } };
}

/**
 * The name each layer of the model (nested models' layers included) has in the file. TF.js names
 * layers uniquely in the process and weights `<layer>/<weight>` without the model, so layers of
 * nested models that share a name (two `dense`) would give two weights one name: every layer
 * keeps its name unless an earlier one (depth first, in layer order) has it, then gets name_1, ...
 */
export type FileNames = Map<Layer, string>;

export function fileNames(model: LayersModel): FileNames {
  const names: FileNames = new Map();
  const taken = new Set<string>();
  const visit = (m: LayersModel) => {
    for (const layer of m.layers) {
      if (names.has(layer)) continue;
      if (layer instanceof ModelLayer) visit(layer.model);
      if (layer instanceof TimeDistributed && layer.layer instanceof ModelLayer) visit(layer.layer.model);
      if (layer instanceof InputLayer || layer instanceof ModelLayer) {
        names.set(layer, layer.name!);
        continue;
      }
      const name = uniqueName(layer.name!, (n) => taken.has(n));
      taken.add(name);
      names.set(layer, name);
    }
  };
  visit(model);
  return names;
}

/**
 * The layers the file names otherwise than their models do (see fileNames), file name -> own name:
 * verbatim restores their names on loading, so that their keys (a dropout's masks) stay the same.
 */
export function renamedLayers(names: FileNames): Record<string, string> {
  return Object.fromEntries([...names].filter(([layer, file]) => file !== layer.name).map(([layer, file]) => [file, layer.name!]));
}

/** The model's output names as a model loaded from the file has them: its output layers' file names, made unique. */
export function fileOutputNames(model: LayersModel, names: FileNames = fileNames(model)): string[] {
  const out: string[] = [];
  for (const t of model.outputs) out.push(uniqueName(names.get(t.node.layer) ?? t.node.layer.name!, (n) => out.includes(n)));
  return out;
}

function layerToJson(layer: Layer, names: FileNames): { class_name: string; config: Json } {
  if (layer instanceof ModelLayer) return modelToJson(layer.model, names);
  const config = configToJson(layer.getConfig(), nestedToJson);
  refuseNonFinite(config, `layer ${layer.name ?? layer.className}`);
  // TF.js names a Bidirectional's weights after its inner layer's name: forward_<inner>/kernel.
  if (layer instanceof Bidirectional && isPlainObject(config.layer) && isPlainObject(config.layer.config)) {
    config.layer.config.name = layer.forwardLayer.name?.replace(/^forward_/, '') ?? null;
  }
  // A TimeDistributed's model is written as a nested model is: its layers under their file names, which name its weights.
  if (layer instanceof TimeDistributed && layer.layer instanceof ModelLayer) config.layer = modelToJson(layer.layer.model, names);
  return { class_name: layer.className, config: { ...config, name: names.get(layer) ?? layer.name, trainable: layer.trainable } };
}

/**
 * An InputLayer as TF.js writes it: batch_input_shape only (TF.js's InputLayer refuses a config
 * with both input_shape and batch_input_shape).
 */
function inputLayerToJson(layer: InputLayer): { class_name: string; config: Json } {
  return { class_name: 'InputLayer', config: { batch_input_shape: layer.batchInputShape, dtype: layer.dtype, sparse: false, name: layer.name } };
}

/**
 * A stacked RNN's states in TF.js's order, as verbatim's state indices: TF.js lists them last cell
 * first (its StackedRNNCells' state order), verbatim first cell first (Keras 3's, flattened). A
 * file holds TF.js's order (a graph's references to the states, the initial states a node takes),
 * so that TF.js and verbatim wire its graph alike. Undefined where the orders agree.
 */
function tfjsStateOrder(layer: Layer | undefined): number[] | undefined {
  if (!(layer instanceof RNN) || !(layer.cell instanceof StackedRNNCells)) return undefined;
  const firstState = layer.cells.map((_, k) => layer.cells.slice(0, k).reduce((n, cell) => n + cell.stateCount, 0));
  return [...layer.cells.keys()].reverse().flatMap((k) => Array.from({ length: layer.cells[k]!.stateCount }, (_, s) => firstState[k]! + s));
}

/** The model's {class_name, config} (Sequential, or Model for a functional one). */
export function modelToJson(model: LayersModel, names: FileNames = fileNames(model)): { class_name: string; config: Json } {
  if (model instanceof Sequential) {
    const inputShape = model.expectedInputShapes()?.[0];
    return {
      class_name: 'Sequential',
      config: {
        name: model.name,
        layers: model.layers.map((layer, i) => {
          if (layer instanceof InputLayer) return inputLayerToJson(layer);
          const json = layerToJson(layer, names);
          if (i > 0 || layer instanceof ModelLayer || !inputShape) return json;
          return { ...json, config: { ...json.config, batch_input_shape: inputShape, dtype: 'float32' } };
        }),
      },
    };
  }
  const config = model.getConfig() as { layers: { name: string; inboundNodes: [string, number, number][][] }[]; inputLayers: [string, number, number][]; outputLayers: [string, number, number][] };
  const layers = model.layers;
  const byName = new Map(layers.map((l) => [l.name!, l]));
  // TF.js and Keras count a model's own node first: its applications in a graph start at index 1.
  const ref = ([name, node, tensor]: [string, number, number]) => {
    const layer = byName.get(name)!;
    const order = tfjsStateOrder(layer);
    const fileTensor = order && tensor > 0 ? 1 + order.indexOf(tensor - 1) : tensor;
    return [names.get(layer) ?? name, layer instanceof ModelLayer ? node + 1 : node, fileTensor];
  };
  // A stacked RNN's initial states, after its sequence, in TF.js's order.
  const inboundToJson = (layer: Layer, refs: [string, number, number][]) => {
    const order = tfjsStateOrder(layer);
    return order && refs.length === 1 + order.length ? [refs[0]!, ...order.map((k) => refs[1 + k]!)] : refs;
  };
  return {
    class_name: 'Model',
    config: {
      name: model.name,
      layers: layers.map((layer, i) => {
        const json = layer instanceof InputLayer ? inputLayerToJson(layer) : layerToJson(layer, names);
        return { name: names.get(layer) ?? layer.name, ...json, inbound_nodes: config.layers[i]!.inboundNodes.map((node) => inboundToJson(layer, node).map((r) => [...ref(r), {}])) };
      }),
      input_layers: config.inputLayers.map(ref),
      output_layers: config.outputLayers.map(ref),
    },
  };
}

/** TF.js's name of each of the layer's weights. */
function layerWeightNames(layer: Layer, names: FileNames): [string, Variable][] {
  if (layer instanceof ModelLayer) return layer.model.layers.flatMap((l) => layerWeightNames(l, names));
  // TF.js names a TimeDistributed model's weights as its layers' own, as a nested model's.
  if (layer instanceof TimeDistributed && layer.layer instanceof ModelLayer) return layerWeightNames(layer.layer, names);
  const scope = layer instanceof TimeDistributed ? layer.layer.path : layer.path;
  return layer.weights.map((w) => [`${names.get(layer) ?? layer.name}/${w.variable.name.slice(scope.length + 1)}`, w.variable]);
}

/** Every weight of the model once, under the name TF.js gives it (see fileNames). */
export function tfjsWeightNames(model: LayersModel, names: FileNames = fileNames(model)): [string, Variable][] {
  const named = new Map<string, Variable>();
  for (const [name, variable] of model.layers.flatMap((l) => layerWeightNames(l, names))) {
    const other = named.get(name);
    if (other && other !== variable) throw invalid(`${model.name}.save`, 'Expected weight names unique in the TF.js format', { name, weights: [other.name, variable.name] });
    named.set(name, variable);
  }
  return [...named];
}

/**
 * The key names (src/layers/layer.ts) of the model and its nested models where they differ from
 * their names: an auto-named model's weights and dropout masks are keyed by its name counted
 * since the seed was set, which a loaded copy must keep to train on identically.
 */
export function keyNamesOf(model: LayersModel): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (m: LayersModel) => {
    if (keyNameOf(m.name) !== m.name) out[m.name] = keyNameOf(m.name);
    for (const layer of m.layers) if (layer instanceof ModelLayer) visit(layer.model);
  };
  visit(model);
  return out;
}

/** Tracks what a load made, to dispose it all if the load fails (a failed load leaves nothing behind). */
export class Created {
  readonly items: { dispose(): void }[] = [];
  /** Each model's name and the name its keys use: the file's name (or its recorded key name). */
  readonly keyNames: [string, string][] = [];
  constructor(readonly savedKeyNames: Record<string, string> = {}, private readonly savedLayerNames: Record<string, string> = {}) {}

  /** A layer's own name, for the name the file gives it (see renamedLayers); checked like any name. */
  layerName(fileName: string, context: string): string {
    const name = own(this.savedLayerNames, fileName);
    return name === undefined ? fileName : checkName(name, `userDefinedMetadata.verbatim.layerNames.${fileName}`, context);
  }

  /** After a successful load: the models' keys follow the names they were saved under. */
  commitKeyNames(): void {
    for (const [name, keyName] of this.keyNames) setKeyName(name, keyName);
  }

  add<T extends { dispose(): void }>(item: T): T {
    this.items.push(item);
    return item;
  }

  disposeAll(): void {
    for (const item of this.items.reverse()) item.dispose();
  }
}

function checkName(value: unknown, at: string, context: string): string {
  if (typeof value !== 'string' || value === '' || value.includes('/')) throw invalid(context, "Expected a name: a non-empty string without '/'", { [at]: value });
  return value;
}

/** A model name no live variable uses (the file's name when free, as TF.js keeps it). */
function freeModelName(name: string): string {
  return uniqueName(name, holdsVariables);
}

/**
 * An RNN's config without the copies of its cell's options that TF.js writes beside `cell` (its
 * getConfig spreads the cell's config into the layer's): TF.js reads them from `cell`, and so does verbatim.
 */
function withoutCellCopies(config: Json): Json {
  const cell = own(config, 'cell');
  const cellConfig = isPlainObject(cell) ? own(cell, 'config') : undefined;
  if (!isPlainObject(cellConfig)) return config;
  const layerOwn = ['name', 'trainable', 'dtype', 'batch_input_shape'];
  return Object.fromEntries(Object.entries(config).filter(([key]) => layerOwn.includes(key) || !Object.hasOwn(cellConfig, key)));
}

/** A layer (or a nested model, as a layer) from its {class_name, config}. */
function layerFromJson(json: unknown, at: string, context: string, created: Created): Layer {
  if (!isPlainObject(json)) throw invalid(context, 'Expected a layer {class_name, config}', { [at]: json });
  const className = own(json, 'class_name');
  const config = own(json, 'config');
  if (typeof className !== 'string') throw invalid(context, 'Expected class_name to be a string', { [`${at}.class_name`]: className });
  if (className === 'Sequential' || className === 'Model' || className === 'Functional') return modelFromJson(json, at, context, created).asLayer();
  if (!isPlainObject(config)) throw invalid(context, 'Expected config to be an object', { [`${at}.config`]: config });
  const cls = getRegisteredClass(className);
  if (!cls) throw invalid(context, `Expected a known layer class (built in, or registered with vb.serialization.registerClass: ${registeredClassNames().join(', ')})`, { [`${at}.class_name`]: className });
  const args = configFromJson(className === 'RNN' ? withoutCellCopies(config) : config, `${context} (${at}: ${className})`, (inner, innerAt) => layerFromJson(inner, `${at}.${innerAt}`, context, created));
  if (own(config, 'name') !== undefined) checkName(args.name, `${at}.config.name`, context);
  const { batchInputShape, ...rest } = args as { batchInputShape?: unknown[] } & Json;
  if (batchInputShape && batchInputShape.slice(1).every((d) => Number.isInteger(d))) rest.inputShape = batchInputShape.slice(1);
  try {
    const made: unknown = cls.fromConfig ? cls.fromConfig(cls, rest) : new cls(rest);
    if (!(made instanceof Layer)) throw invalid(context, 'Expected the class to make a Layer', { [`${at}.class_name`]: className });
    const layer = created.add(made);
    // An option a built-in layer does not have (Keras's `groups`, say) must not be dropped silently (src/layers/options.ts).
    if (isBuiltIn(cls)) {
      const unknown = unknownOptions(layer, rest);
      if (unknown.length > 0) throw invalid(context, `Expected options ${className} has (${[...Object.keys(layer.getConfig()), ...LAYER_ARGS].join(', ')})`, { [`${at}.config`]: unknown.map(snakeKey) });
    }
    return layer;
  } catch (error) {
    if (error instanceof ValueError) throw error;
    throw invalid(context, `Expected a config ${className} accepts (${error instanceof Error ? error.message : String(error)})`, { [`${at}.config`]: config });
  }
}

/** An InputLayer entry's shape (of one example) and dtype, checked. */
function inputLayerConfig(c: unknown, where: string, context: string): { shape: (number | null)[]; dtype: 'float32' | 'int32' } {
  const shape = isPlainObject(c) ? own(c, 'batch_input_shape') : undefined;
  const dtype = isPlainObject(c) ? own(c, 'dtype') ?? 'float32' : undefined;
  if (!Array.isArray(shape) || shape.length < 1) throw invalid(context, 'Expected an InputLayer with batch_input_shape', { [`${where}.config`]: c });
  if (dtype !== 'float32' && dtype !== 'int32') throw invalid(context, "Expected an InputLayer dtype 'float32' or 'int32'", { [`${where}.config.dtype`]: dtype });
  return { shape: shape.slice(1) as (number | null)[], dtype };
}

type NodeRef = [string, number, number];

function nodeRef(value: unknown, at: string, context: string): NodeRef {
  if (!Array.isArray(value) || value.length < 3 || typeof value[0] !== 'string' || !Number.isInteger(value[1]) || !Number.isInteger(value[2]) || value[1] < 0 || value[2] < 0) {
    throw invalid(context, 'Expected a tensor reference [layer name, node index, tensor index]', { [at]: value });
  }
  return [value[0], value[1], value[2]];
}

function list(value: unknown, at: string, context: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(context, 'Expected a list', { [at]: value });
  return value;
}

/** A functional model from Keras's config: layers with their inbound nodes, made in dependency order. */
function functionalFromJson(config: Json, name: string, at: string, context: string, created: Created): LayersModel {
  const entries = list(own(config, 'layers'), `${at}.config.layers`, context);
  const layers = new Map<string, { layer: Layer | undefined; nodes: (SymbolicTensor[] | undefined)[]; inbound: NodeRef[][] }>();
  entries.forEach((entry, i) => {
    const where = `${at}.config.layers[${i}]`;
    if (!isPlainObject(entry)) throw invalid(context, 'Expected a layer {name, class_name, config, inbound_nodes}', { [where]: entry });
    const layerName = checkName(own(entry, 'name') ?? (isPlainObject(own(entry, 'config')) ? own(own(entry, 'config') as Json, 'name') : undefined), `${where}.name`, context);
    if (layers.has(layerName)) throw invalid(context, 'Expected layer names unique within the model', { [`${where}.name`]: layerName });
    const inbound = list(own(entry, 'inbound_nodes') ?? [], `${where}.inbound_nodes`, context)
      .map((node, n) => list(node, `${where}.inbound_nodes[${n}]`, context).map((r, k) => nodeRef(r, `${where}.inbound_nodes[${n}][${k}]`, context)));
    if (own(entry, 'class_name') === 'InputLayer') {
      const { shape, dtype } = inputLayerConfig(own(entry, 'config'), where, context);
      const tensor = input({ shape, dtype, name: layerName });
      layers.set(layerName, { layer: undefined, nodes: [[tensor]], inbound: [] });
      return;
    }
    const layer = layerFromJson(entry, where, context, created);
    layer.name = layer instanceof ModelLayer ? layerName : created.layerName(layerName, context);
    // A nested model's first node is its own (TF.js, Keras): graph nodes count from 1.
    layers.set(layerName, { layer, nodes: layer instanceof ModelLayer ? [undefined] : [], inbound });
  });
  const tensorOf = ([layerName, node, tensor]: NodeRef, where: string): SymbolicTensor | undefined => {
    const entry = layers.get(layerName);
    if (!entry) throw invalid(context, 'Expected a reference to a layer of the model', { [where]: layerName });
    const outputs = entry.nodes[node];
    if (outputs === undefined) return undefined;
    const order = tfjsStateOrder(entry.layer);
    const t = outputs[order && tensor > 0 && tensor <= order.length ? 1 + order[tensor - 1]! : tensor];
    if (!t) throw invalid(context, `Expected a tensor index below ${outputs.length}`, { [where]: [layerName, node, tensor] });
    return t;
  };
  // Nodes whose inputs exist are applied, pass after pass; a pass without progress is an error (a cycle or a missing node).
  let pending = [...layers].flatMap(([layerName, e]) => e.inbound.map((refs, n) => ({ layerName, refs, n })));
  while (pending.length > 0) {
    const waiting: typeof pending = [];
    for (const item of pending) {
      const entry = layers.get(item.layerName)!;
      const inputs = item.refs.map((r, k) => tensorOf(r, `${item.layerName}.inbound_nodes[${item.n}][${k}]`));
      const offset = entry.layer instanceof ModelLayer ? 1 : 0;
      if (inputs.some((t) => t === undefined) || entry.nodes.length !== item.n + offset) {
        waiting.push(item);
        continue;
      }
      if (inputs.length === 0) throw invalid(context, 'Expected inbound nodes with at least one input', { layer: item.layerName });
      const order = tfjsStateOrder(entry.layer);
      if (order && inputs.length === 1 + order.length) {
        const states = [...inputs];
        order.forEach((k, j) => { inputs[1 + k] = states[1 + j]; });
      }
      const output = entry.layer!.apply(inputs.length === 1 ? inputs[0]! : (inputs as SymbolicTensor[]));
      entry.nodes.push(Array.isArray(output) ? output : [output]);
    }
    if (waiting.length === pending.length) throw invalid(context, 'Expected inbound nodes that can be resolved (no cycles, no missing nodes)', { unresolved: waiting.map((w) => w.layerName) });
    pending = waiting;
  }
  const refs = (key: string) => list(own(config, key), `${at}.config.${key}`, context).map((r, i) => {
    const where = `${at}.config.${key}[${i}]`;
    const t = tensorOf(nodeRef(r, where, context), where);
    if (!t) throw invalid(context, 'Expected a reference to an existing node', { [where]: r });
    return t;
  });
  return created.add(new LayersModel({ inputs: refs('input_layers'), outputs: refs('output_layers'), name }));
}

/** A Sequential or functional model from its {class_name, config} (a nested one too). */
export function modelFromJson(json: unknown, at: string, context: string, created: Created): LayersModel {
  if (!isPlainObject(json)) throw invalid(context, 'Expected a model topology {class_name, config}', { [at]: json });
  const className = own(json, 'class_name');
  const config = own(json, 'config');
  if (className !== 'Sequential' && className !== 'Model' && className !== 'Functional') {
    throw invalid(context, "Expected class_name 'Sequential', 'Model' or 'Functional'", { [`${at}.class_name`]: className });
  }
  // Keras 1 wrote a Sequential's config as the list of layers.
  const body = Array.isArray(config) && className === 'Sequential' ? { layers: config } : config;
  if (!isPlainObject(body)) throw invalid(context, 'Expected config to be an object', { [`${at}.config`]: config });
  const savedName = checkName(own(body, 'name') ?? (className === 'Sequential' ? 'sequential' : 'model'), `${at}.config.name`, context);
  const name = freeModelName(savedName);
  const savedKeyName = own(created.savedKeyNames, savedName);
  created.keyNames.push([name, typeof savedKeyName === 'string' && savedKeyName !== '' ? savedKeyName : savedName]);
  if (className !== 'Sequential') return functionalFromJson(body, name, at, context, created);
  const entries = list(own(body, 'layers'), `${at}.config.layers`, context);
  const model = created.add(new Sequential({ name }));
  let batchInputShape: unknown;
  entries.forEach((entry, i) => {
    const where = `${at}.config.layers[${i}]`;
    const c = isPlainObject(entry) ? own(entry, 'config') : undefined;
    if (i === 0 && isPlainObject(c)) batchInputShape = own(c, 'batch_input_shape');
    if (isPlainObject(entry) && own(entry, 'class_name') === 'InputLayer') {
      if (i > 0) throw invalid(context, 'Expected an InputLayer only first', { [where]: entry });
      // Kept, as TF.js keeps it: the model's input is named after it.
      const { shape, dtype } = inputLayerConfig(c, where, context);
      const name = own(c as Json, 'name');
      model.add(created.add(new InputLayer({ inputShape: shape, dtype, ...(name === undefined ? {} : { name: checkName(name, `${where}.config.name`, context) }) })));
      return;
    }
    const layer = layerFromJson(entry, where, context, created);
    if (!(layer instanceof ModelLayer) && layer.name !== undefined) layer.name = created.layerName(layer.name, context);
    model.add(layer instanceof ModelLayer ? layer.model : layer);
  });
  if (entries.length === 0) throw invalid(context, 'Expected a Sequential model with at least one layer', { [`${at}.config.layers`]: entries });
  // Unknown dimensions (an embedding's sequence length): the model is built for them now, so that its weights exist.
  if (!model.expectedInputShapes() && Array.isArray(batchInputShape)) {
    if (!batchInputShape.slice(1).every((d) => d === null || (Number.isInteger(d) && d > 0))) throw invalid(context, 'Expected batch_input_shape of positive integers or null', { batch_input_shape: batchInputShape });
    model.ensureBuilt([[null, ...(batchInputShape.slice(1) as (number | null)[])]], context);
  }
  return model;
}

