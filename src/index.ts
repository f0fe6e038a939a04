/**
 * verbatim: deep learning for TypeScript whose training is bitwise reproducible by construction.
 */
import { ENGINE, type MemoryInfo } from './engine/engine.js';
import './backends/index.js';
import type { KernelFallback } from './backends/backend.js';
import './runs/auto.js';
export { TENSOR_METHODS } from './ops/chain.js';
import type { Tensor } from './tensor/tensor.js';

export * from './ops/index.js';
import { fusedMatMul } from './ops/linalg.js';
import { fusedConv2d } from './ops/convolution.js';

/** TF.js-style fused ops. */
export const fused = { matMul: fusedMatMul, conv2d: fusedConv2d };
import { flipLeftRight, resizeBilinear, resizeNearestNeighbor, transform } from './ops/image.js';

/** TF.js's tf.image ops. */
export const image = { resizeBilinear, resizeNearestNeighbor, flipLeftRight, transform };
export { resizeBilinear, resizeNearestNeighbor, mirrorPad } from './ops/image.js';
export * as random from './random/index.js';
export { Key } from './random/keys.js';
export { setRandomSeed, getRandomSeed } from './random/seed.js';
export { randomNormal, randomUniform, truncatedNormalTensor as truncatedNormal } from './random/compat.js';
export {
  enableOpDeterminism, disableOpDeterminism, isOpDeterminismEnabled, type OpDeterminismOptions, type MathRandomPolicy,
} from './engine/determinism.js';
export { grad, grads, valueAndGrad, valueAndGrads, variableGrads } from './autograd/grad.js';
export { customGrad } from './autograd/custom.js';
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
export * as losses from './losses/index.js';
export * as metrics from './metrics/index.js';
export * as optimizers from './optimizers/index.js';
export { train } from './optimizers/index.js';
export * as data from './data/index.js';
export * as runs from './runs/index.js';
export { environment } from './runs/environment.js';
export {
  Sequential, sequential, LayersModel, ModelLayer, model, input, History, EarlyStopping,
  type ModelArgs, type InputArgs, type Data, type Callback, type Logs, type FitArgs, type CompileArgs,
} from './models/index.js';
export { SymbolicTensor } from './layers/layer.js';
import { EarlyStopping, type EarlyStoppingArgs } from './models/callbacks.js';
import { BackupAndRestore, type BackupAndRestoreArgs } from './models/backup.js';

/** TF.js-style callback factories. */
export const callbacks = {
  earlyStopping: (args?: EarlyStoppingArgs) => new EarlyStopping(args),
  backupAndRestore: (args: BackupAndRestoreArgs) => new BackupAndRestore(args),
};

export function tidy<T>(fn: () => T): T {
  return ENGINE.tidy(fn);
}

export function keep<T extends Tensor>(tensor: T): T {
  return ENGINE.keep(tensor);
}

export function dispose(tensors: Tensor | readonly Tensor[] | Record<string, Tensor>): void {
  const list = tensors instanceof Array ? tensors : 'dispose' in tensors ? [tensors as Tensor] : Object.values(tensors);
  for (const t of list) t.dispose();
}

export function memory(): MemoryInfo {
  return ENGINE.memory();
}

export function setBackend(name: string): void {
  ENGINE.setBackend(name);
}

export function getBackend(): string {
  return ENGINE.backend.name;
}

/** Runs large kernels on `threads` threads (default: the number of cores); results do not change. */
export function setNumThreads(threads: number): void {
  ENGINE.setNumThreads(threads);
}

export function getNumThreads(): number {
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
