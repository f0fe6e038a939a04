// Fits y = x . [1, -2, 0.5] by gradient descent; prints the weights and their SHA-256, which are
// the same on every run, in every process and on every machine.
import { createHash } from 'node:crypto';
import * as vb from 'verbatim';

vb.setRandomSeed(42);
vb.enableOpDeterminism(); // from here on, Math.random and unseeded randomness throw

const x = vb.random.generator(42).normal([256, 3]);
const y = vb.matMul(x, vb.tensor([[1], [-2], [0.5]]));
const w = vb.variable(vb.randomNormal([3, 1]), true, 'w');
for (let step = 0; step < 100; step++) {
  vb.tidy(() => {
    const { grads } = vb.variableGrads(() => vb.mean(vb.square(vb.sub(vb.matMul(x, w), y))));
    w.assign(vb.sub(w, vb.mul(grads.w!, 0.1)));
  });
}
w.print();
console.log('sha256', createHash('sha256').update(new Uint8Array(w.dataSync().buffer)).digest('hex'));
