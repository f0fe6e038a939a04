import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { runNode } from './helpers/process.js';

/** The four ways to iterate by hand, in turn: each must start the next pass. */
async function handOrders(ds: vb.data.Dataset<number>, count: number): Promise<number[][]> {
  const orders: number[][] = [];
  for (let i = 0; i < count; i++) {
    const order: number[] = [];
    switch (i % 4) {
      case 0: for await (const v of ds) order.push(v); break;
      case 1: await ds.forEachAsync((v) => { order.push(v); }); break;
      case 2: { const it = ds.iterator(); for (let r = await it.next(); !r.done; r = await it.next()) order.push(r.value); break; }
      default: order.push(...(await ds.toArray()));
    }
    orders.push(order);
  }
  return orders;
}

async function passOrder(ds: vb.data.Dataset<number>, pass: number[]): Promise<number[]> {
  const out: number[] = [];
  const it = ds.iterator(pass);
  for (let r = await it.next(); !r.done; r = await it.next()) out.push(r.value);
  return out;
}

const items = Array.from({ length: 12 }, (_, i) => i);

describe('datasets iterated by hand', () => {
  it('each hand iteration is the next pass: a reshuffling shuffle gives a new order each time', async () => {
    vb.setRandomSeed(4);
    const ds = vb.data.array(items).shuffle(12, { seed: 8 });
    const orders = await handOrders(ds, 6);
    for (let i = 0; i < orders.length; i++) {
      assert.deepEqual([...orders[i]!].sort((a, b) => a - b), items, 'a permutation');
      assert.deepEqual(orders[i], await passOrder(ds, [i]), `hand iteration ${i} is pass [${i}]`);
      for (let j = 0; j < i; j++) assert.notDeepEqual(orders[i], orders[j], `iterations ${j} and ${i} differ`);
    }
  });

  it('the sequence of orders is the same on every run: setRandomSeed restarts it, also for unseeded shuffles', async () => {
    vb.setRandomSeed(4);
    const seeded = vb.data.array(items).shuffle(5, { seed: 8 });
    const unseeded = vb.data.array(items).shuffle(5);
    const first = [await handOrders(seeded, 3), await handOrders(unseeded, 3)];
    vb.setRandomSeed(4);
    const again = [await handOrders(seeded, 3), await handOrders(vb.data.array(items).shuffle(5), 3)];
    assert.deepEqual(again, first);
    vb.setRandomSeed(5);
    assert.notDeepEqual(await handOrders(vb.data.array(items).shuffle(5), 3), first[1]);
  });

  it('reshuffleEachIteration false keeps one order', async () => {
    vb.setRandomSeed(4);
    const ds = vb.data.array(items).shuffle(12, { seed: 8, reshuffleEachIteration: false });
    const orders = await handOrders(ds, 4);
    assert.notDeepEqual(orders[0], items, 'shuffled');
    for (const order of orders) assert.deepEqual(order, orders[0]);
  });

  it('unseeded shuffles and maps made before setRandomSeed follow it when iterated, not a seed chosen when made', async () => {
    const orderAfterSeed5 = async (madeUnder: number) => {
      vb.setRandomSeed(madeUnder);
      const shuffled = vb.data.array(items).shuffle(12);
      const keyed = vb.data.array([0]).map((_, { key }) => String(key));
      vb.setRandomSeed(5);
      return [await passOrder(shuffled, [0]), await keyed.toArray()];
    };
    assert.deepEqual(await orderAfterSeed5(1), await orderAfterSeed5(2));
    // In a fresh process a pipeline made before any seed: the same on every run, and not repeated
    // by the pipeline made after setRandomSeed.
    const script = `import * as vb from 'verbatim';
      const early = vb.data.array(${JSON.stringify(items)}).shuffle(12);
      vb.setRandomSeed(1);
      const late = vb.data.array(${JSON.stringify(items)}).shuffle(12);
      console.log(JSON.stringify([await early.toArray(), await late.toArray()]));`;
    const runs = [runNode(script), runNode(script)];
    for (const run of runs) assert.equal(run.status, 0, run.stderr);
    assert.equal(runs[0]!.stdout, runs[1]!.stdout, 'the same orders on every run');
    const [early, late] = JSON.parse(runs[0]!.stdout) as number[][];
    assert.notDeepEqual(early, late, 'the early shuffle has a key of its own');
  });

  it('under enableOpDeterminism, a map that reads no key needs no seed; one that reads it does', () => {
    const run = runNode(`import * as vb from 'verbatim';
      vb.enableOpDeterminism();
      console.log(JSON.stringify(await vb.data.array([1, 2]).map((x) => x * 2).toArray()));
      await vb.data.array([1]).map((x, { key }) => key).toArray().catch((e) => console.log(e.constructor.name));`);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '[2,4]\nDeterminismError\n');
  });
});
