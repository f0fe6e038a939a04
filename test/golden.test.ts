/**
 * Golden digests (test/golden/digests.json): the golden workload on every backend and thread
 * count, and the README examples, must give the pinned bits. A failure lists the entries that
 * changed; a deliberate change is made with `npm run golden:update` and explained in its commit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { setParallelWork } from '../src/backends/wasm/backend.js';
import { exampleDigests, MODEL_EXAMPLES } from './helpers/examples.js';
import { goldenDigests } from './golden/workload.js';

const GOLDEN = JSON.parse(readFileSync(new URL('../../test/golden/digests.json', import.meta.url), 'utf8')) as {
  workload: Record<string, string>;
  examples: Record<string, string>;
};

function assertGolden(actual: Record<string, string>, expected: Record<string, string>, where: string): void {
  const changed = Object.keys({ ...expected, ...actual }).filter((k) => actual[k] !== expected[k]);
  assert.deepEqual(changed, [], `${where}: ${changed.length} entries differ from test/golden/digests.json: ${changed.slice(0, 20).join('; ')}`);
}

/** The library behind a proxy that records every name reached on it and on its namespaces. */
function recording(library: object, used: Set<string>, prefix = ''): typeof vb {
  return new Proxy(library, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof name !== 'string') return value;
      used.add(prefix + name);
      const namespace = typeof value === 'object' && value !== null && !(value instanceof vb.Tensor) && ['random', 'losses', 'optimizers', 'metrics', 'initializers', 'constraints', 'layers', 'data', 'fused', 'train', 'image', 'callbacks'].includes(name);
      return namespace ? recording(value, used, `${prefix}${name}.`) : value;
    },
  }) as typeof vb;
}

describe('golden digests', () => {
  const used = new Set<string>();
  const configurations = vb.backendNames().flatMap((backend) => (backend === 'wasm' ? [1, 2, 3] : [1]).map((threads) => ({ backend, threads })));

  for (const { backend, threads } of configurations) {
    it(`the golden workload on ${backend} with ${threads} thread(s) gives the pinned digests`, async () => {
      const previous = { backend: vb.getBackend(), threads: vb.getNumThreads() };
      vb.setBackend(backend);
      vb.setNumThreads(threads);
      // The workload's tensors are small: a low threshold makes every kernel split across the threads.
      if (threads > 1) setParallelWork(16);
      try {
        assertGolden(await goldenDigests(recording(vb, used)), GOLDEN.workload, `${backend}, ${threads} threads`);
      } finally {
        setParallelWork();
        vb.setBackend(previous.backend);
        vb.setNumThreads(previous.threads);
      }
    });
  }

  it('the workload reaches every op, sampler, layer and training part of the API', () => {
    const ops = vb.TENSOR_METHODS.filter((name) => typeof (vb as unknown as Record<string, unknown>)[name] === 'function');
    const samplers = Object.keys(vb.random).filter((n) => typeof (vb.random as Record<string, unknown>)[n] === 'function' && !/^[A-Z]/.test(n)).map((n) => `random.${n}`);
    const creation = ['tensor', 'scalar', 'tensor1d', 'tensor2d', 'tensor3d', 'tensor4d', 'zeros', 'ones', 'fill', 'linspace', 'range', 'eye', 'randomNormal', 'randomUniform', 'truncatedNormal', 'fused.matMul', 'fused.conv2d', 'extractPatches', 'scatterPatches', 'grad', 'variable', 'sequential', 'losses.LOSS_NAMES', 'metrics.METRIC_NAMES', 'optimizers.OPTIMIZER_NAMES', 'layers.ACTIVATION_NAMES',
      'batchNorm', 'resizeBilinear', 'resizeNearestNeighbor', 'mirrorPad', 'image.flipLeftRight', 'image.transform', 'model', 'input', 'data.generator', 'callbacks.earlyStopping',
      'constraints.maxNorm', 'constraints.minMaxNorm', 'constraints.nonNeg', 'constraints.unitNorm'];
    const layers = Object.keys(vb.layers).filter((n) => /^[a-z]/.test(n) && typeof (vb.layers as Record<string, unknown>)[n] === 'function').map((n) => `layers.${n}`);
    // A name counts as used when any name of the same function is (TF.js's aliases: maxPool2d is maxPooling2d, layers.input is input).
    const valueOf = (name: string) => name.split('.').reduce<unknown>((v, part) => (v as Record<string, unknown>)[part], vb);
    const usedValues = new Set([...used].map(valueOf));
    const missing = [...ops, ...samplers, ...creation, ...layers].filter((name) => !used.has(name) && !(name.startsWith('layers.') && usedValues.has(valueOf(name))));
    assert.deepEqual(missing, [], `the golden workload does not use: ${missing.join(', ')}`);
  });

  it('the README examples give the pinned digests (on the default backend and the reference)', () => {
    assertGolden(exampleDigests(), GOLDEN.examples, 'examples, default backend');
    // The model examples are slow on the reference backend; the golden workload covers their layers there.
    const tutorials = Object.fromEntries(Object.entries(GOLDEN.examples).filter(([k]) => !MODEL_EXAMPLES.some((m) => k.startsWith(m))));
    assertGolden(exampleDigests({ VERBATIM_BACKEND: 'reference' }, false), tutorials, 'examples, reference backend');
  });

  it('the model that blew up holds NaN, stored as the one canonical NaN', () => {
    assert.equal(GOLDEN.workload['training/blown up has NaN'], 'true');
  });
});
