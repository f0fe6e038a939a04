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

export type Element = Tensor | number | boolean | readonly Element[] | { readonly [name: string]: Element };

export interface MapContext {
  /** foldIn(seedKey, ...pass, index): a key of this element in this pass, for seeded augmentation. */
  key: Key;
  index: number;
  pass: readonly number[];
}

type Source<T> = (pass: readonly number[]) => AsyncIterator<T>;

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
  else if (element !== null && typeof element === 'object') for (const item of Object.values(element)) tensorsOf(item, into);
  return into;
}

export function disposeElement(element: unknown): void {
  for (const t of tensorsOf(element)) t.dispose();
}

/** Stacks a list of like-structured elements into one batched element. */
function stackElements(items: readonly Element[]): Element {
  const first = items[0]!;
  if (first instanceof Tensor) return ops.stack(items as Tensor[]);
  if (typeof first === 'number' || typeof first === 'boolean') return ops.tensor(items as number[]);
  if (Array.isArray(first)) return first.map((_, i) => stackElements(items.map((item) => (item as Element[])[i]!)));
  const out: Record<string, Element> = {};
  for (const name of Object.keys(first)) out[name] = stackElements(items.map((item) => (item as Record<string, Element>)[name]!));
  return out;
}

let unnamedSeeds = 0;
let unnamedScope = -1;

/** Restarts the numbering of unseeded shuffles and maps (verbatim doctor's second pass). */
export function resetDatasetSeeds(): void {
  unnamedSeeds = 0;
}

/** Unseeded shuffles and maps are numbered since the seed was set: the same code after the same setRandomSeed gets the same keys. */
function seedKeyOf(seed: Seed | undefined, kind: string): Key {
  if (seed !== undefined) return keyOf(seed);
  if (unnamedScope !== seedGeneration()) {
    unnamedScope = seedGeneration();
    unnamedSeeds = 0;
  }
  return keyFor('data', kind, unnamedSeeds++);
}

export class Dataset<T = Element> {
  /** Iterations by hand (iterator(), for await, forEachAsync, toArray) since the seed was set. */
  private handPasses = 0;
  private handScope = -1;

  constructor(private readonly source: Source<T>, readonly size: number | null) {}

  /**
   * An iterator over one pass. Without a pass, each call starts the next pass [0], [1], ... as
   * tf.data does (a reshuffling shuffle gives each a new order); setRandomSeed restarts the count,
   * so the sequence of orders is the same on every run.
   */
  iterator(pass?: readonly number[]): AsyncIterator<T> {
    if (pass === undefined) {
      if (this.handScope !== seedGeneration()) {
        this.handScope = seedGeneration();
        this.handPasses = 0;
      }
      pass = [this.handPasses++];
    }
    return this.source(pass);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    const it = this.iterator();
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }

  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const element of this) out.push(element);
    return out;
  }

  async forEachAsync(fn: (element: T) => void | Promise<void>): Promise<void> {
    for await (const element of this) await fn(element);
  }

  /**
   * A shuffle buffer as tf.data's: fill `bufferSize` elements, then repeatedly emit a random
   * one (index scaledIndex(word j, buffer length) for the j-th draw) and replace it with the next
   * input. The key of a pass is foldIn(seedKey, ...pass), or foldIn(seedKey, 0) for every pass
   * with reshuffleEachIteration false. Without a seed, seedKey comes from the global seed.
   */
  shuffle(bufferSize: number, options: { seed?: Seed; reshuffleEachIteration?: boolean } = {}): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw invalid('Dataset.shuffle', 'Expected bufferSize to be a positive integer', { bufferSize });
    }
    const { reshuffleEachIteration = true } = options;
    const seedKey = seedKeyOf(options.seed, 'shuffle');
    const upstream = this.source;
    return new Dataset(async function* shuffled(pass) {
      const bits = new BitStream(reshuffleEachIteration ? foldIn(seedKey, ...pass) : foldIn(seedKey, 0));
      const it = upstream(pass);
      const buffer: T[] = [];
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
    }, this.size);
  }

  /** Groups consecutive elements into stacked batches; the last one may be smaller unless dropRemainder. */
  batch(batchSize: number, options: { dropRemainder?: boolean } = {}): Dataset<Element> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw invalid('Dataset.batch', 'Expected batchSize to be a positive integer', { batchSize });
    const { dropRemainder = false } = options;
    const upstream = this.source as unknown as Source<Element>;
    const size = this.size === null ? null : dropRemainder ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
    return new Dataset<Element>(async function* batched(pass) {
      const it = upstream(pass);
      let items: Element[] = [];
      const emit = () => {
        const stacked = ENGINE.tidy(() => stackElements(items));
        for (const item of items) disposeElement(item);
        items = [];
        return stacked;
      };
      for (let r = await it.next(); !r.done; r = await it.next()) {
        items.push(r.value);
        if (items.length === batchSize) yield emit();
      }
      if (items.length > 0) {
        if (dropRemainder) { for (const item of items) disposeElement(item); } else yield emit();
      }
    }, size);
  }

  /**
   * Applies fn to each element. fn also receives a key of its own, foldIn(seedKey, ...pass,
   * index), for seeded augmentation that differs per element and per epoch.
   */
  map<U>(fn: (element: T, context: MapContext) => U, options: { seed?: Seed } = {}): Dataset<U> {
    if (typeof fn !== 'function') throw invalid('Dataset.map', 'Expected fn to be a function', { fn });
    const seedKey = seedKeyOf(options.seed, 'map');
    const upstream = this.source;
    return new Dataset(async function* mapped(pass) {
      const it = upstream(pass);
      let index = 0;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        const context = { key: foldIn(seedKey, ...pass, index), index, pass };
        const input = r.value;
        const output = ENGINE.tidy(() => fn(input, context));
        const kept = new Set(tensorsOf(output));
        for (const t of tensorsOf(input)) if (!kept.has(t)) t.dispose();
        index++;
        yield output;
      }
    }, this.size);
  }

  filter(predicate: (element: T) => boolean): Dataset<T> {
    const upstream = this.source;
    return new Dataset(async function* filtered(pass) {
      const it = upstream(pass);
      for (let r = await it.next(); !r.done; r = await it.next()) {
        if (predicate(r.value)) yield r.value;
        else disposeElement(r.value);
      }
    }, null);
  }

  take(count: number): Dataset<T> {
    const upstream = this.source;
    return new Dataset(async function* taken(pass) {
      if (count <= 0) return;
      const it = upstream(pass);
      let n = 0;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        yield r.value;
        if (++n >= count) break;
      }
    }, this.size === null ? null : Math.max(0, Math.min(count, this.size)));
  }

  skip(count: number): Dataset<T> {
    const upstream = this.source;
    return new Dataset(async function* skipped(pass) {
      const it = upstream(pass);
      let n = 0;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        if (n++ < count) disposeElement(r.value);
        else yield r.value;
      }
    }, this.size === null ? null : Math.max(0, this.size - Math.max(0, count)));
  }

  /** Repeats the dataset `count` times (forever without a count); repetition r runs pass [...pass, r]. */
  repeat(count?: number): Dataset<T> {
    const upstream = this.source;
    return new Dataset(async function* repeated(pass) {
      for (let r = 0; count === undefined || r < count; r++) {
        const it = upstream([...pass, r]);
        let produced = false;
        for (let e = await it.next(); !e.done; e = await it.next()) {
          produced = true;
          yield e.value;
        }
        if (!produced) return;
      }
    }, count === undefined || this.size === null ? null : this.size * count);
  }

  /**
   * Keeps up to bufferSize elements requested ahead, so that producing them overlaps with
   * consuming them; the order is unchanged.
   */
  prefetch(bufferSize: number): Dataset<T> {
    if (!Number.isInteger(bufferSize) || bufferSize < 1) throw invalid('Dataset.prefetch', 'Expected bufferSize to be a positive integer', { bufferSize });
    const upstream = this.source;
    return new Dataset(async function* prefetched(pass) {
      const it = upstream(pass);
      const queue: Promise<IteratorResult<T>>[] = [];
      for (;;) {
        while (queue.length < bufferSize) queue.push(it.next());
        const r = await queue.shift()!;
        if (r.done) return;
        yield r.value;
      }
    }, this.size);
  }
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

/** The items of a JS array, in order. */
export function array<T extends Element>(items: readonly T[]): Dataset<T> {
  if (!Array.isArray(items)) throw invalid('data.array', 'Expected an array', { items });
  return new Dataset<T>(async function* fromArray() {
    for (const item of items) yield item;
  }, items.length);
}

/** The elements produced by a (possibly async) generator function, called afresh for every pass. */
export function generator<T>(make: () => Iterator<T> | AsyncIterator<T>): Dataset<T> {
  if (typeof make !== 'function') throw invalid('data.generator', 'Expected a generator function', { generator: make });
  return new Dataset<T>(async function* generated() {
    const it = make();
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }, null);
}
