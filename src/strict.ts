/**
 * `node --import verbatim/strict script.js`: strict mode (vb.enableOpDeterminism()) from before
 * the first module of the script loads, so that no dependency can copy Math.random unguarded.
 */
import { enableOpDeterminism } from './engine/determinism.js';

enableOpDeterminism();
