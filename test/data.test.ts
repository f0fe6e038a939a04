import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';

const values = (ds: vb.data.Dataset<vb.data.Element>, pass: number[] = [0]) => (async () => {
  const out: number[] = [];
  const it = ds.iterator(pass);
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const v = r.value;
    out.push(typeof v === 'number' ? v : (v as vb.Tensor).dataSync()[0]!);
    if (v instanceof vb.Tensor) v.dispose();
  }
  return out;
})();

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('datasets', () => {
  it('fromTensorSlices, array and generator yield their elements in order', async () => {
    const ds = vb.data.fromTensorSlices(vb.tensor([[1, 2], [3, 4], [5, 6]]));
    const rows = (await ds.toArray()).map((t) => (t as vb.Tensor).arraySync());
    assert.deepEqual(rows, [[1, 2], [3, 4], [5, 6]]);
    assert.equal(ds.size, 3);
    const pairs = await vb.data.fromTensorSlices({ xs: vb.tensor([1, 2]), ys: vb.tensor([3, 4]) }).toArray();
    assert.deepEqual((pairs[1] as Record<string, vb.Tensor>).ys!.arraySync(), 4);
    assert.deepEqual(await values(vb.data.array([3, 1, 2])), [3, 1, 2]);
    assert.deepEqual(await values(vb.data.generator(function* g() { yield 7; yield 8; })), [7, 8]);
  });

  it('batch stacks elements and keeps the remainder unless dropRemainder', async () => {
    const batches = await vb.data.array(range(7)).batch(3).toArray();
    assert.deepEqual(batches.map((b) => (b as vb.Tensor).arraySync()), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.equal(vb.data.array(range(7)).batch(3, { dropRemainder: true }).size, 2);
    const structured = await vb.data.fromTensorSlices([vb.tensor([[1], [2], [3]]), vb.tensor([4, 5, 6])]).batch(2).toArray();
    assert.deepEqual((structured[0] as vb.Tensor[]).map((t) => t.shape), [[2, 1], [2]]);
  });

  it('shuffle is a permutation that depends only on the seed and the epoch', async () => {
    const ds = vb.data.array(range(20)).shuffle(5, { seed: 3 });
    const epoch0 = await values(ds, [0]);
    assert.deepEqual([...epoch0].sort((a, b) => a - b), range(20));
    assert.notDeepEqual(epoch0, range(20));
    assert.deepEqual(await values(ds, [0]), epoch0, 'the same epoch gives the same order');
    assert.notDeepEqual(await values(ds, [1]), epoch0, 'another epoch reshuffles');
    assert.deepEqual(await values(vb.data.array(range(20)).shuffle(5, { seed: 3 }), [0]), epoch0, 'the same seed in another dataset');
    const fixed = vb.data.array(range(20)).shuffle(5, { seed: 3, reshuffleEachIteration: false });
    assert.deepEqual(await values(fixed, [1]), await values(fixed, [0]), 'reshuffleEachIteration false: every epoch the same');
    const full = await values(vb.data.array(range(50)).shuffle(50, { seed: 1 }));
    assert.ok(full.slice(40).some((v) => v < 10), 'a buffer as large as the data shuffles globally');
  });

  it('map gives each element the key foldIn(seedKey, ...pass, index)', async () => {
    const seen: string[] = [];
    const ds = vb.data.array([10, 20]).map((v, { key, index }) => { seen.push(`${index}:${key}`); return v + 1; }, { seed: 9 });
    assert.deepEqual(await values(ds, [4]), [11, 21]);
    assert.deepEqual(seen, [0, 1].map((i) => `${i}:${vb.random.foldIn(vb.random.key(9), 4, i)}`));
  });

  it('filter, take, skip, repeat and prefetch', async () => {
    assert.deepEqual(await values(vb.data.array(range(10)).filter((v) => (v as number) % 3 === 0)), [0, 3, 6, 9]);
    assert.deepEqual(await values(vb.data.array(range(10)).skip(2).take(3)), [2, 3, 4]);
    assert.deepEqual(await values(vb.data.array([1, 2]).repeat(3)), [1, 2, 1, 2, 1, 2]);
    const reshuffled = await values(vb.data.array(range(6)).shuffle(6, { seed: 1 }).repeat(2));
    assert.notDeepEqual(reshuffled.slice(0, 6), reshuffled.slice(6), 'each repetition is a new pass');
    const slow = vb.data.generator(async function* g() { for (const v of range(8)) { await new Promise((r) => setTimeout(r, 8 - v)); yield v; } });
    assert.deepEqual(await values(slow.prefetch(4)), range(8), 'prefetch keeps the order');
  });

  it('fit on a dataset equals fitDataset, and leaks no tensors', async () => {
    const rng = vb.random.generator(1);
    const xs = rng.normal([40, 3]);
    const ys = vb.cast(vb.greater(vb.sum(xs, 1, true), 0), 'float32');
    const digests: string[] = [];
    for (const method of ['fit', 'fitDataset'] as const) {
      vb.setRandomSeed(4);
      const start = vb.memory();
      const m = vb.sequential({ name: 'dataset_model', layers: [vb.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [3] })] });
      m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
      const ds = vb.data.fromTensorSlices({ xs, ys }).shuffle(16, { seed: 2 }).batch(8).prefetch(2);
      const h = method === 'fit' ? await m.fit(ds, { epochs: 3, verbose: 0 }) : await m.fitDataset(ds, { epochs: 3, verbose: 0 });
      assert.equal(h.epoch.length, 3);
      digests.push(m.weightsDigest());
      m.dispose();
      // Tensors an earlier test dropped may be collected meanwhile (live -> leaked): count both.
      const end = vb.memory();
      assert.equal(end.numTensors + end.numLeaked, start.numTensors + start.numLeaked, 'every tensor made by the pipeline and training is freed');
    }
    assert.equal(digests[0], digests[1]);
  });
});
