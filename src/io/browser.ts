/**
 * Browser storage in TF.js's layout (localStorage keys `tensorflowjs_models/<path>/...`, the
 * IndexedDB database 'tensorflowjs'), so models saved by either library load in the other; and
 * TF.js's browserDownloads and browserFiles. Each is feature-detected and says what is missing.
 */
import { invalid } from '../errors.js';
import { isPlainObject } from './config.js';
import { artifactsInfo, modelJson, parseJson, readManifest } from './handlers.js';
import type { IOHandler, ModelArtifacts, ModelArtifactsInfo, WeightSpec, Json } from './types.js';
import { concatenateWeightData } from './weights.js';


interface Storage { getItem(key: string): string | null; setItem(key: string, value: string): void; removeItem(key: string): void; key(i: number): string | null; readonly length: number }

function localStorageOrThrow(context: string): Storage {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (!storage) throw invalid(context, "Expected a browser with localStorage for 'localstorage://' URLs (in Node use 'file://')", { localStorage: undefined });
  return storage;
}

const PREFIX = 'tensorflowjs_models';
const keysOf = (path: string) => ({
  info: `${PREFIX}/${path}/info`, topology: `${PREFIX}/${path}/model_topology`, weightSpecs: `${PREFIX}/${path}/weight_specs`,
  weightData: `${PREFIX}/${path}/weight_data`, modelMetadata: `${PREFIX}/${path}/model_metadata`,
});

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text: string, context: string): ArrayBuffer {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw invalid(context, 'Expected base64 weight data', { weight_data: text.slice(0, 32) });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function browserLocalStorage(path: string): IOHandler {
  const context = `io (localstorage://${path})`;
  const keys = keysOf(path);
  return {
    async save(artifacts) {
      const storage = localStorageOrThrow(context);
      const info = artifactsInfo(artifacts);
      const { modelTopology, weightSpecs, weightData, ...metadata } = artifacts;
      storage.setItem(keys.info, JSON.stringify(info));
      storage.setItem(keys.topology, JSON.stringify(modelTopology));
      storage.setItem(keys.weightSpecs, JSON.stringify(weightSpecs ?? []));
      storage.setItem(keys.weightData, toBase64(concatenateWeightData(weightData ?? new ArrayBuffer(0), context)));
      storage.setItem(keys.modelMetadata, JSON.stringify(metadata));
      return { modelArtifactsInfo: info };
    },
    async load() {
      const storage = localStorageOrThrow(context);
      const topology = storage.getItem(keys.topology);
      if (topology === null) throw invalid(context, 'Expected a model saved at this path', { path });
      const metadata = parseJson(storage.getItem(keys.modelMetadata) ?? '{}', context);
      return {
        ...(isPlainObject(metadata) ? metadata : {}),
        modelTopology: parseJson(topology, context) as Json,
        weightSpecs: parseJson(storage.getItem(keys.weightSpecs) ?? '[]', context) as WeightSpec[],
        weightData: fromBase64(storage.getItem(keys.weightData) ?? '', context),
      };
    },
  };
}

interface Request<T> { result: T; error: unknown; onsuccess: (() => void) | null; onerror: (() => void) | null }
interface ObjectStore { put(value: unknown): Request<unknown>; get(key: string): Request<unknown>; delete(key: string): Request<unknown>; getAll(): Request<unknown[]> }
interface Database { transaction(stores: string[], mode: string): { objectStore(name: string): ObjectStore }; objectStoreNames: { contains(name: string): boolean }; createObjectStore(name: string, options: Json): void; close(): void }
interface OpenRequest extends Request<Database> { onupgradeneeded: (() => void) | null }

const MODELS = 'models_store';
const INFOS = 'model_info_store';

function request<T>(r: Request<T>, context: string): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(invalid(context, 'Expected the IndexedDB request to succeed', { error: String(r.error) }));
  });
}

async function openDatabase(context: string): Promise<Database> {
  const factory = (globalThis as { indexedDB?: { open(name: string, version: number): OpenRequest } }).indexedDB;
  if (!factory) throw invalid(context, "Expected a browser with IndexedDB for 'indexeddb://' URLs (in Node use 'file://')", { indexedDB: undefined });
  const open = factory.open('tensorflowjs', 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS, { keyPath: 'modelPath' });
    if (!db.objectStoreNames.contains(INFOS)) db.createObjectStore(INFOS, { keyPath: 'modelPath' });
  };
  return request(open, context);
}

export function browserIndexedDB(path: string): IOHandler {
  const context = `io (indexeddb://${path})`;
  return {
    async save(artifacts) {
      const db = await openDatabase(context);
      try {
        const info = artifactsInfo(artifacts);
        const stored = { ...artifacts, weightData: concatenateWeightData(artifacts.weightData ?? new ArrayBuffer(0), context).slice().buffer };
        await request(db.transaction([INFOS], 'readwrite').objectStore(INFOS).put({ modelPath: path, modelArtifactsInfo: info }), context);
        await request(db.transaction([MODELS], 'readwrite').objectStore(MODELS).put({ modelPath: path, modelArtifacts: stored }), context);
        return { modelArtifactsInfo: info };
      } finally {
        db.close();
      }
    },
    async load() {
      const db = await openDatabase(context);
      try {
        const record = await request(db.transaction([MODELS], 'readonly').objectStore(MODELS).get(path), context);
        if (!isPlainObject(record) || !isPlainObject(record.modelArtifacts)) throw invalid(context, 'Expected a model saved at this path', { path });
        return record.modelArtifacts as ModelArtifacts;
      } finally {
        db.close();
      }
    },
  };
}

/** The models in browser storage by URL, with their artifacts info (TF.js's tf.io.listModels). */
export async function listModels(): Promise<Record<string, ModelArtifactsInfo>> {
  const out: Record<string, ModelArtifactsInfo> = {};
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (storage) {
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(`${PREFIX}/`) && key.endsWith('/info')) {
        out[`localstorage://${key.slice(PREFIX.length + 1, -'/info'.length)}`] = parseJson(storage.getItem(key) ?? '{}', 'io.listModels') as ModelArtifactsInfo;
      }
    }
  }
  if ((globalThis as { indexedDB?: unknown }).indexedDB) {
    const db = await openDatabase('io.listModels');
    try {
      const infos = await request(db.transaction([INFOS], 'readonly').objectStore(INFOS).getAll(), 'io.listModels');
      for (const record of infos) if (isPlainObject(record)) out[`indexeddb://${String(record.modelPath)}`] = record.modelArtifactsInfo as ModelArtifactsInfo;
    } finally {
      db.close();
    }
  }
  return out;
}

/** Removes a model from browser storage (TF.js's tf.io.removeModel); returns its info. */
export async function removeModel(url: string): Promise<ModelArtifactsInfo> {
  const context = 'io.removeModel';
  if (typeof url === 'string' && url.startsWith('localstorage://')) {
    const storage = localStorageOrThrow(context);
    const keys = keysOf(url.slice('localstorage://'.length));
    const info = storage.getItem(keys.info);
    if (info === null) throw invalid(context, 'Expected a saved model', { url });
    for (const key of Object.values(keys)) storage.removeItem(key);
    return parseJson(info, context) as ModelArtifactsInfo;
  }
  if (typeof url === 'string' && url.startsWith('indexeddb://')) {
    const path = url.slice('indexeddb://'.length);
    const db = await openDatabase(context);
    try {
      const record = await request(db.transaction([INFOS], 'readonly').objectStore(INFOS).get(path), context);
      if (!isPlainObject(record)) throw invalid(context, 'Expected a saved model', { url });
      await request(db.transaction([INFOS], 'readwrite').objectStore(INFOS).delete(path), context);
      await request(db.transaction([MODELS], 'readwrite').objectStore(MODELS).delete(path), context);
      return record.modelArtifactsInfo as ModelArtifactsInfo;
    } finally {
      db.close();
    }
  }
  throw invalid(context, "Expected a URL starting with 'localstorage://' or 'indexeddb://'", { url });
}

/** Saves by downloading <prefix>.json and <prefix>.weights.bin (TF.js's browserDownloads). */
export function browserDownloads(fileNamePrefix = 'model'): IOHandler {
  const context = 'io.browserDownloads';
  return {
    async save(artifacts) {
      const document = (globalThis as { document?: { createElement(tag: string): { href: string; download: string; click(): void } } }).document;
      const url = (globalThis as { URL?: { createObjectURL?(blob: unknown): string } }).URL;
      if (!document || !url?.createObjectURL) throw invalid(context, "Expected a browser (document and URL.createObjectURL); in Node save to 'file://'", { document: undefined });
      const weightsFile = `${fileNamePrefix}.weights.bin`;
      const links = [
        [`${fileNamePrefix}.json`, new Blob([JSON.stringify(modelJson(artifacts, weightsFile))], { type: 'application/json' })],
        [weightsFile, new Blob([concatenateWeightData(artifacts.weightData ?? new ArrayBuffer(0), context).slice().buffer], { type: 'application/octet-stream' })],
      ] as const;
      for (const [name, blob] of links) {
        const anchor = document.createElement('a');
        anchor.download = name;
        anchor.href = url.createObjectURL(blob);
        anchor.click();
      }
      return { modelArtifactsInfo: artifactsInfo(artifacts) };
    },
  };
}

/** Loads from File objects (an <input type="file">): the model.json first, then its weight files by name. */
export function browserFiles(files: readonly Blob[]): IOHandler {
  const context = 'io.browserFiles';
  return {
    async load() {
      if (!Array.isArray(files) || files.length < 1 || !files.every((f) => f instanceof Blob)) throw invalid(context, 'Expected a list of Files: the model.json, then its weight files', { files });
      const json = parseJson(await files[0]!.text(), context);
      if (!isPlainObject(json)) throw invalid(context, 'Expected model.json to hold an object', { 'model.json': json });
      const { specs, paths } = readManifest(json.weightsManifest ?? [], context);
      const byName = new Map(files.slice(1).map((f) => [(f as Blob & { name?: string }).name, f]));
      const buffers = await Promise.all(paths.map(async (p) => {
        const file = byName.get(p);
        if (!file) throw invalid(context, 'Expected the weight files the manifest names among the files', { missing: p });
        return file.arrayBuffer();
      }));
      const { weightsManifest: _, ...rest } = json;
      return { ...rest, weightSpecs: specs as WeightSpec[], weightData: concatenateWeightData(buffers, context).slice().buffer } as ModelArtifacts;
    },
  };
}
