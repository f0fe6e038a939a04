/**
 * What `verbatim verify` will execute. A store is input like any other file (it may come from
 * someone else), and its run.json names a program: verify re-runs only the script the run's
 * manifest recorded, when that script lies inside this project and still has the recorded
 * SHA-256, with checked arguments; otherwise it refuses and says why. Inside the project does
 * not make every file a training script: the store chose the arguments, so verbatim's own files
 * (its CLI would run whatever they name) and anything under node_modules are refused, and the
 * script must import verbatim (itself, or through modules of the project it imports).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSha256 } from '../runs/environment.js';
import { UsageError } from '../errors.js';
import { backendNames } from '../index.js';
import { canonicalSeed, MAX_THREADS } from './args.js';
import { runsThroughTsx, type Invocation } from './execute.js';
import { moduleSpecifiers } from './module-specifiers.js';
import type { RunDetails } from './inspect.js';

/** The nearest directory at or above `start` with a package.json, else `start`. */
export function projectRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(start);
  }
}

/** verbatim's own package: its CLI and library are never a recorded run's script. */
const VERBATIM_ROOT = realpathSync(projectRoot(dirname(fileURLToPath(import.meta.url))));
const VERBATIM_CODE = ['src', 'dist', 'assembly', 'scripts', 'bench'].map((d) => join(VERBATIM_ROOT, d));

const isInside = (file: string, dir: string) => {
  const path = relative(dir, file);
  return path !== '' && !path.startsWith('..') && !isAbsolute(path);
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The invocation of a recorded run, checked, for `verify` (or `action`: 'resume') to execute again. */
export function trustedInvocation(run: RunDetails, root: string, action: 'verify' | 'resume' = 'verify'): Invocation {
  const id = run.summary.id;
  const invocation = run.run.invocation;
  if (!isRecord(invocation)) throw new UsageError(`Expected a run recorded by 'verbatim run'. Received: ${id} (recorded in-process)`);
  const refuse = (why: string) => new Error(`${action} will not run ${id}: ${why}`);
  const recorded = run.manifest.script;
  if (!isRecord(recorded) || typeof recorded.path !== 'string' || typeof recorded.sha256 !== 'string') throw refuse('its manifest records no script with a SHA-256');
  if (typeof invocation.script !== 'string' || resolve(invocation.script) !== resolve(recorded.path)) {
    throw refuse(`run.json names the script ${JSON.stringify(invocation.script)}, the manifest ${JSON.stringify(recorded.path)}`);
  }
  if (!/\.(m|c)?(js|ts)$/.test(recorded.path)) throw refuse(`${recorded.path} is not a JavaScript or TypeScript file`);
  if (!existsSync(recorded.path)) throw refuse(`the script ${recorded.path} is not there any more`);
  if (!statSync(recorded.path).isFile()) throw refuse(`the script ${recorded.path} is not a regular file (a FIFO, a device or a directory is never run)`);
  const script = realpathSync(recorded.path);
  const inside = relative(realpathSync(root), script);
  if (inside.startsWith('..') || isAbsolute(inside)) throw refuse(`the script ${script} is outside this project (${root}); run it from the project the run belongs to`);
  if (script.split(sep).includes('node_modules')) throw refuse(`the script ${script} is a dependency's file (under node_modules), not a training script`);
  if (VERBATIM_CODE.some((dir) => isInside(script, dir))) throw refuse(`the script ${script} is part of verbatim itself, not a training script`);
  const unreached = verbatimUnreached(script, realpathSync(root));
  if (unreached !== undefined) throw refuse(unreached);
  const sha256 = fileSha256(script);
  if (sha256 !== recorded.sha256) throw refuse(`the script ${script} changed since the run (SHA-256 ${sha256?.slice(0, 16)}..., recorded ${recorded.sha256.slice(0, 16)}...)`);
  const { args, threads, backend, name, trace, backupInterval } = invocation;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw refuse('its recorded script arguments are not a list of strings');
  // As run checks --threads and --backend: a thread count setNumThreads would clamp, a backend that fails the re-execution.
  if (threads !== undefined && !(Number.isSafeInteger(threads) && (threads as number) >= 1 && (threads as number) <= MAX_THREADS)) {
    throw refuse(`its recorded thread count is ${JSON.stringify(threads)} (expected 1 to ${MAX_THREADS})`);
  }
  if (backend !== undefined && !(typeof backend === 'string' && backendNames().includes(backend))) {
    throw refuse(`its recorded backend is ${JSON.stringify(backend)} (expected one of ${backendNames().join(', ')})`);
  }
  if (trace !== undefined && trace !== 'epochs' && trace !== 'steps' && trace !== 'ops') throw refuse(`its recorded trace is ${JSON.stringify(trace)}`);
  if (backupInterval !== undefined && backupInterval !== null && !(typeof backupInterval === 'number' && backupInterval >= 0 && Number.isFinite(backupInterval))) {
    throw refuse(`its recorded backup interval is ${JSON.stringify(backupInterval)}`);
  }
  const seed = run.run.seed;
  if (typeof seed !== 'string' || canonicalSeed(seed) !== seed) throw refuse(`its recorded seed is ${JSON.stringify(seed)}`);
  return {
    script, args: args as string[], seed,
    ...(threads !== undefined ? { threads: threads as number } : {}), ...(backend !== undefined ? { backend: backend as string } : {}),
    ...(typeof name === 'string' ? { name } : {}), ...(trace !== undefined ? { trace } : {}),
    ...(backupInterval !== undefined ? { backupInterval: backupInterval as number | null } : {}),
  };
}

/** At most this many of the project's modules are read looking for verbatim (a script and its helpers). */
const MAX_MODULES_READ = 64;

/** Extensions a relative specifier can name outright: no runtime appends another to them. */
const NAMED_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx', '.json', '.node']);
/** Under tsx, a specifier naming a JavaScript file also finds the TypeScript file it is compiled from. */
const TYPESCRIPT_SOURCES: Record<string, string[]> = { '.js': ['.ts', '.tsx'], '.jsx': ['.tsx'], '.mjs': ['.mts'], '.cjs': ['.cts'] };
/** What a CommonJS require finds but which cannot import verbatim. */
const NOT_MODULES = ['.json', '.node'];

const isFile = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // Missing, or behind a directory the runtime cannot search either.
  }
};

/**
 * The files a relative import or require of `target` could load, as the script's runtime looks
 * for them (tsx for a TypeScript script, for every module of its process; Node otherwise):
 * Node's import takes the path as written; its require adds .js (.json, .node) or a directory's
 * index.js; tsx adds .ts, .tsx, .js, .jsx or a directory's index with one of them, and finds
 * foo.ts for foo.js (for a require only from a TypeScript module). A directory's own
 * package.json is listed too: its "main" may choose another file.
 */
function loadable(target: string, directoryOnly: boolean, kind: 'import' | 'require', importer: string, tsx: boolean): string[] {
  const extension = extname(target);
  if (!directoryOnly && NAMED_EXTENSIONS.has(extension)) {
    const sources = tsx && (kind === 'import' || runsThroughTsx(importer)) ? TYPESCRIPT_SOURCES[extension] ?? [] : [];
    return [target, ...sources.map((source) => target.slice(0, -extension.length) + source)];
  }
  if (!tsx && kind === 'import') return directoryOnly ? [] : [target];
  const suffixes = [...(tsx ? ['.ts', '.tsx', '.js', '.jsx'] : ['.js']), ...(kind === 'require' ? NOT_MODULES : [])];
  return [
    ...(directoryOnly ? [] : [target, ...suffixes.map((suffix) => target + suffix)]),
    ...suffixes.map((suffix) => join(target, `index${suffix}`)), join(target, 'package.json'),
  ];
}

/**
 * Why the script cannot have recorded a run, or undefined when it names verbatim, itself or in a
 * module it imports by a relative path (the project's own modules, followed breadth-first: a
 * script that keeps its model in ./common.mjs), or requires from a CommonJS module (.cjs, .cts).
 * A specifier is followed only when exactly one file it could load exists (when in doubt the
 * script is refused, saying which); a module that cannot be read refuses the script, naming it.
 */
function verbatimUnreached(script: string, root: string): string | undefined {
  const tsx = runsThroughTsx(script);
  const seen = new Set<string>();
  const queue = [{ file: script, importer: '' }];
  const unclear: string[] = [];
  while (queue.length > 0 && seen.size < MAX_MODULES_READ) {
    const { file, importer } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const which = importer === '' ? `the script ${script}` : `the script ${script} imports ${file}${importer === script ? '' : ` (through ${importer})`}, which`;
      return `${which} cannot be read (${reason}), so whether it imports verbatim is unknown`;
    }
    // A require is one only in a CommonJS module (.cjs, .cts), where it always exists.
    const specifiers = moduleSpecifiers(text).filter(({ kind }) => kind === 'import' || /\.c(js|ts)$/.test(file));
    if (specifiers.some(({ specifier }) => specifier === 'verbatim' || specifier.startsWith('verbatim/'))) return undefined;
    for (const { specifier, kind } of specifiers.filter(({ specifier }) => /^\.{1,2}\//.test(specifier))) {
      const found = loadable(resolve(dirname(file), specifier), specifier.endsWith('/'), kind, file, tsx).filter(isFile);
      if (found.length === 0 || (found.length === 1 && NOT_MODULES.includes(extname(found[0]!)))) continue;
      if (found.length > 1 || basename(found[0]!) === 'package.json') {
        unclear.push(`which file ${kind === 'require' ? `require('${specifier}')` : `'${specifier}'`} in ${file} loads: ${found.join(', ')}`);
        continue;
      }
      const real = realpathSync(found[0]!);
      if (isInside(real, root) && !real.split(sep).includes('node_modules')) queue.push({ file: real, importer: file });
    }
  }
  const read = queue.some(({ file }) => !seen.has(file)) ? ` (it read the first ${MAX_MODULES_READ} modules)` : '';
  const doubts = unclear.length > 0 ? `; not followed, being unclear: ${unclear.join('; ')}` : '';
  return `the script ${script} does not import verbatim, itself or through the project's modules it imports, so it cannot have recorded this run${read}${doubts}`;
}
