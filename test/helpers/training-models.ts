/** The small data and model the training tests share: six features, a binary label, dense-dropout-dense. */
import * as vb from 'verbatim';

export function data(seed: number, n = 64) {
  const rng = vb.random.generator(seed);
  const x = rng.normal([n, 6]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
  return { x, y };
}

export function model(name?: string, extra: vb.layers.Layer[] = []) {
  const m = vb.sequential({
    ...(name ? { name } : {}),
    layers: [
      vb.layers.dense({ units: 8, activation: 'relu', inputShape: [6] }),
      vb.layers.dropout({ rate: 0.3 }),
      vb.layers.dense({ units: 1, activation: 'sigmoid' }),
      ...extra,
    ],
  });
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}
