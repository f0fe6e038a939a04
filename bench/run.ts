/**
 * npm run bench: every (engine, workload) measured REPEATS times, each in a fresh process after
 * a warm-up, reporting the median; then the ratios verbatim / peer measured in this same run.
 * Options: --repeats N (default 3), --budget SECONDS (per timed fit, default 20), --quick
 * (one repeat, smaller budget). Writes bench/results.json.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = args.includes('--quick');
const repeats = option('--repeats', quick ? 1 : 3);
const budget = option('--budget', quick ? 5 : 20);
const cores = cpus().length;

const ENGINES = [`verbatim-wasm-${cores}`, 'verbatim-wasm-1', 'verbatim-reference-1', 'tfjs-wasm', 'tfjs-cpu', 'jax-js-wasm'];
const WORKLOADS = ['A', 'B', 'matmul256', 'matmul512', 'matmul1024'];
const UNITS: Record<string, string> = { A: 'examples/s', B: 'examples/s', matmul256: 'GFLOP/s', matmul512: 'GFLOP/s', matmul1024: 'GFLOP/s' };

const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const results: Record<string, Record<string, { median: number; runs: number[] }>> = {};
for (const workload of WORKLOADS) {
  for (const engine of ENGINES) {
    if (engine.startsWith('verbatim-reference') && workload.startsWith('matmul') && workload !== 'matmul256') continue;
    const runs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const child = spawnSync(process.execPath, [worker, engine, workload], { encoding: 'utf8', env: { ...process.env, BENCH_BUDGET: String(budget) } });
      const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) {
        process.stderr.write(`${engine} ${workload}: failed\n${child.stderr.slice(-2000)}\n`);
        break;
      }
      runs.push((JSON.parse(line) as { value: number }).value);
    }
    if (runs.length > 0) {
      (results[workload] ??= {})[engine] = { median: median(runs), runs };
      process.stderr.write(`${workload.padEnd(11)} ${engine.padEnd(22)} ${median(runs).toFixed(1)} ${UNITS[workload]}\n`);
    }
  }
}

const ours = `verbatim-wasm-${cores}`;
const value = (workload: string, engine: string) => results[workload]?.[engine]?.median;
const ratio = (workload: string, a: string, b: string) => {
  const x = value(workload, a);
  const y = value(workload, b);
  return x !== undefined && y !== undefined ? x / y : undefined;
};

/** The measured SIMD128 multiply-add limit of one core (calibration kernel), in a fresh process. */
function simdPeakGflops(): number | undefined {
  const child = spawnSync(process.execPath, [worker, `verbatim-wasm-1`, 'simd-peak'], { encoding: 'utf8' });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as { value: number }).value : undefined;
}

const lines: string[] = [];
lines.push(`verbatim benchmark: ${cpus()[0]?.model ?? 'CPU'}, ${cores} cores, Node ${process.version}; median of ${repeats} fresh processes, budget ${budget}s`);
lines.push('');
lines.push(`| workload | unit | ${ENGINES.join(' | ')} |`);
lines.push(`| --- | --- | ${ENGINES.map(() => '---:').join(' | ')} |`);
for (const workload of WORKLOADS) {
  lines.push(`| ${workload} | ${UNITS[workload]} | ${ENGINES.map((e) => value(workload, e)?.toFixed(1) ?? '-').join(' | ')} |`);
}
const peak = simdPeakGflops();
lines.push('');
lines.push('| ratio | measured | target |');
lines.push('| --- | ---: | ---: |');
const targets: [string, number | undefined, number | undefined][] = [
  ['A: verbatim / TF.js-wasm', ratio('A', ours, 'tfjs-wasm'), 4],
  ['A: verbatim / jax-js', ratio('A', ours, 'jax-js-wasm'), 3],
  ['B: verbatim / TF.js-wasm', ratio('B', ours, 'tfjs-wasm'), 10],
  ['B: verbatim / jax-js', ratio('B', ours, 'jax-js-wasm'), 1.7],
  ['matMul 1024: 1 thread / TF.js-wasm', ratio('matmul1024', 'verbatim-wasm-1', 'tfjs-wasm'), 0.9],
  [`matMul 1024: ${cores} threads / TF.js-wasm`, ratio('matmul1024', ours, 'tfjs-wasm'), 1.6],
  [`matMul 1024: ${cores} threads / 1 thread`, ratio('matmul1024', ours, 'verbatim-wasm-1'), 1.8],
  [`B: ${cores} threads / 1 thread`, ratio('B', ours, 'verbatim-wasm-1'), undefined],
];
for (const [name, measured, target] of targets) {
  const verdict = target === undefined ? '(reported)' : `${target}x ${measured !== undefined && measured >= target ? 'met' : 'not met'}`;
  lines.push(`| ${name} | ${measured === undefined ? '-' : `${measured.toFixed(2)}x`} | ${verdict} |`);
}
if (peak) {
  const one = value('matmul1024', 'verbatim-wasm-1');
  lines.push('');
  lines.push(`SIMD128 limit of one core, measured (independent f32x4 multiply-add chains): ${peak.toFixed(1)} GFLOP/s; `
    + `verbatim matMul 1024 on 1 thread reaches ${one === undefined ? '-' : `${((100 * one) / peak).toFixed(0)}%`} of it `
    + '(the calibration loop pays its own loop overhead, so it slightly underestimates the limit).');
}
console.log(lines.join('\n'));
mkdirSync(fileURLToPath(new URL('../../bench/', import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL('../../bench/results.json', import.meta.url)), `${JSON.stringify({ cores, repeats, budget, node: process.version, cpu: cpus()[0]?.model, simdPeakGflops: peak, results }, null, 2)}\n`);
