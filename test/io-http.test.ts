/**
 * io.http (TF.js's tf.io.http, 'http(s)://' URLs): loading with fetch, and saving as TF.js saves,
 * one multipart/form-data request of model.json and model.weights.bin, to a real HTTP server on
 * 127.0.0.1; TF.js 4.22 saves to the same server as the oracle of the request's form, and loads
 * what verbatim sent with its own HTTP loader.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

const L = vb.layers;
const bits = (t: vb.Tensor) => [...new Uint32Array((t.dataSync() as Float32Array).slice().buffer)];

interface Received { method: string; url: string; headers: IncomingHttpHeaders; form: FormData }

/** A server that keeps each POST or PUT's form under its path and serves its files back by GET. */
class ModelServer {
  readonly received: Received[] = [];
  /** The status the next save request is answered with. */
  status = 200;
  private readonly files = new Map<string, Uint8Array>();
  private readonly server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => void this.answer(request.method!, request.url!, request.headers, Buffer.concat(chunks), response));
  });

  private async answer(method: string, url: string, headers: IncomingHttpHeaders, body: Buffer, response: import('node:http').ServerResponse): Promise<void> {
    if (method === 'GET') {
      const file = this.files.get(url);
      response.writeHead(file ? 200 : 404).end(file);
      return;
    }
    // Undici's multipart parser, as a browser's or Node's fetch reads a form.
    const form = await new Response(new Uint8Array(body), { headers: { 'content-type': headers['content-type'] ?? '' } }).formData();
    this.received.push({ method, url, headers, form });
    if (this.status === 200) {
      for (const [name, value] of form) this.files.set(`${url}/${name}`, new Uint8Array(await (value as Blob).arrayBuffer()));
    }
    response.writeHead(this.status).end();
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A field of the form: its file name, content type and text. */
async function field(form: FormData, name: string): Promise<{ filename: string; type: string; bytes: Uint8Array }> {
  const value = form.get(name);
  assert.ok(value instanceof Blob, `the form has a file field ${name}`);
  return { filename: (value as File).name, type: value.type, bytes: new Uint8Array(await value.arrayBuffer()) };
}

function buildModel(name: string): vb.LayersModel {
  vb.setRandomSeed(11);
  const model = vb.sequential({ name, layers: [L.dense({ units: 4, inputShape: [3], activation: 'relu' }), L.dense({ units: 2 })] });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  return model;
}

describe('io.http: saving by HTTP request, loading by fetch', () => {
  const server = new ModelServer();
  let base = '';
  before(async () => {
    base = await server.start();
  });
  after(() => server.close());

  it("model.save('http://...') sends TF.js's form: TF.js's own save of the same model sends the same fields, and TF.js and verbatim load what was sent", async () => {
    const model = buildModel('http_saved');
    const result = await model.save(`${base}/ours`);
    assert.equal(result.responses?.length, 1);
    assert.ok(result.modelArtifactsInfo.weightDataBytes! > 0);

    const theirs = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }), tf.layers.dense({ units: 2 })] });
    await theirs.save(`${base}/theirs`);
    const [ours, oracle] = [server.received.at(-2)!, server.received.at(-1)!];
    assert.deepEqual([ours.method, ours.url, oracle.method, oracle.url], ['POST', '/ours', 'POST', '/theirs']);
    assert.deepEqual([...ours.form.keys()], [...oracle.form.keys()]);
    for (const name of ['model.json', 'model.weights.bin']) {
      const [a, b] = [await field(ours.form, name), await field(oracle.form, name)];
      assert.deepEqual([a.filename, a.type], [b.filename, b.type], name);
    }
    const [ourJson, theirJson] = [JSON.parse(new TextDecoder().decode((await field(ours.form, 'model.json')).bytes)), JSON.parse(new TextDecoder().decode((await field(oracle.form, 'model.json')).bytes))];
    assert.deepEqual(ourJson.weightsManifest[0].paths, theirJson.weightsManifest[0].paths);
    theirs.dispose();

    // What was sent loads back, with TF.js's HTTP loader and verbatim's, from the URLs a server would give it.
    const x = vb.tensor2d([[0.5, -1, 2], [1, 0.25, -0.75]]);
    const expected = model.predict(x) as vb.Tensor;
    const loaded = await vb.loadLayersModel(`${base}/ours/model.json`);
    assert.deepEqual(bits(loaded.predict(x) as vb.Tensor), bits(expected));
    const tfLoaded = await tf.loadLayersModel(`${base}/ours/model.json`);
    const tfOut = tfLoaded.predict(tf.tensor2d([[0.5, -1, 2], [1, 0.25, -0.75]])) as tf.Tensor;
    assert.deepEqual([...tfOut.dataSync()].map((v) => Math.fround(v).toPrecision(5)), [...expected.dataSync()].map((v) => v.toPrecision(5)));
    // Its manifest names './model.weights.bin' (as TF.js's does): a directory holding the two files loads too.
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-http-'));
    try {
      for (const name of ['model.json', 'model.weights.bin']) writeFileSync(join(dir, name), (await field(ours.form, name)).bytes);
      const fromFiles = await vb.loadLayersModel(`file://${dir}`);
      assert.deepEqual(bits(fromFiles.predict(x) as vb.Tensor), bits(expected));
      fromFiles.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const m of [model, loaded]) m.dispose();
    tfLoaded.dispose();
  });

  it('io.http(url, {requestInit}) sends with its method and headers; a failed response is an error naming its status', async () => {
    const model = buildModel('http_put');
    await model.save(vb.io.http(`${base}/put`, { requestInit: { method: 'PUT', headers: { 'x-token': 'abc' } } }));
    const last = server.received.at(-1)!;
    assert.deepEqual([last.method, last.url, last.headers['x-token']], ['PUT', '/put', 'abc']);
    server.status = 500;
    try {
      await assert.rejects(model.save(`${base}/refused`), /io \(http:\/\/127\.0\.0\.1:\d+\/refused\): Expected the save request to succeed\. Received: status=500/);
    } finally {
      server.status = 200;
    }
    model.dispose();
  });

  it('a request that gets no response (nothing listening) is an error naming the URL and why, saving and loading', async () => {
    const closed = new ModelServer();
    const url = await closed.start();
    await closed.close();
    const model = buildModel('http_nobody');
    await assert.rejects(model.save(`${url}/m`), (e: Error) => e.message === `io (${url}/m): Expected the save request to get a response. Received: url="${url}/m", error="fetch failed: ECONNREFUSED"`);
    await assert.rejects(vb.loadLayersModel(`${url}/m/model.json`), /^ValueError: io \(http:\/\/127\.0\.0\.1:\d+\/m\/model\.json\): Expected the model\.json request to get a response\. Received: url=".*\/m\/model\.json", error="fetch failed: ECONNREFUSED"$/);
    model.dispose();
  });

  it('bad arguments are errors naming them', () => {
    assert.throws(() => vb.io.http(`${base}/x`, { requestInit: { body: 'text' } }), /io\.http: Expected requestInit without a body \(the model is the body of a save\)\. Received: requestInit\.body="text"/);
    assert.throws(() => vb.io.http(`${base}/x`, { fetchFunc: 'fetch' as never }), /io\.http: Expected fetch \(global, or options\.fetchFunc a function\)\. Received: fetchFunc="fetch"/);
    assert.throws(() => vb.io.http(''), /io\.http: Expected a non-empty URL\. Received: url=""/);
  });

  it('http(s):// loads with fetch, weight paths resolved next to model.json', async () => {
    const model = buildModel('http_fetch');
    let artifacts: vb.ModelArtifacts | undefined;
    await model.save(vb.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const files: Record<string, ArrayBuffer> = {
      'https://host/models/m/model.json': new TextEncoder().encode(JSON.stringify({ modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }] })).buffer as ArrayBuffer,
      'https://host/models/m/weights.bin': artifacts!.weightData as ArrayBuffer,
    };
    const fetchFunc = async (url: string) => ({ ok: url in files, status: url in files ? 200 : 404, arrayBuffer: async () => files[url]!, json: async () => ({}) });
    const loaded = await vb.loadLayersModel('https://host/models/m/model.json', { fetchFunc });
    const x = vb.tensor2d([[1, 2, 3]]);
    assert.deepEqual(bits(loaded.predict(x) as vb.Tensor), bits(model.predict(x) as vb.Tensor));
    model.dispose();
    loaded.dispose();
  });
});
