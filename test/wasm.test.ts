/**
 * The WASM backend against the reference: every primitive bit-identical on awkward shapes and
 * on sizes large enough to be split over threads, with 1, 2 and 3 threads; the examples' digests
 * across backends and thread counts in separate processes; memory; the kernel build.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as vb from 'verbatim';
import { ReferenceBackend } from '../src/backends/reference.js';
import { setParallelWork, WasmBackend } from '../src/backends/wasm/backend.js';
import { CONTROL } from '../src/backends/wasm/kernel-names.js';
import { RULES } from '../src/primitives/index.js';
import type { Meta, Primitive } from '../src/primitives/types.js';
import { GENERATORS, Gen } from './fuzz/cases.js';
import { runPrimitive } from './fuzz/differential.js';
import { rng } from './helpers/data.js';
import { REPO_ROOT, runNode } from './helpers/process.js';

const hasWasm = vb.backendNames().includes('wasm');

function values(shape: number[], seed: number, lo = -3, hi = 3): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * next());
}

/** f evaluated on both backends (inputs made on each); the outputs' bytes must be equal. */
function sameBits(label: string, inputs: [number[], number, number?, number?][], f: (...ts: vb.Tensor[]) => vb.Tensor): void {
  const run = (backend: string) => {
    vb.setBackend(backend);
    return vb.tidy(() => {
      const ts = inputs.map(([shape, seed, lo, hi]) => vb.tensor(values(shape, seed, lo, hi), shape));
      const out = f(...ts);
      return { shape: out.shape, bytes: new Uint8Array(out.dataSync().buffer.slice(0)) };
    });
  };
  const reference = run('reference');
  const wasm = run('wasm');
  vb.setBackend('wasm');
  assert.deepEqual(wasm.shape, reference.shape, `${label}: shape`);
  if (Buffer.compare(Buffer.from(wasm.bytes), Buffer.from(reference.bytes)) !== 0) {
    const a = new Float32Array(wasm.bytes.buffer);
    const b = new Float32Array(reference.bytes.buffer);
    const i = a.findIndex((v, k) => !Object.is(v, b[k]));
    assert.fail(`${label}: element ${i} is ${a[i]} on wasm, ${b[i]} on reference`);
  }
}

const UNARY = ['neg', 'abs', 'sign', 'sqrt', 'exp', 'expm1', 'log', 'log1p', 'tanh', 'sigmoid', 'softplus', 'erf', 'relu', 'floor', 'ceil', 'round'] as const;
const BINARY = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow'] as const;

describe('wasm backend: bit-identical to the reference', { skip: hasWasm ? false : 'WebAssembly SIMD is not available' }, () => {
  after(() => vb.setNumThreads(2));

  for (const threads of [1, 2, 3, 7]) {
    describe(`${threads} thread(s)`, () => {
      it('unary ops on sizes that do and do not fill SIMD vectors, and on thread-splitting sizes', () => {
        vb.setNumThreads(threads);
        for (const op of UNARY) {
          for (const shape of [[1], [3], [7], [13, 17], [70001]]) {
            const [lo, hi] = op === 'sqrt' || op === 'log' ? [0, 50] : op === 'log1p' ? [-1, 50] : [-20, 20];
            sameBits(`${op} ${JSON.stringify(shape)}`, [[shape, 1, lo, hi]], (x) => (vb as unknown as Record<string, (t: vb.Tensor) => vb.Tensor>)[op]!(x));
          }
        }
      });

      it('binary ops with broadcasting on every axis', () => {
        vb.setNumThreads(threads);
        const pairs: [number[], number[]][] = [[[5], [5]], [[7], [1]], [[1], [7]], [[3, 1], [1, 5]], [[2, 3, 5], [5]], [[13, 1, 2], [13, 7, 1]],
          [[2, 1, 3, 1, 2], [1, 4, 1, 5, 1]], [[300, 257], [257]], [[300, 257], [300, 1]], [[70001], [70001]]];
        for (const op of BINARY) {
          for (const [sa, sb] of pairs) {
            sameBits(`${op} ${JSON.stringify([sa, sb])}`, [[sa, 2, op === 'pow' ? 0.1 : -3, 3], [sb, 3]], (a, b) => (vb as unknown as Record<string, (x: vb.Tensor, y: vb.Tensor) => vb.Tensor>)[op]!(a!, b!));
          }
        }
        sameBits('greater', [[[300, 257], 4], [[257], 5]], (a, b) => vb.cast(vb.greater(a!, b!), 'float32'));
        sameBits('where', [[[3, 1, 5], 6], [[4, 1], 7], [[5], 8]], (c, a, b) => vb.where(vb.greater(c!, 0), a!, b!));
      });

      it('reductions over every axis subset, in their canonical order', () => {
        vb.setNumThreads(threads);
        for (const shape of [[3, 5, 7], [64, 33, 41]]) {
          for (const axes of [[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]) {
            for (const op of ['sum', 'prod', 'max', 'min', 'mean'] as const) {
              sameBits(`${op} ${JSON.stringify(shape)} ${JSON.stringify(axes)}`, [[shape, 9, op === 'prod' ? 0.9 : -3, op === 'prod' ? 1.1 : 3]], (x) => vb[op](x!, axes));
            }
          }
          sameBits(`argMax ${JSON.stringify(shape)}`, [[shape, 10]], (x) => vb.cast(vb.argMax(x!, 1), 'float32'));
          sameBits(`softmax ${JSON.stringify(shape)}`, [[shape, 11]], (x) => vb.softmax(x!));
        }
      });

      it('matMul: primes, sizes below a tile, transposes, broadcast batches, k blocks', () => {
        vb.setNumThreads(threads);
        const cases: [number[], number[], boolean, boolean][] = [
          [[1, 1], [1, 1], false, false], [[3, 5], [5, 7], false, false], [[17, 13], [17, 11], true, false],
          [[33, 300], [300, 9], false, false], [[5, 3], [7, 5], true, true], [[3, 5], [7, 5], false, true], [[2, 3, 4], [4, 5], false, false],
          [[2, 1, 37, 41], [3, 41, 29], false, false], [[257, 513], [513, 129], false, false], [[90, 130], [90, 70], true, false],
        ];
        for (const [sa, sb, ta, tb] of cases) sameBits(`matMul ${JSON.stringify([sa, sb, ta, tb])}`, [[sa, 12], [sb, 13]], (a, b) => vb.matMul(a!, b!, ta, tb));
        for (const [n, k, units] of [[3, 5, 7], [257, 130, 67]]) {
          sameBits(`fused.matMul ${[n, k, units]}`, [[[n, k], 14], [[k, units], 15], [[units], 16]], (a, b, c) => vb.fused.matMul({ a: a!, b: b!, bias: c!, activation: 'relu' }));
        }
      });

      it('movement: transpose, slice, broadcastTo, concat, gather, pad, tile, scatterAdd through gather gradients', () => {
        vb.setNumThreads(threads);
        sameBits('transpose', [[[7, 5, 3, 2], 14]], (x) => vb.transpose(x!, [2, 0, 3, 1]));
        sameBits('slice', [[[9, 8, 7], 15]], (x) => vb.slice(x!, [1, 2, 3], [5, 4, 3]));
        sameBits('broadcastTo', [[[3, 1, 5], 16]], (x) => vb.broadcastTo(x!, [2, 3, 4, 5]));
        sameBits('concat axis 1', [[[3, 4], 17], [[3, 2], 18]], (a, b) => vb.concat([a!, b!], 1));
        sameBits('gather', [[[10, 6], 19]], (x) => vb.gather(x!, vb.tensor([9, 0, 3, 3], [4], 'int32'), 0));
        sameBits('pad', [[[3, 4], 20]], (x) => vb.pad(x!, [[1, 2], [0, 3]], 1.5));
        sameBits('tile', [[[3, 4], 21]], (x) => vb.tile(x!, [2, 3]));
        sameBits('gather gradient', [[[10, 6], 22]], (x) => vb.grad((t) => vb.sum(vb.mul(vb.gather(t, vb.tensor([1, 1, 4, 9, 1], [5], 'int32'), 0), 3)))(x!));
      });
    });
  }

  it('pad of more dimensions than the geometry block holds is a counted fallback with the reference bits', () => {
    // 1 + 3 * 400 geometry words do not fit the 1024 of the shared block: it threw 'offset is out of bounds'.
    const shape = [...new Array<number>(398).fill(1), 3, 2];
    const before = vb.kernelFallbacks().find((f) => f.primitive === 'pad')?.count ?? 0;
    sameBits('pad of rank 400', [[shape, 24]], (x) => vb.pad(x!, shape.map((_, i) => (i >= 398 ? [1, 2] : [0, 0])), -1));
    assert.equal(vb.kernelFallbacks().find((f) => f.primitive === 'pad')?.count, before + 1);
  });

  it('fused optimizer updates give the composed updates exactly', async () => {
    const optimizers: [string, () => vb.optimizers.Optimizer][] = [
      ['sgd', () => vb.optimizers.sgd({ learningRate: 0.1 })],
      ['momentum', () => vb.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 })],
      ['nesterov', () => vb.optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })],
      ['adam', () => vb.optimizers.adam({ learningRate: 0.01 })],
      ['amsgrad', () => vb.optimizers.adam({ learningRate: 0.01, amsgrad: true })],
    ];
    for (const [name, make] of optimizers) {
      const digests: string[] = [];
      for (const backend of ['reference', 'wasm']) {
        vb.setBackend(backend);
        vb.setRandomSeed(3);
        const x = vb.random.normal(vb.random.key(1), [50, 7]);
        const y = vb.random.normal(vb.random.key(2), [50, 2]);
        const m = vb.sequential({ name: `fused_${name}`, layers: [vb.layers.dense({ units: 9, activation: 'tanh', inputShape: [7] }), vb.layers.dense({ units: 2 })] });
        m.compile({ optimizer: make(), loss: 'mse' });
        await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
        digests.push(m.weightsDigest());
        m.dispose();
      }
      assert.equal(digests[0], digests[1], name);
    }
    vb.setBackend('wasm');
  });

  it('memory stays flat over 500 training steps of model B (784-512-512-10)', async () => {
    vb.setBackend('wasm');
    vb.setNumThreads(2);
    const rngB = vb.random.generator(5);
    const x = rngB.uniform([128, 784]);
    const y = vb.oneHot(rngB.integers([128], 0, 10), 10);
    const m = vb.sequential({
      name: 'memory_b',
      layers: [vb.layers.dense({ units: 512, activation: 'relu', inputShape: [784] }), vb.layers.dense({ units: 512, activation: 'relu' }), vb.layers.dense({ units: 10, activation: 'softmax' })],
    });
    m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    await m.fit(x, y, { epochs: 5, batchSize: 128, verbose: 0 });
    const backend = (await import('../src/engine/engine.js')).ENGINE.backend as unknown as { liveBytes: number };
    const start = { ...vb.memory(), wasmBytes: backend.liveBytes };
    await m.fit(x, y, { epochs: 500, batchSize: 128, verbose: 0 });
    // Tensors an earlier test dropped may be collected meanwhile (live becomes leaked, bytes freed): count both.
    const end = { ...vb.memory(), wasmBytes: backend.liveBytes };
    assert.equal(end.numTensors + end.numLeaked, start.numTensors + start.numLeaked, 'no tensor made by 500 steps is left');
    assert.ok(end.numBytes <= start.numBytes && end.wasmBytes <= start.wasmBytes, `bytes did not grow: ${JSON.stringify({ start, end })}`);
    m.dispose();
  });
});

describe('wasm backend: processes, threads and build', { skip: hasWasm ? false : 'WebAssembly SIMD is not available' }, () => {
  it('resizing the pool never lets a stopped pool\'s worker take part in a job (every kernel split)', () => {
    const previous = { backend: vb.getBackend(), threads: vb.getNumThreads() };
    vb.setBackend('reference');
    const x = vb.random.normal(vb.random.key(3), [300, 7]);
    const expected = Array.from(vb.add(vb.mul(x, x), vb.sum(x, 0)).dataSync());
    vb.setBackend('wasm');
    setParallelWork(16);
    try {
      // Quick resizes: workers of the old pool are still winding down while the new one works.
      for (const threads of [3, 2, 3, 1, 2, 3, 2, 3, 2]) {
        vb.setNumThreads(threads);
        for (let i = 0; i < 20; i++) assert.deepEqual(Array.from(vb.add(vb.mul(x, x), vb.sum(x, 0)).dataSync()), expected, `${threads} threads`);
      }
    } finally {
      setParallelWork();
      vb.setBackend(previous.backend);
      vb.setNumThreads(previous.threads);
    }
  });

  it('a late wake-up never makes a worker run a job twice (an in-place update stays applied once)', () => {
    // The main thread publishes a job, then notifies the workers; paused in between (a loaded
    // machine), a worker can serve the job and wait again before the notify arrives. Here the
    // notify comes after the job, in a fresh process. A worker that takes it for a job would apply
    // its part of the SGD update again: 1 - 0.5 * 0.25 = 0.875 twice gives 0.75.
    const result = runNode(`
      const vb = await import('verbatim');
      const { ENGINE } = await import('./dist/src/engine/engine.js');
      const { setParallelWork } = await import('./dist/src/backends/wasm/backend.js');
      const { CONTROL } = await import('./dist/src/backends/wasm/kernel-names.js');
      vb.setBackend('wasm');
      vb.setNumThreads(3);
      setParallelWork(16);
      const w = vb.variable(vb.ones([3000]), true, 'w');
      const optimizer = vb.optimizers.sgd({ learningRate: 0.5 });
      const seen = [];
      for (let step = 1; step <= 3; step++) {
        optimizer.applyGradients({ w: vb.fill([3000], 0.25) });
        Atomics.notify(ENGINE.backend.pool.ctrl, CONTROL.sequence);
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen.push([vb.getNumThreads(), ...new Set(w.dataSync())]);
      }
      console.log(JSON.stringify(seen));
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [[3, 0.875], [3, 0.75], [3, 0.625]]);
  });

  it('workers that become ready in the middle of a matMul never run without their own scratch', () => {
    // In a browser the workers start asynchronously: the pool's thread count can go from 1 to 3
    // between any two of its reads. Each case lets the count grow after `reads` reads. A worker
    // given no scratch would pack its tiles at address 0, shared with another such worker, and the
    // first 64 KiB (below the heap, no data) would not stay zero. A fresh process: it would be damaged.
    const result = runNode(`
      const vb = await import('verbatim');
      const { ENGINE } = await import('./dist/src/engine/engine.js');
      const { setParallelWork } = await import('./dist/src/backends/wasm/backend.js');
      vb.setBackend('reference');
      const a = vb.random.normal(vb.random.key(1), [61, 37]);
      const b = vb.random.normal(vb.random.key(2), [37, 45]);
      const expected = Buffer.from(vb.matMul(a, b).dataSync().buffer).toString('hex');
      vb.setBackend('wasm');
      vb.setNumThreads(3);
      setParallelWork(16);
      const pool = ENGINE.backend.pool;
      const differ = [];
      for (let reads = 0; reads < 6; reads++) {
        let count = 0;
        Object.defineProperty(pool, 'threads', { configurable: true, get: () => (count++ < reads ? 1 : 3) });
        const got = Buffer.from(vb.matMul(a, b).dataSync().buffer).toString('hex');
        delete pool.threads;
        if (got !== expected) differ.push(reads);
      }
      const belowHeap = new Uint8Array(ENGINE.backend.memory.buffer, 0, 65536).some((byte) => byte !== 0);
      console.log(JSON.stringify({ differ, belowHeap }));
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { differ: [], belowHeap: false });
  });

  it('a job whose part on the calling thread throws still waits for the workers\' parts', () => {
    // A trap on the calling thread (here a pointer beyond the memory, on every thread) ended the
    // job at once: the workers' failure was then reported by the next, good job, and workers still
    // running wrote into memory the caller already read (here a patched part that throws at once,
    // against workers updating 4M elements each: the last element was still 1 after the throw).
    const result = runNode(`
      const { WasmBackend, setParallelWork } = await import('./dist/src/backends/wasm/backend.js');
      const { KERNEL_NAMES } = await import('./dist/src/backends/wasm/kernel-names.js');
      const backend = new WasmBackend(3);
      setParallelWork(16);
      const attempt = (f) => { try { f(); return 'ok'; } catch (error) { return error.message; } };
      const small = (value) => backend.upload(new Float32Array(3000).fill(value), 'float32');
      const w = small(1);
      const outside = { block: { ptr: backend.memory.buffer.byteLength + 65536, bytes: 12000, refs: 1 } };
      const trap = attempt(() => backend.update('sgd', [outside, small(0.25)], [0.5], 3000));
      const next = attempt(() => backend.update('sgd', [w, small(0.25)], [0.5], 3000));
      const nextValues = [...new Set(backend.read(w, 'float32', 3000))];
      const n = 3 << 22;
      const big = backend.upload(new Float32Array(n).fill(1), 'float32');
      const sgd = KERNEL_NAMES.indexOf('sgd');
      const original = backend.pool.kernels[sgd];
      backend.pool.kernels[sgd] = () => { throw new RangeError('the calling thread failed'); };
      const thrown = attempt(() => backend.update('sgd', [big, backend.upload(new Float32Array(n).fill(0.25), 'float32')], [0.5], n));
      backend.pool.kernels[sgd] = original;
      const lastAfterThrow = new Float32Array(backend.memory.buffer, big.block.ptr + (n - 1) * 4, 1)[0];
      console.log(JSON.stringify({ threads: backend.numThreads, trap, next, nextValues, thrown, lastAfterThrow }));
      backend.setNumThreads(1);
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      threads: 3, trap: 'memory access out of bounds', next: 'ok', nextValues: [0.875], thrown: 'the calling thread failed', lastAfterThrow: 0.875,
    });
  });

  it('a job numbered 0 (the sequence count wrapped after 2^32 jobs) right after a resize waits for the workers', () => {
    // The resize reset the workers' last completed job to 0: the first job of the new pool, if
    // numbered 0, saw every worker done at once and returned while they were still updating
    // (4M elements each: the last element was still 1).
    const result = runNode(`
      const { WasmBackend } = await import('./dist/src/backends/wasm/backend.js');
      const { CONTROL } = await import('./dist/src/backends/wasm/kernel-names.js');
      const backend = new WasmBackend(2);
      Atomics.store(backend.pool.ctrl, CONTROL.sequence, -2);
      backend.setNumThreads(3);
      const n = 3 << 22;
      const w = backend.upload(new Float32Array(n).fill(1), 'float32');
      backend.update('sgd', [w, backend.upload(new Float32Array(n).fill(0.25), 'float32')], [0.5], n);
      const last = new Float32Array(backend.memory.buffer, w.block.ptr + (n - 1) * 4, 1)[0];
      console.log(JSON.stringify({ sequence: Atomics.load(backend.pool.ctrl, CONTROL.sequence), threads: backend.numThreads, last }));
      backend.setNumThreads(1);
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { sequence: 0, threads: 3, last: 0.875 });
  });

  it('random kernels on random thread counts, resized quickly and woken for nothing after every job, match the reference bit for bit', () => {
    // The fuzz generators' cases (every primitive, small sizes split over threads) on one pool
    // that is resized now and then (the stopped pool's workers still winding down while the new
    // one starts) and whose waiting workers are notified after every job, as a late notify would.
    const reference = new ReferenceBackend();
    const wasm = new WasmBackend(3);
    const pool = (wasm as unknown as { pool: { ctrl: Int32Array; run: (...args: unknown[]) => void } }).pool;
    const run = pool.run.bind(pool);
    pool.run = (...args) => {
      run(...args);
      Atomics.notify(pool.ctrl, CONTROL.sequence);
    };
    const primitives = Object.keys(GENERATORS) as Primitive[];
    const threadsSeen = new Set<number>();
    let compared = 0;
    setParallelWork(16);
    try {
      for (let i = 0; i < 600; i++) {
        const g = new Gen(20261129, i);
        if (i % 20 === 0) {
          wasm.setNumThreads(g.int(1, 4));
          Atomics.notify(pool.ctrl, CONTROL.sequence);
        }
        const primitive = primitives[i % primitives.length]!;
        const c = GENERATORS[primitive](g);
        let out: Meta;
        try {
          out = RULES[primitive].infer(c.inputs, c.attrs as never);
        } catch {
          continue;
        }
        threadsSeen.add(wasm.numThreads);
        const expected = runPrimitive(reference, primitive, c, out);
        const actual = runPrimitive(wasm, primitive, c, out);
        assert.ok(Buffer.compare(expected, actual) === 0, `${primitive} (case ${i}) differs on ${wasm.numThreads} threads`);
        compared++;
      }
    } finally {
      setParallelWork();
      wasm.setNumThreads(1);
    }
    assert.deepEqual([...threadsSeen].sort(), [1, 2, 3, 4]);
    // Cases a generator makes invalid are skipped: most must have been compared.
    assert.ok(compared >= 500, `${compared} of 600 cases compared`);
  });

  it('the examples give the same digests on reference and wasm, with 1, 2 and 3 threads', () => {
    for (const example of ['modern-tutorial', 'data-pipeline']) {
      const digests = [['reference', '1'], ['wasm', '1'], ['wasm', '2'], ['wasm', '3']].map(([backend, threads]) => {
        const out = execFileSync(process.execPath, [`dist/examples/${example}.js`], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, VERBATIM_BACKEND: backend, VERBATIM_THREADS: threads } });
        return /digest ([0-9a-f]{64})/.exec(out)![1];
      });
      assert.equal(new Set(digests).size, 1, `${example}: ${digests.join(' ')}`);
    }
    const classic = ['reference', 'wasm'].map((backend) => /errors (.*)/.exec(execFileSync(process.execPath, ['dist/examples/classic-tutorial.js', '--seed', '1'], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, VERBATIM_BACKEND: backend } }))![1]);
    assert.equal(classic[0], classic[1]);
  });

  it('without SharedArrayBuffer it runs on one thread with the same results', () => {
    const code = (hide: boolean) => `
      ${hide ? 'delete globalThis.SharedArrayBuffer;' : ''}
      const vb = await import('verbatim');
      const x = vb.random.normal(vb.random.key(1), [300, 300]);
      const y = vb.softmax(vb.matMul(x, x));
      console.log(vb.getBackend(), vb.getNumThreads(), Buffer.from(y.dataSync().buffer).toString('base64').slice(0, 64));
    `;
    const single = runNode(code(true), { VERBATIM_THREADS: '2' }).stdout.trim().split(' ');
    const shared = runNode(code(false), { VERBATIM_THREADS: '2' }).stdout.trim().split(' ');
    assert.deepEqual(single.slice(0, 2), ['wasm', '1']);
    assert.deepEqual(shared.slice(0, 2), ['wasm', '2']);
    assert.equal(single[2], shared[2]);
  });

  it('VERBATIM_THREADS and VERBATIM_BACKEND choose the defaults; a value they cannot take is an error naming the variable, not ignored', () => {
    const code = `const vb = await import('verbatim'); console.log(vb.getBackend(), vb.getNumThreads());`;
    assert.equal(runNode(code, { VERBATIM_THREADS: '1', VERBATIM_BACKEND: 'reference' }).stdout.trim(), 'reference 1');
    assert.equal(runNode(code, { VERBATIM_THREADS: '3' }).stdout.trim(), 'wasm 3');
    assert.equal(runNode(code, { VERBATIM_THREADS: '', VERBATIM_BACKEND: '' }).stdout.trim(), `wasm ${runNode(code, {}).stdout.trim().split(' ')[1]}`);
    // 65 was clamped to the pool's 64 unseen; '0x4' was taken as 4 (the CLI's --threads refuses both).
    for (const [threads, shown] of [['two', '"two"'], ['0', '0'], ['1.5', '"1\\.5"'], ['65', '65'], ['0x4', '"0x4"']]) {
      const r = runNode(code, { VERBATIM_THREADS: threads! });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, new RegExp(`ValueError: verbatim: Expected VERBATIM_THREADS in the environment to be an integer from 1 to 64\\. Received: VERBATIM_THREADS=${shown}\n`));
    }
    // setNumThreads as well: 65 restarted the pool's 63 workers and ran on 64 threads.
    const set = runNode(`const vb = await import('verbatim'); for (const n of [65, 0, 2.5]) { try { vb.setNumThreads(n); console.log('accepted', n); } catch (e) { console.log(e.message); } }`, {});
    assert.deepEqual(set.stdout.trim().split('\n'), [65, 0, 2.5].map((n) => `setNumThreads: Expected threads to be an integer from 1 to 64. Received: threads=${n}`));
    const r = runNode(code, { VERBATIM_BACKEND: 'webgl' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ValueError: verbatim: Expected VERBATIM_BACKEND in the environment to be one of the registered backends \(reference, wasm\)\. Received: VERBATIM_BACKEND="webgl"/);
  });

  it('where workers may not be started (Node\'s permission model) it runs on one thread with the same results', () => {
    // new Worker throws there (ERR_ACCESS_DENIED); creating the backend used to throw it at the first op.
    const permission = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';
    const result = runNode(`
      const vb = await import('verbatim');
      const x = vb.random.normal(vb.random.key(1), [300, 300]);
      const bits = () => Buffer.from(vb.softmax(vb.matMul(x, x)).dataSync().buffer).toString('base64');
      const threads = [vb.getNumThreads()];
      vb.setNumThreads(3);
      threads.push(vb.getNumThreads());
      const wasm = bits();
      vb.setBackend('reference');
      console.log(JSON.stringify({ threads, same: wasm === bits() }));
    `, { NODE_OPTIONS: `${permission} --allow-fs-read=*`, VERBATIM_BACKEND: 'wasm' });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { threads: [1, 1], same: true });
    assert.match(result.stderr, /verbatim: kernel workers cannot be started \(.+\); running on one thread/);
  });

  it('a kernel worker that fails to start leaves the process running on one thread with the same results', () => {
    // Here its module needs an import the worker does not give (a LinkError in the worker); the
    // worker's unheard 'error' event ended the process after resize had gone on without it.
    const result = runNode(`
      const vb = await import('verbatim');
      const { ENGINE } = await import('./dist/src/engine/engine.js');
      const x = vb.random.normal(vb.random.key(1), [300, 300]);
      const bits = () => Buffer.from(vb.softmax(vb.matMul(x, x)).dataSync().buffer).toString('base64');
      vb.setBackend('wasm');
      vb.setNumThreads(1);
      const importsOther = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 13, 1, 3, 101, 110, 118, 5, 111, 116, 104, 101, 114, 0, 0];
      ENGINE.backend.pool.module = new WebAssembly.Module(new Uint8Array(importsOther));
      vb.setNumThreads(2);
      const wasm = bits();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const threads = vb.getNumThreads();
      vb.setBackend('reference');
      console.log(JSON.stringify({ threads, same: wasm === bits() }));
    `);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { threads: 1, same: true });
    assert.match(result.stderr, /verbatim: 1 of 1 kernel workers did not start; running on one thread/);
    assert.match(result.stderr, /verbatim: a kernel worker failed to start \(.+\)/);
  });

  it('tensors dropped without dispose are freed by the finalizer and counted', () => {
    const result = runNode(`
      const vb = await import('verbatim');
      const start = vb.memory().numTensors;
      for (let i = 0; i < 200; i++) vb.ones([1000]);
      const before = vb.memory().numTensors - start;
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
      console.log(before, vb.memory().numTensors - start, vb.memory().numLeaked);
    `, { NODE_OPTIONS: '--expose-gc' });
    const [before, after, leaked] = result.stdout.trim().split(' ').map(Number);
    assert.equal(before, 200);
    assert.ok(after! < 50 && leaked! > 150, result.stdout + result.stderr);
  });

  it('the kernel build is reproducible and uses neither relaxed SIMD nor FMA', () => {
    const generated = readFileSync(join(REPO_ROOT, 'src/backends/wasm/kernels.generated.ts'), 'utf8');
    const rebuilt = execFileSync(process.execPath, ['scripts/build-kernels.mjs', '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.match(rebuilt, /identical/);
    for (const variant of ['kernels', 'kernels-shared']) {
      const text = readFileSync(join(REPO_ROOT, `build/${variant}.wat`), 'utf8');
      assert.doesNotMatch(text, /relaxed|fma|qfma/);
      assert.match(text, /f32x4\.mul/);
    }
    assert.match(generated, /KERNELS_SHA256/);
  });
});
