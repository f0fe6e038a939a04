import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { randomNormal } from 'verbatim';

const { key, split, foldIn, hashString, randomBits, threefry2x32 } = vb.random;

function stats(values: ArrayLike<number>) {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  return { mean, variance: m2, skew: m3 / n / m2 ** 1.5, kurtosis: m4 / n / (m2 * m2) };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const sa = stats(a);
  const sb = stats(b);
  let c = 0;
  for (let i = 0; i < a.length; i++) c += (a[i]! - sa.mean) * (b[i]! - sb.mean);
  return c / a.length / Math.sqrt(sa.variance * sb.variance);
}

const hex = (words: readonly number[]) => words.map((w) => w.toString(16).padStart(8, '0')).join(' ');
const floatBits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer)).map((w) => w.toString(16).padStart(8, '0'));

describe('Threefry-2x32-20', () => {
  it('reproduces the Random123 known-answer vectors', () => {
    assert.equal(hex(threefry2x32(0, 0, 0, 0)), '6b200159 99ba4efe');
    assert.equal(hex(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)), '1cb996fc bb002be7');
    assert.equal(hex(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)), 'c4923a9c 483df7a0');
  });
});

describe('keys', () => {
  it('key(seed) is the seed as 64 bits (high word, low word)', () => {
    assert.deepEqual(key(0).words, [0, 0]);
    assert.deepEqual(key(42).words, [0, 42]);
    assert.deepEqual(key(2 ** 32 + 5).words, [1, 5]);
    assert.deepEqual(key(-1).words, [0xffffffff, 0xffffffff]);
    assert.deepEqual(key(2n ** 63n).words, [0x80000000, 0]);
    assert.throws(() => key(1.5), /Expected seed to be a safe integer or a bigint\. Received: seed=1.5/);
    assert.ok(key(3).equals(key(3)));
    assert.equal(String(key(1)), 'Key(0x00000000, 0x00000001)');
  });

  it('the bit stream is threefry(key, (block, 0))', () => {
    const k = key(1234);
    const bits = randomBits(k, 5);
    assert.deepEqual([bits[0], bits[1]], threefry2x32(0, 1234, 0, 0));
    assert.deepEqual([bits[2], bits[3]], threefry2x32(0, 1234, 1, 0));
    assert.equal(bits[4], threefry2x32(0, 1234, 2, 0)[0]);
  });

  it('split and foldIn follow their documented domains', () => {
    const k = key(7);
    assert.deepEqual(split(k, 3)[2]!.words, threefry2x32(0, 7, 2, 1));
    assert.deepEqual(foldIn(k, 5).words, threefry2x32(0, 7, 5, 2));
    assert.deepEqual(foldIn(k, 'dense').words, threefry2x32(0, 7, hashString('dense'), 2));
    assert.ok(foldIn(k, 'a', 1).equals(foldIn(foldIn(k, 'a'), 1)));
    assert.ok(!split(k, 1)[0]!.equals(foldIn(k, 0)));
    assert.ok(split(k, 5)[3]!.equals(split(k, 4)[3]!));
    assert.throws(() => foldIn(k, 1.5), /Expected data to be a string or an integer/);
  });

  it('strings hash with 32-bit FNV-1a over UTF-8', () => {
    assert.equal(hashString(''), 0x811c9dc5);
    assert.equal(hashString('a'), 0xe40c292c);
    assert.equal(hashString('foobar'), 0xbf9cf968);
    assert.notEqual(hashString('é'), hashString('e'));
  });

  it('children are distinct and their streams uncorrelated', () => {
    const children = [...split(key(0), 64), ...Array.from({ length: 64 }, (_, i) => foldIn(key(0), i))];
    assert.equal(new Set(children.map(String)).size, 128);
    const n = 20000;
    const a = vb.random.uniform(split(key(9), 2)[0]!, [n]).dataSync();
    const b = vb.random.uniform(split(key(9), 2)[1]!, [n]).dataSync();
    const c = vb.random.uniform(foldIn(key(9), 0), [n]).dataSync();
    const d = vb.random.uniform(foldIn(key(9), 1), [n]).dataSync();
    for (const [x, y] of [[a, b], [c, d], [a, c]] as const) assert.ok(Math.abs(correlation(x, y)) < 0.03);
  });
});

describe('samplers', () => {
  const n = 200000;

  it('uniform: [minval, maxval), mean and variance', () => {
    const u = vb.random.uniform(key(1), [n]).dataSync();
    const s = stats(u);
    assert.ok(Math.abs(s.mean - 0.5) < 0.005 && Math.abs(s.variance - 1 / 12) < 0.002, JSON.stringify(s));
    assert.ok(u.every((v) => v >= 0 && v < 1));
    const r = vb.random.uniform(key(2), [1000], { minval: -3, maxval: 5 }).dataSync();
    assert.ok(r.every((v) => v >= -3 && v < 5));
    assert.ok(vb.random.uniform(key(2), [100], { minval: 1, maxval: 1 + 2 ** -23 }).dataSync().every((v) => v === 1));
  });

  it('normal: mean 0, variance 1, skew 0, kurtosis 3', () => {
    const s = stats(vb.random.normal(key(3), [n]).dataSync());
    assert.ok(Math.abs(s.mean) < 0.01 && Math.abs(s.variance - 1) < 0.01, JSON.stringify(s));
    assert.ok(Math.abs(s.skew) < 0.02 && Math.abs(s.kurtosis - 3) < 0.05, JSON.stringify(s));
    const shifted = stats(vb.random.normal(key(3), [n], { mean: 5, stddev: 2 }).dataSync());
    assert.ok(Math.abs(shifted.mean - 5) < 0.02 && Math.abs(shifted.variance - 4) < 0.05);
  });

  it('truncatedNormal: within two standard deviations, variance of the truncated law', () => {
    const values = vb.random.truncatedNormal(key(4), [n]).dataSync();
    assert.ok(values.every((v) => Math.abs(v) < 2));
    const s = stats(values);
    assert.ok(Math.abs(s.mean) < 0.01 && Math.abs(s.variance - 0.77374) < 0.01, JSON.stringify(s));
  });

  it('bernoulli, randint and permutation', () => {
    const b = vb.random.bernoulli(key(5), 0.3, [n]);
    assert.equal(b.dtype, 'bool');
    assert.ok(Math.abs(stats(b.dataSync()).mean - 0.3) < 0.005);
    const r = vb.random.randint(key(6), [n], -3, 7).dataSync();
    const counts = new Array<number>(10).fill(0);
    r.forEach((v) => counts[v + 3]!++);
    assert.ok(counts.every((c) => Math.abs(c / n - 0.1) < 0.005), JSON.stringify(counts));
    const p = vb.random.permutation(key(7), 1000).dataSync();
    assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
    assert.notDeepEqual(Array.from(p.slice(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const rows = vb.random.permutation(key(7), vb.tensor([[0, 0], [1, 1], [2, 2]])).arraySync() as number[][];
    assert.deepEqual(rows.map((row) => row[0]).sort(), [0, 1, 2]);
  });

  it('element i depends only on the key and i (prefix property)', () => {
    const small = vb.random.normal(key(8), [10]).dataSync();
    const large = vb.random.normal(key(8), [4, 25]).dataSync();
    assert.deepEqual(Array.from(small), Array.from(large.slice(0, 10)));
  });

  it('known values: the same bits on every platform', () => {
    // Word 0 of key(0) is threefry(0, 0, 0, 0)[0] = 0x6b200159, so u = 0x6b2001 / 2^24 = 0.41845709...
    assert.equal(vb.random.uniform(key(0), [1]).dataSync()[0], 0x6b2001 / 2 ** 24);
    assert.deepEqual(floatBits(vb.random.uniform(key(0), [4])), ['3ed64002', '3f19ba4e', '3ea11df6', '3f40de3f']);
    assert.deepEqual(floatBits(vb.random.normal(key(0), [4])), ['be52c846', '3e82600d', 'bef71a5a', '3f2f6948']);
    assert.deepEqual(Array.from(vb.random.permutation(key(0), 10).dataSync()), [2, 4, 7, 3, 1, 8, 5, 0, 9, 6]);
  });

  it('rejects bad arguments with the argument named', () => {
    assert.throws(() => vb.random.uniform(key(0), [2], { minval: 2, maxval: 1 }), /Expected minval <= maxval\. Received: minval=2, maxval=1/);
    assert.throws(() => vb.random.normal(key(0), [-1]), /Expected shape to be an array of non-negative integers/);
    assert.throws(() => vb.random.bernoulli(key(0), 1.5), /Expected p in \[0, 1\]\. Received: p=1.5/);
    assert.throws(() => vb.random.normal(42 as never, [2]), /Expected key to be a Key/);
  });
});

describe('generator', () => {
  it('draws successive keys from its own seed only', () => {
    vb.setRandomSeed(1);
    const g1 = vb.random.generator(42);
    const first = g1.normal([3]).dataSync();
    const second = g1.normal([3]).dataSync();
    vb.setRandomSeed(2);
    const g2 = vb.random.generator(42);
    assert.deepEqual(g2.normal([3]).dataSync(), first);
    assert.deepEqual(g2.normal([3]).dataSync(), second);
    assert.notDeepEqual(Array.from(first), Array.from(second));
    const g3 = vb.random.generator(42);
    assert.deepEqual(g3.nextKey().words, foldIn(key(42), 0).words);
  });

  it('normal with mean and std, uniform, integers, permutation, shuffle', () => {
    const g = vb.random.generator(0);
    const s = stats(g.normal([50000], 3, 2).dataSync());
    assert.ok(Math.abs(s.mean - 3) < 0.05 && Math.abs(s.variance - 4) < 0.1);
    assert.ok(g.uniform([100], -1, 1).dataSync().every((v) => v >= -1 && v < 1));
    assert.ok(g.integers([100], 0, 3).dataSync().every((v) => v >= 0 && v < 3));
    assert.equal(g.permutation(5).size, 5);
    const array = [1, 2, 3, 4, 5, 6];
    assert.equal(g.shuffle(array), array);
    assert.deepEqual([...array].sort(), [1, 2, 3, 4, 5, 6]);
    const again = [1, 2, 3, 4, 5, 6];
    const h = vb.random.generator(0);
    h.normal([50000]); h.uniform([100]); h.integers([100], 0, 3); h.permutation(5);
    h.shuffle(again);
    assert.deepEqual(again, array);
    assert.deepEqual(g.shuffle(vb.tensor([[1], [2], [3]])).shape, [3, 1]);
  });
});

describe('global seed and TF.js-style helpers', () => {
  it('unnamed draws come from foldIn(root, "unnamed", n)', () => {
    vb.setRandomSeed(7);
    assert.equal(vb.getRandomSeed(), 7);
    const a = randomNormal([4]).dataSync();
    const b = randomNormal([4]).dataSync();
    assert.deepEqual(a, vb.random.normal(foldIn(key(7), 'unnamed', 0), [4]).dataSync());
    assert.deepEqual(b, vb.random.normal(foldIn(key(7), 'unnamed', 1), [4]).dataSync());
    vb.setRandomSeed(7);
    assert.deepEqual(randomNormal([4]).dataSync(), a);
  });

  it('an explicit seed, 0 included, gives the same values on every call', () => {
    const a = vb.randomUniform([5], 0, 1, 'float32', 0).dataSync();
    assert.deepEqual(vb.randomUniform([5], 0, 1, 'float32', 0).dataSync(), a);
    assert.deepEqual(a, vb.random.uniform(key(0), [5]).dataSync());
    assert.deepEqual(vb.randomNormal([3], 2, 3, 'float32', 0).dataSync(), vb.random.normal(key(0), [3], { mean: 2, stddev: 3 }).dataSync());
    const ints = vb.randomUniform([100], 0, 10, 'int32', 3);
    assert.equal(ints.dtype, 'int32');
    assert.ok(ints.dataSync().every((v) => v >= 0 && v < 10));
    assert.ok(vb.truncatedNormal([100], 0, 1, 'float32', 1).dataSync().every((v) => Math.abs(v) < 2));
  });

  it('TF.js\'s randomUniformInt and randomStandardNormal: keyed like randomUniform and randomNormal, seeded or from the unnamed stream', () => {
    const ints = vb.randomUniformInt([200], -3, 4, 5);
    assert.equal(ints.dtype, 'int32');
    assert.deepEqual(ints.dataSync(), vb.random.randint(key(5), [200], -3, 4).dataSync());
    assert.deepEqual(new Set(ints.dataSync()), new Set([-3, -2, -1, 0, 1, 2, 3]));
    assert.deepEqual(vb.randomStandardNormal([6], 'float32', 2).dataSync(), vb.random.normal(key(2), [6]).dataSync());
    vb.setRandomSeed(7);
    const first = vb.randomStandardNormal([4]).dataSync();
    assert.deepEqual(first, vb.random.normal(foldIn(key(7), 'unnamed', 0), [4]).dataSync());
    assert.deepEqual(vb.randomUniformInt([4], 0, 10).dataSync(), vb.random.randint(foldIn(key(7), 'unnamed', 1), [4], 0, 10).dataSync());
    assert.throws(() => vb.randomUniformInt([2], 5, 5), /random.randint: Expected int32 bounds with minval < maxval. Received: minval=5, maxval=5/);
    assert.throws(() => vb.randomStandardNormal([2], 'int32'), /randomStandardNormal: Expected dtype float32. Received: dtype="int32"/);
  });

  it('TF.js\'s dropout(x, rate, noiseShape?, seed?): x times a keyed keep mask over 1 - rate, the mask broadcast from noiseShape', () => {
    const x = vb.tensor(Array.from({ length: 4000 }, (_, i) => (i % 7) - 3), [1000, 4]);
    const dropped = vb.dropout(x, 0.3, undefined, 11);
    const keep = vb.random.bernoulli(key(11), 0.7, [1000, 4]).dataSync();
    assert.deepEqual(dropped.dataSync(), Float32Array.from(x.dataSync(), (v, i) => v * Math.fround((keep[i] ? 1 : 0) / Math.fround(0.7))));
    const kept = Array.from(keep).filter(Boolean).length / 4000;
    assert.ok(kept > 0.67 && kept < 0.73, `kept ${kept}`);
    const rows = vb.dropout(vb.ones([6, 5]), 0.5, [6, 1], 2).arraySync() as number[][];
    assert.ok(rows.every((row) => row.every((v) => v === row[0])), 'one draw per row');
    assert.ok(rows.some((row) => row[0] === 0) && rows.some((row) => row[0] === 2), 'rows dropped and kept');
    assert.deepEqual(vb.dropout(vb.tensor([1, -2]), 0).arraySync(), [1, -2]);
    vb.setRandomSeed(3);
    const unseeded = vb.dropout(x, 0.5).dataSync();
    vb.setRandomSeed(3);
    assert.deepEqual(vb.dropout(x, 0.5).dataSync(), unseeded);
    assert.throws(() => vb.dropout(x, 1), /dropout: Expected rate in \[0, 1\). Received: rate=1/);
    // A null in a noiseShape of x's rank is x's dimension there, as TF.js and Keras take it (it was an error).
    assert.equal(vb.digest(vb.dropout(x, 0.5, [null, 1], 4)), vb.digest(vb.dropout(x, 0.5, [1000, 1], 4)));
    assert.throws(() => vb.dropout(x, 0.5, [-1, 1], 4), /dropout: Expected noiseShape to be an array of non-negative integers. Received: noiseShape=\[-1, 1\]/);
  });

  it('setRandomSeed takes the seeds a key holds, 0 to 2^64 - 1, and refuses the others (they trained as their value mod 2^64)', () => {
    const max = 2n ** 64n - 1n;
    vb.setRandomSeed(max);
    assert.equal(vb.getRandomSeed(), max);
    assert.deepEqual(randomNormal([3]).dataSync(), vb.random.normal(foldIn(key(max), 'unnamed', 0), [3]).dataSync());
    for (const seed of [2n ** 64n + 1n, 2n ** 64n, -1n, -1, 1.5, Number.NaN, 2 ** 53, '1']) {
      assert.throws(() => vb.setRandomSeed(seed as number), (error: Error) => {
        assert.match(error.message, /^setRandomSeed: Expected seed to be an integer from 0 to 2\^64 - 1 \(a number up to 2\^53 - 1, or a bigint\)\. Received: seed=/);
        assert.ok(error.message.endsWith(`seed=${typeof seed === 'string' ? '"1"' : String(seed)}`), error.message);
        return true;
      });
      assert.equal(vb.getRandomSeed(), max, 'a refused seed changes nothing');
    }
    vb.setRandomSeed(0);
    assert.equal(vb.getRandomSeed(), 0);
  });
});
