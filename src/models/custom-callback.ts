/**
 * TF.js's CustomCallback: a callback made from an object of optional hooks ({onTrainBegin,
 * onEpochEnd, onBatchEnd, ...}). fit takes such plain objects directly as well; this class is for
 * programs that write `new tf.CustomCallback({...})`. onYield is never called (verbatim has no
 * yield schedule, see fit's yieldEvery).
 */
import { Callback, type Logs } from './callbacks.js';

type Hook<A extends unknown[]> = (...args: A) => void | Promise<void>;

export interface CustomCallbackArgs {
  onTrainBegin?: Hook<[Logs?]>;
  onTrainEnd?: Hook<[Logs?]>;
  onEpochBegin?: Hook<[number, Logs?]>;
  onEpochEnd?: Hook<[number, Logs?]>;
  onBatchBegin?: Hook<[number, Logs?]>;
  onBatchEnd?: Hook<[number, Logs?]>;
  onYield?: Hook<[number, number, Logs]>;
}

export class CustomCallback extends Callback {
  constructor(private readonly args: CustomCallbackArgs = {}, _yieldEvery?: unknown) {
    super();
  }

  override async onTrainBegin(logs?: Logs): Promise<void> {
    await this.args.onTrainBegin?.(logs);
  }

  override async onTrainEnd(logs?: Logs): Promise<void> {
    await this.args.onTrainEnd?.(logs);
  }

  override async onEpochBegin(epoch: number, logs?: Logs): Promise<void> {
    await this.args.onEpochBegin?.(epoch, logs);
  }

  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    await this.args.onEpochEnd?.(epoch, logs);
  }

  override async onBatchBegin(batch: number, logs?: Logs): Promise<void> {
    await this.args.onBatchBegin?.(batch, logs);
  }

  override async onBatchEnd(batch: number, logs?: Logs): Promise<void> {
    await this.args.onBatchEnd?.(batch, logs);
  }
}
