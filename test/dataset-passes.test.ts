import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';

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
});
