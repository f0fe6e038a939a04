/**
 * The loader treats model files as hostile: every malformed, inconsistent or oversized file is a
 * ValueError naming what was expected, never a crash, a hang, a huge allocation or a partial
 * model, and a failed load leaves no tensor or variable behind. Then a seeded fuzz of mutations.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as vb from 'verbatim';
import { rng } from './helpers/data.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Files { topology: Json; specs: Json[]; data: Uint8Array }

let base: Files;
const L = vb.layers;

before(async () => {
  const a = vb.input({ shape: [3], name: 'a' });
  const b = vb.input({ shape: [2, 3], name: 'b' });
  const dense = L.dense({ units: 4, activation: 'relu' }).apply(a);
  const normed = L.batchNormalization().apply(dense);
  const recurrent = L.lstm({ units: 4 }).apply(b);
  const model = vb.model({ name: 'hostile_base', inputs: [a, b], outputs: [L.add().apply([normed, recurrent]), L.dense({ units: 1 }).apply(normed)] });
  let captured: vb.ModelArtifacts | undefined;
  await model.save(vb.io.withSaveHandler(async (artifacts) => {
    captured = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  base = { topology: captured!.modelTopology as Json, specs: captured!.weightSpecs as Json[], data: new Uint8Array(captured!.weightData as ArrayBuffer) };
});

const clone = (): Files => ({ topology: structuredClone(base.topology), specs: structuredClone(base.specs), data: base.data.slice() });
const artifactsOf = (f: Files): vb.ModelArtifacts => ({ modelTopology: f.topology, weightSpecs: f.specs as vb.WeightSpec[], weightData: f.data.slice().buffer });
const live = () => vb.memory().numTensors;

/** The load fails with a ValueError matching `message`, and leaves no tensor behind. */
async function rejects(artifacts: unknown, message: RegExp): Promise<void> {
  const before = live();
  await assert.rejects(vb.loadLayersModel(vb.io.fromMemory(artifacts as vb.ModelArtifacts)), (error: Error) => {
    assert.equal(error.name, 'ValueError', error.message);
    assert.match(error.message, message);
    assert.match(error.message, /Expected .*Received: /);
    return true;
  });
  assert.equal(live(), before, 'a failed load leaves no tensors');
}

const layerNamed = (f: Files, name: string) => f.topology.config.layers.find((l: Json) => l.name === name);

describe('hostile model files', () => {
  it('loads the unmodified file (the cases below differ from it in one thing)', async () => {
    const model = await vb.loadLayersModel(vb.io.fromMemory(artifactsOf(clone())));
    assert.equal(model.weights.length, base.specs.length);
    model.dispose();
  });

  const CASES: [string, (f: Files) => unknown, RegExp][] = [
    ['a shape that disagrees with the byte count', (f) => { f.specs[0]!.shape = [3, 5]; return artifactsOf(f); }, /Expected \d+ bytes of weight data/],
    ['bytes missing at the end', (f) => { f.data = f.data.slice(0, -4); return artifactsOf(f); }, /Expected \d+ bytes .*bytes=\d+/],
    ['a negative dimension', (f) => { f.specs[0]!.shape = [-3, -4]; return artifactsOf(f); }, /non-negative integers/],
    ['a huge shape (refused before allocating)', (f) => { f.specs[0]!.shape = [1e9, 1e9]; return artifactsOf(f); }, /at most 2147483648 bytes/],
    ['a fractional dimension', (f) => { f.specs[0]!.shape = [1.5, 8]; return artifactsOf(f); }, /non-negative integers/],
    ['an unknown dtype', (f) => { f.specs[0]!.dtype = 'float16'; return artifactsOf(f); }, /dtype .*'float32' or 'int32'.*float16/],
    ['an int32 weight for a float32 variable', (f) => { f.specs[0]!.dtype = 'int32'; return artifactsOf(f); }, /of dtype float32/],
    ['quantized weights', (f) => { f.specs[0]!.quantization = { dtype: 'uint8', scale: 1, min: 0 }; return artifactsOf(f); }, /unquantized/],
    ['a duplicate weight name', (f) => { f.specs[1]!.name = f.specs[0]!.name; return artifactsOf(f); }, /each weight name once/],
    ['a weight renamed (so one is missing)', (f) => { f.specs[0]!.name = 'nothing/kernel'; return artifactsOf(f); }, /Expected a weight named dense\/kernel/],
    ['a weight of the right size but the wrong shape', (f) => { f.specs[0]!.shape = [...f.specs[0]!.shape].reverse(); return artifactsOf(f); }, /Expected weight dense\/kernel of shape \[3,4\]/],
    ['an extra weight', (f) => { f.specs.push({ name: 'extra/w', shape: [1], dtype: 'float32' }); f.data = new Uint8Array([...f.data, 0, 0, 0, 0]); return artifactsOf(f); }, /belong to the model.*extra\/w/],
    ['weight specs that are not a list', (f) => ({ ...artifactsOf(f), weightSpecs: { 0: f.specs[0] } }), /weightSpecs to be an array/],
    ['weight data that is not bytes', (f) => ({ ...artifactsOf(f), weightData: 'AAAA' }), /weightData to be an ArrayBuffer/],
    ['specs without data', (f) => ({ modelTopology: f.topology, weightSpecs: f.specs }), /both weightSpecs and weightData/],
    ['a __proto__ key in a layer config', (f) => {
      const dense = layerNamed(f, 'dense');
      dense.config = JSON.parse(`{"__proto__": {"units": 1e9}, ${JSON.stringify(dense.config).slice(1)}`);
      return artifactsOf(f);
    }, /option names.*__proto__/],
    ['an activation named after an Object.prototype member', (f) => { layerNamed(f, 'dense').config.activation = 'constructor'; return artifactsOf(f); }, /Expected an activation/],
    ['an initializer named toString', (f) => { layerNamed(f, 'dense').config.kernel_initializer = { class_name: 'toString', config: {} }; return artifactsOf(f); }, /known initializer/],
    ['an unknown layer class', (f) => { layerNamed(f, 'dense').class_name = 'Evil'; return artifactsOf(f); }, /known layer class.*"Evil"/],
    ['a class name inherited from Object.prototype', (f) => { layerNamed(f, 'dense').class_name = 'constructor'; return artifactsOf(f); }, /known layer class/],
    ['units far larger than the weights in the file', (f) => { layerNamed(f, 'dense_1').config.units = 1e9; return artifactsOf(f); }, /fit in the file's/],
    ['negative units', (f) => { layerNamed(f, 'dense').config.units = -4; return artifactsOf(f); }, /units/],
    ['units of the wrong type', (f) => { layerNamed(f, 'dense').config.units = '4'; return artifactsOf(f); }, /units/],
    ['an option the layer does not have (it would change the computation)', (f) => { layerNamed(f, 'dense').config.groups = 2; return artifactsOf(f); }, /Expected options Dense has .*\["groups"\]/],
    ['a weight constraint verbatim does not have', (f) => { layerNamed(f, 'dense').config.kernel_constraint = { class_name: 'toString', config: {} }; return artifactsOf(f); }, /Expected a constraint \{class_name: 'MaxNorm' .*Received: config\.kernel_constraint\.class_name="toString"/],
    ['an inbound node naming a missing layer', (f) => { layerNamed(f, 'dense').inbound_nodes = [[['ghost', 0, 0, {}]]]; return artifactsOf(f); }, /a layer of the model.*ghost/],
    ['a cycle of inbound nodes', (f) => { layerNamed(f, 'dense').inbound_nodes = [[['batch_normalization', 0, 0, {}]]]; return artifactsOf(f); }, /no cycles/],
    ['a tensor index out of range', (f) => { layerNamed(f, 'batch_normalization').inbound_nodes = [[['dense', 0, 7, {}]]]; return artifactsOf(f); }, /tensor index below 1/],
    ['a layer name with a slash', (f) => { layerNamed(f, 'dense_1').name = '../x'; return artifactsOf(f); }, /without '\/'/],
    ['an unknown model class', (f) => { f.topology.class_name = 'GraphModel'; return artifactsOf(f); }, /'Sequential', 'Model' or 'Functional'/],
    ['a topology that is not an object', (f) => ({ ...artifactsOf(f), modelTopology: [1, 2] }), /model topology/],
    ['artifacts that are not an object', () => 42, /model topology/],
    ['layers that are not a list', (f) => { f.topology.config.layers = 'dense'; return artifactsOf(f); }, /Expected a list/],
    ['an InputLayer of an unknown dtype', (f) => { layerNamed(f, 'a').config.dtype = 'complex64'; return artifactsOf(f); }, /InputLayer dtype/],
  ];
  for (const [name, mutate, message] of CASES) it(name, () => rejects(mutate(clone()), message));

  it('strict: false loads a file missing a weight (it keeps its initial values) or holding an extra one', async () => {
    const f = clone();
    const dropped = f.specs.shift()!;
    const size = (dropped.shape as number[]).reduce((a, b) => a * b, 1) * 4;
    f.data = f.data.slice(size);
    f.specs.push({ name: 'extra/w', shape: [1], dtype: 'float32' });
    f.data = new Uint8Array([...f.data, 0, 0, 128, 63]);
    await rejects(artifactsOf(f), /a weight is missing from the file/);
    const model = await vb.loadLayersModel(vb.io.fromMemory(artifactsOf(f)), { strict: false });
    const [kernel, bias] = model.getLayer('dense').weights.map((w) => w.variable);
    assert.deepEqual([...kernel!.dataSync()].some((v) => v !== 0), true, 'the missing kernel is initialized');
    assert.deepEqual([...bias!.dataSync()], [...new Float32Array(base.data.buffer.slice(size, size + 16))], 'the bias comes from the file');
    model.dispose();
  });

  describe('files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-hostile-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (sub: string, json: string, bin: Uint8Array = base.data) => {
      mkdirSync(join(dir, sub), { recursive: true });
      writeFileSync(join(dir, sub, 'model.json'), json);
      writeFileSync(join(dir, sub, 'weights.bin'), bin);
      return `file://${join(dir, sub)}`;
    };
    const manifest = (paths: unknown) => JSON.stringify({ modelTopology: base.topology, weightsManifest: [{ paths, weights: base.specs }] });
    const fails = async (url: string, message: RegExp) => {
      const before = live();
      await assert.rejects(vb.loadLayersModel(url), (e: Error) => e.name === 'ValueError' && message.test(e.message));
      assert.equal(live(), before);
    };
    it('loads well-formed files', async () => (await vb.loadLayersModel(write('ok', manifest(['weights.bin'])))).dispose());
    it('malformed JSON', () => fails(write('bad-json', '{"modelTopology": {'), /Expected valid JSON/));
    it('path traversal in paths', () => fails(write('traversal', manifest(['../ok/weights.bin'])), /plain file names/));
    it('an absolute path in paths', () => fails(write('absolute', manifest(['/etc/passwd'])), /plain file names/));
    it('a weight file that is missing', () => fails(write('missing', manifest(['other.bin'])), /weight files the manifest names/));
    it('the same weight file twice', () => fails(write('twice', manifest(['weights.bin', 'weights.bin'])), /each weight file once/));
    it('a manifest that is not a list', () => fails(write('manifest', JSON.stringify({ modelTopology: base.topology, weightsManifest: { paths: [] } })), /weightsManifest to be a list/));
    it('no model.json there', () => fails(`file://${join(dir, 'nothing')}`, /Expected a model.json file/));
  });
});

/** A seeded mutation of the files: a value replaced, a key deleted, a spec changed, bytes cut or added. */
function mutate(f: Files, random: () => number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const VALUES = [null, -1, 0, 1, 2.5, 1e9, -1e9, 'x', 'relu', '__proto__', 'constructor', [], [null], [1, 2], {}, { class_name: 'Zeros', config: {} }, true, false, NaN, Infinity];
  const containers: [Json, string][] = [];
  const walk = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      containers.push([node as Json, key]);
      walk((node as Json)[key]);
    }
  };
  const kind = random();
  if (kind < 0.6) {
    walk(f.topology);
    const mutations = 1 + Math.floor(random() * 3);
    for (let i = 0; i < mutations; i++) {
      const [node, key] = pick(containers);
      if (random() < 0.2) delete node[key];
      else node[key] = structuredClone(pick(VALUES));
    }
  } else if (kind < 0.85) {
    walk(f.specs);
    const [node, key] = pick(containers);
    node[key] = structuredClone(pick(VALUES));
  } else {
    const cut = Math.floor(random() * (f.data.length + 8)) - 4;
    f.data = cut >= 0 ? f.data.slice(0, cut) : new Uint8Array([...f.data, ...new Uint8Array(-cut)]);
  }
  return artifactsOf(f);
}

describe('loader fuzz', () => {
  it('300 seeded mutations: each loads a model or throws a ValueError, leaving nothing behind', async () => {
    const random = rng(20261128);
    let loaded = 0;
    for (let i = 0; i < 300; i++) {
      const artifacts = mutate(clone(), random);
      const before = live();
      try {
        const model = await vb.loadLayersModel(vb.io.fromMemory(artifacts as vb.ModelArtifacts));
        assert.ok(model instanceof vb.LayersModel);
        loaded++;
        model.dispose();
      } catch (error) {
        assert.equal((error as Error).name, 'ValueError', `case ${i}: ${(error as Error).stack}`);
      }
      assert.equal(live(), before, `case ${i} leaked tensors`);
    }
    assert.ok(loaded > 0 && loaded < 300, `loaded ${loaded} of 300`);
  });

  it('60 corrupted model.json texts (characters replaced, cut short) through file://: a model or a ValueError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-fuzz-'));
    try {
      const random = rng(7);
      const text = JSON.stringify({ modelTopology: base.topology, weightsManifest: [{ paths: ['weights.bin'], weights: base.specs }] });
      writeFileSync(join(dir, 'weights.bin'), base.data);
      for (let i = 0; i < 60; i++) {
        const chars = [...text];
        if (random() < 0.3) chars.length = Math.floor(random() * chars.length);
        for (let k = 0; k < 3; k++) chars[Math.floor(random() * chars.length)] = '{}[]",:0-e9xn'[Math.floor(random() * 13)]!;
        writeFileSync(join(dir, 'model.json'), chars.join(''));
        const before = live();
        try {
          (await vb.loadLayersModel(`file://${dir}`)).dispose();
        } catch (error) {
          assert.equal((error as Error).name, 'ValueError', `text case ${i}: ${(error as Error).stack}`);
        }
        assert.equal(live(), before, `text case ${i} leaked tensors`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
