/**
 * Tensors too large for any backend fail before any memory is touched, with an error naming the
 * shape, the bytes and the limit; a WASM memory that cannot grow further fails one allocation
 * and leaves the allocator usable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { Allocator } from '../src/backends/wasm/allocator.js';
import { forEachBackend } from './helpers/backends.js';

const TOO_LARGE = /Expected a tensor of at most 2147483648 bytes \(2 GiB\)\. Received: shape=\[60000, 60000\], dtype="float32", bytes=14400000000/;

forEachBackend('tensor size limit', () => {
  it('a 14 GB tensor is refused at once by creation ops, samplers and kernels alike', () => {
    const start = performance.now();
    assert.throws(() => vb.zeros([60000, 60000]), TOO_LARGE);
    assert.throws(() => vb.random.normal(vb.random.key(1), [60000, 60000]), /random\.normal: Expected a tensor of at most 2147483648 bytes/);
    assert.throws(() => vb.broadcastTo(vb.scalar(1), [60000, 60000]), /broadcastTo: Expected a tensor of at most 2147483648 bytes/);
    assert.throws(() => vb.matMul(vb.zeros([60000, 1]), vb.zeros([1, 60000])), /matMul: Expected a tensor of at most/);
    assert.throws(() => vb.random.permutation(vb.random.key(1), 2 ** 31), /random\.permutation: Expected a tensor of at most 2147483648 bytes/);
    assert.throws(() => vb.random.permutation(vb.random.key(1), 2 ** 40), /random\.permutation: Expected a tensor of at most 2147483648 bytes/);
    assert.throws(() => vb.sequential({ layers: [vb.layers.dense({ units: 60000, inputShape: [60000] })] }), /initializers\.varianceScaling: Expected a tensor of at most 2147483648 bytes \(2 GiB\)\. Received: shape=\[60000, 60000\]/);
    assert.throws(() => vb.sequential({ layers: [vb.layers.dense({ units: 60000, inputShape: [60000], kernelInitializer: 'zeros' })] }), /initializers\.constant: Expected a tensor of at most/);
    assert.throws(() => vb.initializers.orthogonal().values([60000, 60000], vb.random.key(1)), /initializers\.orthogonal: Expected a tensor of at most/);
    assert.ok(performance.now() - start < 1000, 'refused before filling memory');
    assert.deepEqual(vb.add(vb.tensor([1, 2]), 1).arraySync(), [2, 3], 'the backend is still usable');
  });
});

describe('WebAssembly memory exhaustion', () => {
  it('fails one allocation, takes nothing, and keeps the allocator usable', () => {
    // The backend's allocator over a memory of at most 16 pages (1 MiB), so that it runs out quickly.
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
    const allocator = new Allocator(memory, 0);
    const first = allocator.allocate(400_000);
    const second = allocator.allocate(400_000);
    assert.throws(() => allocator.allocate(400_000), /wasm backend: Expected WebAssembly memory for 400000 more bytes \(its limit is 4 GiB; 800000 bytes hold live tensors/);
    const small = allocator.allocate(8);
    assert.equal(small.ptr, second.ptr + second.bytes, 'the failed allocation took nothing');
    allocator.release(first);
    assert.equal(allocator.allocate(400_000).ptr, first.ptr, 'freed memory is reused');
    assert.throws(() => allocator.allocate(400_000), /Expected WebAssembly memory/);
  });

  it('reuses memory freed by tensors of other sizes: free neighbours merge, large blocks split', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 16 });
    const allocator = new Allocator(memory, 0);
    // Sizes that never repeat, each freed at once: a per-size free list would run out of memory.
    for (let i = 0; i < 200; i++) allocator.release(allocator.allocate(500_000 + 64 * i));
    const a = allocator.allocate(300_000);
    const b = allocator.allocate(300_000);
    const c = allocator.allocate(300_000);
    allocator.release(a);
    allocator.release(c);
    allocator.release(b);
    assert.equal(allocator.allocate(900_000).ptr, a.ptr, 'three freed neighbours make one block');
    const memoryBytes = memory.buffer.byteLength;
    const d = allocator.allocate(8);
    assert.ok(d.ptr >= a.ptr + 900_000 - 64 && memory.buffer.byteLength === memoryBytes, 'no growth for what fits');
    assert.equal(allocator.liveBytes, Math.ceil(900_000 / 64) * 64 + 64);
  });

  it('a WASM backend survives tensors of ever-changing sizes', { skip: vb.backendNames().includes('wasm') ? false : 'no wasm backend (WebAssembly SIMD is not available)' }, () => {
    const previous = vb.getBackend();
    vb.setBackend('wasm');
    try {
      const live = vb.memory().numTensors;
      // 120 sizes of about 40 MB: 4.8 GB in all, more than a WebAssembly memory can ever hold.
      for (let i = 0; i < 120; i++) vb.zeros([10_000_000 + 16 * i]).dispose();
      assert.equal(vb.memory().numTensors, live);
      assert.deepEqual(vb.ones([3]).arraySync(), [1, 1, 1]);
    } finally {
      vb.setBackend(previous);
    }
  });
});
