/**
 * data-generator: a dice game simulated by a generator function, wrapped in tf.data.generator,
 * mapped to a one-hot feature tensor and a win label, batched, and used to train a small
 * classifier with fitDataset (batchesPerEpoch); the model then predicts one hand.
 */
import { lcg, type Program } from './program.js';

const program: Program = async (tf) => {
  const numSides = 6;
  const numDice = 2;
  const makeGenerator = () => {
    const random = lcg(21);
    return function* diceGames() {
      for (let game = 0; game < 2000; game++) {
        const player1 = Array.from({ length: numDice }, () => Math.floor(random() * numSides));
        const player2 = Array.from({ length: numDice }, () => Math.floor(random() * numSides));
        const sum = (hand: number[]) => hand.reduce((s, v) => s + v, 0);
        yield { player1Hand: player1, player2Hand: player2, player1Win: sum(player1) > sum(player2) ? 1 : 0 };
      }
    };
  };
  const toFeatures = (game: { player1Hand: number[]; player1Win: number }) => tf.tidy(() => ({
    xs: tf.oneHot(tf.tensor1d(game.player1Hand, 'int32'), numSides).reshape([numDice * numSides]),
    ys: tf.tensor1d([game.player1Win]),
  }));
  const dataset = tf.data.generator(makeGenerator() as () => Iterator<{ player1Hand: number[]; player2Hand: number[]; player1Win: number }>)
    .map((game) => toFeatures(game as { player1Hand: number[]; player1Win: number }))
    .batch(32);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [numDice * numSides], units: 16, activation: 'relu' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history = await model.fitDataset(dataset, { batchesPerEpoch: 8, epochs: 6 });
  const accuracy = history.history.acc as number[];
  return {
    losses: (history.history.loss as number[]).map(Number), weights: model.getWeights(),
    accuracy: { value: Number(accuracy[accuracy.length - 1]), chance: 0.5 },
  };
};
export default program;
