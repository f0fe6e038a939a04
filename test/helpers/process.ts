import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The directory, emptied (made when missing): a test's own store or work directory. */
export function emptyDirectory(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Runs an ES module snippet in a fresh Node process inside the repository; returns its output.
 * With `timeout` (ms) a process still running then is killed (`signal` says so).
 */
export function runNode(code: string, env: Record<string, string> = {}, timeout?: number): { stdout: string; stderr: string; status: number | null; signal: NodeJS.Signals | null } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env }, ...(timeout === undefined ? {} : { timeout }),
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status, signal: result.signal };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (listened on, then closed). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A tmpfs mounted at `dir` for the test (root only); the test is skipped, saying why, where that is impossible. */
export function mountTmpfs(t: TestContext, dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) {
    t.skip('needs root to mount a tmpfs (a real read-only or full file system)');
    return false;
  }
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`mount -t tmpfs failed here: ${mounted.stderr.trim()}`);
    return false;
  }
  return true;
}

/** Fills the file system at `dir` with 4 KB files `filler0`, `filler1`, ... until it is full (ENOSPC); returns the prefix of their paths. */
export function fillDisk(dir: string): string {
  const filler = join(dir, 'filler');
  try {
    for (let i = 0; ; i++) writeFileSync(`${filler}${i}`, Buffer.alloc(4096));
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  return filler;
}
