/**
 * abalone-node: predicts an abalone's age (rings) from a CSV file read with tf.data.csv
 * (the label column marked isLabel), mapped to feature arrays, shuffled and batched, and fed to
 * fitDataset for a Dense relu MLP with Adam and mean squared error.
 */
import { lcg, type Program } from './program.js';

const program: Program = async (tf, env) => {
  const random = lcg(8);
  const header = 'sex,length,diameter,height,whole_weight,shucked_weight,viscera_weight,shell_weight,rings';
  const lines = [header];
  for (let i = 0; i < 96; i++) {
    const length = 0.2 + random() * 0.5;
    const weights = [length * 0.8, length * 0.3, length * 1.5, length * 0.6, length * 0.3, length * 0.4];
    lines.push([i % 3, length, ...weights].map((v) => Number(v).toFixed(4)).join(',') + ',' + Math.round(4 + 16 * length + random() * 2));
  }
  const dataset = tf.data.csv(env.writeFile('abalone.csv', lines.join('\n')), { columnConfigs: { rings: { isLabel: true } } });
  const numFeatures = (await dataset.columnNames()).length - 1;
  const batches = dataset
    .map((row) => {
      const { xs, ys } = row as unknown as { xs: Record<string, number>; ys: Record<string, number> };
      return { xs: Object.values(xs), ys: Object.values(ys) };
    })
    .shuffle(96, 'abalone').batch(16);
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [numFeatures], units: 24, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 12, activation: 'relu' }));
  model.add(tf.layers.dense({ units: 1 }));
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
  const history = await model.fitDataset(batches, { epochs: 15 });
  return { losses: (history.history.loss as number[]).map(Number), weights: model.getWeights() };
};
export default program;
