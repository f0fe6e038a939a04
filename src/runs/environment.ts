/**
 * The environment manifest of a run: everything that could make two runs differ, recorded so
 * that a difference can be explained. Node APIs are reached through process.getBuiltinModule so
 * that importing verbatim stays possible in a browser (where the manifest has fewer fields).
 */
import { ENGINE } from '../engine/engine.js';
import { isOpDeterminismEnabled } from '../engine/determinism.js';
import { currentSeed, overriddenScriptSeed, randomSeedWasChosen } from '../random/seed.js';
import { Sha256 } from '../util/sha256.js';
import { nodeProcess, optionalBuiltin } from '../util/node.js';
import { invalid } from '../errors.js';

export interface Environment {
  verbatimVersion: string;
  node: string | null;
  v8: string | null;
  platform: string | null;
  arch: string | null;
  osRelease: string | null;
  cpuModel: string | null;
  cores: number | null;
  totalMemory: number | null;
  backend: string;
  threads: number;
  simd: boolean;
  kernelSha256: string | null;
  /** Every resolved dependency version (from the lockfile, else the installed packages). */
  dependencies: Record<string, string>;
  lockfile: { path: string; sha256: string } | null;
  /** Dependencies declared with a range rather than an exact version. */
  unpinnedDependencies: string[];
  script: { path: string; sha256: string } | null;
  git: { commit: string; dirty: boolean } | null;
  /** The seed in force (null before any seed was set or needed). */
  seed: string | null;
  seedSource: 'set' | 'auto' | 'cli' | 'unset';
  /** The seed the script itself asked for, when the CLI's seed overrode it. */
  scriptSeed: string | null;
  determinism: boolean;
  environmentVariables: Record<string, string>;
  startedAt: string;
}

type Fs = { readFileSync(path: string, encoding?: string): string | Uint8Array; existsSync(path: string): boolean };
type Path = { dirname(p: string): string; join(...p: string[]): string; resolve(...p: string[]): string };

type Crypto = { createHash(algorithm: string): { update(data: Uint8Array): { digest(encoding: 'hex'): string } } };

export function fileSha256(path: string): string | null {
  const fs = optionalBuiltin<Fs>('node:fs');
  if (!fs?.existsSync(path)) return null;
  const bytes = fs.readFileSync(path) as Uint8Array;
  // Node's crypto where there is one (a lockfile is a few hundred kilobytes): the same digest, faster.
  const crypto = optionalBuiltin<Crypto>('node:crypto');
  return crypto ? crypto.createHash('sha256').update(bytes).digest('hex') : new Sha256().update(bytes).hex();
}

/** The nearest directory at or above `start` that holds `file`. */
function findUp(start: string, file: string): string | undefined {
  const fs = optionalBuiltin<Fs>('node:fs');
  const path = optionalBuiltin<Path>('node:path');
  if (!fs || !path) return undefined;
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, file))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  const fs = optionalBuiltin<Fs>('node:fs');
  try {
    return JSON.parse(fs!.readFileSync(file, 'utf8') as string) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function dependencyInfo(cwd: string): Pick<Environment, 'dependencies' | 'lockfile' | 'unpinnedDependencies'> {
  const path = optionalBuiltin<Path>('node:path');
  const root = findUp(cwd, 'package.json');
  if (!path || !root) return { dependencies: {}, lockfile: null, unpinnedDependencies: [] };
  const manifest = readJson(path.join(root, 'package.json')) ?? {};
  const declared = { ...(manifest.dependencies as Record<string, string> ?? {}), ...(manifest.devDependencies as Record<string, string> ?? {}) };
  const unpinnedDependencies = Object.entries(declared).filter(([, range]) => !/^\d+\.\d+\.\d+$/.test(range)).map(([name]) => name).sort();
  const lockPath = path.join(root, 'package-lock.json');
  const lock = readJson(lockPath);
  const dependencies: Record<string, string> = {};
  if (lock?.packages) {
    for (const [where, info] of Object.entries(lock.packages as Record<string, { version?: string }>)) {
      if (where && info.version) dependencies[where.replace(/^(.*\/)?node_modules\//, '')] = info.version;
    }
  } else {
    for (const name of Object.keys(declared)) {
      const installed = readJson(path.join(root, 'node_modules', name, 'package.json'));
      if (installed?.version) dependencies[name] = String(installed.version);
    }
  }
  const sha256 = fileSha256(lockPath);
  return {
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1))),
    lockfile: sha256 ? { path: lockPath, sha256 } : null,
    unpinnedDependencies,
  };
}

type ChildProcess = {
  execFileSync(cmd: string, args: string[], options: object): string;
  execFile(cmd: string, args: string[], options: object, done: (error: Error | null, stdout: string) => void): void;
};

/** One git process gives both facts: `# branch.oid <commit>`, then a line per change (untracked files too). */
const GIT_STATUS = ['status', '--porcelain=v2', '--branch'];

function parseGitStatus(output: string): Environment['git'] {
  const lines = output.split('\n').filter(Boolean);
  const commit = /^# branch\.oid ([0-9a-f]+)$/.exec(lines.find((l) => l.startsWith('# branch.oid ')) ?? '')?.[1];
  return commit ? { commit, dirty: lines.some((l) => !l.startsWith('#')) } : null;
}

function gitInfo(dir: string): Environment['git'] {
  const childProcess = optionalBuiltin<ChildProcess>('node:child_process');
  if (!childProcess) return null;
  try {
    return parseGitStatus(childProcess.execFileSync('git', GIT_STATUS, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return null;
  }
}

/** gitInfo without waiting for git (a few milliseconds): the run recorder starts training meanwhile. */
function gitInfoInBackground(dir: string): Promise<Environment['git']> {
  const childProcess = optionalBuiltin<ChildProcess>('node:child_process');
  if (!childProcess) return Promise.resolve(null);
  return new Promise((resolve) => {
    childProcess.execFile('git', GIT_STATUS, { cwd: dir, encoding: 'utf8' }, (error, stdout) => resolve(error ? null : parseGitStatus(stdout)));
  });
}

/** The directory whose checkout the run's git facts describe: the script's, if it is in one (no git process is started otherwise). */
function scriptDirectory(script = scriptPath()): string | undefined {
  const path = optionalBuiltin<Path>('node:path');
  const dir = script && path ? path.dirname(path.resolve(script)) : undefined;
  return dir && findUp(dir, '.git') ? dir : undefined;
}

/** The git facts of a script's checkout (this process's script by default), now (null without a script or outside a checkout). */
export function gitFacts(script?: string): Environment['git'] {
  const dir = scriptDirectory(script);
  return dir ? gitInfo(dir) : null;
}

/**
 * Git facts given to the recorder (RecordOptions.git: `verbatim run` asks git before starting the
 * script, so that the script's process forks none while it trains, which costs the training
 * copied memory pages); undefined when none are given.
 */
export function givenGitFacts(given: unknown): Environment['git'] | undefined {
  if (given === undefined || given === null) return given as undefined | null;
  const facts = given as { commit?: unknown; dirty?: unknown };
  if (typeof facts !== 'object' || typeof facts.commit !== 'string' || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(facts.commit) || typeof facts.dirty !== 'boolean') {
    throw invalid('runs.record', 'Expected git to be null or {commit: a full commit hash (40 or 64 hexadecimal digits), dirty: a boolean}', { git: JSON.stringify(given) });
  }
  return { commit: facts.commit, dirty: facts.dirty };
}

/** The git facts of the script's checkout, in the background (null without a script or outside a checkout). */
export function scriptGitInBackground(): Promise<Environment['git']> {
  const dir = scriptDirectory();
  return dir ? gitInfoInBackground(dir) : Promise.resolve(null);
}

function verbatimVersion(): string {
  const path = optionalBuiltin<{ fileURLToPath(u: URL): string }>('node:url');
  const manifest = path ? readJson(path.fileURLToPath(new URL('../../../package.json', import.meta.url))) : undefined;
  return String(manifest?.version ?? 'unknown');
}

/** The script being run: the VERBATIM_SCRIPT the CLI sets, else process.argv[1]. */
function scriptPath(): string | undefined {
  const p = nodeProcess();
  return p?.env.VERBATIM_SCRIPT ?? p?.argv[1];
}

/** The seed in force and where it came from, without choosing one. */
export function seedFacts(): Pick<Environment, 'seed' | 'seedSource' | 'scriptSeed'> {
  const value = currentSeed();
  const fromCli = nodeProcess()?.env.VERBATIM_SEED !== undefined;
  return {
    seed: value === undefined ? null : String(value),
    seedSource: value === undefined ? 'unset' : fromCli ? 'cli' : randomSeedWasChosen() ? 'auto' : 'set',
    scriptSeed: overriddenScriptSeed() === undefined ? null : String(overriddenScriptSeed()),
  };
}

/**
 * Where training computes now: the active backend and its thread count. The manifest records them
 * when the run starts; each fit records them again at its beginning, as a script may change them.
 */
export function computeFacts(): { backend: string; threads: number } {
  return { backend: (ENGINE.backend as { name: string }).name, threads: ENGINE.numThreads() };
}

/** The environment; with {git: false} without the git facts (null), which scriptGitInBackground gives. */
export function environment(options: { git?: boolean } = {}): Environment {
  const p = nodeProcess();
  const os = optionalBuiltin<{ release(): string; cpus(): { model: string }[]; availableParallelism(): number; totalmem(): number }>('node:os');
  const backend = ENGINE.backend as { name: string; kernelSha256?: string };
  const script = scriptPath();
  const scriptSha = script ? fileSha256(script) : null;
  const path = optionalBuiltin<Path>('node:path');
  return {
    verbatimVersion: verbatimVersion(),
    node: p?.versions.node ?? null,
    v8: p?.versions.v8 ?? null,
    platform: p?.platform ?? null,
    arch: p?.arch ?? null,
    osRelease: os?.release() ?? null,
    cpuModel: os?.cpus()[0]?.model ?? null,
    cores: os?.availableParallelism() ?? null,
    totalMemory: os?.totalmem() ?? null,
    ...computeFacts(),
    simd: ENGINE.backendNames().includes('wasm'),
    kernelSha256: backend.kernelSha256 ?? null,
    ...dependencyInfo(script && path ? path.dirname(path.resolve(script)) : p?.cwd() ?? '.'),
    script: script && scriptSha ? { path: script, sha256: scriptSha } : null,
    git: options.git === false ? null : gitFacts(),
    ...seedFacts(),
    determinism: isOpDeterminismEnabled(),
    environmentVariables: Object.fromEntries(Object.entries(p?.env ?? {})
      .filter(([k, v]) => v !== undefined && (k.startsWith('VERBATIM_') || k === 'NODE_OPTIONS')).sort() as [string, string][]),
    startedAt: new Date().toISOString(),
  };
}
