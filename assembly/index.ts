// The verbatim kernel module: compiled by scripts/build-kernels.mjs with SIMD128 (no relaxed
// SIMD, so no fused multiply-add) against an imported, shared memory that every worker
// instantiates. No heap allocation here: all buffers are allocated by the JS side. The scalar
// numerics and opcode switches in ./generated are generated from src/ before compiling.
export { unaryF32, unaryI32, unaryU8, binary, binaryFlat, select, selectFlat, cast } from './elementwise';
export { reduceF32, reduceI32, argReduce } from './reduce';
export { copyStrided, fill32, gatherRows, scatterAdd, padRows } from './movement';
export { matmul, matmulScratchBytes } from './matmul';
export { adam, sgd, momentum } from './optimizers';
export { simdPeak } from './calibration';
export { extractPatches, scatterPatches } from './patches';
export { cumsum } from './scan';
