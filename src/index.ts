/**
 * verbatim: deep learning for TypeScript whose training is bitwise reproducible by construction.
 */
import { invalid } from './errors.js';
import { ENGINE, type MemoryInfo } from './engine/engine.js';
import { noteSettingRead } from './engine/setting-reads.js';
import './backends/index.js';
import type { KernelFallback } from './backends/backend.js';
import './runs/auto.js';
export { TENSOR_METHODS } from './ops/chain.js';
import { Tensor } from './tensor/tensor.js';
import { VERSION } from './version.js';

export * from './ops/index.js';
import { fusedMatMul } from './ops/linalg.js';
import { fusedConv2d } from './ops/convolution.js';

/** TF.js-style fused ops. */
export const fused = { matMul: fusedMatMul, conv2d: fusedConv2d };
import { flipLeftRight, resizeBilinear, resizeNearestNeighbor, transform } from './ops/image.js';
import { cropAndResize, nonMaxSuppression, nonMaxSuppressionAsync, rgbToGrayscale } from './ops/detection.js';

/** TF.js's tf.image ops. */
export const image = { resizeBilinear, resizeNearestNeighbor, flipLeftRight, transform, nonMaxSuppression, nonMaxSuppressionAsync, rgbToGrayscale, cropAndResize };
export { resizeBilinear, resizeNearestNeighbor, mirrorPad } from './ops/image.js';
import { bandPart, gramSchmidt, qr } from './ops/linalg-namespace.js';

/** TF.js's tf.linalg ops. */
export const linalg = { bandPart, gramSchmidt, qr };
export * as random from './random/index.js';
export { multinomial } from './random/multinomial.js';
export { Reduction } from './losses/tfjs.js';
export { TensorBuffer, buffer } from './ops/buffer.js';
export { browser, type PixelData } from './ops/browser.js';
export * as util from './util/tfjs.js';
export { ENV, env, Environment } from './util/flags.js';
export { Key } from './random/keys.js';
export { setRandomSeed, getRandomSeed } from './random/seed.js';
export { dropout, randomNormal, randomStandardNormal, randomUniform, randomUniformInt, truncatedNormalTensor as truncatedNormal } from './random/compat.js';
export {
  enableOpDeterminism, disableOpDeterminism, isOpDeterminismEnabled, type OpDeterminismOptions, type MathRandomPolicy,
} from './engine/determinism.js';
export { grad, grads, valueAndGrad, valueAndGrads, variableGrads } from './autograd/grad.js';
export { customGrad, type GradSaveFunc } from './autograd/custom.js';
export { Tensor, Variable, type NestedArray } from './tensor/tensor.js';
export type { DType, DataArray } from './tensor/dtype.js';
export { digest } from './tensor/digest.js';
export { ValueError, DeterminismError } from './errors.js';
export type { Backend, DataHandle, TensorInfo, KernelDeterminism, KernelFallback } from './backends/backend.js';
export { KERNEL_FALLBACKS } from './backends/wasm/backend.js';
export type { MemoryInfo } from './engine/engine.js';
export * as f32 from './numerics/f32math.js';
export * as layers from './layers/index.js';
export * as initializers from './layers/initializers.js';
export * as regularizers from './layers/regularizers.js';
export * as constraints from './layers/constraints.js';
export * as losses from './losses/index.js';
export * as metrics from './metrics/index.js';
export * as optimizers from './optimizers/index.js';
export { train } from './optimizers/index.js';
export * as data from './data/index.js';
export * as runs from './runs/index.js';
export { environment } from './runs/index.js';
export {
  Sequential, sequential, LayersModel, ModelLayer, model, input, History, EarlyStopping,
  Callback, type ModelArgs, type InputArgs, type Data, type Logs, type FitArgs, type CompileArgs,
} from './models/index.js';
export { SymbolicTensor } from './layers/layer.js';
import { registerClass, getRegisteredClass, modelFromJSON, fromMemory, withSaveHandler, getModelArtifactsInfoForJSON, http, browserDownloads, browserFiles, listModels, removeModel } from './io/index.js';
export { loadLayersModel } from './io/index.js';
/** TF.js 0.x's names, kept by the tfjs-examples programs: loadModel is loadLayersModel, Model is LayersModel. */
export { loadLayersModel as loadModel } from './io/index.js';
export { LayersModel as Model } from './models/index.js';
export type { IOHandler, LoadOptions, ModelArtifacts, ModelArtifactsInfo, SaveConfig, SaveResult, WeightSpec, WeightsManifestGroup } from './io/index.js';

/** TF.js's tf.io: handlers for model.save and loadLayersModel, and browser storage management. */
/** browserHTTPRequest is TF.js 0.x's name of http. */
export const io = { fromMemory, withSaveHandler, getModelArtifactsInfoForJSON, http, browserHTTPRequest: http, browserDownloads, browserFiles, listModels, removeModel };
/** TF.js's tf.serialization: registerClass makes a custom layer class loadable by its static className. */
export const serialization = { registerClass, getRegisteredClass };
/** TF.js's tf.models. */
export const models = { modelFromJSON };
export { CustomCallback, type CustomCallbackArgs } from './models/custom-callback.js';
// Installs fit's dataParallel option: worker threads, and worker processes over TCP.
import './models/data-parallel-threads.js';
import './models/data-parallel-tcp.js';
import { EarlyStopping, type EarlyStoppingArgs } from './models/callbacks.js';
import { BackupAndRestore, type BackupAndRestoreArgs } from './models/backup.js';

/** TF.js-style callback factories. */
export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs) => new EarlyStopping(args),
  backupAndRestore: (args: BackupAndRestoreArgs) => new BackupAndRestore(args),
};

/** TF.js's tidy(fn) and tidy(name, fn) (the name only labels the scope in TF.js's profiler). */
export function tidy<T>(fn: () => T): T;
export function tidy<T>(name: string, fn: () => T): T;
export function tidy<T>(nameOrFn: string | (() => T), fn?: () => T): T {
  const body = typeof nameOrFn === 'string' ? fn : nameOrFn;
  if (typeof body !== 'function') throw invalid('tidy', 'Expected a function, or a name and a function', { fn: body });
  return ENGINE.tidy(body);
}

export function keep<T extends Tensor>(tensor: T): T {
  return ENGINE.keep(tensor);
}

/** A tensor, or any nesting of arrays and plain objects holding tensors (TF.js's TensorContainer). */
export type TensorContainer = Tensor | null | undefined | number | string | boolean | TensorContainer[] | { [key: string]: TensorContainer };

/** Disposes every tensor in a container, however nested (arrays, plain objects, mixed); other values are skipped. */
export function dispose(container: TensorContainer): void {
  if (container instanceof Tensor) container.dispose();
  else if (Array.isArray(container)) for (const item of container) dispose(item);
  else if (container !== null && typeof container === 'object') for (const item of Object.values(container)) dispose(item);
}

/**
 * TF.js's disposeVariables(): disposes every live variable (each model's weights and optimizer
 * slots included), so that a program can start again in the same process.
 */
export function disposeVariables(): void {
  for (const variable of [...ENGINE.variables.values()]) variable.dispose();
}

export function memory(): MemoryInfo {
  return ENGINE.memory();
}

/** TF.js's backend names that mean a verbatim backend: 'cpu' is the reference backend. */
const TFJS_BACKEND_NAMES: Record<string, string> = { cpu: 'reference' };

/**
 * Selects a backend: 'reference' or 'wasm' (both give the same bits), or TF.js's 'cpu' for the
 * reference. Returns true as TF.js's (awaitable) setBackend does; getBackend() then names the
 * verbatim backend ('reference').
 */
export function setBackend(name: string): boolean {
  ENGINE.setBackend(TFJS_BACKEND_NAMES[name] ?? name);
  return true;
}

export function getBackend(): string {
  noteSettingRead('getBackend', ['backend'], getBackend);
  return ENGINE.backend.name;
}

/** The package version, as TF.js's tf.version lists its packages' versions ({verbatim: '0.1.0'}). */
export const version = { verbatim: VERSION } as const;

/** TF.js's ready(): verbatim's backends are ready when imported, so this resolves at once. */
export async function ready(): Promise<void> {}

/** TF.js's nextFrame(): resolves on the next animation frame in a browser, on the next macrotask elsewhere. */
export function nextFrame(): Promise<void> {
  const raf = (globalThis as { requestAnimationFrame?: (fn: () => void) => void }).requestAnimationFrame;
  return new Promise((resolve) => (raf ? raf(() => resolve()) : setTimeout(resolve, 0)));
}

/** Runs large kernels on `threads` threads (default: the number of cores); results do not change. */
export function setNumThreads(threads: number): void {
  ENGINE.setNumThreads(threads);
}

export function getNumThreads(): number {
  noteSettingRead('getNumThreads', ['threads'], getNumThreads);
  return ENGINE.numThreads();
}

/**
 * How often the active backend ran a primitive's scalar reference in place of a fast kernel,
 * for each declared case (KERNEL_FALLBACKS lists them all): the bits are the same, only slower.
 */
export function kernelFallbacks(): KernelFallback[] {
  return ENGINE.backend.fallbacks?.() ?? [];
}

/** The names of the registered backends. */
export function backendNames(): string[] {
  return ENGINE.backendNames();
}

export function registerBackend(name: string, factory: () => import('./backends/backend.js').Backend): void {
  ENGINE.registerBackend(name, factory);
}
