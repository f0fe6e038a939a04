/**
 * snake-dqn: deep Q-learning for snake: an online and a target network (conv2d on the
 * [height, width, 2] board, batchNormalization, flatten, Dense, dropout, Dense per action),
 * a replay memory of transitions, Q-targets from the target network (tf.max over actions),
 * the chosen actions' Q-values by tf.oneHot masks, tf.losses.meanSquaredError, gradients by
 * tf.variableGrads applied with Adam, and the target network synced with setWeights.
 */
import { lcg, type Program, type TFJSVariableMap } from './program.js';

const program: Program = async (tf) => {
  const height = 6;
  const width = 6;
  const numActions = 3;
  const random = lcg(17);
  const createNetwork = () => {
    const model = tf.sequential();
    model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 1, activation: 'relu', inputShape: [height, width, 2] }));
    model.add(tf.layers.batchNormalization());
    model.add(tf.layers.flatten());
    model.add(tf.layers.dense({ units: 16, activation: 'relu' }));
    model.add(tf.layers.dropout({ rate: 0.25 }));
    model.add(tf.layers.dense({ units: numActions }));
    return model;
  };
  const online = createNetwork();
  const target = createNetwork();
  target.trainable = false;
  // A frozen model lists its weights in another order (TF.js: trainable ones first), so copy with equal flags.
  const syncTarget = () => {
    online.trainable = false;
    target.setWeights(online.getWeights());
    online.trainable = true;
  };
  syncTarget();
  const board = () => Array.from({ length: height * width * 2 }, () => (random() < 0.15 ? 1 : 0));
  const memory = Array.from({ length: 64 }, () => {
    const state = board();
    return { state, action: Math.floor(random() * numActions), reward: state[0]! - state[5]! + (random() < 0.1 ? 10 : 0), next: board(), done: random() < 0.1 };
  });
  const optimizer = tf.train.adam(0.005);
  const gamma = 0.9;
  const losses: number[] = [];
  for (let step = 0; step < 12; step++) {
    const batch = memory.slice((step % 4) * 16, (step % 4) * 16 + 16);
    const states = tf.tensor4d(batch.flatMap((t) => t.state), [16, height, width, 2]);
    const nextStates = tf.tensor4d(batch.flatMap((t) => t.next), [16, height, width, 2]);
    const actions = tf.tensor1d(batch.map((t) => t.action), 'int32');
    const rewards = tf.tensor1d(batch.map((t) => t.reward));
    const notDone = tf.tensor1d(batch.map((t) => (t.done ? 0 : 1)));
    const targetQ = tf.tidy(() => rewards.add((target.predict(nextStates) as ReturnType<typeof tf.tensor2d>).max(-1).mul(notDone).mul(gamma)));
    const lossFunction = () => tf.tidy(() => {
      const qs = online.apply(states, { training: true }) as ReturnType<typeof tf.tensor2d>;
      const chosen = qs.mul(tf.oneHot(actions, numActions)).sum(-1);
      return tf.losses.meanSquaredError(targetQ, chosen) as ReturnType<typeof tf.scalar>;
    });
    const { value, grads } = tf.variableGrads(lossFunction);
    optimizer.applyGradients(grads as unknown as TFJSVariableMap);
    losses.push(value.dataSync()[0]!);
    tf.dispose([value, grads, states, nextStates, actions, rewards, notDone, targetQ]);
    if (step % 4 === 3) syncTarget();
  }
  const greedy = (online.predict(tf.tensor4d(memory[0]!.state, [1, height, width, 2])) as ReturnType<typeof tf.tensor2d>).argMax(-1);
  greedy.dataSync();
  // The DQN loss chases moving targets; compare the mean of the first four batches' losses with the last four's.
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  return { losses: [mean(losses.slice(0, 4)), mean(losses.slice(-4))], weights: online.getWeights() };
};
export default program;
