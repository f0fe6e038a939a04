/**
 * vb.data against TF.js 4.22's tf.data on the same inputs: what batch() makes of numbers, arrays,
 * typed arrays, tensors and nested objects; zip's element structure and size; concatenate,
 * mapAsync, generator, take/skip/repeat (elements and sizes); array() of tensors iterated more
 * than once; and the cases where verbatim gives an error instead of TF.js's failure or NaN.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { runNode } from './helpers/process.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function plain(x: unknown): Json {
  if (x instanceof vb.Tensor || x instanceof tf.Tensor) {
    const t = x as { shape: number[]; dtype: string; dataSync(): ArrayLike<number> };
    return { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync(), Number) };
  }
  if (Array.isArray(x)) return x.map(plain);
  if (x !== null && typeof x === 'object' && !ArrayBuffer.isView(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x as Json;
}

/** The same pipeline on both libraries: `make` receives the library's data namespace and tensor factory. */
interface Lib {
  data: { array(items: unknown[]): unknown; zip(d: unknown): unknown; generator(g: unknown): unknown; func(f: unknown): unknown };
  tensor(values: unknown, shape?: number[], dtype?: string): unknown;
}
const VB = { data: vb.data, tensor: vb.tensor } as unknown as Lib;
const TF = { data: tf.data, tensor: tf.tensor } as unknown as Lib;

async function elementsOf(ds: unknown): Promise<Json> {
  return plain(await (ds as { toArray(): Promise<unknown[]> }).toArray());
}

async function same(make: (lib: Lib) => unknown): Promise<Json> {
  const mine = await elementsOf(make(VB));
  const theirs = await elementsOf(make(TF));
  assert.deepEqual(mine, theirs);
  return mine;
}

type AnyDataset = { batch(n: number, small?: boolean): AnyDataset; take(n: number): AnyDataset; skip(n: number): AnyDataset; repeat(n?: number): AnyDataset; concatenate(d: AnyDataset): AnyDataset; mapAsync(f: (x: unknown) => Promise<unknown>): AnyDataset; size: number | null };
const ds = (x: unknown) => x as AnyDataset;

describe('batch() as tf.data stacks elements', () => {
  const CASES: [string, (lib: Lib) => unknown[]][] = [
    ['numbers -> 1-D float32', () => [1, 2, 3, 4, 5]],
    ['booleans -> 1-D bool', () => [true, false, true]],
    ['number arrays -> 2-D', () => [[1, 2], [3, 4], [5, 6]]],
    ['nested number arrays -> 3-D', () => [[[1], [2]], [[3], [4]], [[5], [6]]]],
    ['Float32Arrays -> 2-D float32', () => [new Float32Array([1, 2]), new Float32Array([3, 4])]],
    ['Int32Arrays -> 2-D int32', () => [new Int32Array([1, 2]), new Int32Array([3, 4])]],
    ['tensors -> stacked', (lib) => [lib.tensor([1, 2]), lib.tensor([3, 4]), lib.tensor([5, 6])]],
    ['int32 tensors -> stacked int32', (lib) => [lib.tensor([1], undefined, 'int32'), lib.tensor([2], undefined, 'int32')]],
    ['a tensor then a number', (lib) => [lib.tensor(1), 2]],
    ['objects, field by field, nested', () => [{ a: { b: [1, 2] }, c: 3 }, { a: { b: [3, 4] }, c: 4 }, { a: { b: [5, 6] }, c: 5 }]],
    ['{xs, ys} of arrays (the tfjs-examples CSV idiom)', () => [{ xs: [1, 2, 3], ys: [1] }, { xs: [4, 5, 6], ys: [0] }]],
  ];
  for (const [name, items] of CASES) {
    it(name, async () => {
      const batches = await same((lib) => ds(lib.data.array(items(lib))).batch(2));
      assert.ok(Array.isArray(batches) && batches.length > 0);
    });
  }

  it('smallLastBatch false drops the remainder (TF.js positional form), dropRemainder as Keras', async () => {
    const mine = await same((lib) => ds(lib.data.array([1, 2, 3, 4, 5])).batch(2, false));
    assert.equal((mine as Json[]).length, 2);
    assert.deepEqual(await elementsOf(vb.data.array([1, 2, 3, 4, 5]).batch(2, { dropRemainder: true })), mine);
  });

  it('an array of tensors (an [x, y] pair) is batched by position, where TF.js makes a broken tensor', async () => {
    const pairs = [[vb.tensor([1, 2]), vb.tensor([0])], [vb.tensor([3, 4]), vb.tensor([1])]];
    assert.deepEqual(await elementsOf(vb.data.array(pairs).batch(2)), [[
      { shape: [2, 2], dtype: 'float32', values: [1, 2, 3, 4] }, { shape: [2, 1], dtype: 'float32', values: [0, 1] }]]);
    const [broken] = await tf.data.array([[tf.tensor([1, 2]), tf.tensor([0])], [tf.tensor([3, 4]), tf.tensor([1])]]).batch(2).toArray();
    assert.throws(() => (broken as tf.Tensor).arraySync(), /does not match the input size 0/, 'TF.js makes a tensor without values');
  });

  it('ragged, missing, text and mismatched values are errors naming the element (TF.js: an error, NaN or a string tensor)', async () => {
    const rejects = (items: unknown[], pattern: RegExp) => assert.rejects(vb.data.array(items as vb.data.Element[]).batch(3).toArray(), pattern);
    await rejects([[1, 2], [3]], /Dataset\.batch: Expected every element's value with one shape and dtype \(an array of numbers is one tensor, as in TF\.js: give an \[x, y\] pair as \{xs, ys\}\)\. Received: element\[0\]="float32 \[2\]", element\[1\]="float32 \[1\]"/);
    await rejects([[[1, 2], 0], [[3, 4], 1]], /Dataset\.batch: Expected a rectangular nested array of numbers \(an array of numbers is one tensor, as in TF\.js: give an \[x, y\] pair as \{xs, ys\}\).*Received: element\[0\]="an array"/);
    await rejects([{ a: [1, 2] }, { a: [3] }], /Dataset\.batch: Expected every element's value at \.a with one shape and dtype\. Received: element\[0\]\.a="float32 \[2\]", element\[1\]\.a="float32 \[1\]"/);
    await rejects([[[1, 2], [3]]], /Dataset\.batch: Expected a rectangular nested array of numbers .*length 2 at depth 1.*Received: element\[0\]="an array"/);
    await rejects([{ a: 1 }, { a: 2 }, { b: 3 }], /Dataset\.batch: Expected every element to have the field "a"\. Received: element\[2\]="object"/);
    await rejects([{ a: 1 }, { a: null }], /Dataset\.batch: Expected numbers, booleans, arrays of them or tensors in every element.*Received: element\[1\]\.a="null"/);
    await rejects(['a', 'b'], /Received: element\[0\]="string"/);
    await rejects([vb.tensor([1, 2]), vb.tensor([1, 2, 3])], /Dataset\.batch: Expected every element's value with one shape and dtype\. Received: element\[0\]="float32 \[2\]", element\[1\]="float32 \[3\]"/);
    await rejects([[vb.tensor(1), vb.tensor(2)], [vb.tensor(3)]], /Expected every element to be an array of 2\. Received: element\[1\]="an array"/);
  });

  it('frees the elements it stacks and leaks nothing', async () => {
    const before = vb.memory().numTensors;
    const batches = await vb.data.generator(function* g() { for (let i = 0; i < 5; i++) yield { x: vb.tensor([i, i]), y: i }; }).batch(2).toArray();
    assert.equal(vb.memory().numTensors, before + 2 * batches.length, 'only the batches are alive');
    for (const b of batches) vb.dispose(b as Record<string, vb.Tensor>);
    assert.equal(vb.memory().numTensors, before);
  });
});

describe('zip, concatenate, mapAsync, generator, take/skip/repeat as tf.data', () => {
  it('zip of an array, an object and nested structures', async () => {
    await same((lib) => lib.data.zip([lib.data.array([1, 2, 3]), lib.data.array([4, 5, 6])]));
    await same((lib) => lib.data.zip({ a: lib.data.array([1, 2, 3]), b: { c: lib.data.array([4, 5]) } }));
    await same((lib) => lib.data.zip([lib.data.array([1, 2]), [lib.data.array([4, 5]), lib.data.array([7, 8])]]));
    const zipped = await same((lib) => ds(lib.data.zip({ xs: lib.data.array([[1, 2], [3, 4], [5, 6]]), ys: lib.data.array([0, 1, 1]) })).batch(2));
    assert.deepEqual((zipped as { xs: { shape: number[] } }[]).map((b) => b.xs.shape), [[2, 2], [1, 2]]);
  });

  it('zip sizes: the smallest (TF.js gives NaN for a nested object and 0 with an unknown size)', () => {
    assert.equal(vb.data.zip([vb.data.array([1, 2, 3]), vb.data.array([4, 5])]).size, tf.data.zip([tf.data.array([1, 2, 3]), tf.data.array([4, 5])]).size);
    assert.equal(vb.data.zip({ a: vb.data.array([1, 2, 3]), b: { c: vb.data.array([4, 5]) } }).size, 2);
    assert.equal(vb.data.zip([vb.data.array([1]), vb.data.generator(function* g() { yield 1; })]).size, null);
    assert.equal(vb.data.zip([vb.data.array([1, 2]), vb.data.array([1]).repeat()]).size, 2);
  });

  it('zip errors', () => {
    assert.throws(() => vb.data.zip(5 as never), /data\.zip: Expected an array or an object of datasets\. Received: datasets=5/);
    assert.throws(() => vb.data.zip([vb.data.array([1]), 3] as never), /data\.zip: Expected datasets, or arrays and objects of them, at every leaf\. Received: datasets\[1\]=3/);
    assert.throws(() => vb.data.zip({}), /Expected at least one dataset/);
  });

  it('concatenate, mapAsync and generator (sync, async, a next() function)', async () => {
    await same((lib) => ds(lib.data.array([1, 2])).concatenate(ds(lib.data.array([3]))));
    assert.deepEqual(await elementsOf(vb.data.concatenate(vb.data.array<number>([1]), vb.data.array<number>([2, 3]), vb.data.array<number>([4]))), [1, 2, 3, 4]);
    assert.deepEqual(await elementsOf(vb.data.concatenate([vb.data.array<number>([1]), vb.data.array<number>([2])])), [1, 2]);
    assert.equal(vb.data.array<number>([1, 2]).concatenate(vb.data.array<number>([3])).size, tf.data.array<number>([1, 2]).concatenate(tf.data.array<number>([3])).size);
    assert.equal(vb.data.array([1]).repeat().concatenate(vb.data.array([3])).size, Infinity);
    await same((lib) => ds(lib.data.array([1, 2, 3])).mapAsync(async (x) => { await new Promise((r) => setTimeout(r, 3 - (x as number))); return (x as number) * 10; }));
    await same((lib) => lib.data.generator(function* g() { yield 1; yield 2; }));
    await same((lib) => lib.data.generator(async function* g() { yield [1, 2]; yield [3, 4]; }));
    await same((lib) => lib.data.generator(() => { let i = 0; return { next: () => ({ value: i, done: i++ >= 3 }) }; }));
    assert.throws(() => vb.data.concatenate(vb.data.array([1]), [2] as never), /data\.concatenate: Expected one or more datasets/);
    await assert.rejects(vb.data.generator(() => [1, 2] as never).toArray(),
      /data\.generator: Expected a function returning an iterator \(write it as function\* or async function\*\)\. Received: returned=\[1, 2\]/);
  });

  it('func: elements from a stateful function until done, later passes going on from there (as TF.js)', async () => {
    const counter = () => { let i = 0; return () => ({ value: i, done: i++ % 4 === 3 }); };
    const mine = vb.data.func(counter());
    const theirs = tf.data.func(counter());
    for (let pass = 0; pass < 2; pass++) assert.deepEqual(await elementsOf(mine), await elementsOf(theirs), `pass ${pass}`);
    assert.deepEqual(await elementsOf(vb.data.func(counter())), [0, 1, 2]);
    assert.throws(() => vb.data.func(3 as never), /data\.func: Expected a function returning \{value, done\}\. Received: f=3/);
    // A bare value would never be done: an error, not an endless pass.
    await assert.rejects(vb.data.func(() => 5 as never).take(3).toArray(),
      /data\.func: Expected f to return \{value, done\}\. Received: returned=5/);
  });

  it('a generator function is called anew for each pass', async () => {
    let calls = 0;
    const g = vb.data.generator(function* g() { calls++; yield calls; });
    assert.deepEqual([await elementsOf(g), await elementsOf(g)], [[1], [2]]);
  });

  it('take, skip and repeat: elements and sizes, negative counts meaning every element', async () => {
    for (const [name, make] of [
      ['take(2)', (d: AnyDataset) => d.take(2)], ['take(-1)', (d: AnyDataset) => d.take(-1)], ['take(0)', (d: AnyDataset) => d.take(0)],
      ['take(9)', (d: AnyDataset) => d.take(9)], ['skip(1)', (d: AnyDataset) => d.skip(1)], ['skip(9)', (d: AnyDataset) => d.skip(9)],
      ['repeat(2)', (d: AnyDataset) => d.repeat(2)], ['repeat(0)', (d: AnyDataset) => d.repeat(0)], ['repeat().take(7)', (d: AnyDataset) => d.repeat().take(7)],
      ['repeat().batch(2).take(2)', (d: AnyDataset) => d.repeat().batch(2).take(2)], ['repeat(-1).skip(2).take(2)', (d: AnyDataset) => d.repeat(-1).skip(2).take(2)],
    ] as const) {
      const mine = make(ds(vb.data.array([1, 2, 3])));
      const theirs = make(ds(tf.data.array([1, 2, 3])));
      // TF.js's sizes are wrong for a negative count: take(-1) says -1 and skip(-1) 0, yet both yield every element.
      if (name !== 'take(-1)') assert.equal(mine.size, theirs.size, `${name} size`);
      assert.deepEqual(await elementsOf(mine), await elementsOf(theirs), name);
    }
    assert.equal(vb.data.array([1, 2, 3]).repeat().size, tf.data.array([1, 2, 3]).repeat().size);
    assert.equal(vb.data.array([1, 2, 3]).take(-1).size, 3, 'TF.js says -1 but yields all three');
    assert.equal(vb.data.array([1, 2, 3]).skip(-1).size, 3, 'TF.js says 0 but yields all three');
    assert.throws(() => vb.data.array([1]).take(1.5), /Dataset\.take: Expected count to be an integer \(negative: every element\)\. Received: count=1\.5/);
    assert.throws(() => vb.data.array([1]).skip(Number.NaN), /Dataset\.skip: Expected count to be an integer/);
  });

  it('skip(Infinity) of an infinite dataset is empty, as its size 0 says, and reads nothing (TF.js says NaN and never ends)', () => {
    // In a child process: the old endless read never let a timer fire, so it would hang this runner too.
    const child = runNode(`import * as vb from 'verbatim';
      let reads = 0;
      const endless = vb.data.array([1, 2, 3]).map((x) => { reads++; return x; }).repeat();
      const skipped = endless.skip(Infinity);
      const out = { size: skipped.size, elements: await skipped.toArray(), then: await skipped.concatenate(vb.data.array([7])).toArray(), reads };
      console.log(JSON.stringify(out));`, {}, 20_000);
    assert.equal(child.signal, null, 'iterating it ends');
    assert.deepEqual(JSON.parse(child.stdout), { size: 0, elements: [], then: [7], reads: 0 }, child.stderr);
  });

  it('toArray of an infinite dataset is an error (as TF.js), and forEachAsync awaits each call in order', async () => {
    await assert.rejects(vb.data.array([1]).repeat().toArray(), /Dataset\.toArray: Expected a finite dataset \(take\(count\) first\)\. Received: size=Infinity/);
    const seen: number[] = [];
    await vb.data.array([1, 2, 3]).forEachAsync(async (x) => { await new Promise((r) => setTimeout(r, 4 - (x as number))); seen.push(x as number); });
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('array() of tensors can be iterated again after map and batch disposed its elements (as TF.js)', async () => {
    const tensors = [vb.tensor([1, 2]), vb.tensor([3, 4])];
    const source = vb.data.array(tensors);
    const doubled = source.map((t) => vb.mul(t as vb.Tensor, 2));
    const before = vb.memory().numTensors;
    for (let pass = 0; pass < 3; pass++) {
      const out = await doubled.batch(2).toArray();
      assert.deepEqual((out[0] as vb.Tensor).arraySync(), [[2, 4], [6, 8]]);
      (out[0] as vb.Tensor).dispose();
    }
    assert.deepEqual(tensors.map((t) => t.isDisposed), [false, false], 'the array keeps its tensors');
    assert.equal(vb.memory().numTensors, before, 'the copies are freed');
    assert.deepEqual(plain(await source.toArray()), plain(await tf.data.array([tf.tensor([1, 2]), tf.tensor([3, 4])]).toArray()));
  });

  it("shuffle takes TF.js's positional (bufferSize, seed, reshuffleEachIteration) and string seeds", async () => {
    const order = async (d: vb.data.Dataset<number>, pass = 0) => {
      const out: number[] = [];
      const it = d.iterator([pass]);
      for (let r = await it.next(); !r.done; r = await it.next()) out.push(r.value);
      return out;
    };
    const items = Array.from({ length: 12 }, (_, i) => i);
    const byString = await order(vb.data.array(items).shuffle(5, 'abc'));
    assert.deepEqual(byString, await order(vb.data.array(items).shuffle(5, { seed: 'abc' })));
    assert.notDeepEqual(byString, await order(vb.data.array(items).shuffle(5, 'abd')));
    assert.deepEqual([...byString].sort((a, b) => a - b), items);
    const fixed = vb.data.array(items).shuffle(5, 3, false);
    assert.deepEqual(await order(fixed, 1), await order(vb.data.array(items).shuffle(5, { seed: 3, reshuffleEachIteration: false }), 1));
    assert.deepEqual(await order(fixed, 1), await order(fixed, 0), 'reshuffleEachIteration false, positionally');
    assert.notDeepEqual(await order(vb.data.array(items).shuffle(5, 3), 1), await order(vb.data.array(items).shuffle(5, 3), 0));
  });

  it('options of shuffle, batch and map are checked: a misspelt or foreign one is an error, not ignored', () => {
    const d = vb.data.array([1, 2, 3]);
    assert.throws(() => d.shuffle(3, { seed: 1, reshufle: false } as never), /Dataset\.shuffle: Expected option among seed, reshuffleEachIteration\. Received: option="reshufle"/);
    assert.throws(() => d.shuffle(3, { seed: 1, reshuffleEachIteration: 'no' } as never), /Dataset\.shuffle: Expected reshuffleEachIteration to be a boolean\. Received: reshuffleEachIteration="no"/);
    assert.throws(() => d.shuffle(3, 1, 0 as never), /Expected reshuffleEachIteration to be a boolean\. Received: reshuffleEachIteration=0/);
    assert.throws(() => d.batch(2, { smallLastBatch: false } as never), /Dataset\.batch: Expected option among dropRemainder\. Received: option="smallLastBatch"/);
    assert.throws(() => d.batch(2, { dropRemainder: 'yes' } as never), /Expected dropRemainder to be a boolean/);
    assert.throws(() => d.batch(2, null as never), /Dataset\.batch: Expected smallLastBatch \(a boolean, as TF\.js\) or options \{dropRemainder\}\. Received: options=null/);
    assert.throws(() => d.map((x) => x, { sed: 1 } as never), /Dataset\.map: Expected option among seed\. Received: option="sed"/);
    assert.throws(() => d.mapAsync(async (x) => x, 5 as never), /Dataset\.mapAsync: Expected options to be an object \(seed\)\. Received: options=5/);
    assert.equal(d.shuffle(3, null as never, false).size, 3, "TF.js's shuffle(n, null, false) still means no seed");
  });

  it('iterator(pass) and forEachAsync(fn) check their arguments', async () => {
    const d = vb.data.array([1, 2, 3]).shuffle(3, { seed: 1 });
    assert.throws(() => d.iterator(5 as never), /Dataset\.iterator: Expected pass to be an array of non-negative integers \(\[epoch\]\)\. Received: pass=5/);
    assert.throws(() => d.iterator('ab' as never), /Received: pass="ab"/, 'a string is not taken as a list of its characters');
    assert.throws(() => d.iterator([-1]), /Received: pass=\[-1\]/);
    await assert.rejects(d.forEachAsync(3 as never), /Dataset\.forEachAsync: Expected fn to be a function\. Received: fn=3/);
  });

  it('the same seed gives the same elements through zip, concatenate and shuffle', async () => {
    const pipeline = () => vb.data.zip({ x: vb.data.array([0, 1, 2, 3, 4, 5, 6, 7]).shuffle(4, { seed: 5 }), y: vb.data.array([0, 1, 2, 3, 4, 5, 6, 7]) })
      .concatenate(vb.data.zip({ x: vb.data.array([8, 9]), y: vb.data.array([8, 9]) })).batch(3);
    const a = await elementsOf(pipeline());
    const b = await elementsOf(pipeline());
    assert.deepEqual(a, b);
    const xs = (a as { x: { values: number[] } }[]).flatMap((batch) => batch.x.values);
    assert.deepEqual([...xs].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(xs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'shuffled');
  });
});
