/**
 * Recording overhead (issue 11): the same training with and without a run recorder, each in a
 * fresh process: a small model for 4000 epochs (per-epoch records dominate), the modern tutorial
 * with 20 epochs, and the classic tutorial's ten fits of 100 epochs (per-fit records and files). Two numbers per workload: the overhead on training
 * (the time model.fit takes: the fit's records, every epoch's, the data fingerprints, the final
 * model files) against the 5% target, and the run's fixed cost in milliseconds (what recording
 * adds outside fit: the environment manifest with its lockfile and script hashes and git facts,
 * the status files), paid once per run whatever its length.
 * Recorded runs are given the script's git facts as `verbatim run` gives them (asked before the
 * script starts, so that the training process forks no git while it trains).
 * Each round runs unrecorded, recorded and unrecorded again: the overhead is the median of the
 * rounds' ratios, with quartiles, next to the quartiles of the two unrecorded runs' ratio (the
 * noise of the machine: on a shared 2-core machine a few points either way).
 * The same ratios are also taken of the main thread's CPU time (Linux scheduler statistics): they
 * leave out the time the thread waits for a core, most of a shared machine's noise, and count
 * only what recording costs the training thread (not the work its worker thread does).
 * A third number needs no unrecorded run: the main thread's time inside the recorder's own code
 * while fit runs (its observer methods, its timer-driven flushes, the automatic backup callback),
 * timed around each outermost call. It leaves out what recording costs indirectly (garbage
 * collection, compiler threads), but the noise of a fresh process's speed cancels in its ratio.
 * Usage: node dist/bench/recording.js [--repeats N]; prints JSON.
 * Also: node dist/bench/recording.js <workload> <plain|recorded|hooks> (one measurement).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vb from '../src/index.js';
import { BackupAndRestore } from '../src/models/backup.js';
import { gitFacts } from '../src/runs/environment.js';
import { RunRecorder } from '../src/runs/recorder.js';
import { AppendFiles } from '../src/runs/store.js';

const WORKLOADS = ['epochs4000', 'tutorial', 'classic'] as const;
type Workload = (typeof WORKLOADS)[number];

/**
 * Milliseconds this process's main thread has spent on a CPU (Linux: the scheduler's statistics;
 * undefined elsewhere). Unlike the clock it leaves out the time the thread waits for a core,
 * which on a shared machine is most of the noise.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/** Seconds of model.fit, by the clock and on the main thread's CPU (NaN where not measurable). */
interface FitTime {
  wall: number;
  cpu: number;
}

/** Whether a fit is running (the recorder's time is counted only then). */
let fitting = false;
/** Milliseconds the main thread spent inside the recorder's code while fits ran. */
let recorderMs = 0;

/**
 * Times every method of the recorder, its buffered files and its backup callback, counting only
 * outermost calls (a flush inside an epoch's record is part of that record's time).
 */
function timeRecorderCode(): void {
  let depth = 0;
  for (const prototype of [RunRecorder.prototype, AppendFiles.prototype, BackupAndRestore.prototype] as unknown as Record<string, unknown>[]) {
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name)!.value as unknown;
      if (name === 'constructor' || typeof method !== 'function') continue;
      prototype[name] = function timedMethod(this: unknown, ...args: unknown[]): unknown {
        if (depth > 0 || !fitting) return method.apply(this, args);
        depth++;
        const t0 = performance.now();
        try {
          return method.apply(this, args);
        } finally {
          depth--;
          recorderMs += performance.now() - t0;
        }
      };
    }
  }
}

/** Trains; returns the time model.fit took. */
async function train(workload: Workload): Promise<FitTime> {
  vb.setRandomSeed(1);
  const spent: FitTime = { wall: 0, cpu: 0 };
  const timed = async (fit: () => Promise<unknown>) => {
    const [t0, c0] = [performance.now(), mainThreadCpuMs() ?? NaN];
    fitting = true;
    await fit().finally(() => { fitting = false; });
    spent.wall += (performance.now() - t0) / 1000;
    spent.cpu += ((mainThreadCpuMs() ?? NaN) - c0) / 1000;
    return spent;
  };
  if (workload === 'epochs4000') {
    const x = vb.random.normal(vb.random.key(1), [64, 4]);
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }), vb.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    return timed(() => model.fit(x, vb.sum(x, 1, true), { epochs: 4000, batchSize: 32, verbose: 0 }));
  }
  if (workload === 'classic') {
    // examples/classic-tutorial.ts: ten models fit y = x + 0.1 for 100 epochs each (ten fits, each with its own records and files).
    const sequence = Array.from({ length: 10 }, (_, i) => i / 10);
    const x = vb.tensor2d(sequence.slice(0, -1), [9, 1]);
    const y = vb.tensor2d(sequence.slice(1), [9, 1]);
    for (let repeat = 0; repeat < 10; repeat++) {
      const model = vb.sequential({ layers: [vb.layers.dense({ units: 10, inputDim: 1 }), vb.layers.dense({ units: 1 })] });
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      await timed(() => model.fit(x, y, { epochs: 100, batchSize: 9, verbose: 0 }));
      model.dispose();
    }
    return spent;
  }
  const x = vb.random.normal(vb.random.key(1), [1000, 20]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), vb.scalar(0)), 'float32');
  const model = vb.sequential({ layers: [vb.layers.dense({ units: 32, inputShape: [20], activation: 'relu' }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return timed(() => model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 }));
}

/** What the bench reports per workload (bench/run.ts prints it). */
export interface RecordingOverhead {
  /** Median seconds of model.fit, unrecorded and recorded. */
  plainFit: number;
  recordedFit: number;
  /** The median over rounds of recorded fit / unrecorded fit - 1, and its quartiles. */
  overhead: number;
  overheadQuartiles: [number, number];
  /**
   * Where the true median lies, at `confidence` (order statistics of the rounds, no assumption on
   * the noise's distribution): the overhead is known to be under (or over) a target only when the
   * whole interval is.
   */
  overheadInterval: { low: number; high: number; confidence: number };
  /** The same ratio between two unrecorded runs of a round: how far apart identical runs are. */
  noiseQuartiles: [number, number];
  /** The same two, on the main thread's CPU time instead of the clock (null where not measurable). */
  cpuOverhead: number | null;
  cpuNoiseQuartiles: [number, number] | null;
  /** Milliseconds the record adds outside fit, once per run. */
  fixedCostMs: number;
  /** The main thread's time inside the recorder's code during fit, as a share of fit: median and quartiles over the rounds. */
  recorderShare: number;
  recorderShareQuartiles: [number, number];
}

interface Measurement {
  /** Seconds of model.fit. */
  fit: number;
  /** Seconds of model.fit inside the recorder's code (hooks mode only). */
  recorder?: number;
  /** Seconds of model.fit on the main thread's CPU. */
  fitCpu: number;
  /** Seconds of the whole run: building the data and model, fit, and (recorded) starting and ending the record. */
  total: number;
}

/** One training, recorded into a temporary store or not. */
async function measure(workload: Workload, mode: 'plain' | 'recorded' | 'hooks'): Promise<Measurement> {
  const store = mkdtempSync(join(tmpdir(), 'verbatim-bench-store-'));
  try {
    // The backend is made first: both modes pay it, in either place.
    vb.tensor([0]).dataSync();
    const t0 = performance.now();
    // Recorded as `verbatim run` records: with its automatic backups (at most 30 s apart, and at each fit's end).
    // The git facts as the CLI gives them (a run of this file alone asks git itself, in the background).
    const given = process.env.RECORDING_BENCH_GIT;
    const git = given === undefined ? {} : { git: JSON.parse(given) as { commit: string; dirty: boolean } | null };
    if (mode === 'hooks') timeRecorderCode();
    const fit = mode === 'plain' ? await train(workload) : await vb.runs.record({ store, backupInterval: 30, ...git }, () => train(workload));
    return { fit: fit.wall, fitCpu: fit.cpu, total: (performance.now() - t0) / 1000, ...(mode === 'hooks' ? { recorder: recorderMs / 1000 } : {}) };
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

const [first, second] = process.argv.slice(2);
if ((WORKLOADS as readonly string[]).includes(first ?? '')) {
  console.log(JSON.stringify(await measure(first as Workload, second === 'recorded' || second === 'hooks' ? second : 'plain')));
} else {
  const repeats = first === '--repeats' ? Number(second) : 3;
  const self = fileURLToPath(import.meta.url);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  // As `verbatim run` does, git is asked before the script starts (src/cli/execute.ts), not by the training process.
  const git = JSON.stringify(gitFacts(self));
  const once = (workload: Workload, mode: string) => {
    const child = spawnSync(process.execPath, [self, workload, mode], { encoding: 'utf8', env: { ...process.env, RECORDING_BENCH_GIT: git } });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`recording bench ${workload} ${mode} failed: ${child.stderr.slice(-500)}`);
    return JSON.parse(line) as Measurement;
  };
  const quantile = (v: number[], q: number) => {
    const sorted = [...v].sort((a, b) => a - b);
    return sorted[Math.round(q * (sorted.length - 1))]!;
  };
  /**
   * The distribution-free interval for a median: the k-th smallest and k-th largest of n values
   * cover it with probability 1 - 2 P(Binomial(n, 1/2) < k); k is the largest that keeps that at
   * least 95% (with fewer than 6 rounds none does: the extremes, at their lower confidence).
   */
  const medianInterval = (v: number[]) => {
    const sorted = [...v].sort((a, b) => a - b);
    const n = sorted.length;
    // In logarithms: 0.5 ** n underflows to 0 from n = 1075 on.
    const logPmf = [-n * Math.LN2];
    for (let j = 1; j <= n; j++) logPmf.push(logPmf[j - 1]! + Math.log((n - j + 1) / j));
    const pmf = logPmf.map(Math.exp);
    // [x(k), x(n + 1 - k)] (1-based) covers the median with probability 1 - 2 P(B < k).
    let k = 1;
    let tail = pmf[0]!;
    while (k + 1 <= n - k && 1 - 2 * (tail + pmf[k]!) >= 0.95) tail += pmf[k++]!;
    return { low: sorted[k - 1]!, high: sorted[n - k]!, confidence: 1 - 2 * tail };
  };
  const result: Record<string, RecordingOverhead> = {};
  for (const workload of WORKLOADS) {
    const plain: Measurement[] = [];
    const recorded: Measurement[] = [];
    const control: Measurement[] = [];
    // Interleaved, so that a slower spell of a shared machine falls on both; the order within a
    // round alternates, so that neither mode always runs right after the other. Each round has a
    // second unrecorded run: plain against plain is the noise floor the overhead is read against.
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 === 0 ? (['plain', 'recorded', 'control'] as const) : (['recorded', 'control', 'plain'] as const);
      for (const mode of order) (mode === 'plain' ? plain : mode === 'recorded' ? recorded : control).push(once(workload, mode === 'recorded' ? 'recorded' : 'plain'));
    }
    // The recorder's own time needs no unrecorded run to compare with: a few rounds settle it.
    const shares = Array.from({ length: Math.min(repeats, 5) }, () => once(workload, 'hooks')).map((m) => m.recorder! / m.fit);
    const ratios = recorded.map((m, i) => m.fit / plain[i]!.fit - 1);
    const noise = control.map((m, i) => m.fit / plain[i]!.fit - 1);
    const cpuRatios = recorded.map((m, i) => m.fitCpu / plain[i]!.fitCpu - 1);
    const cpuNoise = control.map((m, i) => m.fitCpu / plain[i]!.fitCpu - 1);
    const cpuMeasured = cpuRatios.every(Number.isFinite);
    // What the record adds outside fit: the whole run's difference less fit's.
    const outside = median(recorded.map((m) => m.total - m.fit)) - median(plain.map((m) => m.total - m.fit));
    result[workload] = {
      plainFit: median(plain.map((m) => m.fit)),
      recordedFit: median(recorded.map((m) => m.fit)),
      overhead: median(ratios),
      overheadQuartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)],
      overheadInterval: medianInterval(ratios),
      noiseQuartiles: [quantile(noise, 0.25), quantile(noise, 0.75)],
      cpuOverhead: cpuMeasured ? median(cpuRatios) : null,
      cpuNoiseQuartiles: cpuMeasured ? [quantile(cpuNoise, 0.25), quantile(cpuNoise, 0.75)] : null,
      fixedCostMs: 1000 * outside,
      recorderShare: median(shares),
      recorderShareQuartiles: [quantile(shares, 0.25), quantile(shares, 0.75)],
    };
  }
  console.log(JSON.stringify(result));
}
