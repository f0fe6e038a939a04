/**
 * data-csv: a CSV of housing data through tf.data.csv: its column names, the label column by
 * columnConfigs, rows mapped from {xs, ys} objects to arrays, batched, and a linear
 * regression trained on it with fitDataset; then take() and forEachAsync() over the dataset.
 */
import { lcg, type Program } from './program.js';

const program: Program = async (tf, env) => {
  const random = lcg(13);
  const columns = ['crim', 'zn', 'indus', 'chas', 'nox', 'rm', 'age', 'medv'];
  const lines = [columns.join(',')];
  for (let i = 0; i < 64; i++) {
    const values = columns.slice(0, -1).map(() => random());
    lines.push([...values, 20 + 5 * values[5]! - 3 * values[4]! + values[0]!].map((v) => v.toFixed(4)).join(','));
  }
  const csvDataset = tf.data.csv(env.writeFile('housing.csv', lines.join('\n')), {
    hasHeader: true, columnConfigs: { medv: { isLabel: true } }, delimiter: ',',
  });
  const names = await csvDataset.columnNames();
  let rowsSeen = 0;
  await csvDataset.take(3).forEachAsync(() => { rowsSeen++; });
  if (rowsSeen !== 3 || names.length !== 8) throw new Error('data-csv: unexpected dataset shape');
  const flattened = csvDataset.map((row) => {
    const { xs, ys } = row as unknown as { xs: Record<string, number>; ys: Record<string, number> };
    return { xs: Object.values(xs), ys: Object.values(ys) };
  }).batch(8);
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [names.length - 1], units: 1 }));
  model.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  const history = await model.fitDataset(flattened, { epochs: 12 });
  return { losses: (history.history.loss as number[]).map(Number), weights: model.getWeights() };
};
export default program;
