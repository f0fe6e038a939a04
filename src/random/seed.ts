/**
 * The global seed. `setRandomSeed(seed)` fixes the root key from which every random consumer in
 * the library derives its own key by a stable name (`keyFor('sequential/dense/kernel')`), so
 * adding a consumer never shifts anyone else's numbers. Without a seed, one is drawn from the
 * platform's cryptographic generator at first use and reported by `getRandomSeed()`, so an
 * unseeded run can be reproduced after the fact.
 *
 * Unnamed draws (TF.js-style helpers called without a seed) come from one stream,
 * `foldIn(root, 'unnamed', n)` for the n-th such draw since the seed was set: they depend on
 * each other's order, never on named consumers.
 */
import { DeterminismError, invalid } from '../errors.js';
import { isOpDeterminismEnabled } from '../engine/determinism.js';
import { foldIn, key, type FoldData, type Key, type Seed } from './keys.js';

let seed: Seed | undefined;
let root: Key | undefined;
let seedWasChosen = false;
let unnamedDraws = 0;
/** Counts the seeds set, so that names counted "since the seed was set" can restart. */
let generation = 0;
/** Set when the CLI fixed the seed: a script's own setRandomSeed is then overridden. */
let fixedByCli = false;
let scriptSeed: Seed | undefined;

/**
 * The largest seed. A key holds a seed's 64 bits, so a seed past 2^64 - 1 (or a negative one)
 * would train exactly as another seed while being recorded as itself: such seeds are refused.
 */
export const MAX_SEED = 2n ** 64n - 1n;

/** The seed, if it is an integer from 0 to 2^64 - 1 (a number up to 2^53 - 1, or a bigint). */
export function checkSeed(context: string, value: unknown): Seed {
  const accepted = typeof value === 'bigint' ? value >= 0n && value <= MAX_SEED : Number.isSafeInteger(value) && (value as number) >= 0;
  if (!accepted) throw invalid(context, 'Expected seed to be an integer from 0 to 2^64 - 1 (a number up to 2^53 - 1, or a bigint)', { seed: value });
  return value as Seed;
}

/** With newScope false (a seed chosen at first use), names counted so far keep counting. */
function applySeed(value: Seed, newScope = true): void {
  if (newScope) generation++;
  root = key(value);
  seed = value;
  seedWasChosen = false;
  unnamedDraws = 0;
}

export function setRandomSeed(value: Seed): void {
  checkSeed('setRandomSeed', value);
  if (fixedByCli) {
    scriptSeed = value;
    console.error(`verbatim: setRandomSeed(${String(value)}) overridden: the run's seed is ${String(seed)} (given to verbatim run)`);
    unnamedDraws = 0;
    return;
  }
  applySeed(value);
}

/** Fixes the seed for the whole process, as `verbatim run --seed` does before the script starts. */
export function fixRandomSeed(value: Seed): void {
  applySeed(checkSeed('verbatim run --seed', value));
  fixedByCli = true;
}

/**
 * Restarts the unnamed stream and the seed-scoped names from the seed in force, as in a fresh
 * process (verbatim doctor's second in-process pass).
 */
export function resetUnnamedStream(): void {
  unnamedDraws = 0;
  generation++;
}

/** The seed a script asked for with setRandomSeed while the CLI's seed was in force. */
export function overriddenScriptSeed(): Seed | undefined {
  return scriptSeed;
}

function ensureRoot(consumer: string): Key {
  if (root) return root;
  if (isOpDeterminismEnabled()) {
    throw new DeterminismError(
      `${consumer} needs random numbers, but no seed was set while op determinism is enabled. `
      + 'Call vb.setRandomSeed(seed) first, or pass a key or seed explicitly.');
  }
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  applySeed(word[0]! >>> 1, false);
  seedWasChosen = true;
  return root!;
}

/** Changes whenever a seed is set (counters of things named since the seed was set restart). */
export function seedGeneration(): number {
  return generation;
}

/**
 * Numbers base names since the seed was set: base, base_1, base_2, ... The unique names of
 * models and standalone layers count across the process (their variables must not clash), but
 * the keys of their unseeded weights follow these, so that the same code after the same
 * setRandomSeed draws the same weights however many models the process made before.
 */
export class SeedScopedNames {
  private counts = new Map<string, number>();
  private scope = -1;

  next(base: string): string {
    if (this.scope !== generation) {
      this.counts = new Map();
      this.scope = generation;
    }
    const n = this.counts.get(base) ?? 0;
    this.counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }
}

/** The seed in force, without choosing one: undefined until a seed is set or first needed. */
export function currentSeed(): Seed | undefined {
  return seed;
}

/** The seed in force, choosing one if none was set. */
export function getRandomSeed(): Seed {
  ensureRoot('getRandomSeed');
  return seed!;
}

/** Whether the seed in force was chosen automatically rather than set. */
export function randomSeedWasChosen(): boolean {
  return seedWasChosen;
}

/** The key of a named consumer: foldIn(root, ...path). */
export function keyFor(...path: FoldData[]): Key {
  return foldIn(ensureRoot(String(path.join('/'))), ...path);
}

/** The next key of the unnamed stream. */
export function nextUnnamedKey(consumer: string): Key {
  const k = foldIn(ensureRoot(consumer), 'unnamed', unnamedDraws);
  unnamedDraws++;
  return k;
}
