export * from './activations.js';
export * from './convolution.js';
export * from './creation.js';
export * from './elementwise.js';
export * from './linalg.js';
export * from './normalization.js';
export * from './reduction.js';
export * from './shape.js';
