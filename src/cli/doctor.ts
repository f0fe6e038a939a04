/**
 * verbatim doctor: runs a script's training in the ways that expose unreproducibility (twice in
 * one process, twice in two processes, with 1 and 2 threads, on the reference and wasm
 * backends), reports which differ and where, and flags the risks it finds.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Parsed } from './args.js';
import { UsageError } from './args.js';
import { executeAll, interruptedBy, signalExitCode, type Invocation } from './execute.js';
import { firstDivergence, loadRun, table, type RunDetails } from './inspect.js';

function verdict(a: RunDetails, b: RunDetails): string {
  if (a.epochs.length === 0 || b.epochs.length === 0) return `no training recorded (${a.summary.status}, ${b.summary.status})`;
  const d = firstDivergence(a.epochs, b.epochs);
  if (d === undefined) return 'identical';
  if (d === 'length') return `differ: ${a.epochs.length} and ${b.epochs.length} epoch records`;
  return `differ from fit ${d.fit}, epoch ${d.epoch}${d.epoch === 0 ? ' (initial weights)' : ''}: ${d.what.join(', ')}${d.layers.length ? ` (layers ${d.layers.join(', ')})` : ''}`;
}

export async function doctor(parsed: Parsed, out: (text: string) => void): Promise<number> {
  const [script] = parsed.positionals;
  if (!script || parsed.positionals.length > 1) throw new UsageError(`Expected one script. Received: ${JSON.stringify(parsed.positionals)}`);
  const store = mkdtempSync(join(tmpdir(), 'verbatim-doctor-'));
  const base: Invocation = { script, args: parsed.rest, name: 'doctor' };
  out(`verbatim doctor: ${script} (runs kept in ${store})`);

  const [first] = await executeAll(store, [base], 1, () => undefined, () => undefined);
  const firstRun = loadRun(store, first!.id);
  const seedSource = firstRun.manifest.seedSource as string | undefined;
  const seed = String(firstRun.run.seed);
  // Without a seed of its own the script is run with the first run's seed from here on.
  const seeded: Invocation = seedSource === 'auto' ? { ...base, seed } : base;
  const variants: [string, Invocation][] = [
    ['second process', seeded], ['1 thread', { ...seeded, threads: 1 }], ['2 threads', { ...seeded, threads: 2 }],
    ['reference backend', { ...seeded, backend: 'reference' }],
  ];
  const executions = await executeAll(store, variants.map(([, v]) => v), 1, () => undefined, () => undefined);
  const signal = interruptedBy();
  if (signal) return signalExitCode(signal);
  const runs = executions.map((e) => loadRun(store, e.id));
  const reference = seedSource === 'auto' ? runs[0]! : firstRun;

  const dir1 = join(store, 'in-process-1');
  const dir2 = join(store, 'in-process-2');
  const randomLog = join(store, 'math-random.json');
  const require = createRequire(import.meta.url);
  const driver = fileURLToPath(new URL('./doctor-driver.js', import.meta.url));
  const typescript = /\.(ts|mts|cts)$/.test(script) ? ['--import', require.resolve('tsx')] : [];
  const env: Record<string, string | undefined> = { ...process.env, VERBATIM_SCRIPT: resolve(script), ...(seedSource === 'auto' ? { VERBATIM_SEED: seed } : {}) };
  delete env.VERBATIM_RUN_DIR;
  spawnSync(process.execPath, ['--import', require.resolve('./preload.js'), ...typescript, driver, dir1, dir2, randomLog, resolve(script), ...parsed.rest], { env, stdio: 'ignore' });
  const pass = (dir: string) => loadRun(store, dir.split(/[\\/]/).at(-1)!);

  const rows = [
    ['check', 'result'],
    ['twice in one process', verdict(pass(dir1), pass(dir2))],
    ['twice in two processes', verdict(reference, runs[0]!)],
    ['1 thread vs 2 threads', verdict(runs[1]!, runs[2]!)],
    ['reference vs wasm backend', verdict(runs[3]!, runs[2]!)],
  ];
  out(table(rows));

  const risks: string[] = [];
  if (seedSource === 'auto') risks.push(`no seed set: the script never calls vb.setRandomSeed; this run chose ${seed} (pass --seed to verbatim run, or set one)`);
  let randomCalls: { caller: string; count: number }[] = [];
  try {
    randomCalls = JSON.parse(readFileSync(randomLog, 'utf8')) as typeof randomCalls;
  } catch {
    risks.push('the in-process passes did not finish; see the runs in the store');
  }
  for (const { caller, count } of randomCalls) risks.push(`Math.random called ${count} time(s) during training, from ${caller}`);
  const manifest = firstRun.manifest as { lockfile?: unknown; unpinnedDependencies?: string[] };
  if (!manifest.lockfile) risks.push('no lockfile (package-lock.json): dependency versions can change between installs');
  if (manifest.unpinnedDependencies?.length) risks.push(`unpinned dependency ranges: ${manifest.unpinnedDependencies.join(', ')}`);
  if (rows[4]![1] !== 'identical') risks.push('the reference and wasm backends disagree: please report this as a verbatim bug');
  out(risks.length ? `risks:\n  ${risks.join('\n  ')}` : 'risks: none found');
  return rows.slice(1).every(([, r]) => r === 'identical') ? 0 : 1;
}
