/**
 * Which dataParallel.workerModule a worker process imports. The fit's setup names a module for
 * each worker to import (one that registers custom layers), and importing a module runs its
 * code: a worker process must not run whatever the peer at its coordinator's address names (a
 * fit it was pointed at by mistake, or anything listening there could send `data:` URL code).
 * So a worker process imports only a file under a path it was started with (`--allow-module
 * <file or directory>`, repeatable; symbolic links and `..` resolved on both sides) and refuses
 * any other module, a `data:` or `http:` URL included, with an error that fails the fit's setup.
 * A fit that starts its worker processes itself (processes.spawn) allows them its workerModule.
 * Worker threads import the fit's workerModule as given: they run in the fit's own process.
 */
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invalid } from '../errors.js';

/** As the replica's errors, which the fit reports. */
const CONTEXT = 'dataParallel worker';

/** The real path of the local file a module URL names, or why there is none. */
function localFile(url: string): { path?: string; problem?: string } {
  let path: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'file:') return { problem: `a ${parsed.protocol} URL, not a file` };
    path = fileURLToPath(parsed);
  } catch (error) {
    return { problem: `not a local file URL (${(error as Error).message})` };
  }
  try {
    return { path: realpathSync(path) };
  } catch {
    return { problem: 'no such file on this worker' };
  }
}

/**
 * The worker's importer of workerModules: `allowed` are the paths given with --allow-module
 * (each must exist: a typo is an error at start, not a refused fit later).
 */
export function moduleImporter(allowed: readonly string[]): (url: string) => Promise<unknown> {
  const roots = allowed.map((path) => {
    try {
      return realpathSync(path);
    } catch {
      throw invalid('data-parallel worker', 'Expected --allow-module to name an existing file or directory', { 'allow-module': path });
    }
  });
  return async (url) => {
    const { path, problem } = localFile(url);
    const inside = (root: string) => path === root || path!.startsWith(root.endsWith(sep) ? root : root + sep);
    if (path === undefined || !roots.some(inside)) {
      throw invalid(CONTEXT, 'Expected a workerModule under a path this worker process was started with (--allow-module <file or directory>)', {
        workerModule: url, ...(problem ? { problem } : {}), allowed: roots.length ? roots.join(', ') : 'none',
      });
    }
    // The checked file itself, not the URL (whose links could be changed in between).
    return import(pathToFileURL(path).href);
  };
}
