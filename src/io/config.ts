/**
 * One layer's options between verbatim's getConfig() (camelCase, initializers and activations by
 * name, regularizers as {l1, l2}, constraints as {className, config}) and TF.js's model.json
 * (Keras's snake_case keys, initializers, regularizers and constraints as {class_name, config},
 * snake_case activation and data format names).
 */
import { invalid } from '../errors.js';
import { ACTIVATION_NAMES, type ActivationIdentifier } from '../layers/activations.js';
import { constraintClass, type ConstraintConfig } from '../layers/constraints.js';
import { isIgnoredOption } from '../layers/options.js';
import type { Json } from './types.js';


/** Keras's spelling of a camelCase key (TF.js's toSnakeCase for keys). */
export const snakeKey = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
export const camelKey = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function isPlainObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value);
}

/** table[key] if it is the table's own entry (never Object.prototype's `constructor`, `toString`, ...). */
export function lookup<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** An own property (never one inherited from Object.prototype, as `__proto__` or `constructor` would be). */
export function own(object: Json, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

type Preset = { className: string; config: Json };
const vs = (scale: number, mode: string, distribution: string): Preset => ({ className: 'VarianceScaling', config: { scale, mode, distribution, seed: null } });

/** verbatim's initializer names as TF.js writes them (TF.js writes the Glorot/He/LeCun presets as VarianceScaling). */
const INITIALIZERS: Record<string, Preset> = {
  glorotUniform: vs(1, 'fan_avg', 'uniform'), glorotNormal: vs(1, 'fan_avg', 'normal'),
  heUniform: vs(2, 'fan_in', 'uniform'), heNormal: vs(2, 'fan_in', 'normal'),
  lecunUniform: vs(1, 'fan_in', 'uniform'), lecunNormal: vs(1, 'fan_in', 'normal'),
  varianceScaling: vs(1, 'fan_in', 'normal'),
  randomUniform: { className: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } },
  randomNormal: { className: 'RandomNormal', config: { mean: 0, stddev: 0.05, seed: null } },
  truncatedNormal: { className: 'TruncatedNormal', config: { mean: 0, stddev: 0.05, seed: null } },
  zeros: { className: 'Zeros', config: {} }, ones: { className: 'Ones', config: {} },
  constant: { className: 'Constant', config: { value: 0 } }, orthogonal: { className: 'Orthogonal', config: { gain: 1, seed: null } },
  identity: { className: 'Identity', config: { gain: 1 } },
};

/** Class names (TF.js's and Keras's) of the initializers that are not VarianceScaling, by verbatim name. */
const INITIALIZER_CLASSES: Record<string, string> = {
  glorotuniform: 'glorotUniform', glorotnormal: 'glorotNormal', heuniform: 'heUniform', henormal: 'heNormal',
  lecununiform: 'lecunUniform', lecunnormal: 'lecunNormal', randomuniform: 'randomUniform', randomnormal: 'randomNormal',
  truncatednormal: 'truncatedNormal', zeros: 'zeros', ones: 'ones', constant: 'constant', orthogonal: 'orthogonal',
  // Keras 3 exports its Identity also as IdentityInitializer.
  identity: 'identity', identityinitializer: 'identity',
};

function initializerToJson(name: unknown): unknown {
  const preset = typeof name === 'string' ? lookup(INITIALIZERS, name) : undefined;
  return preset ? { class_name: preset.className, config: { ...preset.config } } : name;
}

/** A verbatim initializer name from TF.js's or Keras's {class_name, config} (or a name string). */
function initializerFromJson(value: unknown, at: string, context: string): string {
  const className = typeof value === 'string' ? value : isPlainObject(value) ? own(value, 'class_name') : undefined;
  if (typeof className !== 'string') throw invalid(context, 'Expected an initializer {class_name, config} or its name', { [at]: value });
  const key = className.replace(/_/g, '').toLowerCase();
  if (key !== 'variancescaling') {
    const name = lookup(INITIALIZER_CLASSES, key);
    if (!name) throw invalid(context, `Expected a known initializer (${Object.keys(INITIALIZERS).join(', ')})`, { [at]: className });
    return name;
  }
  const config = isPlainObject(value) && isPlainObject(own(value, 'config')) ? (own(value, 'config') as Json) : {};
  const scale = own(config, 'scale') ?? 1;
  const mode = camelKey(String(own(config, 'mode') ?? 'fan_in'));
  const uniform = own(config, 'distribution') === 'uniform';
  // The presets verbatim has by name; other settings fall back to varianceScaling's defaults
  // (the weights' values come from the file anyway).
  if (scale === 1 && mode === 'fanAvg') return uniform ? 'glorotUniform' : 'glorotNormal';
  if (scale === 2 && mode === 'fanIn') return uniform ? 'heUniform' : 'heNormal';
  if (scale === 1 && mode === 'fanIn') return uniform ? 'lecunUniform' : 'lecunNormal';
  return 'varianceScaling';
}

function regularizerToJson(value: unknown): unknown {
  if (!isPlainObject(value)) return value ?? null;
  return { class_name: 'L1L2', config: { l1: value.l1 ?? 0, l2: value.l2 ?? 0 } };
}

function regularizerFromJson(value: unknown, at: string, context: string): unknown {
  if (value === null || value === undefined) return null;
  const className = isPlainObject(value) ? own(value, 'class_name') : undefined;
  const config = isPlainObject(value) ? own(value, 'config') : undefined;
  if (!['L1L2', 'L1', 'L2'].includes(className as string) || !isPlainObject(config)) {
    throw invalid(context, "Expected a regularizer {class_name: 'L1L2' | 'L1' | 'L2', config: {l1, l2}} or null", { [at]: value });
  }
  const l1 = own(config, 'l1') ?? 0;
  const l2 = own(config, 'l2') ?? 0;
  if (typeof l1 !== 'number' || typeof l2 !== 'number') throw invalid(context, 'Expected numeric l1 and l2', { [at]: value });
  return { l1, l2 };
}

/** A constraint as TF.js writes it: {class_name: 'MaxNorm', config: {max_value, axis}}. */
function constraintToJson(value: unknown): unknown {
  if (!isPlainObject(value)) return value ?? null;
  const { className, config } = value as unknown as ConstraintConfig;
  return { class_name: className, config: Object.fromEntries(Object.entries(config).map(([k, v]) => [snakeKey(k), v])) };
}

/** A constraint's {className, config} from TF.js's or Keras's {class_name, config} (the layer's factory checks the arguments). */
function constraintFromJson(value: unknown, at: string, context: string): ConstraintConfig {
  const className = isPlainObject(value) ? own(value, 'class_name') : undefined;
  const config = isPlainObject(value) ? own(value, 'config') ?? {} : undefined;
  const known = typeof className === 'string' ? constraintClass(className) : undefined;
  if (!known || !isPlainObject(config)) {
    throw invalid(context, "Expected a constraint {class_name: 'MaxNorm' | 'MinMaxNorm' | 'NonNeg' | 'UnitNorm', config} or null", { [isPlainObject(value) && typeof className === 'string' ? `${at}.class_name` : at]: typeof className === 'string' ? className : value });
  }
  return { className: known, config: Object.fromEntries(Object.entries(config).map(([k, v]) => [camelKey(k), v])) as ConstraintConfig['config'] };
}

/**
 * Activation names in files. 'hard_sigmoid' means TF.js's (and Keras 2's) clip(0.2 x + 0.5, 0, 1)
 * in the TF.js format; Keras 3's relu6(x + 3) / 6, verbatim's hardSigmoid, has no name TF.js
 * knows, so it gets its own (TF.js refuses such a file instead of computing something else).
 */
const ACTIVATION_TO_FILE: Record<string, string> = { tfjsHardSigmoid: 'hard_sigmoid', hardSigmoid: 'hard_sigmoid_keras3', leakyRelu: 'leaky_relu', geluNew: 'gelu_new', logSoftmax: 'log_softmax' };
const ACTIVATION_FROM_FILE: Record<string, string> = {
  hard_sigmoid: 'tfjsHardSigmoid', hardSigmoid: 'tfjsHardSigmoid', hard_sigmoid_keras3: 'hardSigmoid', leaky_relu: 'leakyRelu', gelu_new: 'geluNew',
};

/** Keys whose values differ in spelling between verbatim and the file. */
const TO_FILE: Record<string, (value: unknown) => unknown> = {
  activation: (v) => (typeof v === 'string' ? lookup(ACTIVATION_TO_FILE, v) ?? v : v),
  dataFormat: (v) => (typeof v === 'string' ? snakeKey(v) : v),
};

/**
 * JSON has no NaN or Infinity: JSON.stringify would save them as null, a file that loads as
 * something else (or not at all). Refused, naming where, before anything is written.
 */
export function refuseNonFinite(value: unknown, at: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw invalid('model.save', 'Expected finite numbers in layer configs (JSON has no NaN or Infinity: the file would hold null)', { [at]: value });
  }
  if (Array.isArray(value)) value.forEach((v, i) => refuseNonFinite(v, `${at}[${i}]`));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) refuseNonFinite(v, `${at}.${k}`);
}

/** verbatim's layer config in TF.js's spelling (keys snake_case; `layer` of wrappers, `cell` and `cells` of recurrent layers converted by `nested`). */
export function configToJson(config: Json, nested: (layer: Json) => Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(config)) {
    let v = value;
    if (key.endsWith('Initializer')) v = initializerToJson(value);
    else if (key.endsWith('Regularizer')) v = regularizerToJson(value);
    else if (key.endsWith('Constraint')) v = constraintToJson(value);
    else if (key === 'recurrentActivation') v = TO_FILE.activation!(value);
    else if ((key === 'layer' || key === 'cell') && isPlainObject(value)) v = nested(value);
    else if (key === 'cells' && Array.isArray(value)) v = value.map((cell) => (isPlainObject(cell) ? nested(cell) : cell));
    else if (lookup(TO_FILE, key)) v = TO_FILE[key]!(value);
    out[snakeKey(key)] = v;
  }
  return out;
}

/**
 * TF.js's (or Keras's) layer config as verbatim's constructor arguments. Keys TF.js writes with a
 * default value (null constraints among them) are dropped; `layer` (wrappers), `cell` and `cells`
 * (recurrent layers) are converted by `nested`.
 */
export function configFromJson(config: Json, context: string, nested: (layer: unknown, at: string) => unknown): Json {
  const out: Json = {};
  for (const key of Object.keys(config)) {
    const value = config[key];
    const name = key === 'name' ? key : camelKey(key);
    const at = `config.${key}`;
    if (['__proto__', 'constructor', 'prototype'].includes(key) || ['constructor', 'prototype'].includes(name)) throw invalid(context, 'Expected config keys that are option names', { key });
    if (isIgnoredOption(name, value)) continue;
    if (name === 'batchInputShape') {
      if (!Array.isArray(value) || value.length < 2) throw invalid(context, 'Expected batch_input_shape to be a list [null, ...dims]', { [at]: value });
      out.batchInputShape = value;
      continue;
    }
    if (name.endsWith('Initializer')) out[name] = initializerFromJson(value, at, context);
    else if (name.endsWith('Constraint')) out[name] = constraintFromJson(value, at, context);
    else if (name.endsWith('Regularizer')) out[name] = regularizerFromJson(value, at, context);
    else if (name === 'activation' || name === 'recurrentActivation') {
      const activation = typeof value === 'string' ? lookup(ACTIVATION_FROM_FILE, value) ?? camelKey(value) : value;
      if (!ACTIVATION_NAMES.includes(activation as ActivationIdentifier)) throw invalid(context, `Expected an activation: one of ${ACTIVATION_NAMES.join(', ')}`, { [at]: value });
      out[name] = activation;
    } else if (name === 'dataFormat') out[name] = typeof value === 'string' ? camelKey(value) : value;
    else if (name === 'layer' || name === 'cell') out[name] = nested(value, at);
    else if (name === 'cells' && Array.isArray(value)) out[name] = value.map((cell, i) => nested(cell, `${at}[${i}]`));
    else out[name] = value;
  }
  return out;
}
