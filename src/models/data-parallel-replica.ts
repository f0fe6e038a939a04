/**
 * A data-parallel worker's copy of the model (in a worker thread or another process): rebuilt
 * from the fit's model artifacts (topology, weights and key names) with the fit's seed and
 * backend, so that its Dropout masks and gradients are the main thread's bits.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { modelFromArtifacts } from '../io/index.js';
import type { Seed } from '../random/keys.js';
import { setRandomSeed } from '../random/seed.js';
import type { Variable } from '../tensor/tensor.js';
import { VERSION } from '../version.js';
import type { CompileArgs } from './arguments.js';
import type { Reply, StepMessage, WorkerSetup } from './data-parallel.js';
import { nodeGradients, type ShareSum } from './micro-batch.js';

export interface Replica {
  /** Takes the step's weights, then sums each node's micro-batches over the tree. */
  step(message: StepMessage): ShareSum[];
}

/** Imports a workerModule: as given in a worker thread, only an allowed file in a worker process (src/models/data-parallel-modules.ts). */
export type ModuleImporter = (url: string) => Promise<unknown>;

/** The backend gets the setup's kernel threads when it names them, else its default (results never depend on it). */
export async function createReplica(setup: WorkerSetup, importModule: ModuleImporter): Promise<Replica> {
  const context = 'dataParallel worker';
  if (setup.version !== VERSION) throw invalid(context, `Expected the fit's verbatim version ${setup.version} in the worker`, { worker: VERSION });
  ENGINE.setBackend(setup.backend);
  if (setup.threads !== undefined) ENGINE.setNumThreads(setup.threads);
  if (setup.module !== undefined) await importModule(setup.module);
  setRandomSeed(setup.seed as Seed);
  const model = await modelFromArtifacts(setup.artifacts, {}, context);
  // The optimizer is never used: the main thread steps.
  model.compile({ optimizer: 'sgd', loss: setup.loss as CompileArgs['loss'], ...(setup.lossWeights === undefined ? {} : { lossWeights: setup.lossWeights as CompileArgs['lossWeights'] }) });
  const byName = new Map(model.weights.map((v) => [v.name, v]));
  const named = (name: string): Variable => {
    const v = byName.get(name);
    if (!v) throw invalid(context, 'Expected the rebuilt model to have every weight of the original', { missing: name });
    return v;
  };
  const weights = setup.weights.map(named);
  const trainable = setup.trainable.map(named);
  return {
    step(message) {
      weights.forEach((v, i) => ENGINE.tidy(() => v.assign(ENGINE.makeTensor(message.weights[i]!, v.shape, 'float32'))));
      return message.nodes.map((tasks) => nodeGradients(model, trainable, tasks, message.context));
    },
  };
}

/**
 * A worker's message handler: 'setup' builds the replica (with the setup's kernel threads, or the
 * backend's default), 'step' computes the micro-batches.
 * `transfer` lists the reply's buffers, which the reply owns (they may be moved, not copied).
 */
export function replicaServer(importModule: ModuleImporter): (message: { kind: string; setup?: unknown; step?: unknown }) => Promise<{ reply: Reply; transfer: ArrayBuffer[] }> {
  let replica: Replica | undefined;
  return async (message) => {
    try {
      if (message.kind === 'setup') {
        replica = await createReplica(message.setup as WorkerSetup, importModule);
        return { reply: { value: true }, transfer: [] };
      }
      if (message.kind !== 'step' || !replica) throw new Error(`unexpected message ${message.kind}${replica ? '' : ' before setup'}`);
      const results = replica.step(message.step as StepMessage);
      const arrays = results.flatMap((r) => [
        ...r.grads.filter((g) => g !== null), ...r.predictions.flat().map((p) => p.values), ...r.statistics.flatMap((s) => [s.mean, s.variance]),
      ]);
      // Only buffers an array owns whole are moved (one shared with anything else is copied).
      const transfer = [...new Set(arrays.filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength).map((a) => a.buffer as ArrayBuffer))];
      return { reply: { value: results }, transfer };
    } catch (error) {
      return { reply: { error: error instanceof Error ? error.message : String(error) }, transfer: [] };
    }
  };
}
