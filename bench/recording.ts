/**
 * Recording overhead (issue 11): the same training with and without a run recorder, each in a
 * fresh process, median of REPEATS: a small model for 4000 epochs (per-epoch records dominate)
 * and the modern tutorial. Usage: node dist/bench/recording.js [--repeats N]; prints JSON.
 * Also: node dist/bench/recording.js <workload> <plain|recorded> (one measurement).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vb from '../src/index.js';

type Workload = 'epochs4000' | 'tutorial';

async function train(workload: Workload): Promise<void> {
  vb.setRandomSeed(1);
  if (workload === 'epochs4000') {
    const x = vb.random.normal(vb.random.key(1), [64, 4]);
    const model = vb.sequential({ layers: [vb.layers.dense({ units: 8, inputShape: [4], activation: 'relu' }), vb.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await model.fit(x, vb.sum(x, 1, true), { epochs: 4000, batchSize: 32, verbose: 0 });
    return;
  }
  const x = vb.random.normal(vb.random.key(1), [1000, 20]);
  const y = vb.cast(vb.greater(vb.sum(x, 1, true), vb.scalar(0)), 'float32');
  const model = vb.sequential({ layers: [vb.layers.dense({ units: 32, inputShape: [20], activation: 'relu' }), vb.layers.dense({ units: 1, activation: 'sigmoid' })] });
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
}

/** Seconds of one training, recorded into a temporary store or not. */
async function measure(workload: Workload, mode: 'plain' | 'recorded'): Promise<number> {
  const store = mkdtempSync(join(tmpdir(), 'verbatim-bench-store-'));
  try {
    const t0 = performance.now();
    if (mode === 'recorded') await vb.runs.record({ store }, () => train(workload));
    else await train(workload);
    return (performance.now() - t0) / 1000;
  } finally {
    rmSync(store, { recursive: true, force: true });
  }
}

const [first, second] = process.argv.slice(2);
if (first === 'epochs4000' || first === 'tutorial') {
  console.log(JSON.stringify({ seconds: await measure(first, second === 'recorded' ? 'recorded' : 'plain') }));
} else {
  const repeats = first === '--repeats' ? Number(second) : 3;
  const self = fileURLToPath(import.meta.url);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const once = (workload: Workload, mode: string) => {
    const child = spawnSync(process.execPath, [self, workload, mode], { encoding: 'utf8' });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`recording bench ${workload} ${mode} failed: ${child.stderr.slice(-500)}`);
    return (JSON.parse(line) as { seconds: number }).seconds;
  };
  const result: Record<string, { plain: number; recorded: number; overhead: number }> = {};
  for (const workload of ['epochs4000', 'tutorial'] as const) {
    const plain: number[] = [];
    const recorded: number[] = [];
    // Interleaved, so that a slower spell of a shared machine falls on both.
    for (let r = 0; r < repeats; r++) {
      plain.push(once(workload, 'plain'));
      recorded.push(once(workload, 'recorded'));
    }
    result[workload] = { plain: median(plain), recorded: median(recorded), overhead: median(recorded) / median(plain) - 1 };
  }
  console.log(JSON.stringify(result));
}
