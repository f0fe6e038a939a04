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

/** The built-in module, or undefined outside Node. */
export function optionalBuiltin<T>(name: string): T | undefined {
  return (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process?.getBuiltinModule?.(name) as T | undefined;
}

export function builtin<T>(name: string): T {
  const module = optionalBuiltin<T>(name);
  if (!module) throw new Error(`this part of verbatim needs Node.js (${name} is unavailable)`);
  return module;
}
