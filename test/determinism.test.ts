/** Strict mode: everything unreproducible is an error while it is on, and nothing after. */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import * as vb from 'verbatim';
import { randomId } from './fixtures/third-party-dependency.js';
import { runNode } from './helpers/process.js';
import type { Backend } from 'verbatim';

describe('enableOpDeterminism', () => {
  afterEach(() => vb.disableOpDeterminism());

  it('Math.random from user code throws, naming the caller in the message (a run\'s recorded reason has no stack) and the stack', () => {
    vb.enableOpDeterminism();
    assert.ok(vb.isOpDeterminismEnabled());
    const userCode = function shuffleWithMathRandom() { return Math.random(); };
    assert.throws(userCode, (error: Error) =>
      error.name === 'DeterminismError' && /Math\.random was called by shuffleWithMathRandom \(file:.*determinism\.test\.js:\d+:\d+\) while/.test(error.message)
      && /shuffleWithMathRandom/.test(error.stack ?? ''));
  });

  it('Math.random called by a builtin for user code (Array.from, map, sort) names the user code\'s place, not the builtin', () => {
    vb.enableOpDeterminism();
    const calls = [
      function fillWithMathRandom() { return Array.from({ length: 3 }, Math.random); },
      function mapWithMathRandom() { return [1, 2].map(Math.random); },
      function sortWithMathRandom() { return [1, 2, 3].sort(Math.random); },
    ];
    for (const call of calls) {
      assert.throws(call, (error: Error) => new RegExp(`Math\\.random was called by ${call.name} \\(file:.*determinism\\.test\\.js:\\d+:\\d+\\) while`).test(error.message), call.name);
    }
  });

  it('Math.random from a dependency throws, naming the dependency in the stack', () => {
    vb.enableOpDeterminism();
    assert.throws(() => randomId(), (error: Error) => /third-party-dependency\.js/.test(error.stack ?? ''));
  });

  it("'warn' reports the caller and returns a number; 'allow' leaves Math.random alone", () => {
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (message: string) => { warnings.push(message); };
    try {
      vb.enableOpDeterminism({ mathRandom: 'warn' });
      const value = randomId();
      assert.equal(typeof value, 'string');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /third-party-dependency\.js/);
    } finally {
      console.warn = originalWarn;
    }
    vb.enableOpDeterminism({ mathRandom: 'allow' });
    assert.equal(typeof Math.random(), 'number');
    assert.throws(() => vb.enableOpDeterminism({ mathRandom: 'sometimes' as never }), /Received: mathRandom="sometimes"/);
  });

  it('everything works again after it is turned off', () => {
    const original = Math.random;
    vb.enableOpDeterminism();
    vb.disableOpDeterminism();
    assert.equal(Math.random, original);
    assert.equal(typeof randomId(), 'string');
    assert.ok(!vb.isOpDeterminismEnabled());
  });

  it('a kernel without a bitwise guarantee is refused', () => {
    const previous = vb.getBackend();
    vb.registerBackend('test-nondeterministic', () => {
      const values = new Map<object, Float32Array>();
      const backend: Backend = {
        name: 'test-nondeterministic',
        upload: (v) => { const h = {} as never; values.set(h, Float32Array.from(v)); return h; },
        read: (h) => values.get(h as object)!.slice(),
        free: (h) => { values.delete(h as object); },
        run: (_p, inputs) => { const h = {} as never; values.set(h, values.get(inputs[0]!.handle as object)!.slice()); return h; },
        determinism: (p) => (p === 'sum' ? 'none' : 'bitwise'),
      };
      return backend;
    });
    vb.setBackend('test-nondeterministic');
    try {
      const x = vb.tensor([1, 2, 3]);
      vb.enableOpDeterminism();
      assert.throws(() => vb.sum(x), /sum: the 'test-nondeterministic' backend's kernel has no bitwise determinism guarantee/);
      vb.disableOpDeterminism();
      assert.doesNotThrow(() => vb.sum(x));
    } finally {
      vb.setBackend(previous);
    }
  });

  it('unkeyed sampling without a seed throws in a fresh process, and works once seeded', () => {
    const result = runNode(`
      import * as vb from 'verbatim';
      vb.enableOpDeterminism();
      try { vb.randomNormal([2]); console.log('no error'); } catch (e) { console.log(e.name + ': ' + e.message); }
      try { vb.getRandomSeed(); console.log('no error'); } catch (e) { console.log(e.name); }
      vb.setRandomSeed(3);
      console.log(vb.randomNormal([2]).size);
      console.log(vb.random.normal(vb.random.key(1), [2]).size);
    `);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0]!, /^DeterminismError: randomNormal needs random numbers, but no seed was set/);
    assert.equal(lines[1], 'DeterminismError');
    assert.deepEqual(lines.slice(2), ['2', '2']);
  });
});
