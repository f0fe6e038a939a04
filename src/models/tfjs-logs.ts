/**
 * Two TF.js conventions of training that Keras does not have: 1-D targets for an output of shape
 * [N, 1] (TF.js makes every 1-D target 2-D), and the log key `acc` for the metric 'accuracy'
 * (TF.js's name), logged next to Keras's `accuracy` in the history and the callbacks' logs and
 * used by model.metricsNames.
 */
import * as ops from '../ops/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { logNames, namedMetrics, type Compiled } from './arguments.js';
import type { Logs } from './callbacks.js';

/** The log names of the metrics given as 'accuracy' (`accuracy`, `<output>_accuracy`). */
function accuracyNames(compiled: Compiled): string[] {
  return namedMetrics(compiled).filter(([, m]) => m.name === 'accuracy').map(([name]) => name);
}

/** TF.js's name of an accuracy log: `acc` for `accuracy`, `<output>_acc`, `val_acc`. */
function accName(name: string): string {
  return `${name.slice(0, -'accuracy'.length)}acc`;
}

/** model.metricsNames as TF.js gives them: the log names, each accuracy under TF.js's name. */
export function tfjsMetricsNames(compiled: Compiled): string[] {
  const accuracy = accuracyNames(compiled);
  return logNames(compiled).map((name) => (accuracy.includes(name) ? accName(name) : name));
}

/** y as [N, 1] when it is [N] and the prediction is [N, 1]; otherwise y itself. */
export function alignTarget(y: Tensor, prediction: Tensor): Tensor {
  return y.rank === 1 && prediction.rank === 2 && prediction.shape[1] === 1 && y.shape[0] === prediction.shape[0] ? ops.reshape(y, [y.shape[0]!, 1]) : y;
}

/**
 * The logs callbacks and the history receive: `acc` (`<output>_acc`, `val_acc`) after each metric
 * given as 'accuracy'. Run records, evaluate and the progress display keep Keras's names only.
 */
export function withTfjsAliases(compiled: Compiled, logs: Logs): Logs {
  const out: Logs = {};
  const accuracy = accuracyNames(compiled);
  const aliases = new Map([...accuracy, ...accuracy.map((name) => `val_${name}`)].map((name) => [name, accName(name)]));
  for (const [key, value] of Object.entries(logs)) {
    out[key] = value;
    const alias = aliases.get(key);
    if (alias !== undefined && !(alias in logs)) out[alias] = value;
  }
  return out;
}
