/**
 * cart-pole: REINFORCE on the cart-pole simulation (written in plain JS as in the original): a
 * policy network (Dense layers, one logit) picks left/right by tf.multinomial on
 * [logit, -logit]; gradients of the chosen actions' log-probabilities are taken with
 * tf.variableGrads, scaled by discounted rewards and applied with
 * optimizer.applyGradients. The loss reported is the policy-gradient loss on a fixed batch of
 * recorded games, which the updates must lower.
 */
import { lcg, type Program, type TFJSVariableMap } from './program.js';

const program: Program = async (tf) => {
  const random = lcg(11);
  const policy = tf.sequential();
  policy.add(tf.layers.dense({ units: 8, activation: 'elu', inputShape: [4] }));
  policy.add(tf.layers.dense({ units: 1 }));
  const optimizer = tf.train.adam(0.02);
  const step = (state: number[], action: number) => {
    const [x, xDot, theta, thetaDot] = state as [number, number, number, number];
    const force = action === 1 ? 10 : -10;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + 0.05 * thetaDot * thetaDot * sin) / 1.1;
    const thetaAcc = (9.8 * sin - cos * temp) / (0.5 * (4 / 3 - (0.1 * cos * cos) / 1.1));
    const xAcc = temp - (0.05 * thetaAcc * cos) / 1.1;
    return [x + 0.02 * xDot, xDot + 0.02 * xAcc, theta + 0.02 * thetaDot, thetaDot + 0.02 * thetaAcc];
  };
  const states: number[][] = [];
  const actions: number[] = [];
  const rewards: number[] = [];
  for (let game = 0; game < 6; game++) {
    let state = [0, 0, (random() - 0.5) * 0.1, (random() - 0.5) * 0.1];
    const gameRewards: number[] = [];
    for (let t = 0; t < 40 && Math.abs(state[2]!) < 0.21 && Math.abs(state[0]!) < 2.4; t++) {
      const action = tf.tidy(() => {
        const logit = policy.predict(tf.tensor2d([state])) as ReturnType<typeof tf.tensor2d>;
        return tf.multinomial(tf.concat([logit, logit.neg()], 1), 1, 100 * game + t).dataSync()[0] === 0 ? 1 : 0;
      });
      states.push(state);
      actions.push(action);
      gameRewards.push(1);
      state = step(state, action);
    }
    let discounted = 0;
    const returns = gameRewards.map(() => 0);
    for (let t = gameRewards.length - 1; t >= 0; t--) returns[t] = discounted = gameRewards[t]! + 0.95 * discounted;
    rewards.push(...returns);
  }
  const stateTensor = tf.tensor2d(states);
  const actionTensor = tf.tensor2d(actions, [actions.length, 1]);
  const { variance } = tf.moments(tf.tensor1d(rewards));
  // Scaled by their spread but not centred (the original centres them): a loss with a sign to lower.
  const advantages = tf.tensor1d(rewards).div(variance.sqrt()).reshape([rewards.length, 1]);
  const surrogate = () => tf.tidy(() => {
    const logits = policy.predict(stateTensor) as ReturnType<typeof tf.tensor2d>;
    const negativeLogProbability = tf.losses.sigmoidCrossEntropy(actionTensor, logits, undefined, tf.Reduction.NONE);
    return negativeLogProbability.mul(advantages).mean() as ReturnType<typeof tf.scalar>;
  });
  const losses: number[] = [];
  for (let update = 0; update < 12; update++) {
    const { value, grads } = tf.variableGrads(surrogate);
    losses.push(value.dataSync()[0]!);
    optimizer.applyGradients(grads as unknown as TFJSVariableMap);
    tf.dispose([value, grads]);
  }
  return { losses, weights: policy.getWeights() };
};
export default program;
