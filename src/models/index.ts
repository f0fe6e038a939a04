export { Sequential, sequential, type CompileArgs } from './sequential.js';
export { History, EarlyStopping, type Callback, type Logs, type TrainingParams, type EarlyStoppingArgs } from './callbacks.js';
export type { FitArgs } from './training.js';
