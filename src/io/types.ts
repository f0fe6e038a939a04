/**
 * TF.js's model artifacts (tf.io.ModelArtifacts and friends), in the shapes TF.js 4.22 uses, so
 * that handlers written for TF.js work here and the other way round. This module imports
 * nothing, so the models can name these types without an import cycle.
 */

/** One weight in a manifest: its name, shape and dtype (TF.js's WeightsManifestEntry). */
/** A parsed JSON object. */
export type Json = Record<string, unknown>;

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | string;
  /** 'optimizer' for the optimizer's state saved with includeOptimizer (TF.js's weight groups). */
  group?: 'model' | 'optimizer' | string;
}

/** A group of weights stored in the files `paths`, concatenated in order. */
export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

export interface ModelArtifacts {
  /** Keras's JSON topology: {class_name, config, keras_version, backend}. */
  modelTopology?: Record<string, unknown> | ArrayBuffer;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: WeightSpec[];
  /** The weights' bytes, little-endian, in weightSpecs order (TF.js also allows a list of buffers). */
  weightData?: ArrayBuffer | ArrayBuffer[];
  trainingConfig?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
}

export interface ModelArtifactsInfo {
  dateSaved: Date;
  modelTopologyType: 'JSON' | 'GraphDef';
  modelTopologyBytes?: number;
  weightSpecsBytes?: number;
  weightDataBytes?: number;
}

export interface SaveResult {
  modelArtifactsInfo: ModelArtifactsInfo;
  responses?: unknown[];
  errors?: unknown[];
}

/** TF.js's IOHandler: save for writing, load for reading (a handler may have one or both). */
export interface IOHandler {
  save?(artifacts: ModelArtifacts): Promise<SaveResult>;
  load?(): Promise<ModelArtifacts>;
}

export interface SaveConfig {
  /** Stores the optimizer's weights with the model (TF.js: only with a compiled model). */
  includeOptimizer?: boolean;
  trainableOnly?: boolean;
}

/** Options of loadLayersModel (TF.js's LoadOptions; strict is the one that changes the result). */
export interface LoadOptions {
  /** Whether every weight of the model must be in the file and every file weight used (default true). */
  strict?: boolean;
  /** For http(s) loading: passed to fetch. */
  requestInit?: Record<string, unknown>;
  /** For http(s) loading: the fetch to use (default globalThis.fetch). */
  fetchFunc?: (url: string, init?: Record<string, unknown>) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer>; json(): Promise<unknown> }>;
  /** For http(s) loading: where the weight files are (default: next to model.json). */
  weightPathPrefix?: string;
  /** TF.js's progress callback: called with 1 once the model is loaded (verbatim reads a file whole, no fractions). */
  onProgress?: (fraction: number) => void;
}

/** What save() and toJSON() need from the models, registered by src/io so models need not import it. */
export interface ModelSerializer {
  save(model: unknown, handlerOrUrl: IOHandler | string, config?: SaveConfig): Promise<SaveResult>;
  toJSON(model: unknown): Record<string, unknown>;
}
