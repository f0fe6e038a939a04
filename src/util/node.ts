/**
 * Node's built-in modules, reached through process.getBuiltinModule so that importing verbatim
 * never fails in a browser; only the Node-only features (runs, the CLI, file:// models, data-parallel
 * processes) call these.
 */
export interface NodeProcess {
  pid: number;
  versions: Record<string, string>;
  platform: string;
  arch: string;
  env: Record<string, string | undefined>;
  argv: string[];
  cwd(): string;
}

export function nodeProcess(): NodeProcess | undefined {
  return (globalThis as unknown as { process?: NodeProcess }).process;
}

type BuiltinLookup = (name: string) => unknown;

/**
 * Each module looked up once per lookup function: getBuiltinModule costs about a microsecond a
 * call, and the run recorder reaches node:fs at every flush of a short fit's records.
 */
const BUILTINS = new Map<string, unknown>();
let builtinsFrom: BuiltinLookup | undefined;

/** The built-in module, or undefined outside Node. */
export function optionalBuiltin<T>(name: string): T | undefined {
  const node = (globalThis as { process?: { getBuiltinModule?: BuiltinLookup } }).process;
  const lookup = node?.getBuiltinModule;
  if (lookup !== builtinsFrom) {
    BUILTINS.clear();
    builtinsFrom = lookup;
  }
  if (!BUILTINS.has(name)) BUILTINS.set(name, node?.getBuiltinModule?.(name));
  return BUILTINS.get(name) as T | undefined;
}

export function builtin<T>(name: string): T {
  const module = optionalBuiltin<T>(name);
  if (!module) throw new Error(`this part of verbatim needs Node.js (${name} is unavailable)`);
  return module;
}
