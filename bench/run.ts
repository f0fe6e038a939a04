/**
 * npm run bench: every (engine, workload) measured REPEATS times, each in a fresh process after
 * a warm-up, reporting the median; then the ratios verbatim / peer measured in this same run.
 * Options: --repeats N (default 3), --budget SECONDS (per timed fit, default 20), --quick
 * (one repeat, smaller budget), --workloads B,C (only these; then the memory, calibration and
 * recording measurements, which belong to the full run, are skipped). Writes bench/results.json.
 *
 * Data-parallel training (README, "Data-parallel training") is measured on workload B: the same
 * model and batches trained with dataParallel {workers: 1 | 2, microBatch: 64} (worker threads
 * sharing the main thread's kernel threads), engines verbatim-wasm-<cores>-dp<N>.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RecordingOverhead } from './recording.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = args.includes('--quick');
const repeats = option('--repeats', quick ? 1 : 3);
const budget = option('--budget', quick ? 5 : 20);
const cores = cpus().length;
const workloadsOption = args.includes('--workloads') ? args[args.indexOf('--workloads') + 1]! : undefined;

/** Data-parallel engines: dataParallel with this many worker threads; measured on workload B only. */
const DATA_PARALLEL_ENGINES = [`verbatim-wasm-${cores}-dp1`, `verbatim-wasm-${cores}-dp2`];
const ENGINES = [`verbatim-wasm-${cores}`, 'verbatim-wasm-1', 'verbatim-reference-1', 'tfjs-wasm', 'tfjs-cpu', 'jax-js-wasm', ...DATA_PARALLEL_ENGINES];
const ALL_WORKLOADS = ['A', 'B', 'C', 'D', 'E', 'matmul256', 'matmul512', 'matmul1024'];
const WORKLOADS = workloadsOption === undefined ? ALL_WORKLOADS : workloadsOption.split(',');
for (const w of WORKLOADS) {
  if (!ALL_WORKLOADS.includes(w)) throw new Error(`bench: Expected --workloads among ${ALL_WORKLOADS.join(', ')}. Received: ${w}`);
}
const UNITS: Record<string, string> = { A: 'examples/s', B: 'examples/s', C: 'examples/s', D: 'examples/s', E: 'examples/s', matmul256: 'GFLOP/s', matmul512: 'GFLOP/s', matmul1024: 'GFLOP/s' };
/** Workload C's float operations per trained example: 3x the forward pass's multiply-adds x 2. */
const CNN_FLOP_PER_EXAMPLE = 3 * 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9 + 1600 * 10);

const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const results: Record<string, Record<string, { median: number; runs: number[] }>> = {};
const failures: Record<string, Record<string, string>> = {};
for (const workload of WORKLOADS) {
  for (const engine of ENGINES) {
    if (engine.startsWith('verbatim-reference') && ((workload.startsWith('matmul') && workload !== 'matmul256') || ['C', 'D', 'E'].includes(workload))) continue;
    if (DATA_PARALLEL_ENGINES.includes(engine) && workload !== 'B') continue;
    const runs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const child = spawnSync(process.execPath, [worker, engine, workload], { encoding: 'utf8', env: { ...process.env, BENCH_BUDGET: String(budget) } });
      const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) {
        const reason = /Error: (.*)/.exec(child.stderr)?.[1] ?? `exit ${child.status}`;
        (failures[workload] ??= {})[engine] = reason;
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

const one = 'verbatim-wasm-1';
const lines: string[] = [];
lines.push(`verbatim benchmark: ${cpus()[0]?.model ?? 'CPU'}, ${cores} cores, Node ${process.version}; median of ${repeats} fresh processes, budget ${budget}s`);
lines.push('');
lines.push(`| workload | unit | ${ENGINES.join(' | ')} |`);
lines.push(`| --- | --- | ${ENGINES.map(() => '---:').join(' | ')} |`);
for (const workload of WORKLOADS) {
  lines.push(`| ${workload} | ${UNITS[workload]} | ${ENGINES.map((e) => value(workload, e)?.toFixed(1) ?? '-').join(' | ')} |`);
}
if (WORKLOADS.includes('B')) {
  const plain = value('B', ours);
  lines.push('');
  lines.push(`Data-parallel training, workload B (784-512-512-10, batches of 128, ${cores} kernel threads in the main thread): `
    + `plain fit ${plain?.toFixed(1) ?? '-'} examples/s; dataParallel {workers: N, microBatch: 64} with N worker threads sharing the ${cores} kernel threads: `
    + DATA_PARALLEL_ENGINES.map((e) => {
      const v = value('B', e);
      return `N = ${/dp(\d+)$/.exec(e)![1]} ${v?.toFixed(1) ?? '-'} examples/s${v !== undefined && plain !== undefined ? ` (${(v / plain).toFixed(2)}x plain)` : ''}`;
    }).join(', ')
    + '. Each timed fit includes starting its worker threads and sending them the model (as every fit with dataParallel does).');
}
const full = workloadsOption === undefined;
const peak = full ? simdPeakGflops() : undefined;
type MemoryReport = { tensors: [number, number]; bytes: [number, number]; rssGrowth: number };
const memoryOf = (workload: 'C' | 'D') => {
  const child = spawnSync(process.execPath, [worker, ours, `${workload}-memory`], { encoding: 'utf8' });
  return (JSON.parse(child.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as { memory?: MemoryReport }).memory;
};
const memory = full ? { C: memoryOf('C'), D: memoryOf('D') } : {};
const row = (name: string, measured: number | undefined, target?: number) => {
  const verdict = target === undefined ? '(reported)' : `${target}x ${measured !== undefined && measured >= target ? 'met' : 'not met'}`;
  return `| ${name} | ${measured === undefined ? '-' : `${measured.toFixed(2)}x`} | ${verdict} |`;
};
// Headline: equal thread counts. The peers run on one thread under Node (README), so verbatim does too.
lines.push('');
lines.push('| ratio at equal threads (1 against 1) | measured | target |');
lines.push('| --- | ---: | ---: |');
const headline: [string, string, string, number | undefined][] = [
  ['A', 'tfjs-wasm', 'TF.js-wasm', 4], ['A', 'tfjs-cpu', 'TF.js-cpu', undefined], ['A', 'jax-js-wasm', 'jax-js', 3],
  ['B', 'tfjs-wasm', 'TF.js-wasm', 10], ['B', 'tfjs-cpu', 'TF.js-cpu', undefined], ['B', 'jax-js-wasm', 'jax-js', 1.7],
  ['C', 'tfjs-cpu', 'TF.js-cpu', 100], ['C', 'jax-js-wasm', 'jax-js', 1.5],
  ['D', 'tfjs-cpu', 'TF.js-cpu (the fastest TF.js backend that trains D)', 5],
  ['matmul1024', 'tfjs-wasm', 'TF.js-wasm', 0.9], ['matmul1024', 'jax-js-wasm', 'jax-js', undefined],
];
for (const [workload, peer, label, target] of headline.filter(([w]) => WORKLOADS.includes(w))) lines.push(row(`${workload}: verbatim 1 thread / ${label}`, ratio(workload, one, peer), target));
lines.push('');
lines.push(`| multi-thread (verbatim ${cores} threads; peers have no threads under Node) | measured | target |`);
lines.push('| --- | ---: | ---: |');
for (const workload of ['A', 'B', 'matmul1024'].filter((w) => WORKLOADS.includes(w))) lines.push(row(`${workload}: verbatim ${cores} threads / TF.js-wasm`, ratio(workload, ours, 'tfjs-wasm')));
for (const workload of ['A', 'B', 'C', 'D', 'E', 'matmul1024'].filter((w) => WORKLOADS.includes(w))) lines.push(row(`${workload}: verbatim ${cores} threads / 1 thread`, ratio(workload, ours, one), workload === 'matmul1024' ? 1.8 : undefined));
const cnn = value('C', ours);
if (WORKLOADS.includes('C')) {
  lines.push('');
  lines.push(`C on ${cores} threads: ${cnn?.toFixed(0) ?? '-'} examples/s (target 1500 ${cnn !== undefined && cnn >= 1500 ? 'met' : 'not met'}), `
  + `${cnn === undefined ? '-' : ((cnn * CNN_FLOP_PER_EXAMPLE) / 1e9).toFixed(1)} GFLOP/s counting ${(CNN_FLOP_PER_EXAMPLE / 1e6).toFixed(1)} MFLOP per trained example `
  + `(${cnn === undefined || value('matmul1024', ours) === undefined ? '-' : `${((100 * cnn * CNN_FLOP_PER_EXAMPLE) / 1e9 / value('matmul1024', ours)!).toFixed(0)}%`} of verbatim's matMul 1024 rate on ${cores} threads).`);
}
for (const [workload, m] of Object.entries(memory) as [string, MemoryReport | undefined][]) {
  lines.push(m
    ? `Memory over 500 steps of ${workload} (${cores} threads): ${m.tensors[0]} live tensors (${m.bytes[0]} bytes) after step 10, `
      + `${m.tensors[1]} (${m.bytes[1]} bytes) after step 500; resident set ${(m.rssGrowth / 2 ** 20).toFixed(1)} MiB larger.`
    : `Memory over 500 steps of ${workload}: the measurement failed.`);
}
for (const [workload, byEngine] of Object.entries(failures)) {
  for (const [engine, reason] of Object.entries(byEngine)) lines.push(`${engine} cannot run ${workload}: ${reason}`);
}
if (peak) {
  const fraction = (engine: string) => {
    const v = value('matmul1024', engine);
    return v === undefined ? '-' : `${((100 * v) / peak).toFixed(0)}%`;
  };
  lines.push('');
  lines.push(`Machine limit: ${peak.toFixed(1)} GFLOP/s per core, measured by the calibration kernel (assembly/calibration.ts: twelve dependent `
    + 'f32x4 multiply-then-add chains, 96 operations per iteration, 5e7 iterations after a warm-up, on one thread); a measured lower bound '
    + 'of the limit, not the data sheet\'s peak: a kernel that overlaps more independent work can exceed it. '
    + `matMul 1024 reaches ${fraction(one)} of one core's limit on 1 thread, ${fraction(ours)} of one core's limit on ${cores} threads `
    + `(${(100 * (value('matmul1024', ours) ?? 0) / (peak * cores)).toFixed(0)}% of ${cores} cores), TF.js-wasm ${fraction('tfjs-wasm')}, jax-js ${fraction('jax-js-wasm')}.`);
}
// Recording overhead (bench/recording.ts): the same training with and without a run recorder.
const RECORDING_WORKLOADS: Record<string, string> = {
  epochs4000: '4000 epochs of a 4-8-1 model (64 examples)',
  tutorial: 'the modern tutorial (20 epochs)',
  classic: 'the classic tutorial (10 fits of 100 epochs)',
};
// At least 15 rounds: a round's ratio varies by several percent on a shared machine, and the 5% target is judged by the median's 95% interval.
const recording = full ? spawnSync(process.execPath, [fileURLToPath(new URL('./recording.js', import.meta.url)), '--repeats', String(Math.max(repeats, 15))], { encoding: 'utf8' }) : undefined;
const recorded = (() => {
  if (!recording) return undefined;
  try {
    return JSON.parse(recording.stdout.split('\n').find((l) => l.startsWith('{')) ?? '') as Record<string, RecordingOverhead>;
  } catch {
    return undefined;
  }
})();
lines.push('');
/** The 5% target met or not only when the median's whole interval says so; otherwise the noise leaves it open. */
function targetVerdict(r: RecordingOverhead): string {
  const { low, high, confidence } = r.overheadInterval;
  const interval = `median within ${(100 * low).toFixed(1)}% to ${(100 * high).toFixed(1)}% at ${(100 * confidence).toFixed(0)}%`;
  if (confidence < 0.95) return `not judged: too few rounds (${interval})`;
  if (high < 0.05) return `met (${interval})`;
  if (low > 0.05) return `not met (${interval})`;
  return `not resolved by this noise (${interval})`;
}
if (!full) {
  lines.push(`Only --workloads ${workloadsOption}: memory, calibration and recording overhead not measured.`);
} else if (recorded) {
  const percent = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`;
  lines.push('| recording overhead (verbatim run / vb.runs.record) | fit unrecorded | fit recorded | overhead on training (quartiles) | unrecorded vs unrecorded (quartiles) | target | main thread CPU overhead (noise quartiles) | in the recorder\'s code (quartiles) | fixed cost per run |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [workload, r] of Object.entries(recorded)) {
    lines.push(`| ${RECORDING_WORKLOADS[workload] ?? workload} | ${r.plainFit.toFixed(3)} s | ${r.recordedFit.toFixed(3)} s `
      + `| ${percent(r.overhead)} (${r.overheadQuartiles.map(percent).join(' to ')}) | ${r.noiseQuartiles.map(percent).join(' to ')} | 5% ${targetVerdict(r)} `
      + `| ${r.cpuOverhead === null ? 'not measured' : `${percent(r.cpuOverhead)} (${r.cpuNoiseQuartiles!.map(percent).join(' to ')})`} `
      + `| ${(100 * r.recorderShare).toFixed(1)}% (${r.recorderShareQuartiles.map((v) => `${(100 * v).toFixed(1)}%`).join(' to ')}) | ${r.fixedCostMs.toFixed(0)} ms |`);
  }
  lines.push('Training: the time model.fit takes, fresh processes, rounds of unrecorded, recorded and unrecorded again (order alternating); the overhead is the median of the rounds\' ratios, '
    + 'next to the ratio of the two unrecorded runs (the machine\'s noise); the target is judged by the interval that holds the true median at 95% (order statistics of the rounds). Main thread CPU: the same ratios of the time the training thread spent on a CPU (Linux scheduler statistics), '
    + 'which leave out waiting for a core (most of a shared machine\'s noise) and include no work other threads do for the record. In the recorder\'s code: the main thread\'s time inside the recorder\'s methods, its timer-driven flushes and its backup callback while fit runs (outermost calls timed), '
    + 'as a share of fit, in separate recorded runs: what recording costs directly, without an unrecorded run to compare with. Fixed cost: what the record adds outside fit (environment manifest: lockfile and script hashes, git facts; status files), once per run.');
} else {
  lines.push(`Recording overhead: the measurement failed. ${recording?.stderr.slice(-300)}`);
}
console.log(lines.join('\n'));
mkdirSync(fileURLToPath(new URL('../../bench/', import.meta.url)), { recursive: true });
writeFileSync(fileURLToPath(new URL('../../bench/results.json', import.meta.url)), `${JSON.stringify({ cores, repeats, budget, workloads: WORKLOADS, dataParallel: { workload: 'B', microBatch: 64, engines: DATA_PARALLEL_ENGINES }, node: process.version, cpu: cpus()[0]?.model, simdPeakGflops: peak, results, failures, memory, recording: recorded ?? null }, null, 2)}\n`);
