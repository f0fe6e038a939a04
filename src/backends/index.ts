/**
 * Backend registration: 'reference' always, 'wasm' (the default wherever WebAssembly SIMD is
 * available). VERBATIM_BACKEND and VERBATIM_THREADS, when set in the environment, choose the
 * default backend and thread count.
 */
import { ENGINE } from '../engine/engine.js';
import { WasmBackend, wasmSimdAvailable } from './wasm/backend.js';

const environment = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

const threadsFromEnvironment = environment.VERBATIM_THREADS ? Number(environment.VERBATIM_THREADS) : undefined;
if (threadsFromEnvironment !== undefined && Number.isInteger(threadsFromEnvironment) && threadsFromEnvironment > 0) {
  ENGINE.preferredThreads = threadsFromEnvironment;
}

if (wasmSimdAvailable()) ENGINE.registerBackend('wasm', () => new WasmBackend(ENGINE.preferredThreads));

ENGINE.setDefaultBackend(environment.VERBATIM_BACKEND ?? (wasmSimdAvailable() ? 'wasm' : 'reference'));

export { WasmBackend, wasmSimdAvailable };
