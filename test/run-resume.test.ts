/**
 * `verbatim run --resume`: a recorded run whose training process is SIGKILLed (twice, at seeded
 * moments) and resumed into its own record ends with the records of an uninterrupted run, bit
 * for bit (every epoch and step, custom values, snapshots, final weights), and verify accepts it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as vb from 'verbatim';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-resume');
const STORE = join(WORK, 'store');
const SCRIPT = join(WORK, 'two-fits.mjs');

/**
 * Two fits (shuffled, dropout, precision), a custom value after each, a little slow per batch so
 * that kills land mid-epoch; a callback evaluates at each epoch's end (a resumed fit does not
 * evaluate again the epochs it restores: such evaluations are not recorded).
 */
const TWO_FITS = `import * as vb from 'verbatim';
const x = vb.random.normal(vb.random.key(3), [60, 5]);
const y = vb.cast(vb.greater(vb.sum(x, 1, true), 0), 'float32');
const model = vb.sequential({ layers: [
  vb.layers.dense({ units: 8, activation: 'relu', inputShape: [5] }), vb.layers.dropout({ rate: 0.2 }), vb.layers.dense({ units: 1, activation: 'sigmoid' }),
] });
model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy', vb.metrics.precision()] });
// Custom values in callbacks: a name and step logged in both fits, a default step, and one from onTrainBegin (run again by a resumed fit).
const slow = {
  onBatchEnd: () => new Promise((r) => setTimeout(r, 10)),
  onTrainBegin: () => vb.runs.log('began', 1),
  onEpochEnd: (epoch, logs) => { vb.dispose(model.evaluate(x, y)); vb.runs.log('epoch-loss', logs.loss, { step: epoch }); vb.runs.log('seen', logs.loss); },
};
await model.fit(x, y, { epochs: 6, batchSize: 8, verbose: 0, callbacks: [slow] });
vb.runs.log('after-first', model.evaluate(x, y)[0].dataSync()[0]);
model.predict(x);
model.compile({ optimizer: vb.optimizers.sgd({ learningRate: 0.05 }), loss: 'binaryCrossentropy' });
await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0, callbacks: [slow] });
vb.runs.log('after-second', model.evaluate(x, y).dataSync()[0]);
`;

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', timeout: 180_000, env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const runIds = () => (existsSync(STORE) ? readdirSync(STORE).filter((id) => !id.startsWith('.')) : []);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lines = (dir: string, file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').trim().split('\n').filter(Boolean) : []);

/**
 * Runs the CLI (a new run, or --resume) and SIGKILLs the training process once the run has
 * `afterSteps` step records (it recorded its pid in status.json); resolves to the run's id.
 * (Or sends it another signal.)
 */
async function runAndKill(args: string[], afterSteps: number, known?: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<string> {
  const before = new Set(runIds());
  const child = spawn(process.execPath, [CLI, ...args], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let id = known;
  for (let i = 0; i < 600; i++) {
    await sleep(50);
    id ??= runIds().find((r) => !before.has(r));
    if (!id || lines(join(STORE, id), 'steps.jsonl').length < afterSteps) continue;
    const { pid } = JSON.parse(readFileSync(join(STORE, id, 'status.json'), 'utf8')) as { pid: number };
    if (pid === child.pid) continue; // Still the CLI's status: the script has not started recording.
    process.kill(pid, signal);
    await exited;
    return id;
  }
  child.kill('SIGKILL');
  throw new Error(`the run never reached ${afterSteps} steps`);
}

describe('verbatim run --resume', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(SCRIPT, TWO_FITS);
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('a run killed twice and resumed ends bit-identical to one never killed; verify and diff agree', async () => {
    const plain = cli(['run', SCRIPT, '--seed', '7', '--name', 'plain', '--trace', 'steps']);
    assert.equal(plain.code, 0, plain.stderr);
    const plainId = runIds()[0]!;
    const totalSteps = lines(join(STORE, plainId), 'steps.jsonl').length;
    assert.equal(totalSteps, 6 * 8 + 8 * 4);
    assert.equal(existsSync(join(STORE, plainId, 'backups')), false, 'a completed run keeps no backups');

    // Kill points drawn from a seed: one in the first fit, one in the second.
    // Backups every 0.2 s, batches of at least 10 ms: by step 25 fit 0 has one, and records run ahead of it.
    const [u1, u2] = Array.from(vb.random.generator(11).uniform([2], 0, 1).dataSync());
    const first = 25 + Math.floor(u1! * 20);
    const second = 55 + Math.floor(u2! * 15);
    const id = await runAndKill(['run', SCRIPT, '--seed', '7', '--name', 'resumed', '--trace', 'steps', '--backup-interval', '0.2'], first);
    const dir = join(STORE, id);
    assert.equal((JSON.parse(cli(['ls', '--json', '--name', 'resumed']).stdout) as { status: string }[])[0]!.status, 'interrupted');
    assert.ok(existsSync(join(dir, 'backups', 'fit-0', 'backup.json')), 'the interrupted run has a backup of its fit');
    // Records written after the backup (as a kill between two backups leaves them) are cut and recorded again.
    appendFileSync(join(dir, 'epochs.jsonl'), '{"fit":0,"epoch":5,"logs":{},"logBits":{},"digest":"after the backup","layers":{}}\n');
    appendFileSync(join(dir, 'steps.jsonl'), '{"fit":0,"epoch":6,"step":7,"lossBits":"00000000","loss":0,"digest":"after the backup"}\n');
    appendFileSync(join(dir, 'weights', 'fit-0.bin'), new Uint8Array(4 * 57));
    appendFileSync(join(dir, 'values.jsonl'), '{"name":"epoch-loss","step":5,"bits":"00000000","value":0,"at":{"fit":0,"epoch":6,"step":7,"backup":{"epoch":6,"step":0,"finished":true}}}\n');
    await runAndKill(['run', '--resume', id], second, id);
    const resumed = cli(['run', '--resume', id.slice(0, 30), '--progress']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`${id} resumed: completed`));
    // --progress shows the resumed run's progress (it was accepted and ignored), from the epochs it kept on.
    assert.match(resumed.stderr, /^progress \[1\/1\] fit 1 epoch \d\/8 loss \S+/m);

    const a = join(STORE, plainId);
    const pick = (dir: string, file: string, keys: string[]) => lines(dir, file).map((l) => {
      const record = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(keys.map((k) => record[k]));
    });
    assert.deepEqual(pick(dir, 'epochs.jsonl', ['fit', 'epoch', 'digest', 'logBits', 'layers']), pick(a, 'epochs.jsonl', ['fit', 'epoch', 'digest', 'logBits', 'layers']));
    assert.deepEqual(pick(dir, 'steps.jsonl', ['fit', 'epoch', 'step', 'lossBits', 'digest']), pick(a, 'steps.jsonl', ['fit', 'epoch', 'step', 'lossBits', 'digest']));
    assert.deepEqual(pick(dir, 'values.jsonl', ['name', 'step', 'bits']), pick(a, 'values.jsonl', ['name', 'step', 'bits']));
    // Evaluations (with their results) and predictions already recorded are not recorded again.
    assert.deepEqual(pick(dir, 'evaluations.jsonl', ['data', 'results', 'resultBits']), pick(a, 'evaluations.jsonl', ['data', 'results', 'resultBits']));
    assert.deepEqual(lines(dir, 'evaluations.jsonl').map((l) => Object.keys((JSON.parse(l) as { resultBits: object }).resultBits)), [['loss', 'accuracy', 'precision'], ['loss']]);
    assert.deepEqual(pick(dir, 'predictions.jsonl', ['data', 'outputs']), pick(a, 'predictions.jsonl', ['data', 'outputs']));
    assert.equal(lines(dir, 'predictions.jsonl').length, 1);
    assert.deepEqual(pick(dir, 'fits.jsonl', ['fit', 'kind', 'data', 'datasetFingerprint', 'datasetContent', 'finalDigest']), pick(a, 'fits.jsonl', ['fit', 'kind', 'data', 'datasetFingerprint', 'datasetContent', 'finalDigest']));
    for (const file of ['weights.bin', 'weights/fit-0.bin', 'weights/fit-1.bin', 'history.json']) {
      assert.ok(readFileSync(join(dir, file)).equals(readFileSync(join(a, file))), `${file} is byte-identical`);
    }
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { resumptions: unknown[] };
    assert.equal(manifest.resumptions.length, 2);
    assert.equal(existsSync(join(dir, 'backups')), false, 'the completed run removed its backups');

    const verify = cli(['verify', id]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /identical/);
    const diff = cli(['diff', plainId, id]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.doesNotMatch(diff.stdout, /first divergen|data (content|order) differ/);
  });

  it('refuses what it cannot resume: a completed run, a changed script, bad arguments', () => {
    const [completed] = (JSON.parse(cli(['ls', '--json', '--name', 'plain']).stdout) as { id: string }[]);
    const done = cli(['run', '--resume', completed!.id]);
    assert.equal(done.code, 2);
    assert.match(done.stderr, /Expected an interrupted or failed run to resume\. Received: .*, completed/);
    assert.match(cli(['run', '--resume', completed!.id, SCRIPT]).stderr, /Expected no script with --resume/);
    const options = cli(['run', '--resume', completed!.id, '--seed', '5', '--name', 'other']);
    assert.equal(options.code, 2);
    assert.match(options.stderr, /Expected no options with --resume but --store and --progress \(the run's own are used\)\. Received: --seed --name/);
    assert.match(cli(['run', SCRIPT, '--backup-interval', '-1']).stderr, /Expected --backup-interval to be a number of seconds \(>= 0\) or off\. Received: --backup-interval -1/);
    const failing = join(WORK, 'fails.mjs');
    writeFileSync(failing, `import * as vb from 'verbatim';\nconst m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });\nm.compile({ optimizer: 'sgd', loss: 'mse' });\nawait m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });\nthrow new Error('after training');\n`);
    assert.equal(cli(['run', failing, '--name', 'fails']).code, 1);
    const [failed] = (JSON.parse(cli(['ls', '--json', '--name', 'fails']).stdout) as { id: string }[]);
    writeFileSync(failing, `${readFileSync(failing, 'utf8')}// edited\n`);
    const changed = cli(['run', '--resume', failed!.id]);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /resume will not run .*: the script .* changed since the run/);
  });

  it('a run that never started (killed, or failed, before its script imported verbatim) is refused with that reason, not as a run without a script', async () => {
    const started = join(WORK, 'slow-start.started');
    const slow = join(WORK, 'slow-start.mjs');
    writeFileSync(slow, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(started)}, '');\nawait new Promise((r) => setTimeout(r, 60000));\nawait import('verbatim');\n`);
    const child = spawn(process.execPath, [CLI, 'run', slow, '--name', 'never-started'], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !existsSync(started); i++) await sleep(50);
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    const early = join(WORK, 'fails-early.mjs');
    writeFileSync(early, "throw new Error('boom before verbatim');\nawait import('verbatim');\n");
    assert.equal(cli(['run', early, '--name', 'failed-early']).code, 1);
    for (const [name, reason] of [['never-started', 'was interrupted before its script imported verbatim \\(killed by SIGTERM\\)'], ['failed-early', 'failed before its script imported verbatim \\(Error: boom before verbatim\\)']]) {
      const [run] = (JSON.parse(cli(['ls', '--json', '--name', name!]).stdout) as { id: string }[]);
      const r = cli(['run', '--resume', run!.id]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`Expected a run that began recording to resume\\. Received: ${run!.id}, which ${reason}: the run never started, nothing was recorded to resume; run the script again instead`));
    }
  });
});

/** Three short fits, then a slow one; every trained batch noted in trained.log (after a start line per process). */
const FOUR_FITS = `import * as vb from 'verbatim';
import { appendFileSync } from 'node:fs';
appendFileSync('trained.log', 'start\\n');
const x = vb.random.normal(vb.random.key(3), [16, 3]);
const y = vb.sum(x, 1, true);
for (let fit = 0; fit < 4; fit++) {
  const model = vb.sequential({ layers: [vb.layers.dense({ units: 4, inputShape: [3], activation: 'relu' }), vb.layers.dense({ units: 1 })] });
  model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  const last = fit === 3;
  const noted = { onBatchEnd: () => { appendFileSync('trained.log', fit + '\\n'); return last ? new Promise((r) => setTimeout(r, 20)) : undefined; } };
  await model.fit(x, y, { epochs: last ? 40 : 3, batchSize: 8, verbose: 0, callbacks: [noted] });
  vb.runs.log('loss', model.evaluate(x, y).dataSync()[0], { step: fit });
}
`;

describe('verbatim run --resume: the backups of short fits', () => {
  const script = join(WORK, 'four-fits.mjs');
  const log = join(WORK, 'trained.log');
  /** The fits the last process (since its start line) trained batches of. */
  const trainedFits = () => {
    const noted = readFileSync(log, 'utf8').trim().split('\n');
    return [...new Set(noted.slice(noted.lastIndexOf('start') + 1))].join(',');
  };
  const records = (dir: string) => ['epochs.jsonl', 'steps.jsonl', 'values.jsonl', 'fits.jsonl'].map((f) => lines(dir, f).map((l) => {
    const { fit, epoch, step, digest, logBits, lossBits, name, bits, kind, finalDigest } = JSON.parse(l) as Record<string, unknown>;
    return JSON.stringify([fit, epoch, step, digest, logBits, lossBits, name, bits, kind, finalDigest]);
  }));
  let plain = '';

  before(() => {
    mkdirSync(WORK, { recursive: true });
    writeFileSync(script, FOUR_FITS);
    const r = cli(['run', script, '--seed', '5', '--name', 'four-plain', '--trace', 'steps']);
    assert.equal(r.code, 0, r.stderr);
    plain = (JSON.parse(cli(['ls', '--json', '--name', 'four-plain']).stdout) as { id: string }[])[0]!.id;
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('are held, not written; a run stopped by SIGTERM writes them, and its resume trains only the fit it stopped in', async () => {
    writeFileSync(log, '');
    // 18 steps are the three short fits; the kill lands in the fourth, long before 30 s.
    const id = await runAndKill(['run', script, '--seed', '5', '--name', 'four-term', '--trace', 'steps'], 24, undefined, 'SIGTERM');
    const dir = join(STORE, id);
    assert.equal(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status, 'interrupted');
    for (const fit of [0, 1, 2]) {
      const backup = JSON.parse(readFileSync(join(dir, 'backups', `fit-${fit}`, 'backup.json'), 'utf8')) as { finished: boolean };
      assert.equal(backup.finished, true, `fit ${fit}'s final state, written at the interruption`);
    }
    assert.equal(existsSync(join(dir, 'backups', 'fit-3')), false, 'the interrupted fit had no backup due');
    const resumed = cli(['run', '--resume', id]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(trainedFits(), '3', 'the three ended fits restored, not trained');
    assert.deepEqual(records(dir), records(join(STORE, plain)));
  });

  it('backups lost for the first fits or damaged: the resume trains again from the first fit without a usable one, in order', async () => {
    // Stopped by SIGTERM: fits 0-2 have backups. One lost for fit 0 (as a kill while a completed
    // run removed its backups leaves), or one damaged for fit 1: the later fits' backups must not
    // be restored (their records would come before the earlier fits' again), and are removed.
    for (const [damage, trained] of [['lost fit-0', '0,1,2,3'], ['damaged fit-1', '1,2,3']] as const) {
      writeFileSync(log, '');
      const id = await runAndKill(['run', script, '--seed', '5', '--name', 'four-lost', '--trace', 'steps'], 24, undefined, 'SIGTERM');
      const dir = join(STORE, id);
      if (damage === 'lost fit-0') rmSync(join(dir, 'backups', 'fit-0'), { recursive: true });
      else writeFileSync(join(dir, 'backups', 'fit-1', 'backup.json'), readFileSync(join(dir, 'backups', 'fit-1', 'backup.json'), 'utf8').slice(0, 200));
      const resumed = cli(['run', '--resume', id]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(trainedFits(), trained, damage);
      assert.deepEqual(records(dir), records(join(STORE, plain)), damage);
      if (damage === 'damaged fit-1') assert.match(resumed.stderr, /fit-1[\\/]backup\.json is not readable JSON \(.*\): fit 1 and the fits after it are trained again/);
      assert.doesNotMatch(resumed.stderr, /at .*resume\.js/, 'no stack trace');
      assert.equal(cli(['verify', id]).code, 0, damage);
    }
  });

  it('a SIGKILL loses the held backups: the resume trains every fit again and ends bit-identical', async () => {
    writeFileSync(log, '');
    const id = await runAndKill(['run', script, '--seed', '5', '--name', 'four-kill', '--trace', 'steps'], 24, undefined, 'SIGKILL');
    const dir = join(STORE, id);
    assert.equal(existsSync(join(dir, 'backups')), false, 'no backup file written during the short fits');
    const resumed = cli(['run', '--resume', id]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(trainedFits(), '0,1,2,3');
    assert.deepEqual(records(dir), records(join(STORE, plain)));
  });
});

/**
 * Two fits logging in every hook; once kills.txt exists, the process SIGKILLs itself at the kill
 * point its count names: right after a value logged after a backup at the same position, before
 * the records were written (they are written at most 0.1 s apart, and at each backup).
 */
const SELF_KILLED = `import * as vb from 'verbatim';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const killAt = (n) => {
  if (!existsSync('kills.txt') || Number(readFileSync('kills.txt', 'utf8')) !== n) return;
  writeFileSync('kills.txt', String(n + 1));
  process.kill(process.pid, 'SIGKILL');
};
const x = vb.random.normal(vb.random.key(3), [40, 4]);
const y = vb.sum(x, 1, true);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 4, inputShape: [4], activation: 'relu' }), vb.layers.dense({ units: 1 })] });
model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
const logging = {
  onTrainBegin: () => vb.runs.log('began', 1),
  onEpochBegin: (epoch) => vb.runs.log('epoch-begin', epoch),
  // After the backup at batch 2's end.
  onBatchBegin: (batch) => { vb.runs.log('batch-begin', batch); if (batch === 3) killAt(0); },
  // After the backup at the epoch's last batch's end (the second fit's first epoch: after the first fit's final values).
  onEpochEnd: (epoch, logs) => { vb.runs.log('epoch-loss', logs.loss, { step: epoch }); if (epoch === 1) killAt(1); if (epoch === 0) killAt(3); },
  // After the fit's final backup (backups end first).
  onTrainEnd: () => { vb.runs.log('ended', 1); killAt(2); },
};
await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [logging] });
vb.runs.log('after', model.evaluate(x, y).dataSync()[0]);
await model.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0, callbacks: [logging] });
`;

describe('verbatim run --resume: values logged after a backup at its position', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'self-killed.mjs'), SELF_KILLED);
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('onBatchBegin, onEpochEnd and onTrainEnd values killed before written are logged again, once; those written are kept', () => {
    const values = (name: string) => {
      const [{ id }] = JSON.parse(cli(['ls', '--json', '--name', name]).stdout) as { id: string }[];
      return lines(join(STORE, id), 'values.jsonl').map((l) => {
        const { name: n, step, bits } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify([n, step, bits]);
      });
    };
    assert.equal(cli(['run', 'self-killed.mjs', '--seed', '3', '--name', 'whole']).code, 0);
    writeFileSync(join(WORK, 'kills.txt'), '0');
    // A backup at every batch's end, each epoch's start and the fit's end.
    const killed = cli(['run', 'self-killed.mjs', '--seed', '3', '--name', 'killed', '--backup-interval', '0']);
    assert.notEqual(killed.code, 0);
    const [{ id }] = JSON.parse(cli(['ls', '--json', '--name', 'killed']).stdout) as { id: string }[];
    for (let kill = 1; kill <= 4; kill++) {
      assert.equal(readFileSync(join(WORK, 'kills.txt'), 'utf8'), String(kill));
      const resumed = cli(['run', '--resume', id!]);
      assert.equal(resumed.code === 0, kill === 4, resumed.stderr);
    }
    assert.deepEqual(values('killed'), values('whole'));
    assert.equal(cli(['verify', id!]).code, 0);
  });
});

/**
 * A hook of the script halves the learning rate at each epoch's start (a user's callback, listed
 * before the run's backups) and logs it; once fail.txt exists, epoch 2's first batch throws: a
 * resume begins at the backup saved at that epoch's start.
 */
const HALVED = `import * as vb from 'verbatim';
import { existsSync, rmSync } from 'node:fs';
const x = vb.random.normal(vb.random.key(3), [24, 4]);
const y = vb.sum(x, 1, true);
const model = vb.sequential({ layers: [vb.layers.dense({ units: 4, inputShape: [4], activation: 'relu' }), vb.layers.dense({ units: 1 })] });
model.compile({ optimizer: vb.train.sgd(0.1), loss: 'meanSquaredError' });
let started = 0;
const halve = {
  onEpochBegin: (epoch) => {
    if (epoch > 0) model.optimizer.setLearningRate(model.optimizer.learningRate * 0.5);
    vb.runs.log('lr', model.optimizer.learningRate, { step: epoch });
    started = epoch;
  },
  onBatchBegin: (batch) => {
    if (started === 2 && batch === 0 && existsSync('fail.txt')) { rmSync('fail.txt'); throw new Error('failed at epoch 2'); }
  },
};
await model.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0, callbacks: [halve] });
vb.runs.log('after', model.evaluate(x, y).dataSync()[0]);
`;

describe('verbatim run --resume from a backup at an epoch start', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'halved.mjs'), HALVED);
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('a learning rate a script hook halves there is halved once (the backup is saved before every onEpochBegin), its values logged once', () => {
    const values = (name: string) => {
      const [{ id }] = JSON.parse(cli(['ls', '--json', '--name', name]).stdout) as { id: string }[];
      return lines(join(STORE, id), 'values.jsonl').map((l) => {
        const { name: n, step, bits } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify([n, step, bits]);
      });
    };
    assert.equal(cli(['run', 'halved.mjs', '--seed', '3', '--name', 'whole']).code, 0);
    writeFileSync(join(WORK, 'fail.txt'), '');
    assert.notEqual(cli(['run', 'halved.mjs', '--seed', '3', '--name', 'failed', '--backup-interval', '0']).code, 0);
    const [{ id }] = JSON.parse(cli(['ls', '--json', '--name', 'failed']).stdout) as { id: string }[];
    const resumed = cli(['run', '--resume', id!]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(values('failed'), values('whole'));
    assert.equal(cli(['verify', id!]).code, 0);
  });
});
