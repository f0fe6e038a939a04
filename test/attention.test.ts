/**
 * MultiHeadAttention (Keras 3 semantics; TF.js has none): the layer harness, a float64
 * reference of the whole computation with the layer's own weights, attention and causal masks
 * (a masked key changes nothing; a later query position changes no earlier output), and dropout
 * on the attention probabilities (identity at inference, fresh per step, the same bits on every
 * backend and thread count).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { runLayerTest } from './helpers/layer-harness.js';

const mha = (args: Record<string, unknown>) => vb.layers.multiHeadAttention(args as unknown as vb.layers.MultiHeadAttentionArgs);

type Matrix = number[][];
const arr = (t: vb.Tensor) => Array.from(t.dataSync(), Number);
const bits = (t: vb.Tensor) => Array.from(new Uint32Array(new Float32Array(t.dataSync()).buffer));

/** Float64 attention: softmax(q k^T / sqrt(dk) + mask) v per head, projections as Keras's einsums. */
function reference(layer: vb.layers.MultiHeadAttention, query: vb.Tensor, value: vb.Tensor, mask?: number[][][]): number[] {
  const w = Object.fromEntries(layer.weights.map((x) => [x.variable.name.slice(layer.path.length + 1), arr(x.variable)]));
  const [b, tq, dq] = query.shape as [number, number, number];
  const [, tk, dv] = value.shape as [number, number, number];
  const h = layer.numHeads;
  const dk = layer.keyDim;
  const dh = layer.valueDim;
  const out = w['attention_output/bias']!.length;
  const q = arr(query);
  const v = arr(value);
  const project = (x: number[], t: number, d: number, kernel: number[], bias: number[], headDim: number) =>
    Array.from({ length: b }, (_, bi) => Array.from({ length: h }, (_, hi) => Array.from({ length: t }, (_, ti) => Array.from({ length: headDim }, (_, j) => {
      let s = bias[hi * headDim + j]!;
      for (let k = 0; k < d; k++) s += x[(bi * t + ti) * d + k]! * kernel[(k * h + hi) * headDim + j]!;
      return s;
    }))));
  const Q = project(q, tq, dq, w['query/kernel']!, w['query/bias']!, dk);
  const K = project(v, tk, dv, w['key/kernel']!, w['key/bias']!, dk);
  const V = project(v, tk, dv, w['value/kernel']!, w['value/bias']!, dh);
  const result: number[] = [];
  for (let bi = 0; bi < b; bi++) {
    const heads: Matrix[] = [];
    for (let hi = 0; hi < h; hi++) {
      heads.push(Q[bi]![hi]!.map((qv, i) => {
        const scores = K[bi]![hi]!.map((kv, j) => qv.reduce((s, x, c) => s + x * kv[c]!, 0) / Math.sqrt(dk) + (mask && !mask[bi]![i]![j] ? -1e9 : 0));
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, c) => a + c, 0);
        return Array.from({ length: dh }, (_, c) => e.reduce((s, p, j) => s + (p / z) * V[bi]![hi]![j]![c]!, 0));
      }));
    }
    for (let i = 0; i < tq; i++) {
      for (let o = 0; o < out; o++) {
        let s = w['attention_output/bias']![o]!;
        for (let hi = 0; hi < h; hi++) for (let c = 0; c < dh; c++) s += heads[hi]![i]![c]! * w['attention_output/kernel']![(hi * dh + c) * out + o]!;
        result.push(s);
      }
    }
  }
  return result;
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= 1e-5 * Math.abs(expected[i]!) + 1e-5, `${what}[${i}]: ${a} vs ${expected[i]}`));
}

describe('multiHeadAttention', () => {
  it('passes the layer harness (self-attention in a Sequential model)', async () => {
    await runLayerTest({
      name: 'multiHeadAttention',
      make: mha,
      args: { numHeads: 2, keyDim: 3, valueDim: 4, outputShape: 5 },
      inputShapes: [[2, 4, 6], [1, 3, 6]],
      outputShapes: [[null, 4, 5], [null, 3, 5]],
      weights: [['query/kernel', [6, 2, 3]], ['query/bias', [2, 3]], ['key/kernel', [6, 2, 3]], ['key/bias', [2, 3]],
        ['value/kernel', [6, 2, 4]], ['value/bias', [2, 4]], ['attention_output/kernel', [2, 4, 5]], ['attention_output/bias', [5]]],
      smooth: true,
      badArgs: [
        [{ numHeads: 0, keyDim: 2 }, /Expected numHeads to be a positive integer\. Received: numHeads=0/],
        [{ numHeads: 2, keyDim: 1.5 }, /Expected keyDim to be a positive integer\. Received: keyDim=1\.5/],
        [{ numHeads: 2, keyDim: 2, dropout: 1 }, /Expected dropout in \[0, 1\)\. Received: dropout=1/],
      ],
    });
  });

  it('matches a float64 reference (cross-attention, random biases), with and without an attention mask', () => {
    vb.setRandomSeed(3);
    const layer = mha({ numHeads: 3, keyDim: 4, valueDim: 2, biasInitializer: 'randomNormal' }) as vb.layers.MultiHeadAttention;
    const query = vb.random.normal(vb.random.key(1), [2, 3, 5]);
    const value = vb.random.normal(vb.random.key(2), [2, 4, 6]);
    assertClose(arr(layer.attend(query, value)), reference(layer, query, value), 'unmasked');
    const mask = [[[1, 0, 1, 1], [1, 1, 1, 1], [0, 0, 0, 1]], [[1, 1, 0, 0], [0, 1, 0, 1], [1, 1, 1, 0]]];
    const masked = arr(layer.attend(query, value, value, { attentionMask: vb.tensor(mask, [2, 3, 4], 'bool') }));
    assertClose(masked, reference(layer, query, value, mask), 'masked');
    assert.notDeepEqual(masked, arr(layer.attend(query, value)));
  });

  it('a causal mask: changing a later position changes no earlier output', () => {
    vb.setRandomSeed(4);
    const layer = mha({ numHeads: 2, keyDim: 2 }) as vb.layers.MultiHeadAttention;
    const x = vb.random.normal(vb.random.key(5), [1, 5, 4]);
    const changed = vb.concat([vb.slice(x, [0, 0, 0], [1, 3, 4]), vb.mul(vb.slice(x, [0, 3, 0], [1, 2, 4]), 7)], 1);
    const a = arr(layer.attend(x, x, x, { useCausalMask: true }));
    const b = arr(layer.attend(changed, changed, changed, { useCausalMask: true }));
    assert.deepEqual(b.slice(0, 3 * 4), a.slice(0, 3 * 4), 'the first three positions see only themselves and earlier ones');
    assert.notDeepEqual(b.slice(12), a.slice(12));
  });

  it('dropout on the probabilities: identity at inference, fresh per step, the same bits on every backend and thread count', () => {
    const run = (backend: string, threads: number, step: number, training: boolean) => {
      const previous = vb.getBackend();
      vb.setBackend(backend);
      vb.setNumThreads(threads);
      vb.setRandomSeed(6);
      const layer = mha({ numHeads: 2, keyDim: 3, dropout: 0.5, name: 'mha_dropout' }) as vb.layers.MultiHeadAttention;
      const x = vb.random.normal(vb.random.key(7), [2, 6, 4]);
      const y = Array.from(new Uint32Array(new Float32Array(layer.attend(x, x, x, { training, step }).dataSync()).buffer));
      layer.dispose();
      vb.setBackend(previous);
      return y;
    };
    const inference = run('reference', 1, 0, false);
    const step1 = run('reference', 1, 1, true);
    assert.notDeepEqual(step1, inference);
    assert.notDeepEqual(run('reference', 1, 2, true), step1, 'a fresh mask every step');
    for (const backend of vb.backendNames()) {
      for (const threads of [1, 2, 3]) assert.deepEqual(run(backend, threads, 1, true), step1, `${backend}, ${threads} threads`);
    }
  });

  it('bad options and inputs are errors naming them, never ignored or failing inside (useBias, attend options, a built layer\'s features)', () => {
    assert.throws(() => mha({ numHeads: 1, keyDim: 2, useBias: 'no' }), /MultiHeadAttention: Expected useBias to be a boolean\. Received: useBias="no"/);
    const layer = mha({ numHeads: 2, keyDim: 2, name: 'probe' }) as vb.layers.MultiHeadAttention;
    const [q, v] = [vb.ones([2, 3, 4]), vb.ones([2, 5, 6])];
    layer.attend(q, v);
    assert.throws(() => layer.attend(q, v, v, { returnAttentionScores: true } as never), /MultiHeadAttention \(probe\): Expected options among attentionMask, queryMask, valueMask, keyMask, useCausalMask, training, step, rows\. Received: option="returnAttentionScores"/);
    assert.throws(() => layer.attend(q, v, v, 5 as never), /Expected options to be an object .*Received: options=5/);
    assert.throws(() => layer.attend([[1]] as never, v), /Expected query to be a tensor\. Received: query=\[\[1\]\]/);
    assert.throws(() => layer.attend(vb.ones([2, 3, 5]), v), /MultiHeadAttention \(probe\): Expected query of shape \[batch, time, 4\] \(the layer was built for it\)\. Received: query\.shape=\[2, 3, 5\]/);
    assert.throws(() => layer.attend(q, vb.ones([2, 5, 4])), /Expected value of shape \[batch, time, 6\].*Received: value\.shape=\[2, 5, 4\]/);
    assert.throws(() => layer.apply(vb.ones([2, 4])), /Expected query of shape \[batch, time, 4\].*Received: query\.shape=\[2, 4\]/);
  });

  it('an attentionMask without the batch axis or with 1 where it is shared broadcasts, as Keras ([queryTime, valueTime], [batch, 1, valueTime])', () => {
    vb.setRandomSeed(41);
    const layer = mha({ numHeads: 2, keyDim: 3 }) as vb.layers.MultiHeadAttention;
    const [q, v] = [vb.random.normal(vb.random.key(42), [2, 4, 5]), vb.random.normal(vb.random.key(43), [2, 3, 5])];
    const pairs = vb.tensor([[1, 0, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]], [4, 3], 'bool');
    const keys = vb.tensor([[[1, 1, 0]], [[1, 0, 0]]], [2, 1, 3], 'bool');
    for (const [name, mask] of [['[queryTime, valueTime]', pairs], ['[1, queryTime, valueTime]', vb.expandDims(pairs, 0)], ['[batch, 1, valueTime]', keys]] as const) {
      const full = vb.broadcastTo(mask.rank === 2 ? vb.expandDims(mask, 0) : mask, [2, 4, 3]);
      const y = layer.attend(q, v, v, { attentionMask: mask });
      assert.deepEqual(bits(y), bits(layer.attend(q, v, v, { attentionMask: full })), name);
      assert.notDeepEqual(bits(y), bits(layer.attend(q, v)), `${name}: it masks`);
    }
    assert.throws(() => layer.attend(q, v, v, { attentionMask: vb.ones([2, 3], 'bool') }), /Expected attentionMask of shape \[2,4,3\] or one that broadcasts to it \(\[4, 3\], \[2, 1, 3\], \.\.\.\)\. Received: attentionMask\.shape=\[2, 3\]/);
  });

  it("the inputs' masks (Keras's query_mask, value_mask, key_mask), the attention mask and the causal one combine by and, as Keras's _compute_attention_mask", () => {
    vb.setRandomSeed(44);
    const layer = mha({ numHeads: 2, keyDim: 3, biasInitializer: 'randomNormal' }) as vb.layers.MultiHeadAttention;
    const [q, v] = [vb.random.normal(vb.random.key(45), [2, 3, 5]), vb.random.normal(vb.random.key(46), [2, 4, 6])];
    const [qm, vm, km] = [[[1, 1, 0], [1, 0, 1]], [[1, 1, 1, 0], [0, 1, 1, 1]], [[1, 0, 1, 1], [1, 1, 1, 1]]];
    const am = [[[1, 1, 1, 1], [1, 1, 0, 1], [1, 1, 1, 1]], [[1, 1, 1, 1], [1, 1, 1, 1], [0, 1, 1, 1]]];
    const bool = (rows: number[][]) => vb.tensor(rows, [2, rows[0]!.length], 'bool');
    const masks = { queryMask: bool(qm), valueMask: bool(vm), keyMask: bool(km) };
    for (const causal of [false, true]) {
      const combined = am.map((rows, b) => rows.map((row, i) => row.map((a, j) => Number(a && qm[b]![i] && vm[b]![j] && km[b]![j] && (!causal || j <= i)))));
      const y = layer.attend(q, v, v, { ...masks, attentionMask: vb.tensor(am, [2, 3, 4], 'bool'), useCausalMask: causal });
      assert.deepEqual(bits(y), bits(layer.attend(q, v, v, { attentionMask: vb.tensor(combined, [2, 3, 4], 'bool') })), `causal ${causal}`);
      // Query steps that may attend to nothing (masked ones, and a causal first step whose key is masked) get uniform
      // weights here (Keras's paths differ there): compared on the others.
      const kept = (values: number[]) => values.filter((_, k) => combined[Math.floor(k / 15)]![Math.floor(k / 5) % 3]!.some(Boolean));
      assertClose(kept(arr(y)), kept(reference(layer, q, v, combined)), `causal ${causal}`);
    }
    // As the inputs carry them (apply, graphs): [query, value, key] take their own masks; one input is self-attention, mha(x, x).
    assert.deepEqual(bits(layer.apply([q, v, v], { mask: [masks.queryMask, masks.valueMask, masks.keyMask] })), bits(layer.attend(q, v, v, masks)));
    const self = mha({ numHeads: 2, keyDim: 3 }) as vb.layers.MultiHeadAttention;
    assert.deepEqual(bits(self.apply(q, { mask: masks.queryMask })), bits(self.attend(q, q, q, { queryMask: masks.queryMask, valueMask: masks.queryMask })));
    assert.equal(layer.computeMask([q, v], [masks.queryMask, masks.valueMask]), masks.queryMask, "the output carries the query's mask");
  });

  it("a value padded at its end and masked gives the unpadded value's outputs, bit for bit", () => {
    vb.setRandomSeed(47);
    const layer = mha({ numHeads: 2, keyDim: 3 }) as vb.layers.MultiHeadAttention;
    const [q, v] = [vb.random.normal(vb.random.key(48), [1, 3, 4]), vb.random.normal(vb.random.key(49), [1, 5, 4])];
    const padded = layer.apply([q, v], { mask: [undefined, vb.tensor([[1, 1, 1, 0, 0]], [1, 5], 'bool')] });
    assert.deepEqual(bits(padded), bits(layer.attend(q, vb.slice(v, [0, 0, 0], [1, 3, 4]))));
    assert.notDeepEqual(bits(padded), bits(layer.attend(q, v)));
  });

  it('bad input masks are errors naming them', () => {
    const layer = mha({ numHeads: 1, keyDim: 2, name: 'masks' }) as vb.layers.MultiHeadAttention;
    const [q, v] = [vb.ones([2, 3, 4]), vb.ones([2, 5, 4])];
    assert.throws(() => layer.attend(q, v, v, { queryMask: vb.ones([2, 5], 'bool') }), /MultiHeadAttention \(masks\): Expected queryMask of shape \[2, 3\]\. Received: queryMask\.shape=\[2, 5\]/);
    assert.throws(() => layer.attend(q, v, v, { keyMask: [[1]] as never }), /Expected keyMask of shape \[2, 5\]\. Received: keyMask=\[\[1\]\]/);
    assert.throws(() => layer.apply([q, v], { mask: vb.ones([2, 3], 'bool') }), /masks\.apply: Expected mask to be a list of 2 masks, one per input/);
  });

  it('a list of more than [query, value, key] is an error, never a fourth input silently ignored', () => {
    const q = vb.ones([1, 3, 4]);
    assert.throws(() => mha({ numHeads: 1, keyDim: 2, name: 'four' }).apply([q, q, q, q]), /MultiHeadAttention \(four\): Expected one tensor or a list \[query, value, key\?\] of 1 to 3 tensors\. Received: inputs=4/);
    const a = vb.input({ shape: [3, 4] });
    assert.throws(() => mha({ numHeads: 1, keyDim: 2 }).apply([a, a, a, a]), /Expected one tensor or a list \[query, value, key\?\] of 1 to 3 tensors\. Received: inputs=4/);
  });

  it('rejects mismatched inputs and masks, naming them', () => {
    const layer = mha({ numHeads: 1, keyDim: 2 }) as vb.layers.MultiHeadAttention;
    assert.throws(() => layer.attend(vb.zeros([2, 3]), vb.zeros([2, 3])), /Expected inputs of rank 3 \[batch, time, features\] with known features\. Received: query=\[null, 3\]/);
    assert.throws(() => layer.attend(vb.zeros([2, 3, 4]), vb.zeros([2, 5, 4]), vb.zeros([2, 4, 4])), /Expected query, value and key with one batch size, and value and key with one length/);
    assert.throws(() => layer.attend(vb.zeros([2, 3, 4]), vb.zeros([2, 5, 4]), undefined, { attentionMask: vb.ones([2, 5, 3]) }), /Expected attentionMask of shape \[2,3,5\] or one that broadcasts to it .*Received: attentionMask\.shape=\[2, 5, 3\]/);
  });
});
