/** Learning-rate schedules: float32 functions of the step, with Keras 3 definitions. */
import { invalid, refuseUnknownOptions } from '../errors.js';
import { cospi, pow } from '../numerics/f32math.js';

const f = Math.fround;

export interface LearningRateSchedule {
  readonly name: string;
  readonly config: Record<string, unknown>;
  /** The learning rate at training step `step` (0-based). */
  at(step: number): number;
}

function positive(context: string, values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) if (!(v > 0)) throw invalid(context, `Expected ${k} > 0`, { [k]: v });
}

/** initial * decayRate^(step / decaySteps), the exponent floored when staircase. */
export function exponentialDecay(config: { initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean }): LearningRateSchedule {
  refuseUnknownOptions('exponentialDecay', config, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase']);
  const { initialLearningRate, decaySteps, decayRate, staircase = false } = config;
  positive('exponentialDecay', { initialLearningRate, decaySteps, decayRate });
  return {
    name: 'exponentialDecay',
    config: { initialLearningRate, decaySteps, decayRate, staircase },
    at(step) {
      let p = f(step / decaySteps);
      if (staircase) p = Math.floor(p);
      return f(f(initialLearningRate) * pow(f(decayRate), p));
    },
  };
}

/**
 * Cosine decay from initial to initial * alpha over decaySteps, optionally after a linear
 * warm-up from initial to warmupTarget over warmupSteps (then decaying from warmupTarget).
 */
export function cosineDecay(config: { initialLearningRate: number; decaySteps: number; alpha?: number; warmupTarget?: number; warmupSteps?: number }): LearningRateSchedule {
  refuseUnknownOptions('cosineDecay', config, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps']);
  const { initialLearningRate, decaySteps, alpha = 0, warmupTarget, warmupSteps = 0 } = config;
  positive('cosineDecay', { decaySteps });
  if (!(alpha >= 0 && alpha <= 1)) throw invalid('cosineDecay', 'Expected alpha in [0, 1]', { alpha });
  const start = f(initialLearningRate);
  return {
    name: 'cosineDecay',
    config: { initialLearningRate, decaySteps, alpha, warmupTarget: warmupTarget ?? null, warmupSteps },
    at(step) {
      const peak = warmupTarget === undefined ? start : f(warmupTarget);
      if (warmupTarget !== undefined && step < warmupSteps) {
        return f(start + f(f(peak - start) * f(step / warmupSteps)));
      }
      const completed = f(Math.min(step - (warmupTarget === undefined ? 0 : warmupSteps), decaySteps) / decaySteps);
      const cosine = f(0.5 * f(1 + cospi(completed)));
      return f(peak * f(f(f(1 - alpha) * cosine) + alpha));
    },
  };
}
