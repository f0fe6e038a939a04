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
});
