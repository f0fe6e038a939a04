/**
 * The run tools against a third outside tester: the backups `verbatim run --resume` continues from,
 * under a full disk, under resumes started at once and nested past reason. Real processes, real
 * files; a real full disk (tmpfs) where the machine allows mounting one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mountTmpfs, REPO_ROOT } from './helpers/process.js';
import { processStartTime } from '../src/runs/store.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-faults-backups');
const STORE = join(WORK, 'store');

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VERBATIM_STORE: STORE, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same command in a process of its own, for commands run at once. */
function cliAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

interface Listed { id: string; name: string | null; status: string; problem?: string; digest?: string }
const listed = (store = STORE): Listed[] => JSON.parse(cli(['ls', '--json'], { VERBATIM_STORE: store }).stdout) as Listed[];

/** Fails in its second epoch when FAIL is set (a run to resume), else trains to its end. */
const SCRIPT = `import * as vb from 'verbatim';
const x = vb.random.generator(3).normal([64, 4]);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), vb.layers.dense({ units: 1 })] });
m.compile({ optimizer: 'adam', loss: 'mse' });
const fail = { onEpochEnd: (epoch) => { if (process.env.FAIL && epoch === 1) throw new Error('stopped here'); } };
await m.fit(x, vb.sum(x, 1, true), { epochs: 4, batchSize: 8, verbose: 0, callbacks: [fail] });
`;

describe('run tools against a third outside tester: backups', () => {
  const script = join(WORK, 'fit.mjs');
  let failed = '';
  let plain: Listed;
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(script, SCRIPT);
    assert.equal(cli(['run', script, '--seed', '2', '--name', 'plain']).code, 0);
    assert.equal(cli(['run', script, '--seed', '2', '--name', 'failed', '--backup-interval', '0'], { FAIL: '1' }).code, 1);
    const runs = listed();
    plain = runs.find((r) => r.name === 'plain')!;
    failed = runs.find((r) => r.name === 'failed')!.id;
    assert.ok(existsSync(join(STORE, failed, 'backups', 'fit-0', 'backup.json')));
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  /** A copy of the failed run, to resume. */
  function copyOfFailed(id: string): string {
    cpSync(join(STORE, failed), join(STORE, id), { recursive: true });
    return id;
  }

  it('a full disk while a backup is written: the run failed with "the disk is full ... backup.json", no temporary left (was the bare ENOSPC)', (t) => {
    const disk = join(WORK, 'full-disk');
    if (!mountTmpfs(t, disk, 'size=400k')) return;
    try {
      // 200 KB of weights: the first epoch's snapshot fits, the backup (weights and Adam's two moments, in base64) does not.
      writeFileSync(join(WORK, 'wide.mjs'), `import * as vb from 'verbatim';
const x = vb.random.generator(3).normal([16, 20]);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 2500, inputShape: [20] }), vb.layers.dense({ units: 1 })] });
m.compile({ optimizer: 'adam', loss: 'mse' });
await m.fit(x, vb.sum(x, 1, true), { epochs: 2, batchSize: 8, verbose: 0 });
`);
      const r = cli(['run', join(WORK, 'wide.mjs'), '--seed', '1', '--backup-interval', '0'], { VERBATIM_STORE: disk });
      assert.equal(r.code, 1, r.stderr);
      const [run] = listed(disk);
      assert.equal(run!.status, 'failed');
      assert.match(run!.problem!, /^the disk is full \(ENOSPC\) while writing \S+\/backups\/fit-0\/backup\.json: free some space/);
      assert.equal(spawnSync('find', [disk, '-name', '*.tmp'], { encoding: 'utf8' }).stdout, '');
    } finally {
      spawnSync('umount', [disk]);
    }
  });

  it('a run another resume is continuing is refused (a live claim), a claim whose process is gone is passed over', () => {
    const held = copyOfFailed('claimed');
    const claim = { status: 'running', pid: process.pid, pidStartTime: processStartTime(process.pid), startedAt: '2026-11-29T00:00:00.000Z' };
    writeFileSync(join(STORE, held, 'resume-0.lock'), JSON.stringify(claim));
    const before = readFileSync(join(STORE, held, 'epochs.jsonl'), 'utf8');
    const refused = cli(['run', '--resume', held]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /Expected a run that no other verbatim run --resume is continuing\. Received: claimed, being resumed by pid \d+/);
    assert.equal(readFileSync(join(STORE, held, 'epochs.jsonl'), 'utf8'), before, 'its records untouched');

    const stale = copyOfFailed('stale-claim');
    // pid 0 is no process: the CLI that claimed it was killed by SIGKILL.
    writeFileSync(join(STORE, stale, 'resume-0.lock'), JSON.stringify({ ...claim, pid: 0 }));
    const resumed = cli(['run', '--resume', stale]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(cli(['diff', plain.id, stale]).code, 0);
    assert.deepEqual(readdirSync(join(STORE, stale)).filter((f) => f.endsWith('.lock')), ['resume-0.lock'], 'its own claim released');

    // A FIFO in a claim's place (a hostile store) is no claim, and is not waited for.
    const fifo = copyOfFailed('fifo-claim');
    assert.equal(spawnSync('mkfifo', [join(STORE, fifo, 'resume-0.lock')]).status, 0);
    assert.equal(cli(['run', '--resume', fifo]).code, 0);
  });

  it('resumes of one run started at once: one continues it, the others are refused, and it ends bit-identical (both trained into it, corrupt)', async () => {
    const id = copyOfFailed('at-once');
    const all = await Promise.all([1, 2, 3, 4].map(() => cliAsync(['run', '--resume', id])));
    assert.deepEqual(all.map((r) => r.code).sort(), [0, 2, 2, 2], all.map((r) => r.stderr).join('\n'));
    for (const r of all.filter((x) => x.code === 2)) assert.match(r.stderr, /Expected (an interrupted or failed run to resume|a run that no other verbatim run --resume is continuing)\. Received: at-once/);
    const diff = cli(['diff', plain.id, id]);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  });
  it('JSON nested thousands deep in a record or a backup: the run corrupt or the backup damaged, named (was "Maximum call stack size exceeded")', () => {
    const deep = (inner: string) => '['.repeat(10_000) + inner + ']'.repeat(10_000);
    // Two completed runs whose model configs differ 10 000 levels down: diff recursed into them.
    const [a, b] = ['deep-a', 'deep-b'].map((id, i) => {
      cpSync(join(STORE, plain.id), join(STORE, id), { recursive: true });
      const fits = join(STORE, id, 'fits.jsonl');
      writeFileSync(fits, readFileSync(fits, 'utf8').replace('"units":8', `"units":${deep(String(i))}`));
      return id;
    });
    for (const args of [['diff', a!, b!], ['verify', a!]]) {
      const r = cli(args);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /deep-a\/fits\.jsonl line 1: Expected JSON nested at most 256 levels deep\. Received: deeper/);
    }
    assert.match(cli(['ls']).stdout, /deep-a +corrupt\s.*fits\.jsonl line 1: Expected JSON nested at most 256/s);
    // A backup nested so: damaged (trained again), not the resumed script's crash (the run failed again).
    const id = copyOfFailed('deep-backup');
    const backup = join(STORE, id, 'backups', 'fit-0', 'backup.json');
    writeFileSync(backup, readFileSync(backup, 'utf8').replace('"accumulators":', `"nested":${deep('0')},"accumulators":`));
    const resumed = cli(['run', '--resume', id]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /backup\.json is not readable JSON \(Expected JSON nested at most 256 levels deep/);
    assert.equal(cli(['diff', plain.id, id]).code, 0);
  });
  it('Ctrl-C while a resume runs a pipeline up to its backup stops it at once (it ran the whole pass first: seconds)', async () => {
    // 375 batches of 8 elements an epoch, each element 1 ms of the clock (its values are not the clock's).
    const slow = join(WORK, 'slow-pipeline.mjs');
    writeFileSync(slow, `import * as vb from 'verbatim';
import { writeFileSync } from 'node:fs';
let made = 0;
const ds = vb.data.array(Array.from({ length: 3000 }, (_, i) => i)).map((i) => {
  if (process.env.MARK && made++ === 0) writeFileSync(process.env.MARK, 'replaying');
  for (const end = Date.now() + 1; Date.now() < end;);
  const v = (i % 97) / 97;
  return { xs: vb.tensor1d([v, 1 - v]), ys: vb.tensor1d([v]) };
}).batch(8);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
let epoch = 0;
const fail = { onEpochBegin: (e) => { epoch = e; }, onBatchEnd: (batch) => { if (process.env.FAIL && epoch === 1 && batch === 360) throw new Error('stopped here'); } };
await m.fitDataset(ds, { epochs: 2, verbose: 0, callbacks: [fail] });
`);
    assert.equal(cli(['run', slow, '--seed', '1', '--name', 'slow', '--backup-interval', '0'], { FAIL: '1' }).code, 1);
    const id = listed().find((r) => r.name === 'slow')!.id;
    const mark = join(WORK, 'replaying');
    const resume = spawn(process.execPath, [CLI, 'run', '--resume', id], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE, MARK: mark }, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => resume.on('exit', (code) => r(code)));
    for (let i = 0; i < 600 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 50));
    const sent = performance.now();
    resume.kill('SIGINT');
    assert.equal(await exited, 130);
    const seconds = (performance.now() - sent) / 1000;
    assert.ok(seconds < 1.5, `stopped ${seconds.toFixed(2)} s after Ctrl-C (the pass up to the backup takes about 3 s)`);
    assert.equal(listed().find((r) => r.id === id)!.status, 'interrupted');
  });
});
