import { binaryRules, castRule, unaryRules, whereRule } from './elementwise.js';
import { linearRule } from './linear.js';
import { matMulRule } from './matmul.js';
import { extractPatchesRule, scatterPatchesRule } from './patches.js';
import { cumsumRule, topkIndicesRule } from './scan.js';
import {
  broadcastToRule, concatRule, gatherRule, padRule, reshapeRule, scatterAddRule, sliceRule, transposeRule,
} from './movement.js';
import { argMaxRule, argMinRule, reduceRules } from './reduce.js';
import type { RuleTable } from './types.js';

export const RULES: RuleTable = {
  ...unaryRules,
  ...binaryRules,
  ...reduceRules,
  where: whereRule,
  cast: castRule,
  argMax: argMaxRule,
  argMin: argMinRule,
  reshape: reshapeRule,
  transpose: transposeRule,
  broadcastTo: broadcastToRule,
  slice: sliceRule,
  pad: padRule,
  concat: concatRule,
  gather: gatherRule,
  scatterAdd: scatterAddRule,
  matMul: matMulRule,
  linear: linearRule,
  extractPatches: extractPatchesRule,
  scatterPatches: scatterPatchesRule,
  cumsum: cumsumRule,
  topkIndices: topkIndicesRule,
};

export type * from './types.js';
