/** Command-line parsing shared by the commands: positionals, --flag value, --switch, and `--` for script arguments. */

export class UsageError extends Error {
  override name = 'UsageError';
}

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
      if (switches.includes(name)) {
        flags.set(name, true);
      } else if (valued.includes(name)) {
        const value = inline ?? argv[++i];
        if (value === undefined) throw new UsageError(`Expected a value after --${name}. Received: nothing`);
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

export function integerFlag(parsed: Parsed, name: string, min: number): number | undefined {
  const value = parsed.flags.get(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`Expected --${name} to be an integer >= ${min}. Received: --${name} ${value === true ? '' : value}`);
  }
  return n;
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}
