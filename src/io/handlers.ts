/**
 * IOHandlers as TF.js has them: in memory, a save callback, file:// (Node), http(s):// (fetch, and saving by a multipart request),
 * localstorage:// and indexeddb:// (browsers, in TF.js's storage layout so either library reads
 * the other's models), and browser downloads and file inputs. Weight file paths from a manifest
 * are plain file names: anything that could leave the model's directory is refused.
 */
import { invalid } from '../errors.js';
import { nodeProcess, optionalBuiltin } from '../util/node.js';
import { isPlainObject, own } from './config.js';
import type { IOHandler, LoadOptions, ModelArtifacts, ModelArtifactsInfo, SaveResult, WeightSpec, Json } from './types.js';
import { concatenateWeightData } from './weights.js';


/** UTF-8 bytes of a value's JSON, as TF.js counts a topology's and weight specs' size. */
function jsonBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/** TF.js's io.getModelArtifactsInfoForJSON: artifactsInfo of artifacts a user gives, checked (TF.js refuses a binary topology too). */
export function getModelArtifactsInfoForJSON(artifacts: ModelArtifacts): ModelArtifactsInfo {
  const context = 'io.getModelArtifactsInfoForJSON';
  if (!isPlainObject(artifacts)) throw invalid(context, 'Expected model artifacts (an object with modelTopology, weightSpecs, weightData)', { artifacts });
  if (artifacts.modelTopology instanceof ArrayBuffer) throw invalid(context, 'Expected a JSON modelTopology', { modelTopology: 'ArrayBuffer' });
  return artifactsInfo(artifacts);
}

/** What a save reports of the artifacts it saved. */
export function artifactsInfo(artifacts: ModelArtifacts): ModelArtifactsInfo {
  const data = artifacts.weightData;
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: artifacts.modelTopology ? jsonBytes(artifacts.modelTopology) : 0,
    weightSpecsBytes: artifacts.weightSpecs ? jsonBytes(artifacts.weightSpecs) : 0,
    weightDataBytes: data ? concatenateWeightData(data, 'save').byteLength : 0,
  };
}

/** A handler whose load() returns these artifacts (TF.js's tf.io.fromMemory, both of its forms). */
export function fromMemory(artifacts: ModelArtifacts | Json, weightSpecs?: WeightSpec[], weightData?: ArrayBuffer, trainingConfig?: Json): IOHandler {
  const isArtifacts = isPlainObject(artifacts) && ('modelTopology' in artifacts || 'weightSpecs' in artifacts || 'weightData' in artifacts);
  const value: ModelArtifacts = isArtifacts && weightSpecs === undefined
    ? (artifacts as ModelArtifacts)
    : { modelTopology: artifacts as Json, ...(weightSpecs ? { weightSpecs } : {}), ...(weightData ? { weightData } : {}), ...(trainingConfig ? { trainingConfig } : {}) };
  return { load: async () => value };
}

/** A handler whose save() calls fn with the artifacts (TF.js's tf.io.withSaveHandler). */
export function withSaveHandler(fn: (artifacts: ModelArtifacts) => Promise<SaveResult>): IOHandler {
  if (typeof fn !== 'function') throw invalid('io.withSaveHandler', 'Expected a function (artifacts) => Promise<SaveResult>', { fn });
  return { save: fn };
}

/**
 * A weight file's name from a manifest: a plain name, never a path out of the model's directory;
 * './name' is the name (TF.js's HTTP save writes './model.weights.bin').
 */
export function checkWeightPath(path: unknown, context: string): string {
  const name = typeof path === 'string' && path.startsWith('./') ? path.slice(2) : path;
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..' || /[/\\:\0]/.test(name) || name.length > 255) {
    throw invalid(context, 'Expected weight file paths to be plain file names (no directories, no ..)', { path });
  }
  return name;
}

/** The manifest's weight specs and file paths, in order (TF.js's weightsManifest: [{paths, weights}]). */
export function readManifest(manifest: unknown, context: string): { specs: unknown[]; paths: string[] } {
  if (!Array.isArray(manifest)) throw invalid(context, 'Expected weightsManifest to be a list of {paths, weights}', { weightsManifest: manifest });
  const specs: unknown[] = [];
  const paths: string[] = [];
  manifest.forEach((group, i) => {
    const groupPaths = isPlainObject(group) ? own(group, 'paths') : undefined;
    const weights = isPlainObject(group) ? own(group, 'weights') : undefined;
    if (!Array.isArray(groupPaths) || !Array.isArray(weights)) throw invalid(context, 'Expected each manifest group to be {paths: [...], weights: [...]}', { [`weightsManifest[${i}]`]: group });
    for (const p of groupPaths) paths.push(checkWeightPath(p, context));
    specs.push(...weights);
  });
  if (new Set(paths).size !== paths.length) throw invalid(context, 'Expected each weight file once in the manifest', { paths });
  return { specs, paths };
}

/** Artifacts from a parsed model.json and a way to read its weight files. */
async function artifactsFromModelJson(json: unknown, readFile: (path: string) => Promise<ArrayBuffer>, context: string): Promise<ModelArtifacts> {
  if (!isPlainObject(json)) throw invalid(context, 'Expected model.json to hold an object', { 'model.json': json });
  const topology = own(json, 'modelTopology');
  if (!isPlainObject(topology)) throw invalid(context, 'Expected model.json to have a modelTopology object', { modelTopology: topology });
  const manifest = own(json, 'weightsManifest');
  const artifacts: ModelArtifacts = { modelTopology: topology };
  for (const key of ['format', 'generatedBy', 'convertedBy', 'trainingConfig', 'userDefinedMetadata'] as const) {
    if (own(json, key) !== undefined) (artifacts as Json)[key] = own(json, key);
  }
  if (manifest !== undefined) {
    const { specs, paths } = readManifest(manifest, context);
    artifacts.weightSpecs = specs as WeightSpec[];
    artifacts.weightData = concatenateWeightData(await Promise.all(paths.map(readFile)), context).slice().buffer;
  }
  return artifacts;
}

export function parseJson(text: string, context: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(context, 'Expected valid JSON', { error: error instanceof Error ? error.message : String(error) });
  }
}

/** The model.json TF.js writes next to weights.bin. */
export function modelJson(artifacts: ModelArtifacts, weightsFile: string): Json {
  return {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
}

interface Fs {
  mkdirSync(path: string, options: { recursive: boolean }): void;
  writeFileSync(path: string, data: string | Uint8Array): void;
  renameSync(from: string, to: string): void;
  readFileSync(path: string): Uint8Array;
  statSync(path: string): { isDirectory(): boolean };
  existsSync(path: string): boolean;
  rmSync(path: string, options: { force: boolean }): void;
}
interface PathModule { join(...parts: string[]): string; dirname(path: string): string; basename(path: string): string }

function nodeFs(context: string): { fs: Fs; path: PathModule } {
  const fs = optionalBuiltin<Fs>('node:fs');
  const path = optionalBuiltin<PathModule>('node:path');
  if (!fs || !path) throw invalid(context, "Expected Node.js for 'file://' URLs (in browsers use 'indexeddb://', 'localstorage://' or io.browserDownloads)", { url: context });
  return { fs, path };
}

/**
 * file://dir: save writes dir/weights.bin and dir/model.json whole to temporary files, then
 * renames them into place (weights first), so no reader ever sees a half-written file and a
 * failed write (a full disk) leaves the model saved there before. load reads dir/model.json, or
 * the .json file named, and its weight files next to it.
 */
export function fileSystem(url: string): IOHandler {
  const location = url.slice('file://'.length);
  const context = `io (${url})`;
  return {
    async save(artifacts) {
      const { fs, path } = nodeFs(context);
      if (location === '') throw invalid(context, 'Expected a directory after file://', { url });
      try {
        fs.mkdirSync(location, { recursive: true });
      } catch (error) {
        throw invalid(context, 'Expected a directory to save into, or a path where one can be made', { path: location, error: (error as Error).message });
      }
      const temporary = (file: string) => `${file}.${nodeProcess()?.pid ?? 0}.tmp`;
      const files: [string, string | Uint8Array][] = [
        [path.join(location, 'weights.bin'), concatenateWeightData(artifacts.weightData ?? new ArrayBuffer(0), context)],
        [path.join(location, 'model.json'), JSON.stringify(modelJson(artifacts, 'weights.bin'))],
      ];
      try {
        for (const [file, data] of files) fs.writeFileSync(temporary(file), data);
        for (const [file] of files) fs.renameSync(temporary(file), file);
      } catch (error) {
        for (const [file] of files) fs.rmSync(temporary(file), { force: true });
        throw invalid(context, 'Expected to write model.json and weights.bin in the directory', { path: location, error: (error as Error).message });
      }
      return { modelArtifactsInfo: artifactsInfo(artifacts) };
    },
    async load() {
      const { fs, path } = nodeFs(context);
      const isDirectory = fs.existsSync(location) && fs.statSync(location).isDirectory();
      const file = isDirectory ? path.join(location, 'model.json') : location;
      if (!fs.existsSync(file)) throw invalid(context, 'Expected a model.json file (or a directory holding one)', { path: file });
      const text = new TextDecoder().decode(fs.readFileSync(file));
      const dir = path.dirname(file);
      return artifactsFromModelJson(parseJson(text, context), async (p) => {
        const full = path.join(dir, p);
        if (!fs.existsSync(full)) throw invalid(context, 'Expected the weight files the manifest names', { missing: p });
        return new Uint8Array(fs.readFileSync(full)).slice().buffer;
      }, context);
    },
  };
}

/**
 * fetchFunc's response; a request that gets none (no server, a refused connection, a bad host)
 * is an error naming the URL and why, where fetch's own says only "fetch failed".
 */
async function send(fetchFunc: NonNullable<LoadOptions['fetchFunc']>, url: string, init: Record<string, unknown> | undefined, context: string, what: string): ReturnType<NonNullable<LoadOptions['fetchFunc']>> {
  try {
    return await fetchFunc(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const why = [error instanceof Error ? error.message : String(error), cause?.code ?? cause?.message].filter((part) => part !== undefined).join(': ');
    throw invalid(context, `Expected ${what} to get a response`, { url, error: why });
  }
}

/**
 * http(s)://: load fetches the model.json and its weight files (resolved next to it); save sends
 * the model as TF.js does, one multipart/form-data request (POST unless requestInit says
 * otherwise) of model.json and model.weights.bin.
 */
export function http(url: string, options: LoadOptions = {}): IOHandler {
  const context = `io (${url})`;
  if (typeof url !== 'string' || url === '') throw invalid('io.http', 'Expected a non-empty URL', { url });
  // TF.js refuses it too: the request's body is the model.
  if (options.requestInit?.body != null) throw invalid('io.http', 'Expected requestInit without a body (the model is the body of a save)', { 'requestInit.body': options.requestInit.body });
  const fetchFunc = options.fetchFunc ?? (globalThis as { fetch?: LoadOptions['fetchFunc'] }).fetch;
  if (typeof fetchFunc !== 'function') throw invalid('io.http', 'Expected fetch (global, or options.fetchFunc a function)', { fetchFunc });
  return {
    async load() {
      const response = await send(fetchFunc, url, options.requestInit, context, 'the model.json request');
      if (!response.ok) throw invalid(context, 'Expected the model.json request to succeed', { status: response.status });
      const text = new TextDecoder().decode(await response.arrayBuffer());
      const base = options.weightPathPrefix ?? url;
      return artifactsFromModelJson(parseJson(text, context), async (p) => {
        const weights = await send(fetchFunc, new URL(p, base).href, options.requestInit, context, 'the weight file requests');
        if (!weights.ok) throw invalid(context, 'Expected the weight file requests to succeed', { path: p, status: weights.status });
        return weights.arrayBuffer();
      }, context);
    },
    async save(artifacts) {
      const body = new FormData();
      body.append('model.json', new Blob([JSON.stringify(modelJson(artifacts, './model.weights.bin'))], { type: 'application/json' }), 'model.json');
      if (artifacts.weightData !== undefined) {
        body.append('model.weights.bin', new Blob([concatenateWeightData(artifacts.weightData, context) as BlobPart], { type: 'application/octet-stream' }), 'model.weights.bin');
      }
      const response = await send(fetchFunc, url, { method: 'POST', ...options.requestInit, body }, context, 'the save request');
      if (!response.ok) throw invalid(context, 'Expected the save request to succeed', { status: response.status });
      return { modelArtifactsInfo: artifactsInfo(artifacts), responses: [response] };
    },
  };
}
