/**
 * The engine: runs primitives on the active backend, owns every tensor's lifetime (tidy scopes,
 * dispose, memory accounting) and records primitives on active gradient tapes.
 */
import type { Backend, DataHandle, UpdateKind } from '../backends/backend.js';
import { checkThreadCount } from '../backends/thread-count.js';
import { ReferenceBackend } from '../backends/reference.js';
import { DeterminismError, ValueError, invalid } from '../errors.js';
import { RULES } from '../primitives/index.js';
import type { Primitive, PrimitiveAttrs, Rule } from '../primitives/types.js';
import { allocate, bytesPerElement, coerce, type DataArray, type DType } from '../tensor/dtype.js';
import { checkTensorSize, type Shape } from '../tensor/shape.js';
import { Tensor, Variable, type TensorOwner } from '../tensor/tensor.js';
import { isOpDeterminismEnabled } from './determinism.js';
import { LITTLE_ENDIAN, littleEndianBytes } from '../util/bytes.js';

/** One recorded step: a primitive, or a composite op with its own backward function. */
export interface TapeEntry {
  readonly primitive: Primitive | 'custom';
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: unknown;
  readonly backward?: (dy: Tensor) => (Tensor | null)[];
}

export class Tape {
  readonly entries: TapeEntry[] = [];
  /** Ids of the tensors that depend on a watched tensor. */
  readonly tracked = new Set<number>();
  readonly held: Tensor[] = [];

  constructor(watched: readonly Tensor[]) {
    for (const t of watched) this.tracked.add(t.id);
  }
}

export interface MemoryInfo {
  /** Tensors whose storage is live (variables included). */
  numTensors: number;
  /** TF.js's count of backing stores: every verbatim tensor owns one, so it equals numTensors. */
  numDataBuffers: number;
  numBytes: number;
  /** TF.js's flag for an estimate: verbatim counts exactly, so always false. */
  unreliable: boolean;
  /** Tensors garbage-collected without dispose(); their storage was freed then. */
  numLeaked: number;
}

interface Storage {
  handle: DataHandle;
  backend: Backend;
  bytes: number;
}

export class Engine implements TensorOwner {
  private readonly factories = new Map<string, () => Backend>();
  private readonly instances = new Map<string, Backend>();
  private activeName = 'reference';
  private activeInstance: Backend | undefined;
  private nextId = 0;
  private liveTensors = 0;
  private liveBytes = 0;
  private leaked = 0;
  /** Frees the storage of tensors that were garbage-collected without dispose(). */
  private readonly finalizer = new FinalizationRegistry<Storage>((storage) => {
    storage.backend.free(storage.handle);
    this.liveTensors--;
    this.liveBytes -= storage.bytes;
    this.leaked++;
  });
  private readonly scopes: Tensor[][] = [];
  private readonly tapes: Tape[] = [];
  private recordingPaused = 0;
  private variableCount = 0;
  readonly variables = new Map<string, Variable>();

  constructor() {
    this.registerBackend('reference', () => new ReferenceBackend());
  }

  /** The active backend, created on first use. */
  private get active(): Backend {
    this.activeInstance ??= this.instance(this.activeName);
    return this.activeInstance;
  }

  registerBackend(name: string, factory: () => Backend): void {
    this.factories.set(name, factory);
  }

  backendNames(): string[] {
    return [...this.factories.keys()];
  }

  private instance(name: string): Backend {
    let backend = this.instances.get(name);
    if (!backend) {
      const factory = this.factories.get(name);
      if (!factory) {
        throw invalid('setBackend', `Expected one of the registered backends (${this.backendNames().join(', ')})`, { name });
      }
      backend = factory();
      this.instances.set(name, backend);
    }
    return backend;
  }

  setBackend(name: string): void {
    this.activeInstance = this.instance(name);
    this.activeName = name;
  }

  /** Chooses the backend used from the first op on, without creating it yet. */
  setDefaultBackend(name: string): void {
    if (!this.factories.has(name)) throw invalid('setBackend', `Expected one of the registered backends (${this.backendNames().join(', ')})`, { name });
    this.activeName = name;
    this.activeInstance = undefined;
  }

  get backend(): Backend {
    return this.active;
  }

  // ---- Tensor lifetime ----

  /** Counts a new tensor; a scoped one joins the innermost tidy scope (variables never do). */
  private track<T extends Tensor>(tensor: T, scoped = true): T {
    const bytes = tensor.size * bytesPerElement(tensor.dtype);
    this.liveTensors++;
    this.liveBytes += bytes;
    const scope = scoped ? this.scopes.at(-1) : undefined;
    if (scope) scope.push(tensor);
    else this.watchForLeak(tensor);
    return tensor;
  }

  /**
   * Registers a tensor that no tidy scope will dispose, so that its storage is freed if it is
   * garbage-collected without dispose(). Tensors inside a scope are disposed or handed outward
   * by it, and registered only when they leave the outermost one.
   */
  private watchForLeak(tensor: Tensor): void {
    this.finalizer.register(tensor, { handle: tensor.handle, backend: tensor.backend, bytes: tensor.size * bytesPerElement(tensor.dtype) }, tensor);
    tensor.watched = true;
  }

  /** Keeps the finalizer's record of a tensor's storage current when the storage changes. */
  private retrack(tensor: Tensor): void {
    if (!tensor.watched) return;
    this.finalizer.unregister(tensor);
    this.watchForLeak(tensor);
  }

  private readonly constants = new Map<Backend, Map<string, Tensor>>();

  /**
   * A shared scalar tensor holding `value` as `dtype`, for ops with a JS number operand. Cached
   * per backend (at most 4096 values; undefined beyond), never disposed, and not counted by
   * memory(): an engine-internal constant.
   */
  scalarConstant(value: number, dtype: DType): Tensor | undefined {
    const backend = this.active;
    let cache = this.constants.get(backend);
    if (!cache) {
      cache = new Map();
      this.constants.set(backend, cache);
    }
    const stored = coerce(value, dtype);
    const key = `${dtype}:${Object.is(stored, -0) ? '-0' : stored}`;
    let t = cache.get(key);
    if (!t) {
      if (cache.size >= 4096) return undefined;
      const values = allocate(dtype, 1);
      values[0] = stored;
      t = new Tensor(this, this.nextId++, [], dtype, backend.upload(values, dtype), backend);
      t.constant = true;
      cache.set(key, t);
    }
    return t;
  }

  /** A tensor holding a copy of `values`. */
  makeTensor(values: DataArray, shape: Shape, dtype: DType): Tensor {
    const handle = this.active.upload(values, dtype);
    return this.track(new Tensor(this, this.nextId++, shape, dtype, handle, this.active));
  }

  makeVariable(initial: Tensor, trainable: boolean, name: string | undefined): Variable {
    const variableName = name ?? `variable_${this.variableCount}`;
    this.variableCount++;
    if (this.variables.has(variableName)) {
      throw invalid('variable', 'Expected a name not used by another live variable', { name: variableName });
    }
    this.assertUsable(initial, 'variable', 'initialValue');
    const handle = this.active.upload(initial.backend.read(initial.handle, initial.dtype, initial.size), initial.dtype);
    const v = this.track(new Variable(this, this.nextId++, initial.shape, initial.dtype, handle, this.active, variableName, trainable), false);
    this.variables.set(variableName, v);
    return v;
  }

  readValues(tensor: Tensor): DataArray {
    this.assertUsable(tensor, 'dataSync');
    return tensor.backend.read(tensor.handle, tensor.dtype, tensor.size);
  }

  /**
   * The tensor's values as little-endian bytes, copied into target at offset without a new array
   * (the run recorder's per-epoch snapshot of every weight).
   */
  readLittleEndianInto(tensor: Tensor, target: Uint8Array, offset: number): void {
    this.assertUsable(tensor, 'dataSync');
    if (LITTLE_ENDIAN && tensor.backend.readBytesInto) tensor.backend.readBytesInto(tensor.handle, tensor.dtype, tensor.size, target, offset);
    else target.set(littleEndianBytes(tensor.backend.read(tensor.handle, tensor.dtype, tensor.size) as Float32Array), offset);
  }

  assignVariable(variable: Variable, value: Tensor): void {
    this.assertUsable(variable, 'assign');
    this.assertUsable(value, 'assign', 'value');
    const handle = this.active.upload(value.backend.read(value.handle, value.dtype, value.size), value.dtype);
    variable.backend.free(variable.handle);
    variable.handle = handle;
    variable.backend = this.active;
    this.retrack(variable);
  }

  disposeTensor(tensor: Tensor): void {
    if (tensor.isDisposed || tensor.constant) return;
    tensor.markDisposeRequested();
    if (tensor instanceof Variable) this.variables.delete(tensor.name);
    if (tensor.tapeHolds === 0) this.free(tensor);
  }

  private free(tensor: Tensor): void {
    if (tensor.freed) return;
    tensor.freed = true;
    if (tensor.watched) this.finalizer.unregister(tensor);
    tensor.backend.free(tensor.handle);
    this.liveTensors--;
    this.liveBytes -= tensor.size * bytesPerElement(tensor.dtype);
  }

  memory(): MemoryInfo {
    return { numTensors: this.liveTensors, numDataBuffers: this.liveTensors, numBytes: this.liveBytes, unreliable: false, numLeaked: this.leaked };
  }

  /**
   * Runs fn and disposes every tensor it created except those it returns (a tensor, or arrays
   * and plain objects of them), variables and kept tensors. fn must be synchronous.
   */
  tidy<T>(fn: () => T): T {
    const scope: Tensor[] = [];
    this.scopes.push(scope);
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.scopes.pop();
      for (const t of scope) if (!t.kept) this.disposeTensor(t);
      throw error;
    }
    this.scopes.pop();
    if (result instanceof Promise) {
      throw new ValueError('tidy: Expected a synchronous function. Received: a function that returned a Promise');
    }
    const returned = new Set<Tensor>();
    collectTensors(result, returned);
    const parent = this.scopes.at(-1);
    for (const t of scope) {
      if (returned.has(t)) {
        if (parent) parent.push(t);
        else this.watchForLeak(t);
      } else if (t.kept) {
        this.watchForLeak(t);
      } else {
        this.disposeTensor(t);
      }
    }
    return result;
  }

  keep<T extends Tensor>(tensor: T): T {
    tensor.kept = true;
    return tensor;
  }

  assertUsable(tensor: unknown, context: string, argument = 'x'): asserts tensor is Tensor {
    if (!(tensor instanceof Tensor)) {
      throw invalid(context, `Expected ${argument} to be a Tensor`, { [argument]: tensor });
    }
    if (tensor.freed || (tensor.isDisposed && tensor.tapeHolds === 0)) {
      throw new ValueError(`${context}: Expected a live tensor. Received: ${argument}, a tensor of shape ${JSON.stringify(tensor.shape)} that was disposed`);
    }
  }

  /** Copies a tensor made on another backend into the active one (the tensor keeps its id). */
  private migrate(tensor: Tensor): void {
    if (tensor.backend === this.active) return;
    const values = tensor.backend.read(tensor.handle, tensor.dtype, tensor.size);
    tensor.backend.free(tensor.handle);
    tensor.handle = this.active.upload(values, tensor.dtype);
    tensor.backend = this.active;
    this.retrack(tensor);
  }

  setNumThreads(threads: number): void {
    checkThreadCount('setNumThreads', 'threads', threads);
    this.preferredThreads = threads;
    for (const backend of this.instances.values()) backend.setNumThreads?.(threads);
  }

  /** Threads the active backend runs kernels on. */
  numThreads(): number {
    return this.active.numThreads ?? 1;
  }

  /** The thread count asked for with setNumThreads, for backends created later. */
  preferredThreads: number | undefined;

  /**
   * Runs a fused optimizer update in place when the active backend has one and no gradient tape
   * is recording; returns false otherwise, and the caller runs the composed update (the
   * specification the fused kernel reproduces). Variables among `tensors` are updated.
   */
  fusedUpdate(kind: UpdateKind, tensors: readonly Tensor[], scalars: readonly number[]): boolean {
    const backend = this.active;
    if (!backend.update || !backend.exclusive || this.tapes.length > 0) return false;
    for (const t of tensors) {
      this.assertUsable(t, kind);
      this.migrate(t);
    }
    for (const t of tensors) {
      if (t instanceof Variable) {
        const handle = backend.exclusive(t.handle, t.dtype, t.size);
        if (handle !== t.handle) {
          t.handle = handle;
          this.retrack(t);
        }
      }
    }
    backend.update(kind, tensors.map((t) => t.handle), scalars, tensors[0]!.size);
    return true;
  }

  // ---- Running primitives ----

  /**
   * Sees every primitive's output while set (`verbatim run --trace ops` records one training
   * step's op digests); unset, it costs one check per op.
   */
  opObserver: ((primitive: string, output: Tensor) => void) | undefined;

  run<P extends Primitive>(primitive: P, inputs: readonly Tensor[], attrs: PrimitiveAttrs[P]): Tensor {
    const active = this.active;
    for (let i = 0; i < inputs.length; i++) {
      const t = inputs[i]!;
      if (!(t instanceof Tensor) || t.freed || (t.isDisposed && t.tapeHolds === 0)) {
        this.assertUsable(t, primitive, argumentName(primitive, inputs.length, i));
      }
      if (t.backend !== active) this.migrate(t);
    }
    const rule = RULES[primitive] as Rule<P>;
    const out = rule.infer(inputs, attrs);
    checkTensorSize(out.shape, out.dtype, primitive);
    if (isOpDeterminismEnabled() && active.determinism(primitive) !== 'bitwise') {
      throw new DeterminismError(
        `${primitive}: the '${active.name}' backend's kernel has no bitwise determinism guarantee, and op determinism is enabled`);
    }
    const handle = active.run(primitive, inputs, attrs, out);
    const output = this.track(new Tensor(this, this.nextId++, out.shape, out.dtype, handle, active));
    if (this.tapes.length > 0) this.record({ primitive, inputs, output, attrs });
    if (this.opObserver !== undefined) this.opObserver(primitive, output);
    return output;
  }

  // ---- Gradient tapes ----

  startTape(watched: readonly Tensor[]): Tape {
    const tape = new Tape(watched);
    this.tapes.push(tape);
    return tape;
  }

  stopTape(tape: Tape): void {
    const index = this.tapes.lastIndexOf(tape);
    if (index >= 0) this.tapes.splice(index, 1);
  }

  /** Lets go of the tensors a finished tape kept alive, freeing those disposed meanwhile. */
  releaseTape(tape: Tape): void {
    for (const t of tape.held) {
      t.tapeHolds--;
      if (t.tapeHolds === 0 && t.isDisposed) this.free(t);
    }
    tape.held.length = 0;
  }

  /** Runs fn without recording its primitives (the body of an op with its own backward). */
  withoutRecording<T>(fn: () => T): T {
    this.recordingPaused++;
    try {
      return fn();
    } finally {
      this.recordingPaused--;
    }
  }

  record(entry: TapeEntry): void {
    if (this.recordingPaused > 0 || entry.output.dtype !== 'float32') return;
    for (const tape of this.tapes) {
      if (!entry.inputs.some((t) => tape.tracked.has(t.id))) continue;
      tape.entries.push(entry);
      tape.tracked.add(entry.output.id);
      for (const t of [...entry.inputs, entry.output]) {
        t.tapeHolds++;
        tape.held.push(t);
      }
    }
  }
}

/** The ops' names for a primitive's inputs: x; a, b; condition, a, b; else tensors[i]. */
function argumentName(primitive: Primitive, count: number, i: number): string {
  if (count === 1) return 'x';
  if (primitive === 'where') return ['condition', 'a', 'b'][i]!;
  if (count === 2 && primitive !== 'concat') return i === 0 ? 'a' : primitive === 'gather' || primitive === 'scatterAdd' ? 'indices' : 'b';
  return `tensors[${i}]`;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value instanceof Tensor) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectTensors(item, into);
  } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectTensors(item, into);
  }
}

export const ENGINE: Engine = new Engine();
