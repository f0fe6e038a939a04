/**
 * `verbatim run`'s and `verbatim doctor`'s preload (node --import, before the script and its
 * dependencies load): installs strict mode's Math.random guard, dormant until the script calls
 * vb.enableOpDeterminism(), so that a dependency capturing Math.random at import time captures
 * the guard.
 */
import { installMathRandomGuard } from '../engine/determinism.js';

installMathRandomGuard();
