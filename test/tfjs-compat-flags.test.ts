/** tf.env()/tf.ENV and TF.js 0.x's names as the tfjs-examples programs use them, against TF.js 4.22. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';

describe('TF.js flags and old names', () => {
  it('ENV and env() keep flags and answer the platform ones as TF.js does', () => {
    for (const name of ['IS_BROWSER', 'IS_NODE']) assert.equal(vb.env().getBool(name), tf.env().getBool(name), name);
    assert.equal(vb.ENV, vb.env());
    vb.ENV.set('WEBGL_PACK', false);
    vb.env().setFlags({ CUSTOM: 3 });
    assert.deepEqual([vb.ENV.getBool('WEBGL_PACK'), vb.ENV.getNumber('CUSTOM')], [false, 3]);
    assert.equal(vb.ENV.getFlags().WEBGL_PACK, false);
    vb.ENV.reset();
    assert.throws(() => vb.ENV.get('WEBGL_PACK'), /env\(\)\.get: Expected a flag that is set or known .*Received: name="WEBGL_PACK"/);
    assert.throws(() => vb.ENV.set('X', {} as never), /env\(\)\.set: Expected a boolean, number or string value/);
  });

  it('a flag changes no number: the same digest with and without a WebGL flag set', async () => {
    const train = async () => {
      vb.setRandomSeed(2);
      const m = vb.sequential({ name: 'flags', layers: [vb.layers.dense({ units: 2, inputShape: [3], name: 'd' })] });
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await m.fit(vb.ones([4, 3]), vb.zeros([4, 2]), { epochs: 2, verbose: 0 });
      const digest = m.weightsDigest();
      m.dispose();
      return digest;
    };
    const plain = await train();
    vb.ENV.set('WEBGL_PACK', false);
    assert.equal(await train(), plain);
    vb.ENV.reset();
  });

  it("TF.js 0.x's loadModel, Model and io.browserHTTPRequest are the 1.x functions", () => {
    assert.equal(vb.loadModel, vb.loadLayersModel);
    assert.equal(vb.Model, vb.LayersModel);
    assert.equal(vb.io.browserHTTPRequest, vb.io.http);
    assert.ok(vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] }) instanceof vb.Model);
  });
});
