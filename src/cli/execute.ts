/**
 * Running a script as a recorded run: a child Node process (TypeScript through tsx) whose
 * environment tells verbatim where to record and which seed to use; its output is echoed and
 * kept in the run directory.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { ensureDirectory, newRunId, writeAtomic } from '../runs/store.js';

export interface Invocation {
  script: string;
  args: string[];
  seed?: string;
  threads?: number;
  backend?: string;
  name?: string;
  trace?: 'epochs' | 'steps' | 'ops';
}

export interface Execution {
  id: string;
  dir: string;
  exitCode: number;
  seconds: number;
}

const require = createRequire(import.meta.url);

function nodeArguments(script: string): string[] {
  if (!/\.(ts|mts|cts)$/.test(script)) return [script];
  return ['--import', require.resolve('tsx'), script];
}

/** Runs the script once as a new run in `store`; resolves when the process ends. */
export type Echo = (text: string, stream: 'stdout' | 'stderr') => void;

export function execute(store: string, invocation: Invocation, echo: Echo, started?: (dir: string) => void): Promise<Execution> {
  const script = resolve(invocation.script);
  if (!existsSync(script)) throw new Error(`Expected a script file. Received: ${invocation.script} (not found)`);
  const id = newRunId();
  const dir = join(store, id);
  ensureDirectory(dir);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    VERBATIM_RUN_DIR: dir,
    VERBATIM_SCRIPT: script,
    VERBATIM_RUN_OPTIONS: JSON.stringify({
      ...(invocation.name ? { name: invocation.name } : {}),
      trace: invocation.trace ?? 'epochs',
      invocation: { ...invocation, script },
    }),
  };
  delete env.VERBATIM_SEED;
  if (invocation.seed !== undefined) env.VERBATIM_SEED = invocation.seed;
  if (invocation.threads !== undefined) env.VERBATIM_THREADS = String(invocation.threads);
  if (invocation.backend !== undefined) env.VERBATIM_BACKEND = invocation.backend;
  const t0 = performance.now();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [...nodeArguments(script), ...invocation.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    started?.(dir);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => { stdout.push(chunk); echo(chunk.toString(), 'stdout'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr.push(chunk); echo(chunk.toString(), 'stderr'); });
    child.on('close', (code, signal) => {
      writeAtomic(join(dir, 'stdout.txt'), Buffer.concat(stdout));
      writeAtomic(join(dir, 'stderr.txt'), Buffer.concat(stderr));
      resolvePromise({ id, dir, exitCode: code ?? (signal ? 128 : 1), seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Runs invocations with at most `parallel` at once, in order of start. */
export async function executeAll(
  store: string, invocations: readonly Invocation[], parallel: number, echo: Echo, progress: (i: number, e: Execution) => void,
  started?: (i: number, dir: string) => void,
): Promise<Execution[]> {
  const results: Execution[] = new Array(invocations.length);
  let next = 0;
  const worker = async () => {
    while (next < invocations.length) {
      const i = next++;
      results[i] = await execute(store, invocations[i]!, parallel > 1 ? () => undefined : echo, started && ((dir) => started(i, dir)));
      progress(i, results[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, invocations.length) }, worker));
  return results;
}
