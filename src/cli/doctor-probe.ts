/**
 * Loaded by `verbatim doctor` before anything else in each run's process (NODE_OPTIONS
 * --import), so that it sees Math.random even when a dependency captured it at import time:
 * counts the calls per call site (file:line:column of the first frame outside doctor's own files,
 * verbatim's strict-mode guard, which the run's preload wraps around it, and Node's internals) and
 * writes them to math-random.json in the run's directory at exit; the same for the script's reads
 * of the thread count and backend (vb.getNumThreads(), vb.getBackend(), vb.runs.environment(): setting-reads.json). With
 * VERBATIM_DOCTOR_REPEATABLE_RANDOM=1, Math.random returns the same sequence in every process:
 * doctor's experiment telling whether Math.random is what makes two processes' data differ.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenForSettingReads } from '../engine/setting-reads.js';

const dir = process.env.VERBATIM_RUN_DIR;
const sites = new Map<string, number>();
const reads = new Map<string, { read: string; setting: string; site: string; count: number }>();

/** The file:line:column that called Math.random, from an Error's stack (a module's ?query dropped: two imports of a file are one site). */
export function callSite(stack: string): string {
  for (const line of stack.split('\n').slice(1)) {
    if (line.includes('guardedMathRandom')) continue;
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m || m[1]!.startsWith('node:') || /doctor-(probe|driver)\.js$/.test(m[1]!.split('?')[0]!)) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!.split('?')[0]!;
    return `${file}:${m[2]}:${m[3]}`;
  }
  return 'unknown';
}

/** The same numbers in every process (mulberry32 from a fixed state): repeatable, not random. */
function repeatableSequence(): () => number {
  let state = 0x9e3779b9;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

if (dir) {
  const source = process.env.VERBATIM_DOCTOR_REPEATABLE_RANDOM === '1' ? repeatableSequence() : Math.random;
  Math.random = function probedMathRandom(): number {
    const site = callSite(new Error().stack ?? '');
    sites.set(site, (sites.get(site) ?? 0) + 1);
    return source();
  };
  listenForSettingReads((read, setting, stack) => {
    const site = callSite(stack);
    const key = `${read} ${setting} ${site}`;
    const known = reads.get(key) ?? reads.set(key, { read, setting, site, count: 0 }).get(key)!;
    known.count++;
  });
  process.on('exit', () => {
    try {
      writeFileSync(join(dir, 'math-random.json'), `${JSON.stringify([...sites].map(([site, count]) => ({ site, count })), null, 2)}\n`);
      writeFileSync(join(dir, 'setting-reads.json'), `${JSON.stringify([...reads.values()], null, 2)}\n`);
    } catch {
      // The run directory is gone: nothing to report into.
    }
  });
}
