/** One measurement in a fresh process: node dist/bench/worker.js <engine> <workload>; prints JSON. */
import type { Engine } from './engines/types.js';

const [engineName = '', workload = ''] = process.argv.slice(2);
const budget = Number(process.env.BENCH_BUDGET ?? 20);

async function engine(name: string): Promise<Engine> {
  // verbatim-<backend>-<threads>, or -dp<N>: fit with dataParallel on N worker threads.
  const threadsMatch = /^verbatim-(wasm|reference)-(\d+)(?:-dp(\d+))?$/.exec(name);
  if (threadsMatch) {
    const workers = threadsMatch[3] === undefined ? undefined : Number(threadsMatch[3]);
    return (await import('./engines/verbatim.js')).verbatimEngine(threadsMatch[1]!, Number(threadsMatch[2]), workers);
  }
  if (name === 'tfjs-cpu' || name === 'tfjs-wasm') return (await import('./engines/tfjs.js')).tfjsEngine(name === 'tfjs-cpu' ? 'cpu' : 'wasm');
  if (name === 'jax-js-wasm') return (await import('./engines/jax.js')).jaxEngine();
  throw new Error(`unknown engine ${name}`);
}

/** D and E where the engine has them; an engine without one fails with the reason. */
async function sequenceWorkload(e: Engine, workload: 'D' | 'E'): Promise<number> {
  const run = workload === 'D' ? e.trainRecurrent : e.trainTransformer;
  if (!run) throw new Error(`${engineName} has no ${workload === 'D' ? 'recurrent' : 'attention'} layers in this benchmark (TF.js has no multi-head attention; jax-js is not given an LSTM or transformer here)`);
  return run.call(e, budget);
}

let value: number;
if (workload === 'C-memory' || workload === 'D-memory') {
  const { verbatimEngine, stepsMemory } = await import('./engines/verbatim.js');
  verbatimEngine('wasm', Number(/-(\d+)$/.exec(engineName)?.[1] ?? 1));
  console.log(JSON.stringify({ engine: engineName, workload, value: 0, memory: await stepsMemory(workload === 'C-memory' ? 'C' : 'D', 500) }));
  process.exit(0);
}
if (workload === 'simd-peak') {
  const { WasmBackend } = await import('../src/backends/wasm/backend.js');
  value = new WasmBackend(1).simdPeakGflops();
} else {
  const e = await engine(engineName);
  value = workload === 'A' || workload === 'B' ? await e.train(workload, budget)
    : workload === 'C' ? await e.trainCnn(budget)
    : workload === 'D' || workload === 'E' ? await sequenceWorkload(e, workload)
    : await e.matmul(Number(workload.replace('matmul', '')));
}
console.log(JSON.stringify({ engine: engineName, workload, value }));
