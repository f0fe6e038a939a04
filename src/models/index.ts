export { Sequential, sequential } from './sequential.js';
export { LayersModel, ModelLayer, model, type ModelArgs } from './model.js';
export { input, type InputArgs } from './topology.js';
export type { CompileArgs, Data } from './arguments.js';
export { History, EarlyStopping, Callback, type Logs, type TrainingParams, type EarlyStoppingArgs } from './callbacks.js';
export type { FitArgs } from './training.js';
