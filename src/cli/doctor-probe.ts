/**
 * Loaded by `verbatim doctor` before anything else in each run's process (NODE_OPTIONS
 * --import), so that it sees Math.random even when a dependency captured it at import time:
 * counts the calls per call site (file:line:column of the first frame outside this file,
 * verbatim's strict-mode guard, which the run's preload wraps around it, and Node's internals) and writes them to math-random.json in the run's directory at exit.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.env.VERBATIM_RUN_DIR;
const self = fileURLToPath(import.meta.url);
const sites = new Map<string, number>();
const original = Math.random;

function callSite(stack: string): string {
  for (const line of stack.split('\n').slice(1)) {
    if (line.includes('guardedMathRandom')) continue;
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m || m[1]!.startsWith('node:') || m[1]!.includes(self) || m[1]!.endsWith('doctor-probe.js')) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    return `${file}:${m[2]}:${m[3]}`;
  }
  return 'unknown';
}

if (dir) {
  Math.random = function probedMathRandom(): number {
    const site = callSite(new Error().stack ?? '');
    sites.set(site, (sites.get(site) ?? 0) + 1);
    return original();
  };
  process.on('exit', () => {
    try {
      writeFileSync(join(dir, 'math-random.json'), `${JSON.stringify([...sites].map(([site, count]) => ({ site, count })), null, 2)}\n`);
    } catch {
      // The run directory is gone: nothing to report into.
    }
  });
}
