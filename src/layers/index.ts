import { Activation, Dense, Dropout, Flatten, InputLayer, Reshape, type DenseArgs, type DropoutArgs } from './core.js';
import type { ActivationFn, ActivationIdentifier } from './activations.js';
import type { LayerArgs } from './layer.js';

export { Layer, type CallContext, type LayerArgs, type SymbolicShape } from './layer.js';
export { Dense, Dropout, Activation, Flatten, Reshape, InputLayer, type DenseArgs, type DropoutArgs } from './core.js';

export const dense = (args: DenseArgs) => new Dense(args);
export const dropout = (args: DropoutArgs) => new Dropout(args);
export const activation = (args: LayerArgs & { activation: ActivationIdentifier | ActivationFn }) => new Activation(args);
export const flatten = (args: LayerArgs = {}) => new Flatten(args);
export const reshape = (args: LayerArgs & { targetShape: number[] }) => new Reshape(args);
export const inputLayer = (args: { inputShape?: number[]; batchInputShape?: (number | null)[]; name?: string }) => new InputLayer(args);
