/**
 * Datasets: lazy, re-iterable streams of elements (tensors, numbers, or arrays and plain objects
 * of them). Each iteration is a "pass" identified by a path of integers ([epoch], or
 * [epoch, repetition] inside repeat()), and every random choice is a function of a key and the
 * pass, so the order of elements never depends on timing or on how often anything else was
 * iterated.
 */
import { ENGINE } from '../engine/engine.js';
import { invalid } from '../errors.js';
import * as ops from '../ops/index.js';
import { foldIn, key as keyOf, type Key, type Seed } from '../random/keys.js';
import { scaledIndex } from '../random/samplers.js';
import { keyFor, seedGeneration } from '../random/seed.js';
import { threefry2x32Into } from '../random/threefry.js';
import { Tensor } from '../tensor/tensor.js';
import { followAborts } from '../util/abort.js';
import { checkOptions, isRecord } from './options.js';
import { stackElements } from './stack.js';

/** What elements hold (TF.js's TensorContainer): batch() stacks all but strings (verbatim has no string tensors). */
export type Element = Tensor | number | boolean | string | Float32Array | Int32Array | Uint8Array
  | readonly Element[] | { readonly [name: string]: Element };

export interface MapContext {
  /** foldIn(seedKey, ...pass, index): a key of this element in this pass, for seeded augmentation. */
  key: Key;
  index: number;
  pass: readonly number[];
}

/**
 * One pass of a dataset. Every stage reads its upstream with for await (or closes it in a
 * finally), so a consumer that stops early (take, zip's shortest, an error, a break) closes the
 * whole pipeline: buffers free their elements and a user's generator runs its finally blocks.
 * A read still in flight when its consumer stops (one prefetch asked ahead for) holds up the
 * return() that would close the stages below it, so `stop`, passed down to every stage, ends the
 * reads in flight that would otherwise never end by themselves (a download that stalled).
 */
type Source<T> = (pass: readonly number[], stop: AbortSignal | undefined) => AsyncGenerator<T, void, undefined>;

/** Word i of a key's bit stream (see random/keys.ts), produced on demand. */
class BitStream {
  private readonly block = new Uint32Array(2);
  private index = 0;

  constructor(private readonly k: Key) {}

  next(): number {
    if (this.index % 2 === 0) threefry2x32Into(this.k.words[0], this.k.words[1], this.index / 2, 0, this.block, 0);
    return this.block[this.index++ % 2]!;
  }
}

/** Tensors inside an element, for disposal. */
function tensorsOf(element: unknown, into: Tensor[] = []): Tensor[] {
  if (element instanceof Tensor) into.push(element);
  else if (Array.isArray(element)) for (const item of element) tensorsOf(item, into);
  else if (element !== null && typeof element === 'object' && !ArrayBuffer.isView(element)) for (const item of Object.values(element)) tensorsOf(item, into);
  return into;
}

export function disposeElement(element: unknown): void {
  for (const t of tensorsOf(element)) t.dispose();
}

/** After a map: frees the input's tensors that the output does not hold (as tf.data). */
function disposeReplaced(input: unknown, output: unknown): void {
  const kept = new Set(tensorsOf(output));
  for (const t of tensorsOf(input)) if (!kept.has(t)) t.dispose();
}

/** A copy whose tensors are new (tf.data's deepClone), so that disposing it leaves the original intact. */
function cloneElement<T>(element: T): T {
  if (element instanceof Tensor) return ops.reshape(element, element.shape) as T;
  if (Array.isArray(element)) return element.map(cloneElement) as T;
  if (element !== null && typeof element === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(element))) {
    return Object.fromEntries(Object.entries(element).map(([k, v]) => [k, cloneElement(v)])) as T;
  }
  return element;
}

/** take/skip counts as tf.data takes them: a negative count (or Infinity) means every element. */
function checkCount(count: number | undefined, context: string): void {
  if (count !== undefined && (typeof count !== 'number' || !(Number.isInteger(count) || count === Infinity))) {
    throw invalid(context, 'Expected count to be an integer (negative: every element)', { count });
  }
}

let unnamedSeeds = 0;
let unnamedScope = -1;

/** Restarts the numbering of unseeded shuffles and maps (verbatim doctor's second pass). */
export function resetDatasetSeeds(): void {
  unnamedSeeds = 0;
}

/**
 * The key of a shuffle or map, taken when a pass starts. Unseeded ones are numbered when made,
 * since the seed was set (the same code after the same setRandomSeed gets the same keys), and
 * draw from the seed in force at the pass: a pipeline made before setRandomSeed follows it, rather
 * than a seed chosen at random when it was made. Those made before any seed was set keep their
 * numbers after the first setRandomSeed, so that the ones made after it do not repeat their keys.
 */
function seedKeyOf(seed: Seed | undefined, kind: string): () => Key {
  if (seed !== undefined) {
    const k = keyOf(seed);
    return () => k;
  }
  if (unnamedScope !== seedGeneration()) {
    if (unnamedScope !== 0) unnamedSeeds = 0;
    unnamedScope = seedGeneration();
  }
  const n = unnamedSeeds++;
  return () => keyFor('data', kind, n);
}

/** A dataset's source, for passOf: a stage in another module (zip) reads its datasets with its pass's `stop`. */
let sourceOf: <T>(dataset: Dataset<T>) => Source<T>;

export class Dataset<T = Element> {
  static {
    sourceOf = (dataset) => dataset.source;
  }

  /** Iterations by hand (iterator(), for await, forEachAsync, toArray) since the seed was set. */
  private handPasses = 0;
  private handScope = -1;

  constructor(private readonly source: Source<T>, readonly size: number | null) {}

  /**
   * An iterator over one pass. Without a pass, each call starts the next pass [0], [1], ... as
   * tf.data does (a reshuffling shuffle gives each a new order); setRandomSeed restarts the count,
   * so the sequence of orders is the same on every run.
   */
  iterator(pass?: readonly number[]): AsyncGenerator<T, void, undefined> {
    if (pass === undefined) {
      if (this.handScope !== seedGeneration()) {
        this.handScope = seedGeneration();
        this.handPasses = 0;
      }
      pass = [this.handPasses++];
    } else if (!Array.isArray(pass) || !pass.every((p) => Number.isSafeInteger(p) && p >= 0)) {
      throw invalid('Dataset.iterator', 'Expected pass to be an array of non-negative integers ([epoch])', { pass });
    }
    return this.source(pass, undefined);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    yield* this.iterator();
  }

  async toArray(): Promise<T[]> {
    if (this.size === Infinity) throw invalid('Dataset.toArray', 'Expected a finite dataset (take(count) first)', { size: this.size });
    const out: T[] = [];
    try {
      for await (const element of this) out.push(element);
    } catch (e) {
      // The caller never receives the elements read before the failure.
      for (const element of out) disposeElement(element);
      throw e;
    }
    return out;
  }

  async forEachAsync(fn: (element: T) => void | Promise<void>): Promise<void> {
    if (typeof fn !== 'function') throw invalid('Dataset.forEachAsync', 'Expected fn to be a function', { fn });
    for await (const element of this) await fn(element);
  }

  /**
   * A shuffle buffer as tf.data's: fill `bufferSize` elements, then repeatedly emit a random
   * one (index scaledIndex(word j, buffer length) for the j-th draw) and replace it with the next
   * input. The key of a pass is foldIn(seedKey, ...pass), or foldIn(seedKey, 0) for every pass
   * with reshuffleEachIteration false. Without a seed, seedKey comes from the global seed.
   * TF.js's positional form shuffle(bufferSize, seed, reshuffleEachIteration) is accepted too;
   * a string seed s gives seedKey foldIn(key(0), 'shuffle', s).
   */
  shuffle(bufferSize: number, options?: { seed?: Seed | string; reshuffleEachIteration?: boolean } | Seed | string, reshuffle?: boolean): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw invalid('Dataset.shuffle', 'Expected bufferSize to be a positive integer', { bufferSize });
    }
    const positional = options === undefined || options === null || typeof options !== 'object';
    const { seed, reshuffleEachIteration = true } = checkOptions<{ seed?: Seed | string; reshuffleEachIteration?: boolean }>('Dataset.shuffle',
      positional ? { seed: options ?? undefined, reshuffleEachIteration: reshuffle } : options, ['seed', 'reshuffleEachIteration'], ['reshuffleEachIteration']);
    const seedKey = typeof seed === 'string' ? () => foldIn(keyOf(0), 'shuffle', seed) : seedKeyOf(seed, 'shuffle');
    const upstream = this.source;
    return new Dataset(async function* shuffled(pass, stop) {
      const bits = new BitStream(reshuffleEachIteration ? foldIn(seedKey(), ...pass) : foldIn(seedKey(), 0));
      const it = upstream(pass, stop);
      const buffer: T[] = [];
      try {
        let exhausted = false;
        while (buffer.length < bufferSize) {
          const r = await it.next();
          if (r.done) { exhausted = true; break; }
          buffer.push(r.value);
        }
        while (buffer.length > 0) {
          const j = scaledIndex(bits.next(), buffer.length);
          const out = buffer[j]!;
          const r = exhausted ? { done: true as const, value: undefined } : await it.next();
          if (r.done) {
            exhausted = true;
            buffer[j] = buffer[buffer.length - 1]!;
            buffer.pop();
          } else {
            buffer[j] = r.value;
          }
          yield out;
        }
      } finally {
        for (const element of buffer) disposeElement(element);
        await it.return();
      }
    }, this.size);
  }

  /**
   * Groups consecutive elements into stacked batches (stack.ts says how); the last one may be
   * smaller unless dropRemainder. TF.js's batch(size, smallLastBatch) is accepted as well.
   */
  batch(batchSize: number, options: { dropRemainder?: boolean } | boolean = {}): Dataset<Element> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid('Dataset.batch', 'Expected batchSize to be a positive integer', { batchSize });
    if (typeof options !== 'boolean' && !isRecord(options)) {
      throw invalid('Dataset.batch', 'Expected smallLastBatch (a boolean, as TF.js) or options {dropRemainder}', { options });
    }
    const dropRemainder = typeof options === 'boolean' ? !options
      : checkOptions<{ dropRemainder?: boolean }>('Dataset.batch', options, ['dropRemainder'], ['dropRemainder']).dropRemainder ?? false;
    const upstream = this.source as unknown as Source<Element>;
    const size = this.size === null ? null : dropRemainder ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
    return new Dataset<Element>(async function* batched(pass, stop) {
      let items: Element[] = [];
      const emit = () => {
        const stacked = ENGINE.tidy(() => stackElements(items) as Element);
        for (const item of items) disposeElement(item);
        items = [];
        return stacked;
      };
      try {
        for await (const item of upstream(pass, stop)) {
          items.push(item);
          if (items.length === batchSize) yield emit();
        }
        if (items.length > 0 && !dropRemainder) yield emit();
      } finally {
        // The remainder, or the items of a batch that failed to stack or was never asked for.
        for (const item of items) disposeElement(item);
      }
    }, size);
  }

  /**
   * Applies fn to each element. fn also receives a key of its own, foldIn(seedKey, ...pass,
   * index), for seeded augmentation that differs per element and per epoch.
   */
  map<U>(fn: (element: T, context: MapContext) => U, options: { seed?: Seed } = {}): Dataset<U> {
    if (typeof fn !== 'function') throw invalid('Dataset.map', 'Expected fn to be a function', { fn });
    return this.mapElements(checkOptions('Dataset.map', options, ['seed']), (input, context) => ENGINE.tidy(() => fn(input, context)));
  }

  /**
   * map with an async fn, awaited element by element (TF.js's mapAsync). There is no tidy around
   * an async fn: tensors it makes and does not return are its own to dispose.
   */
  mapAsync<U>(fn: (element: T, context: MapContext) => Promise<U>, options: { seed?: Seed } = {}): Dataset<U> {
    if (typeof fn !== 'function') throw invalid('Dataset.mapAsync', 'Expected fn to be a function', { fn });
    return this.mapElements(checkOptions('Dataset.mapAsync', options, ['seed']), fn);
  }

  private mapElements<U>(options: { seed?: Seed }, apply: (element: T, context: MapContext) => U | Promise<U>): Dataset<U> {
    const seedKey = seedKeyOf(options.seed, 'map');
    const upstream = this.source;
    return new Dataset(async function* mapped(pass, stop) {
      let passKey: Key | undefined;
      let index = 0;
      for await (const input of upstream(pass, stop)) {
        const at = index;
        // The key is made when fn reads it: a map that draws no random numbers needs no seed
        // (under enableOpDeterminism, map(x => x * 2) before setRandomSeed is not an error).
        const context: MapContext = { index: at, pass, get key() { return foldIn(passKey ??= seedKey(), ...pass, at); } };
        let output: U;
        try {
          output = await apply(input, context);
        } catch (e) {
          disposeElement(input);
          throw e;
        }
        disposeReplaced(input, output);
        index++;
        yield output;
      }
    }, this.size);
  }

  /** This dataset's elements, then other's (both in the same pass). */
  concatenate<U = T>(other: Dataset<U>): Dataset<T | U> {
    if (!(other instanceof Dataset)) throw invalid('Dataset.concatenate', 'Expected a Dataset', { dataset: other });
    const [first, second] = [this.source, other.source] as Source<T | U>[];
    const size = this.size === Infinity || other.size === Infinity ? Infinity : this.size === null || other.size === null ? null : this.size + other.size;
    return new Dataset(async function* concatenated(pass, stop) {
      for (const source of [first, second]) yield* source(pass, stop);
    }, size);
  }

  /** The elements for which predicate is true; tensors the predicate makes are freed (a tidy, as tf.data). */
  filter(predicate: (element: T) => boolean): Dataset<T> {
    if (typeof predicate !== 'function') throw invalid('Dataset.filter', 'Expected predicate to be a function', { predicate });
    const upstream = this.source;
    return new Dataset(async function* filtered(pass, stop) {
      for await (const element of upstream(pass, stop)) {
        if (ENGINE.tidy(() => predicate(element))) yield element;
        else disposeElement(element);
      }
    }, this.size === Infinity ? Infinity : null);
  }

  /** The first `count` elements (all of them for a negative count, as tf.data). */
  take(count: number): Dataset<T> {
    checkCount(count, 'Dataset.take');
    if (count === undefined || count < 0) return this;
    const upstream = this.source;
    return new Dataset(async function* taken(pass, stop) {
      if (count === 0) return;
      let n = 0;
      for await (const element of upstream(pass, stop)) {
        yield element;
        if (++n >= count) break;
      }
    }, this.size === null ? null : Math.min(count, this.size));
  }

  /**
   * All but the first `count` elements (all of them for a negative count, as tf.data). skip(Infinity)
   * of an infinite dataset has no element and reads none (TF.js's and tf.data's read forever).
   */
  skip(count: number): Dataset<T> {
    checkCount(count, 'Dataset.skip');
    if (count === undefined || count < 0) return this;
    const upstream = this.source;
    const skipsForever = count === Infinity && this.size === Infinity;
    return new Dataset(async function* skipped(pass, stop) {
      if (skipsForever) return;
      let n = 0;
      for await (const element of upstream(pass, stop)) {
        if (n++ < count) disposeElement(element);
        else yield element;
      }
    }, this.size === null ? null : this.size === Infinity ? (count === Infinity ? 0 : Infinity) : Math.max(0, this.size - count));
  }

  /**
   * Repeats the dataset `count` times (forever without a count or with a negative one, as
   * tf.data); repetition r runs pass [...pass, r]. The size of a forever-repeated non-empty
   * dataset is Infinity.
   */
  repeat(count?: number): Dataset<T> {
    checkCount(count, 'Dataset.repeat');
    if (count !== undefined && count < 0) count = undefined;
    const size = count === 0 || this.size === 0 ? 0 : this.size === null ? null : count === undefined ? Infinity : this.size * count;
    const upstream = this.source;
    return new Dataset(async function* repeated(pass, stop) {
      for (let r = 0; count === undefined || r < count; r++) {
        let produced = false;
        for await (const element of upstream([...pass, r], stop)) {
          produced = true;
          yield element;
        }
        if (!produced) return;
      }
    }, size);
  }

  /**
   * Keeps up to bufferSize elements requested ahead, so that producing them overlaps with
   * consuming them; the order is unchanged.
   */
  prefetch(bufferSize: number): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw invalid('Dataset.prefetch', 'Expected bufferSize to be a positive integer', { bufferSize });
    const upstream = this.source;
    return new Dataset(async function* prefetched(pass, stop) {
      const readsAhead = followAborts(stop ? [stop] : []);
      const it = upstream(pass, readsAhead.signal);
      const queue: Promise<IteratorResult<T, void>>[] = [];
      try {
        for (;;) {
          while (queue.length < bufferSize) {
            const next = it.next();
            // A read-ahead that fails is reported when its turn comes, or never if the consumer
            // stops first: not as an unhandled rejection that ends the process.
            next.catch(() => undefined);
            queue.push(next);
          }
          const r = await queue.shift()!;
          if (r.done) return;
          yield r.value;
        }
      } finally {
        // Elements read ahead for a consumer that stopped are freed as they arrive, and the upstream
        // closes after them. Neither is awaited: a stalled source (a download that hangs) must not
        // hold up a consumer that has what it wanted, and the abort ends it (else its connection
        // stayed open, and with it the process).
        for (const next of queue) void next.then((r) => { if (!r.done) disposeElement(r.value); }, () => undefined);
        void it.return().catch(() => undefined);
        readsAhead.abort();
        readsAhead.release();
      }
    }, this.size);
  }
}

/** A pass of a dataset, for a stage in another module (zip), which passes its `stop` on to it. */
export function passOf<T>(dataset: Dataset<T>, pass: readonly number[], stop: AbortSignal | undefined): AsyncGenerator<T, void, undefined> {
  return sourceOf(dataset)(pass, stop);
}

function sliceCount(x: unknown, context: string): number {
  const ts = tensorsOf(x);
  if (ts.length === 0) throw invalid(context, 'Expected a tensor, an array of tensors or an object of tensors', { x });
  const n = ts[0]!.shape[0];
  if (n === undefined || ts.some((t) => t.shape[0] !== n)) {
    throw invalid(context, 'Expected tensors with the same first dimension', { shapes: ts.map((t) => t.shape) });
  }
  return n;
}

function sliceAt(x: unknown, i: number): Element {
  if (x instanceof Tensor) return ops.squeeze(ops.slice(x, [i], [1]), [0]);
  if (Array.isArray(x)) return x.map((item) => sliceAt(item, i));
  const out: Record<string, Element> = {};
  for (const [name, item] of Object.entries(x as Record<string, unknown>)) out[name] = sliceAt(item, i);
  return out;
}

/** Element i is the i-th slice (along the first axis) of every tensor in x (a tensor, array or object). */
export function fromTensorSlices(x: Tensor | readonly Tensor[] | Record<string, Tensor>): Dataset<Element> {
  const n = sliceCount(x, 'data.fromTensorSlices');
  return new Dataset<Element>(async function* slices() {
    for (let i = 0; i < n; i++) yield ENGINE.tidy(() => sliceAt(x, i));
  }, n);
}

/**
 * The items of a JS array, in order. Tensors in them are yielded as copies (as tf.data does), so
 * that map or batch disposing an element leaves the array intact for the next pass.
 */
export function array<T extends Element>(items: readonly T[]): Dataset<T> {
  if (!Array.isArray(items)) throw invalid('data.array', 'Expected an array', { items });
  return new Dataset<T>(async function* fromArray() {
    for (const item of items) yield cloneElement(item);
  }, items.length);
}

/** The elements produced by a (possibly async) generator function, called afresh for every pass. */
export function generator<T>(make: () => Iterator<T> | AsyncIterator<T>): Dataset<T> {
  if (typeof make !== 'function') throw invalid('data.generator', 'Expected a generator function', { generator: make });
  return new Dataset<T>(async function* generated() {
    const it = make();
    if (it === null || typeof it !== 'object' || typeof it.next !== 'function') {
      throw invalid('data.generator', 'Expected a function returning an iterator (write it as function* or async function*)', { returned: it });
    }
    let done = false;
    try {
      for (let r = await it.next(); !(done = r.done === true); r = await it.next()) yield r.value;
    } finally {
      // A consumer that stopped early lets the user's generator run its finally blocks.
      if (!done) await it.return?.();
    }
  }, null);
}
