/**
 * Data-parallel training whose result does not depend on the number of workers: fit's
 * dataParallel {workers, microBatch}. Each batch is cut into micro-batches of microBatch rows in
 * the batch's order (the last may be smaller); micro-batch j's share of the loss is fl(sum of its
 * examples' losses / batch size) (the regularization penalties in share 0), and the shares'
 * gradients and losses are summed over a fixed binary tree over j (src/models/micro-batch.ts)
 * before one optimizer step here. The tree is cut into nodes for the workers, each summing its
 * nodes' micro-batches, and the main thread adds the nodes' sums in the same tree: which worker
 * computed what never enters a number. BatchNormalization normalizes each micro-batch with its
 * own statistics, which travel with the gradients and update the moving statistics once per
 * step (ghost batch normalization). Each request to a worker must be answered within
 * dataParallel.timeout. See README ("Data-parallel training"), NUMERICS.md and docs/cluster.md.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import { modelArtifacts } from '../io/index.js';
import { batchNormalizationOf } from '../layers/normalization.js';
import * as ops from '../ops/index.js';
import { getRandomSeed } from '../random/seed.js';
import { optionalBuiltin } from '../util/node.js';
import { VERSION } from '../version.js';
import type { Tensor, Variable } from '../tensor/tensor.js';
import type { DataParallelOptions, ProcessOptions } from './fit-options.js';
import { combineNodes, fromWire, nodeGradients, shareSumsProblem, toWire, treeNodes, type MicroBatchTask, type ShareSum, type StepContext } from './micro-batch.js';
import { statefulLayers } from './stateful.js';
import { LayersModel } from './model.js';
import { checkClassWeightTargets, installDataParallel, updateMetrics, type BatchStepper, type FitArgs, type StepResult } from './training.js';
import type { TrainableModel } from './batches.js';
import { macrotask } from '../util/yield.js';

/** Each worker is a thread or process with its own copy of the model: more is a typo, not a plan. */
const MAX_WORKERS = 64;

/** setTimeout's limit (2^31 - 1 ms), in whole seconds: a longer timeout would fire at once. */
const MAX_TIMEOUT = 2_147_483;

const OPTION_NAMES = ['workers', 'microBatch', 'inProcess', 'processes', 'workerModule', 'timeout'];
const PROCESS_OPTION_NAMES = ['host', 'port', 'spawn', 'connectTimeout'];

function checkProcessOptions(value: unknown, context: string): void {
  const name = 'dataParallel.processes';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(context, `Expected ${name} to be {host?, port?, spawn?, connectTimeout?}`, { [name]: value });
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!PROCESS_OPTION_NAMES.includes(key)) throw invalid(context, `Expected ${name} options among ${PROCESS_OPTION_NAMES.join(', ')}`, { [`${name}.${key}`]: o[key] });
  }
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) throw invalid(context, `Expected ${name}.host to be a non-empty string`, { [`${name}.host`]: o.host });
  if (o.port !== undefined && !(Number.isInteger(o.port) && (o.port as number) >= 0 && (o.port as number) < 65536)) {
    throw invalid(context, `Expected ${name}.port to be an integer in [0, 65535]`, { [`${name}.port`]: o.port });
  }
  if (o.spawn !== undefined && typeof o.spawn !== 'boolean') throw invalid(context, `Expected ${name}.spawn to be a boolean`, { [`${name}.spawn`]: o.spawn });
  if (o.connectTimeout !== undefined && !(typeof o.connectTimeout === 'number' && o.connectTimeout > 0 && o.connectTimeout <= MAX_TIMEOUT)) {
    throw invalid(context, `Expected ${name}.connectTimeout to be a positive number of seconds, at most ${MAX_TIMEOUT}`, { [`${name}.connectTimeout`]: o.connectTimeout });
  }
}

function checkOptions(options: unknown, context: string): DataParallelOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(context, 'Expected dataParallel to be {workers, microBatch, inProcess?, processes?, workerModule?, timeout?}', { dataParallel: options });
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.includes(key)) throw invalid(context, `Expected dataParallel options among ${OPTION_NAMES.join(', ')}`, { [`dataParallel.${key}`]: o[key] });
  }
  if (!Number.isInteger(o.workers) || (o.workers as number) < 1 || (o.workers as number) > MAX_WORKERS) {
    throw invalid(context, `Expected dataParallel.workers to be an integer from 1 to ${MAX_WORKERS}`, { 'dataParallel.workers': o.workers });
  }
  if (!Number.isInteger(o.microBatch) || (o.microBatch as number) < 1) {
    throw invalid(context, 'Expected dataParallel.microBatch to be a positive integer', { 'dataParallel.microBatch': o.microBatch });
  }
  if (o.timeout !== undefined && !(typeof o.timeout === 'number' && o.timeout > 0 && o.timeout <= MAX_TIMEOUT)) {
    throw invalid(context, `Expected dataParallel.timeout to be a positive number of seconds, at most ${MAX_TIMEOUT}`, { 'dataParallel.timeout': o.timeout });
  }
  if (o.inProcess !== undefined && typeof o.inProcess !== 'boolean') throw invalid(context, 'Expected dataParallel.inProcess to be a boolean', { 'dataParallel.inProcess': o.inProcess });
  if (o.workerModule !== undefined && (typeof o.workerModule !== 'string' || o.workerModule === '')) {
    throw invalid(context, 'Expected dataParallel.workerModule to be a module URL or path', { 'dataParallel.workerModule': o.workerModule });
  }
  if (o.processes !== undefined) {
    checkProcessOptions(o.processes, context);
    if (o.inProcess) throw invalid(context, 'Expected dataParallel.processes or dataParallel.inProcess, not both', { 'dataParallel.inProcess': true });
  }
  return o as unknown as DataParallelOptions;
}

/** Losses given by name (strings) can be sent to a worker thread; functions cannot. */
function checkLossesByName(model: LayersModel, context: string): void {
  const loss = model.compileArgs?.loss;
  const losses = typeof loss === 'string' ? [loss] : Array.isArray(loss) ? loss : loss && typeof loss === 'object' ? Object.values(loss) : [loss];
  if (!losses.every((l) => typeof l === 'string')) {
    throw invalid(context, 'Expected losses given by name with dataParallel workers (a function cannot be sent to a worker thread or process); '
      + 'use dataParallel.inProcess for a custom loss', { loss: losses.map((l) => (typeof l === 'string' ? l : typeof l)).join(', ') });
  }
}

/** Micro-batches of microBatch rows of the batch, in its order. */
function microBatches(xs: readonly Tensor[], ys: readonly Tensor[], microBatch: number): MicroBatchTask[] {
  const batchSize = xs[0]!.shape[0]!;
  const tasks: MicroBatchTask[] = [];
  for (let offset = 0, index = 0; offset < batchSize; offset += microBatch, index++) {
    const rows = Math.min(microBatch, batchSize - offset);
    ENGINE.tidy(() => {
      const part = (t: Tensor) => toWire(ops.slice(t, [offset], [rows]));
      tasks.push({ index, offset, xs: xs.map(part), ys: ys.map(part) });
    });
  }
  return tasks;
}

/**
 * The batch's step from the tree sum of its micro-batches: one optimizer step, each
 * BatchNormalization's moving statistics updated once from its combined micro-batch statistics,
 * metrics on the predictions in batch order.
 */
function applySum(model: LayersModel, trainable: readonly Variable[], total: ShareSum, ys: readonly Tensor[]): StepResult {
  const compiled = model.compiledOrThrow('fit');
  const byName = new Map(model.weights.map((v) => [v.name, v]));
  for (const { name, mean, variance } of total.statistics) {
    const layer = batchNormalizationOf(byName.get(name)!)!;
    ENGINE.tidy(() => layer.updateMovingStatistics(ENGINE.makeTensor(mean, layer.movingMean!.shape, 'float32'), ENGINE.makeTensor(variance, layer.movingMean!.shape, 'float32')));
  }
  const grads: Record<string, Tensor> = {};
  trainable.forEach((v, i) => {
    if (total.grads[i] !== null) grads[v.name] = ENGINE.makeTensor(total.grads[i]!, v.shape, 'float32');
  });
  compiled.optimizer.applyGradients(grads);
  for (const g of Object.values(grads)) g.dispose();
  ENGINE.tidy(() => {
    const predictions = total.predictions[0]!.map((_, o) => ops.concat(total.predictions.map((p) => fromWire(p[o]!)), 0));
    // Masked outputs are refused in data-parallel training (totalLoss): metrics see none.
    updateMetrics(compiled, ys, { outputs: predictions, masks: predictions.map(() => undefined) });
  });
  return { loss: total.loss, outputLosses: total.outputLosses };
}

/**
 * The environment of a worker thread or process: the caller's, without what makes verbatim's
 * import record a run or fix the seed (`verbatim run` sets them for the script, not its workers,
 * which get the fit's seed in their setup).
 */
export function workerEnvironment(): Record<string, string | undefined> {
  const env = { ...(globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env };
  for (const name of ['VERBATIM_SEED', 'VERBATIM_RUN_DIR', 'VERBATIM_RUN_OPTIONS']) delete env[name];
  return env;
}

/** Nodes of the tree to workers: each node to the worker with the fewest micro-batches so far (the first on ties). */
function assign(nodes: readonly [number, number][], workers: number): [number, number][][] {
  const load = new Array<number>(workers).fill(0);
  const out = Array.from({ length: workers }, (): [number, number][] => []);
  for (const node of nodes) {
    const w = load.indexOf(Math.min(...load));
    out[w]!.push(node);
    load[w]! += node[1] - node[0];
  }
  return out;
}

/** What a worker thread needs to rebuild the model: artifacts (topology, weights, key names), losses, seed, backend. */
export interface WorkerSetup {
  /** The fit's verbatim version: a worker of another version refuses the work. */
  version: string;
  /** A URL the worker imports first (dataParallel.workerModule), absolute. */
  module?: string;
  artifacts: unknown;
  loss: unknown;
  lossWeights: unknown;
  seed: unknown;
  backend: string;
  /** Kernel threads for a worker thread: the fit's divided among the workers (a worker process keeps its machine's default). */
  threads?: number;
  trainable: string[];
  weights: string[];
}

/** A worker's part of a step: the weights, and nodes of the tree as their micro-batches; it answers each node's sum. */
export interface StepMessage {
  weights: Float32Array[];
  context: StepContext;
  nodes: MicroBatchTask[][];
}

/** The transport to workers: each gets its part of a step and answers with its nodes' sums in order. */
export interface WorkerGroup {
  readonly size: number;
  /** A worker without a part (undefined: fewer nodes than workers) is not asked, and answers no sums. */
  run(perWorker: (StepMessage | undefined)[]): Promise<unknown[]>;
  close(): Promise<void>;
}

/** A worker's answer: a value, or the message of the error it raised. */
export interface Reply {
  value?: unknown;
  error?: string;
}

/** A worker answered a request with an error of its own (not a timeout or a lost connection). */
class WorkerReplyError extends Error {
  /** `worker`: how errors name the worker. */
  constructor(readonly reason: string, readonly worker: string) {
    super(reason);
  }
}

/** Default seconds a worker has to answer one request (dataParallel.timeout). */
export const DEFAULT_TIMEOUT = 60;

/**
 * Requests to one worker, answered in order. A worker that fails, goes away or does not answer a
 * request within `timeout` seconds (frozen, partitioned: a connection that stays open says
 * nothing) fails every pending request, and `abandon` cuts it off (closes its connection or
 * terminates its thread), so that nothing waits on it any more.
 */
export class Requests {
  private pending: { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }[] = [];
  private failure: Error | undefined;

  /** `worker`: how errors name the worker (its thread number or address). */
  constructor(
    private readonly send: (message: unknown) => void,
    private readonly context: string,
    readonly worker: string,
    private readonly timeout: number,
    private readonly abandon: () => void,
  ) {}

  /** `what`: the request as errors name it ('setup', 'step 12'). */
  request<T>(message: unknown, what: string): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      // A clock that only decides when to give up on a worker: no number depends on it.
      // On expiry, replies that arrived meanwhile are read first (the I/O phase runs before
      // setImmediate's): a coordinator paused past the timeout (Ctrl-Z, a suspended machine)
      // must not blame a worker whose answer is waiting to be read.
      const timer = setTimeout(() => macrotask(() => {
        if (this.pending.includes(entry)) this.expire(what);
      }), this.timeout * 1000);
      const entry = { resolve: resolve as (value: unknown) => void, reject, timer };
      this.pending.push(entry);
      try {
        this.send(message);
      } catch (error) {
        // Not sent: nothing may wait for it (its timer would hold the process for the timeout).
        this.failWith(invalid(this.context, `Expected to send ${what} to data-parallel ${this.worker}`, { error: error instanceof Error ? error.message : String(error) }));
      }
    });
  }

  reply(reply: Reply): void {
    const next = this.pending.shift();
    if (!next) return this.fail(`${this.worker} answered a request that was never made`);
    clearTimeout(next.timer);
    if (reply.error !== undefined) next.reject(new WorkerReplyError(reply.error, this.worker));
    else next.resolve(reply.value);
  }

  private expire(what: string): void {
    this.failWith(invalid(this.context, `Expected data-parallel ${this.worker} to answer ${what} within dataParallel.timeout`, { timeout: this.timeout, worker: this.worker, request: what }));
  }

  fail(reason: string): void {
    this.failWith(invalid(this.context, 'Expected the data-parallel workers to keep running', { worker: this.worker, error: reason }));
  }

  private failWith(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.abandon();
  }
}

/** A group of workers reached through `channels`: each is set up, then gets its share of every step. */
export async function workerGroup(channels: Requests[], setup: WorkerSetup, close: () => Promise<void>, context: string): Promise<WorkerGroup> {
  try {
    await Promise.all(channels.map((c) => c.request({ kind: 'setup', setup }, 'setup')));
  } catch (error) {
    await close();
    if (!(error instanceof WorkerReplyError)) throw error;
    throw invalid(context, "Expected each data-parallel worker to rebuild the model (workers run none of the caller's code: "
      + 'register custom layers in a dataParallel.workerModule, or use dataParallel.inProcess)', { error: error.reason, worker: error.worker });
  }
  return {
    size: channels.length,
    run: async (perWorker) => {
      try {
        return await Promise.all(perWorker.map((step, w) => (step ? channels[w]!.request<unknown>({ kind: 'step', step }, `step ${step.context.step}`) : [])));
      } catch (error) {
        if (!(error instanceof WorkerReplyError)) throw error;
        throw invalid(context, 'Expected a data-parallel worker to compute its micro-batches', { error: error.reason, worker: error.worker });
      }
    },
    close,
  };
}

/** What a transport needs to start a group: `size` workers, each set up with `setup`, `timeout` seconds per request. */
export interface GroupStart {
  size: number;
  setup: WorkerSetup;
  context: string;
  timeout: number;
  /** Bytes of one example's outputs (4 per element), when every output's shape is known: bounds a worker's reply. */
  outputRowBytes: number | undefined;
}

type GroupFactory = (start: GroupStart) => Promise<WorkerGroup | undefined>;

/** Worker threads (src/models/data-parallel-threads.ts registers them; undefined where there are none). */
let threadGroup: GroupFactory | undefined;

export function registerThreadGroup(factory: GroupFactory): void {
  threadGroup = factory;
}

/** Worker processes over TCP (src/models/data-parallel-tcp.ts registers them). */
let processGroup: ((start: GroupStart, options: ProcessOptions) => Promise<WorkerGroup>) | undefined;

export function registerProcessGroup(factory: NonNullable<typeof processGroup>): void {
  processGroup = factory;
}

let warnedInProcess = false;

/** A module URL as given, or a path made a file URL from the current directory. */
function absoluteModule(specifier: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) return specifier;
  const url = optionalBuiltin<typeof import('node:url')>('node:url');
  const path = optionalBuiltin<typeof import('node:path')>('node:path');
  return url && path ? url.pathToFileURL(path.resolve(specifier)).href : specifier;
}

class DataParallelStepper implements BatchStepper {
  private group: Promise<WorkerGroup | undefined> | undefined;

  constructor(private readonly model: LayersModel, private readonly options: DataParallelOptions, private readonly context: string) {}

  private workers(): Promise<WorkerGroup | undefined> {
    if (this.options.inProcess) return Promise.resolve(undefined);
    return (this.group ??= this.openGroup());
  }

  private async openGroup(): Promise<WorkerGroup | undefined> {
    const { processes } = this.options;
    if (processes) {
      if (!processGroup) throw invalid(this.context, "Expected verbatim's data-parallel processes module loaded (import from 'verbatim')", { processes: JSON.stringify(processes) });
      return processGroup(this.start(), processes);
    }
    const group = threadGroup ? await threadGroup(this.start()) : undefined;
    if (!group && !warnedInProcess) {
      console.warn(`${this.context}: dataParallel: no worker threads here; computing every micro-batch in this thread (the same bits)`);
      warnedInProcess = true;
    }
    return group;
  }

  private start(): GroupStart {
    const shapes = this.model.outputs.map((t) => t.shape.slice(1));
    const outputRowBytes = shapes.every((shape) => shape.every((d) => d !== null))
      ? shapes.reduce((sum, shape) => sum + 4 * shape.reduce<number>((p, d) => p * d!, 1), 0)
      : undefined;
    return { size: this.options.workers, setup: this.setup(), context: this.context, timeout: this.options.timeout ?? DEFAULT_TIMEOUT, outputRowBytes };
  }

  private setup(): WorkerSetup {
    checkLossesByName(this.model, this.context);
    const compiled = this.model.compiledOrThrow(this.context);
    const module = this.options.workerModule;
    return {
      version: VERSION,
      ...(module === undefined ? {} : { module: absoluteModule(module) }),
      artifacts: modelArtifacts(this.model),
      loss: this.model.compileArgs!.loss,
      lossWeights: this.model.compileArgs!.lossWeights,
      seed: getRandomSeed(),
      backend: ENGINE.backend.name,
      trainable: (compiled.trainableWeights ??= this.model.trainableWeights).map((v) => v.name),
      weights: this.model.weights.map((v) => v.name),
    };
  }

  /** The seed and the layers' trainable flags of the first step: workers are set up with them, once. */
  private fixed: { seed: string; trainable: string } | undefined;

  /**
   * A callback that reseeds or freezes a layer during the fit would change worker copies that
   * cannot see it (they were set up with the first step's): refused in every transport, so that
   * the result never depends on the transport. Change them between fits.
   */
  private checkFixed(): void {
    const now = { seed: String(getRandomSeed()), trainable: this.model.layers.map((l) => `${l.name}:${l.trainable}`).join(',') };
    this.fixed ??= now;
    if (now.seed !== this.fixed.seed || now.trainable !== this.fixed.trainable) {
      throw invalid(this.context, 'Expected the random seed and the layers\' trainable flags to stay as they were at the first step of a data-parallel fit (change them between fits)', {
        ...(now.seed !== this.fixed.seed ? { seed: `${this.fixed.seed} -> ${now.seed}` } : {}),
        ...(now.trainable !== this.fixed.trainable ? { trainable: now.trainable } : {}),
      });
    }
  }

  async step(xs: Tensor[], ys: Tensor[], classWeight?: Record<number, number>): Promise<StepResult> {
    if (classWeight) checkClassWeightTargets(this.model, ys, this.context);
    this.checkFixed();
    const compiled = this.model.compiledOrThrow(this.context);
    const trainable = (compiled.trainableWeights ??= this.model.trainableWeights);
    const tasks = microBatches(xs, ys, this.options.microBatch);
    const context: StepContext = { step: compiled.optimizer.iterations, batchSize: xs[0]!.shape[0]!, ...(classWeight ? { classWeight } : {}) };
    const group = await this.workers();
    let total: ShareSum;
    if (group) {
      // Workers sum whole nodes of the tree: the same additions as summing every micro-batch here.
      const weights = this.model.weights.map((v) => v.dataSync() as Float32Array);
      const assigned = assign(treeNodes(tasks.length, group.size), group.size);
      // A worker without nodes (a batch of fewer micro-batches than workers) is not sent the weights.
      const perWorker = assigned.map((nodes) => (nodes.length ? { weights, context, nodes: nodes.map(([lo, hi]) => tasks.slice(lo, hi)) } : undefined));
      const replies = await group.run(perWorker);
      const statisticSizes = new Map(this.model.weights.filter((v) => batchNormalizationOf(v)).map((v) => [v.name, v.size]));
      replies.forEach((reply, w) => {
        const problem = shareSumsProblem(reply, assigned[w]!, trainable, ys.length, statisticSizes);
        if (problem) throw invalid(this.context, `Expected data-parallel worker ${w + 1}'s answer to step ${context.step} to be its nodes' sums`, { problem });
      });
      total = combineNodes(tasks.length, (replies as ShareSum[][]).flat());
    } else {
      total = nodeGradients(this.model, trainable, tasks, context);
    }
    return applySum(this.model, trainable, total, ys);
  }

  async close(): Promise<void> {
    const group = await this.group?.catch(() => undefined);
    await group?.close();
  }
}

installDataParallel((model: TrainableModel, args: FitArgs, context: string) => {
  const options = checkOptions(args.dataParallel, context);
  if (!(model instanceof LayersModel)) throw invalid(context, 'Expected a LayersModel with dataParallel', { model: model.name });
  // Each micro-batch's rows would need the carried states of their rows, and the batch's final states gathered back.
  const stateful = statefulLayers(model);
  if (stateful.length > 0) throw invalid(context, 'Expected no stateful recurrent layer with dataParallel (not implemented: train it without dataParallel)', { stateful: stateful[0]!.name });
  return new DataParallelStepper(model, options, context);
});
