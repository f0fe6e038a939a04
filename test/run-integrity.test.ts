/**
 * The run tools against stores whose files were changed or lost behind the records' back (issue
 * 11): `diff` and `verify` check every kept weight snapshot and the final weights against the
 * digests the records hold, a run missing epochs.jsonl, fits.jsonl or run.json is corrupt in
 * every command, and `diff` exits like diff(1). Real CLI processes and real stores.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-integrity');
const STORE = join(WORK, 'store');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Listed { id: string; name: string | null; status: string; problem?: string }
const listed = (): Listed[] => JSON.parse(cli(['ls', '--json']).stdout) as Listed[];
const named = (name: string) => listed().filter((r) => r.name === name).map((r) => r.id);

/** The epoch records of a run, as the recorder wrote them. */
const epochRecords = (id: string) => readFileSync(join(STORE, id, 'epochs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fit: number; epoch: number; digest: string });

/** Runs fn with one byte of the file changed (or the file replaced by `content`), then puts the file back. */
function tampered(file: string, change: number | Buffer, fn: () => void): void {
  const original = readFileSync(file);
  const bytes = typeof change === 'number' ? Buffer.from(original) : change;
  if (typeof change === 'number') bytes[change] = bytes[change]! ^ 0x01;
  writeFileSync(file, bytes);
  try {
    fn();
  } finally {
    writeFileSync(file, original);
  }
}

/**
 * Runs fn with the file's last `cut` bytes gone as a process killed while writing them leaves it:
 * its run's status says interrupted (a completed run writes every record whole).
 */
function tornByKill(file: string, cut: number, fn: () => void): void {
  const status = join(dirname(file), 'status.json');
  const record = JSON.parse(readFileSync(status, 'utf8')) as Record<string, unknown>;
  const whole = readFileSync(file);
  const killed = Buffer.from(JSON.stringify({ ...record, status: 'interrupted', signal: 'SIGKILL', error: { message: 'killed by SIGKILL' } }));
  tampered(status, killed, () => tampered(file, whole.subarray(0, whole.length - cut), fn));
}

/** Runs fn with the file moved away, then puts it back. */
function without(file: string, fn: () => void): void {
  renameSync(file, `${file}.away`);
  try {
    fn();
  } finally {
    renameSync(`${file}.away`, file);
  }
}

const FIT = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.ones([4, 3]), vb.ones([4, 1]), { epochs: 3, verbose: 0 });
`;

/** Three fits, two of which end with the best weights restored: weights.bin is not the last epoch's weights. */
const BEST = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 3, inputShape: [2] }), vb.layers.dense({ units: 1 })] });
m.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.5 }), loss: 'mse' });
const x = vb.tensor2d([[1, 2], [3, -1], [0.5, 4], [-2, 1]]);
const y = vb.tensor2d([[1], [0], [2], [-1]]);
const best = () => [vb.callbacks.earlyStopping({ monitor: 'loss', patience: 1, restoreBestWeights: true })];
await m.fit(x, y, { epochs: 6, verbose: 0, callbacks: best() });
await m.fit(x, y, { epochs: 1, verbose: 0 });
await m.fit(x, y, { epochs: 6, verbose: 0, callbacks: best() });
`;

describe('run tools: weight files and records that were changed or lost', () => {
  let same: [string, string];
  let other: string;
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'fit.mjs'), FIT);
    const r = cli(['run', join(WORK, 'fit.mjs'), '--seeds', '1,1,2', '--name', 'fit']);
    assert.equal(r.code, 0, r.stderr);
    const ids = named('fit');
    same = [ids[0]!, ids[1]!];
    other = ids[2]!;
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('diff exits 0 for identical runs and 1 when they differ (with --json too), 2 for bad usage', () => {
    const identical = cli(['diff', ...same]);
    assert.equal(identical.code, 0, identical.stderr);
    assert.match(identical.stdout, /^identical: every recorded digest, metric and value bit agrees$/m);
    const different = cli(['diff', same[0], other]);
    assert.equal(different.code, 1, different.stderr);
    assert.match(different.stdout, /first divergence: fit 0, epoch 0 \(initial weights\): weights differ/);
    const json = cli(['diff', same[0], other, '--json']);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { identical: boolean }).identical, false);
    assert.equal((JSON.parse(cli(['diff', ...same, '--json']).stdout) as { identical: boolean }).identical, true);
    assert.equal(cli(['diff', same[0]]).code, 2);
    assert.match(cli(['diff', '--help']).stdout, /Exit codes \(as diff\(1\)\): 0 identical .*, 1 the runs differ in anything diff reports, or a run is corrupt, 2 bad usage/);
  });

  it('diff exits 1 for any difference it reports: a hand-edited config whose digests all agree', () => {
    const [a, b] = same;
    const fits = join(STORE, b, 'fits.jsonl');
    const edited = readFileSync(fits, 'utf8').split('\n').map((line) => {
      if (!line.includes('"options"')) return line;
      const record = JSON.parse(line) as { options: Record<string, unknown> };
      return JSON.stringify({ ...record, options: { ...record.options, verbose: 2 } });
    }).join('\n');
    tampered(fits, Buffer.from(edited), () => {
      const r = cli(['diff', a, b]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^config: \n {2}fit 0\.options\.verbose: 0 -> 2$/m);
      assert.match(r.stdout, /^every recorded digest, metric and value bit agrees, but the runs differ in: config \(above\)$/m);
      const json = cli(['diff', a, b, '--json']);
      assert.equal(json.code, 1);
      assert.deepEqual(Object.entries(JSON.parse(json.stdout) as Record<string, unknown>).filter(([k]) => k === 'identical' || k === 'differ'), [['identical', true], ['differ', true]]);
    });
    assert.equal(cli(['diff', a, b]).code, 0, 'the config put back, nothing differs');
  });

  it('a metric value edited in epochs.jsonl while its float32 bits stay is a corrupt run, naming file, fit, epoch and metric', () => {
    const [a, b] = same;
    const file = join(STORE, b, 'epochs.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const line = JSON.parse(lines[2]!) as { fit: number; epoch: number; logs: { loss: number }; logBits: { loss: string } };
    const edit = (loss: unknown) => Buffer.from([...lines.slice(0, 2), JSON.stringify({ ...line, logs: { loss } }), ...lines.slice(3)].join('\n') + '\n');
    tampered(file, edit(line.logs.loss / 2), () => {
      const message = new RegExp(`corrupt: ${file.replace(/[/.]/g, '\\$&')} record 3 \\(fit 0, epoch 2\\): metric "loss" is ${line.logs.loss / 2}, but its recorded float32 bits ${line.logBits.loss} \\(logBits\\) are ${line.logs.loss}: one of them was changed`);
      for (const command of [['diff', a, b], ['verify', b]]) {
        const r = cli(command);
        assert.equal(r.code, 1, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, message, command.join(' '));
      }
      assert.equal(listed().find((r) => r.id === b)!.status, 'corrupt');
    });
    // What JSON cannot tell apart is no edit: a NaN written as null (older runs) or as "NaN", -0 written as 0.
    for (const [loss, bits] of [[null, '7fc00000'], ['NaN', 'ffc00000'], [0, '80000000']] as const) {
      tampered(file, Buffer.from([...lines.slice(0, 2), JSON.stringify({ ...line, logs: { loss }, logBits: { loss: bits } }), ...lines.slice(3)].join('\n') + '\n'), () => {
        assert.equal(listed().find((r) => r.id === b)!.status, 'completed', `${JSON.stringify(loss)} with bits ${bits}`);
      });
    }
    tampered(file, edit('Infinity'), () => assert.match(listed().find((r) => r.id === b)!.problem!, /metric "loss" is "Infinity", but its recorded float32 bits/));
  });

  it('exit code 2 comes from the error\'s class, not from its message: a report of only corrupt runs is a failed check (1)', () => {
    const [, b] = same;
    without(join(STORE, b, 'epochs.jsonl'), () => {
      const r = cli(['report', b, '--out', join(WORK, 'corrupt.html')]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /verbatim report: Expected at least one readable run\. Received: 1 corrupt/);
    });
    const bad = cli(['report', '--out', join(WORK, 'none.html')]);
    assert.equal(bad.code, 2, 'naming no runs is bad usage');
  });

  it('a changed snapshot, of any epoch, is a corrupt run for diff and verify, naming the file, the epoch and both digests', () => {
    const [a, b] = same;
    const records = epochRecords(b);
    const snapshots = join(STORE, b, 'weights', 'fit-0.bin');
    const snapshotBytes = readFileSync(snapshots).length / records.length;
    assert.equal(snapshotBytes, (3 * 2 + 2 + 2 * 1 + 1) * 4, 'each snapshot holds the 11 weights of the two layers');
    // Epoch 1: not where the runs diverge (they do not), so nothing else would read it.
    tampered(snapshots, snapshotBytes + 5, () => {
      for (const command of [['diff', a, b], ['diff', b, a], ['verify', b]]) {
        const r = cli(command);
        assert.equal(r.code, 1, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.stdout, /identical/);
        assert.match(r.stderr, new RegExp(`Received: ${b}, corrupt: weights/fit-0\\.bin, snapshot 2 \\(fit 0, epoch 1\\): expected digest ${records[1]!.digest} \\(epochs\\.jsonl\\), the file holds (?!${records[1]!.digest})[0-9a-f]{64}`));
      }
    });
    // The last snapshot, and a snapshot file cut short or lost.
    tampered(snapshots, 3 * snapshotBytes + 2, () => assert.match(cli(['diff', a, b]).stderr, /snapshot 4 \(fit 0, epoch 3\): expected digest/));
    tampered(snapshots, readFileSync(snapshots).subarray(0, 2 * snapshotBytes), () => {
      const r = cli(['diff', a, b]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`weights/fit-0\\.bin holds ${2 * snapshotBytes} bytes, 2 whole snapshot\\(s\\) of the ${snapshotBytes} bytes the recorded weight shapes need, but the weights of fit 0 from epoch 2 on were kept there`));
    });
    without(snapshots, () => assert.match(cli(['verify', b]).stderr, /weights\/fit-0\.bin is missing, but the weights of fit 0 from epoch 0 on were kept there/));
    assert.equal(cli(['diff', a, b]).code, 0, 'the files put back, the runs are identical again');
  });

  it('changed final weights (weights.bin) are a corrupt run for diff and verify; restored best weights are not', () => {
    const [a, b] = same;
    const weights = join(STORE, b, 'weights.bin');
    const last = epochRecords(b).at(-1)!;
    tampered(weights, 7, () => {
      for (const command of [['diff', a, b], ['verify', b]]) {
        const r = cli(command);
        assert.equal(r.code, 1, `${command.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`corrupt: weights\\.bin \\(the final weights of fit 0\\): expected digest ${last.digest} .*, the file holds (?!${last.digest})[0-9a-f]{64}`));
      }
    });
    tampered(weights, readFileSync(weights).subarray(0, 8), () => assert.match(cli(['diff', a, b]).stderr, /corrupt: weights\.bin holds 8 bytes, model\.json's weights need 44/));
    without(weights, () => assert.match(cli(['diff', a, b]).stderr, /corrupt: model\.json names weights\.bin, which is missing/));

    writeFileSync(join(WORK, 'best.mjs'), BEST);
    assert.equal(cli(['run', join(WORK, 'best.mjs'), '--seed', '3', '--name', 'best']).code, 0);
    const [best] = named('best');
    const dir = join(STORE, best!);
    const final = readFileSync(join(dir, 'weights.bin'));
    const lastSnapshot = readFileSync(join(dir, 'weights', 'fit-2.bin')).subarray(-final.length);
    assert.notDeepEqual(final, lastSnapshot, 'the best weights were restored: weights.bin is an earlier epoch\'s');
    const r = cli(['diff', best!, best!]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(cli(['verify', best!]).code, 0);
  });

  it('a lost epochs.jsonl, fits.jsonl or run.json is a corrupt run in ls, show, diff, verify and report, with the reason', () => {
    const [a, b] = same;
    for (const [file, reason] of [
      ['epochs.jsonl', /epochs\.jsonl is missing or empty, though history\.json, model\.json, weights\.bin show that fits ran/],
      ['fits.jsonl', /fits\.jsonl is missing or empty, though epochs\.jsonl, history\.json, model\.json, weights\.bin, weights\/fit-0\.bin show that fits ran/],
      ['run.json', /run\.json is missing, though the run recorded epochs\.jsonl, fits\.jsonl, .*: the run record is lost/],
    ] as const) {
      without(join(STORE, b, file), () => {
        const entry = listed().find((r) => r.id === b)!;
        assert.equal(entry.status, 'corrupt', file);
        assert.match(entry.problem!, reason);
        assert.match(cli(['ls']).stdout, new RegExp(`reasons:\\n(.*\\n)*\\s+${b}\\s+corrupt\\s+.*${file.replace('.', '\\.')} is missing`));
        const show = cli(['show', b]);
        assert.match(show.stdout, /status corrupt\nproblem: .*is missing/);
        for (const command of [['diff', a, b], ['verify', b]]) {
          const r = cli(command);
          assert.equal(r.code, 1, `${file}: ${command.join(' ')}: ${r.stdout}${r.stderr}`);
          assert.match(r.stderr, reason);
          assert.doesNotMatch(r.stderr, /recorded in-process/);
        }
        const report = cli(['report', a, b, '--out', join(WORK, 'report.html')]);
        assert.match(report.stderr, new RegExp(`left out ${b}, corrupt: .*${file.replace('.', '\\.')} is missing`));
        assert.match(report.stdout, /\(1 runs\)/);
      });
    }
    // A malformed fit line is a corrupt run too, not a run without fits whose snapshots nothing checks.
    const fits = join(STORE, b, 'fits.jsonl');
    tampered(fits, Buffer.from(`{"fit":0,${readFileSync(fits, 'utf8')}`), () => {
      assert.match(listed().find((r) => r.id === b)!.problem!, /fits\.jsonl line 1: /);
      assert.equal(cli(['diff', a, b]).code, 1);
    });
    // A script that trains nothing has neither file, and is a completed run.
    writeFileSync(join(WORK, 'no-fit.mjs'), "import * as vb from 'verbatim';\nvb.runs.log('answer', 42);\n");
    assert.equal(cli(['run', join(WORK, 'no-fit.mjs'), '--name', 'no-fit']).code, 0);
    assert.equal(listed().find((r) => r.name === 'no-fit')!.status, 'completed');
  });
});

/** One fit whose onTrainEnd scales the weights by SCALE (1 by default): the final weights are not the last epoch's. */
const SCALED = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
const s = Number(process.env.SCALE ?? '1');
await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 2, verbose: 0, callbacks: [{ onTrainEnd: () => { m.setWeights(m.getWeights().map((t) => vb.mul(t, s))); } }] });
`;

describe('run tools: after an outside test', () => {
  let a = '';
  let b = '';
  before(() => {
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'scaled.mjs'), SCALED);
    for (const scale of ['1', '0.5']) {
      const r = spawnSync(process.execPath, [CLI, 'run', join(WORK, 'scaled.mjs'), '--seed', '1', '--name', `scaled-${scale}`], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE, SCALE: scale } });
      assert.equal(r.status, 0, r.stderr);
    }
    [a, b] = [named('scaled-1')[0]!, named('scaled-0.5')[0]!];
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('runs whose final weights differ (a change in onTrainEnd) differ in diff and ls, though every epoch agrees', () => {
    assert.deepEqual(epochRecords(a).map((e) => e.digest), epochRecords(b).map((e) => e.digest));
    const r = cli(['diff', a, b]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /first divergence: fit 0, epoch 2: final weights \(after the fit's onTrainEnd\) differ/);
    const digests = listed().filter((l) => l.id === a || l.id === b).map((l) => (l as { digest?: string }).digest);
    assert.notEqual(digests[0], digests[1], 'ls shows the weights each run ended with');
  });

  it('a fits.jsonl line that is not a fit record, a directory in a file\'s place, and bytes past a completed run\'s snapshots make the run corrupt, named', () => {
    const fits = join(STORE, a, 'fits.jsonl');
    tampered(fits, Buffer.from(readFileSync(fits, 'utf8').replace(/^.*$/m, 'null')), () => {
      for (const command of [['diff', a, b], ['show', a]]) {
        const r = cli(command);
        assert.match(r.stdout + r.stderr, /fits\.jsonl record 1: Expected an object with a non-negative integer fit/, command.join(' '));
        assert.doesNotMatch(r.stdout + r.stderr, /Cannot read properties/);
      }
    });
    // A directory where a record or weight file should be: the file is named.
    for (const [file, shown] of [[fits, /fits\.jsonl: Expected a regular file\. Received: a directory/], [join(STORE, a, 'weights', 'fit-0.bin'), /weights\/fit-0\.bin: EISDIR/]] as const) {
      without(file, () => {
        mkdirSync(file);
        try {
          assert.match(cli(['diff', a, b]).stderr, shown);
        } finally {
          rmSync(file, { recursive: true });
        }
      });
    }
    const snapshots = join(STORE, a, 'weights', 'fit-0.bin');
    tampered(snapshots, Buffer.concat([readFileSync(snapshots), Buffer.from('x')]), () => {
      const r = cli(['diff', a, a]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /weights\/fit-0\.bin holds 37 bytes, more than the 36 of the 3 snapshot\(s\) of fit 0 its records list/);
    });
  });
});

/** Two fits of one model with evaluations between and after them: weights.bin is the second fit's, whose weights have the first's shapes. */
const EVALUATED = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
const x = vb.tensor2d([[1, 2, 3], [0, -1, 2], [3, 1, 0], [-2, 0, 1]]);
const y = vb.tensor2d([[1], [0], [2], [-1]]);
await m.fit(x, y, { epochs: 2, verbose: 0 });
m.evaluate(x, y);
await m.fit(x, y, { epochs: 2, verbose: 0 });
m.evaluate(vb.slice(x, [0, 0], [2, 3]), vb.slice(y, [0, 0], [2, 1]));
m.evaluate(vb.slice(x, [1, 0], [3, 3]), vb.slice(y, [1, 0], [3, 1]));
`;

describe('run tools: evaluations, the order of fit records, and which fit weights.bin is', () => {
  let a = '';
  let b = '';
  before(() => {
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'evaluated.mjs'), EVALUATED);
    const r = cli(['run', join(WORK, 'evaluated.mjs'), '--seeds', '1,1', '--name', 'evaluated']);
    assert.equal(r.code, 0, r.stderr);
    [a, b] = named('evaluated') as [string, string];
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  /** The file's lines (without the last newline) changed by `edit`, as bytes. */
  const edited = (file: string, edit: (lines: string[]) => string[]) => Buffer.from(`${edit(readFileSync(file, 'utf8').replace(/\n$/, '').split('\n')).join('\n')}\n`);
  /** diff and verify of run b both refuse it as corrupt, with this reason. */
  const refused = (reason: RegExp, what: string) => {
    for (const command of [['diff', a, b], ['verify', b]]) {
      const r = cli(command);
      assert.equal(r.code, 1, `${what}: ${command.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout, /identical/, what);
      assert.match(r.stderr, new RegExp(`Expected a readable run\\. Received: ${b}, corrupt: .*${reason.source}`), `${what}: ${command[0]}`);
    }
  };

  it('a damaged line of evaluations.jsonl (filled with NULs, or cut short) that is not the last is a corrupt run in ls, diff and verify; a torn last line is not', () => {
    const file = join(STORE, b, 'evaluations.jsonl');
    assert.equal(cli(['diff', a, b]).code, 0, 'as recorded, the runs are identical');
    for (const [what, edit, line] of [
      ['a NUL-filled line', (lines: string[]) => lines.map((l, i) => (i === 1 ? '\0'.repeat(l.length) : l)), 2],
      ['a line cut short', (lines: string[]) => lines.map((l, i) => (i === 0 ? l.slice(0, 40) : l)), 1],
    ] as const) {
      tampered(file, edited(file, edit), () => {
        const reason = new RegExp(`evaluations\\.jsonl line ${line}: `);
        const entry = listed().find((r) => r.id === b)!;
        assert.equal(entry.status, 'corrupt', what);
        assert.match(entry.problem!, reason, what);
        refused(reason, what);
      });
    }
    // A kill in the middle of writing the last line: the run is not corrupt, and that evaluation is not recorded.
    tornByKill(file, 30, () => {
      assert.equal(listed().find((r) => r.id === b)!.status, 'interrupted');
      const r = cli(['diff', a, b]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^data content: \n {2}evaluation 2 x: [0-9a-f]{16} -> absent\n {2}evaluation 2 y: [0-9a-f]{16} -> absent$/m);
    });
  });

  it('diff and verify compare what each evaluation saw: an edited shape or digest is a data difference', () => {
    const file = join(STORE, b, 'evaluations.jsonl');
    const records = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { data: Record<string, { shape: number[]; sha256: string }> });
    assert.deepEqual(records.map((e) => e.data.x!.shape), [[4, 3], [2, 3], [3, 3]]);
    const sha = records[0]!.data.x!.sha256;
    tampered(file, edited(file, (lines) => lines.map((l, i) => (i === 0 ? l.replace(sha, sha.replace(/^./, (c) => (c === '0' ? '1' : '0'))) : l))), () => {
      const r = cli(['diff', a, b]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^data content: \\n {2}evaluation 0 x: ${sha.slice(0, 16)} -> (?!${sha.slice(0, 16)})[0-9a-f]{16}$`, 'm'));
      assert.match(r.stdout, /^every recorded digest, metric and value bit agrees, but the runs differ in: data content \(above\)$/m);
    });
    tampered(file, edited(file, (lines) => lines.map((l, i) => (i === 1 ? l.replace('"shape":[2,3]', '"shape":[9,3]') : l))), () => {
      assert.match(cli(['diff', a, b]).stdout, /^data content: \n {2}evaluation 1 x: float32 \[2,3\] -> float32 \[9,3\]$/m);
      const verify = cli(['verify', b]);
      assert.equal(verify.code, 1, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /^data that differ:\n {2}evaluation 1 x: float32 \[9,3\] -> float32 \[2,3\]$/m);
    });
  });

  it('a fits.jsonl line repeated or moved is a corrupt run for diff and verify; an edited data shape is a data difference', () => {
    const file = join(STORE, b, 'fits.jsonl');
    const kinds = readFileSync(file, 'utf8').trim().split('\n').map((l) => Object.keys(JSON.parse(l) as object)[1]);
    assert.deepEqual(kinds, ['kind', 'datasetFingerprint', 'finalDigest', 'kind', 'datasetFingerprint', 'finalDigest'], 'each fit: its beginning, first-epoch data, end');
    for (const [what, edit, reason] of [
      ['a beginning repeated', (l: string[]) => [...l.slice(0, 4), l[3]!, ...l.slice(4)], /fits\.jsonl record 5: fit 1's beginning is recorded twice \(records 4 and 5\)/],
      ['an end repeated at the end', (l: string[]) => [...l, l[2]!], /fits\.jsonl record 7: fit 0's end is recorded twice \(records 3 and 7\)/],
      ['the fits swapped', (l: string[]) => [...l.slice(3), ...l.slice(0, 3)], /fits\.jsonl record 4: fit 0's beginning comes after fit 1's \(record 1\), which did not begin while it was open/],
      ['an end before the first-epoch data', (l: string[]) => [l[0]!, l[2]!, l[1]!, ...l.slice(3)], /fits\.jsonl record 3: fit 0's first-epoch data comes after its end \(record 2\)/],
      ['an end before its beginning', (l: string[]) => [l[2]!, l[0]!, l[1]!, ...l.slice(3)], /fits\.jsonl record 1: fit 0's end comes before its beginning/],
    ] as const) {
      tampered(file, edited(file, edit), () => refused(reason, what));
    }
    tampered(file, edited(file, (lines) => lines.map((l, i) => (i === 0 ? l.replace('"shape":[4,3]', '"shape":[5,3]') : l))), () => {
      const r = cli(['diff', a, b]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^data content: \n {2}fit 0 x: float32 \[4,3\] -> float32 \[5,3\]$/m);
      const verify = cli(['verify', b]);
      assert.equal(verify.code, 1, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /^data that differ:\n {2}fit 0 x: float32 \[5,3\] -> float32 \[4,3\]$/m);
    });
    assert.equal(cli(['diff', a, b]).code, 0, 'the records put back, the runs are identical again');
  });

  it('weights.bin must hold the final weights of the last fit: an earlier fit\'s, of the same shapes, is a corrupt run (runs recorded before fit ends keep their check)', () => {
    const dir = join(STORE, b);
    const ends = readFileSync(join(dir, 'fits.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { finalDigest?: string }).flatMap((f) => f.finalDigest ?? []);
    assert.equal(ends.length, 2);
    const weights = join(dir, 'weights.bin');
    const size = readFileSync(weights).length;
    // The first fit ends with its last epoch's weights (no callback changed them): its last snapshot.
    const firstFitEnd = readFileSync(join(dir, 'weights', 'fit-0.bin')).subarray(-size);
    tampered(weights, firstFitEnd, () => {
      refused(new RegExp(`weights\\.bin \\(the final weights of fit 1\\): expected digest ${ends[1]} \\(fits\\.jsonl, the end of fit 1\\), the file holds ${ends[0]}`), 'the first fit\'s final weights');
    });
    // A run recorded before fits recorded their end: weights.bin is checked against a fit's epoch digests.
    const fits = join(dir, 'fits.jsonl');
    tampered(fits, edited(fits, (lines) => lines.filter((l) => !l.includes('finalDigest'))), () => {
      assert.equal(cli(['diff', b, b]).code, 0);
      tampered(weights, 3, () => assert.match(cli(['diff', b, b]).stderr, /corrupt: weights\.bin \(the final weights of fit 1\): expected digest [0-9a-f]{64} \(the last epoch record of fit 1, or an earlier one's where the best weights were restored\)/));
    });
  });

  it('a run killed after a fit whose model is over 16 MiB holds that fit\'s model, written at its end: checked against that fit\'s end, though a later fit ended', () => {
    writeFileSync(join(WORK, 'large-then-small.mjs'), `import * as vb from 'verbatim';
const large = vb.sequential({ layers: [vb.layers.dense({ units: 2048, inputShape: [2049] })] });
large.compile({ optimizer: 'sgd', loss: 'mse' });
await large.fit(vb.ones([2, 2049]), vb.zeros([2, 2048]), { epochs: 1, verbose: 0 });
const small = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
small.compile({ optimizer: 'sgd', loss: 'mse' });
await small.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 1, verbose: 0 });
// The records reach the disk (the flush interval), then the process is killed before the run's end writes the small model.
await new Promise((r) => setTimeout(r, 300));
process.kill(process.pid, 'SIGKILL');
`);
    const r = cli(['run', join(WORK, 'large-then-small.mjs'), '--name', 'large-then-small']);
    assert.equal(r.code, 137, r.stderr);
    const [killed] = named('large-then-small');
    const dir = join(STORE, killed!);
    const ends = readFileSync(join(dir, 'fits.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fit: number; finalDigest?: string }).filter((f) => f.finalDigest);
    assert.deepEqual(ends.map((f) => f.fit), [0, 1], 'both fits ended');
    assert.ok(readFileSync(join(dir, 'weights.bin')).length > 16 * 1024 * 1024, 'weights.bin is the large model\'s');
    const diff = cli(['diff', killed!, killed!]);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    tampered(join(dir, 'weights.bin'), 1000, () => {
      assert.match(cli(['diff', killed!, killed!]).stderr, new RegExp(`corrupt: weights\\.bin \\(the final weights of fit 0\\): expected digest ${ends[0]!.finalDigest} \\(fits\\.jsonl, the end of fit 0\\)`));
    });
  });
});

/** A fit traced step by step and op by op, then custom values (one of them Infinity, recorded with value null). */
const TRACED = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] }), vb.layers.dense({ units: 1 })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.tensor2d([[1, 2, 3], [0, -1, 2], [3, 1, 0], [-2, 0, 1]]), vb.tensor2d([[1], [0], [2], [-1]]), { epochs: 2, batchSize: 2, verbose: 0 });
vb.runs.log('score', 0.25);
vb.runs.log('score', Infinity);
vb.runs.log('other', 1.5);
`;

describe('run tools: step and op traces, custom values and config', () => {
  let a = '';
  let b = '';
  before(() => {
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'traced.mjs'), TRACED);
    const r = cli(['run', join(WORK, 'traced.mjs'), '--seeds', '1,1', '--trace', 'ops', '--name', 'traced']);
    assert.equal(r.code, 0, r.stderr);
    [a, b] = named('traced') as [string, string];
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  /** The file's lines changed by `edit`, as bytes. */
  const edited = (file: string, edit: (lines: string[]) => string[]) => Buffer.from(`${edit(readFileSync(file, 'utf8').replace(/\n$/, '').split('\n')).join('\n')}\n`);
  /** Run b is corrupt in ls, and diff and verify refuse it, with this reason; no raw control character is printed. */
  const refused = (reason: RegExp, what: string) => {
    const entry = listed().find((r) => r.id === b)!;
    assert.equal(entry.status, 'corrupt', what);
    assert.match(entry.problem!, reason, what);
    for (const command of [['diff', a, b], ['verify', b]]) {
      const r = cli(command);
      assert.equal(r.code, 1, `${what}: ${command.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.doesNotMatch(r.stdout, /identical/, what);
      assert.match(r.stderr, new RegExp(`Expected a readable run\\. Received: ${b}, corrupt: .*${reason.source}`), `${what}: ${command[0]}`);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f]/, `${what}: ${command[0]} prints control characters`);
    }
  };

  it('a damaged line of steps.jsonl or ops.jsonl that is not the last makes the run corrupt, named, in ls, diff and verify; a torn last line does not', () => {
    assert.equal(cli(['diff', a, b]).code, 0, 'as recorded, the runs are identical');
    for (const name of ['steps.jsonl', 'ops.jsonl']) {
      const file = join(STORE, b, name);
      assert.ok(readFileSync(file, 'utf8').trim().split('\n').length >= 3, `${name} has a line between its first and last`);
      const escaped = name.replace('.', '\\.');
      tampered(file, edited(file, (lines) => lines.map((l, i) => (i === 1 ? '\0'.repeat(l.length) : l))), () => {
        refused(new RegExp(`${escaped} line 2: `), `${name}: a NUL-filled line`);
        // The JSON parse error quotes the NUL: shown escaped, as ls shows it.
        assert.match(cli(['diff', a, b]).stderr, /\\u0000/);
      });
      tampered(file, edited(file, (lines) => lines.map((l, i) => (i === 1 ? l.slice(0, 20) : l))), () => refused(new RegExp(`${escaped} line 2: `), `${name}: a line cut short`));
      tampered(file, edited(file, (lines) => lines.map((l, i) => (i === 1 ? '{"note":1}' : l))), () => refused(new RegExp(`${escaped} record 2: Expected `), `${name}: a record of another kind`));
      tornByKill(file, 10, () => assert.equal(listed().find((r) => r.id === b)!.status, 'interrupted', `${name}: a torn last line`));
    }
    // A traced run that trained without step records (steps.jsonl emptied or lost) would compare nothing there.
    tampered(join(STORE, b, 'steps.jsonl'), Buffer.alloc(0), () => refused(/steps\.jsonl is missing or empty, though run\.json says the run traced ops and epochs\.jsonl shows that it trained/, 'steps.jsonl emptied'));
  });

  it('diff and verify print a corrupt run\'s reason with its control characters escaped (a JSON parse error quoting a NUL), as ls does', () => {
    const file = join(STORE, b, 'epochs.jsonl');
    tampered(file, edited(file, (lines) => lines.map((l, i) => (i === 1 ? '\0'.repeat(l.length) : l))), () => {
      refused(/epochs\.jsonl line 2: /, 'a NUL-filled epoch record');
      assert.match(cli(['verify', b]).stderr, /\\u0000/);
      for (const command of [['show', b], ['report', a, b, '--out', join(WORK, 'report.html')]]) {
        const r = cli(command);
        assert.match(r.stdout + r.stderr, /epochs\.jsonl line 2: .*\\u0000/, command[0]);
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(r.stdout + r.stderr, /[\u0000-\u0008\u000b-\u001f]/, `${command[0]} prints control characters`);
      }
    });
  });

  it('a values.jsonl record that is damaged, has bits that are not 8 hex digits, or a value that is not its bits makes the run corrupt, named', () => {
    const file = join(STORE, b, 'values.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.deepEqual(lines.map((l) => JSON.parse(l) as unknown), [
      { name: 'score', step: 0, bits: '3e800000', value: 0.25 }, { name: 'score', step: 1, bits: '7f800000', value: null }, { name: 'other', step: 0, bits: '3fc00000', value: 1.5 },
    ]);
    const at = (i: number, line: string) => edited(file, (ls) => ls.map((l, j) => (j === i ? line : l)));
    for (const [what, content, reason] of [
      ['a NUL-filled line', at(0, '\0'.repeat(lines[0]!.length)), /values\.jsonl line 1: /],
      ['bits that are not 8 hex digits', at(0, '{"name":"score","step":0,"bits":"zz","value":1}'), /values\.jsonl record 1: Expected \{name, step, bits, value\}/],
      ['a value that is not its bits', at(2, '{"name":"other","step":0,"bits":"40000000","value":0}'), /values\.jsonl record 3 \("other" step 0\): value 0, but its recorded float32 bits 40000000 are 2: one of them was changed/],
      ['null for finite bits', at(0, '{"name":"score","step":0,"bits":"3e800000","value":null}'), /values\.jsonl record 1 \("score" step 0\): value null/],
      ['a number for Infinity', at(1, '{"name":"score","step":1,"bits":"7f800000","value":5}'), /values\.jsonl record 2 \("score" step 1\): value 5/],
    ] as const) {
      tampered(file, content, () => refused(reason, what));
    }
    tornByKill(file, 10, () => assert.equal(listed().find((r) => r.id === b)!.status, 'interrupted', 'a torn last line'));
  });

  it('verify compares the recorded config as diff does: a hand-edited fit option differs', () => {
    const file = join(STORE, b, 'fits.jsonl');
    assert.match(readFileSync(file, 'utf8'), /"batchSize":2/);
    tampered(file, Buffer.from(readFileSync(file, 'utf8').replace('"batchSize":2', '"batchSize":3')), () => {
      assert.match(cli(['diff', a, b]).stdout, /^config: \n {2}fit 0\.options\.batchSize: 2 -> 3$/m);
      const verify = cli(['verify', b]);
      assert.equal(verify.code, 1, verify.stdout + verify.stderr);
      assert.doesNotMatch(verify.stdout, /^identical/m);
      assert.match(verify.stdout, /^config that differs:\n {2}fit 0\.options\.batchSize: 3 -> 2$/m);
    });
    assert.equal(cli(['verify', b]).code, 0, 'the record put back, verify reproduces it');
  });
});
