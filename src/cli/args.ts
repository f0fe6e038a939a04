/** Command-line parsing shared by the commands: positionals, --flag value, --switch, and `--` for script arguments. */
import { UsageError } from '../errors.js';
import { MAX_SEED } from '../random/seed.js';

export interface Parsed {
  positionals: string[];
  flags: Map<string, string | true>;
  /** Everything after `--`. */
  rest: string[];
}

export function parse(argv: readonly string[], valued: readonly string[], switches: readonly string[]): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      // No option is repeatable: a second one silently replacing the first hides a typo (two --seed).
      if (flags.has(name)) {
        const again = inline !== undefined || !valued.includes(name) ? arg : `${arg} ${argv[i + 1] === '' ? '(empty)' : argv[i + 1] ?? ''}`.trimEnd();
        throw new UsageError(`Expected --${name} at most once. Received: ${shown(name, flags.get(name)!)} and ${again}`);
      }
      if (switches.includes(name)) {
        flags.set(name, true);
      } else if (valued.includes(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new UsageError(`Expected a value after --${name}. Received: nothing`);
        // An empty value names nothing (a run name, a store, a metric): it would be dropped or mean the working directory.
        if (value === '') throw new UsageError(`Expected a non-empty value after --${name}. Received: --${name} (empty)`);
        flags.set(name, value);
      } else {
        throw new UsageError(`Expected one of ${[...valued, ...switches].map((f) => `--${f}`).join(', ') || 'no options'}. Received: ${arg}`);
      }
    } else {
      positionals.push(arg);
    }
  }
  return { positionals, flags, rest };
}

/** A flag as given: `--name value`, or `--name` for a switch. */
function shown(name: string, value: string | true): string {
  return value === true ? `--${name}` : `--${name} ${value}`;
}

/** Kernel threads a run may ask for: what setNumThreads takes. */
export { MAX_THREADS } from '../backends/backend.js';
/** Timers take at most 2^31 - 1 ms; a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A decimal integer flag from min to max: '0x10', '1e3', ' 5' and '' are usage errors, not numbers. */
export function integerFlag(parsed: Parsed, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = parsed.flags.get(name);
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`Expected --${name} to be an integer ${range}. Received: --${name} ${value === true ? '' : value}`);
  }
  return n;
}

/** A seed as the store records it, a decimal integer from 0 to 2^64 - 1 in one spelling (-0 is 0, 007 is 7); undefined if it is none. */
export function canonicalSeed(value: string): string | undefined {
  const seed = /^-?\d+$/.test(value) ? BigInt(value) : undefined;
  return seed !== undefined && seed >= 0n && seed <= MAX_SEED ? seed.toString() : undefined;
}

/** The seed of --seed, --seeds (one item) or ls --seed, as the store records it (vb.setRandomSeed accepts the same seeds). */
export function seedText(flag: string, value: string): string {
  const seed = canonicalSeed(value);
  if (seed === undefined) throw new UsageError(`Expected --${flag} to be an integer seed from 0 to 2^64 - 1. Received: seed=${value || '(empty)'}`);
  return seed;
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}
