/**
 * Backend registration: 'reference' always, 'wasm' (the default wherever WebAssembly SIMD is
 * available). VERBATIM_BACKEND and VERBATIM_THREADS, when set in the environment, choose the
 * default backend and thread count.
 */
import { ENGINE } from '../engine/engine.js';
import { checkThreadCount } from './thread-count.js';
import { invalid } from '../errors.js';
import { WasmBackend, wasmSimdAvailable } from './wasm/backend.js';

const environment = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};

// An empty variable is unset; any other value must be one the setting takes (a typo would otherwise pass unseen).
const threadsVariable = environment.VERBATIM_THREADS || undefined;
if (threadsVariable !== undefined) {
  // Decimal digits only, as the CLI's --threads: Number() would also take ' 4', '0x4' and '4e0'.
  const threads = /^\d+$/.test(threadsVariable) ? Number(threadsVariable) : threadsVariable;
  checkThreadCount('verbatim', 'VERBATIM_THREADS', threads, 'VERBATIM_THREADS in the environment');
  ENGINE.preferredThreads = threads;
}

if (wasmSimdAvailable()) ENGINE.registerBackend('wasm', () => new WasmBackend(ENGINE.preferredThreads));

const backendVariable = environment.VERBATIM_BACKEND || undefined;
if (backendVariable !== undefined && !ENGINE.backendNames().includes(backendVariable)) {
  throw invalid('verbatim', `Expected VERBATIM_BACKEND in the environment to be one of the registered backends (${ENGINE.backendNames().join(', ')})`, { VERBATIM_BACKEND: backendVariable });
}
ENGINE.setDefaultBackend(backendVariable ?? (wasmSimdAvailable() ? 'wasm' : 'reference'));

export { WasmBackend, wasmSimdAvailable };
