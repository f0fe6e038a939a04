export { Key, key, split, foldIn, hashString, randomBits, type Seed, type FoldData } from './keys.js';
export {
  uniform, normal, truncatedNormal, bernoulli, randint, permutation, type UniformOptions, type NormalOptions,
} from './samplers.js';
export { Generator, generator } from './generator.js';
export { threefry2x32 } from './threefry.js';
