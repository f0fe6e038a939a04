/**
 * Model names (Keras's sequential, sequential_1, ...): unique in the process, each model's weight
 * keys derived from the name counted since the seed was set (src/random/seed.ts).
 */
import { holdsVariables, setKeyName } from '../layers/layer.js';
import { SeedScopedNames } from '../random/seed.js';

const modelCounts = new Map<string, number>();
const modelKeyNames = new SeedScopedNames();

/** Forgets the model names handed out (verbatim doctor's second pass in one process). */
export function resetModelNames(): void {
  modelCounts.clear();
}

/** A model name unique in the process; its weights' keys use the name counted since the seed was set. */
export function nextModelName(base: string): string {
  const nameOf = (i: number) => (i === 0 ? base : `${base}_${i}`);
  let n = modelCounts.get(base) ?? 0;
  // A loaded model takes the file's name when free (src/io), which this count may reach later.
  while (holdsVariables(nameOf(n))) n++;
  modelCounts.set(base, n + 1);
  const name = nameOf(n);
  setKeyName(name, modelKeyNames.next(base));
  return name;
}
