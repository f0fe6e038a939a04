/**
 * The run tools against a second outside tester's faults: each case reproduces a reported failure
 * through the real CLI, on a real recorded run whose files were then damaged or changed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';
import { processStartTime } from '../src/runs/store.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-faults-store');
const STORE = join(WORK, 'store');

/** A hang is the failure looked for: a command still running after 20 s has failed. */
function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', timeout: 20_000, env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Listed { id: string; status: string; problem?: string }
const listed = (id: string) => (JSON.parse(cli(['ls', '--json']).stdout) as Listed[]).find((r) => r.id === id)!;

const SCRIPT = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
vb.runs.log('score', 0.5);
`;

/** Fails after training the first time it runs (in WORK), completes the next: a run to resume. */
const FAILS_ONCE = `import * as vb from 'verbatim';
import { existsSync, writeFileSync } from 'node:fs';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 3, verbose: 0 });
if (!existsSync('failed-once')) { writeFileSync('failed-once', ''); throw new Error('first time'); }
`;

describe('run tools against a second outside tester', () => {
  let original = '';
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'fit.mjs'), SCRIPT);
    const r = cli(['run', join(WORK, 'fit.mjs'), '--seed', '1']);
    assert.equal(r.code, 0, r.stderr);
    original = (JSON.parse(cli(['ls', '--json']).stdout) as Listed[])[0]!.id;
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  /** A copy of the recorded run under `id`, changed by `damage` (given the copy's directory). */
  function copy(id: string, damage: (dir: string) => void): string {
    const dir = join(STORE, id);
    cpSync(join(STORE, original), dir, { recursive: true });
    damage(dir);
    return id;
  }

  it('a FIFO or a device in place of a record file makes the run corrupt, naming it, instead of hanging every command', () => {
    const fifo = copy('fifo-status', (dir) => {
      rmSync(join(dir, 'status.json'));
      assert.equal(spawnSync('mkfifo', [join(dir, 'status.json')]).status, 0);
    });
    const device = copy('zero-epochs', (dir) => {
      rmSync(join(dir, 'epochs.jsonl'));
      symlinkSync('/dev/zero', join(dir, 'epochs.jsonl'));
    });
    for (const [id, file, kind] of [[fifo, 'status.json', 'a FIFO'], [device, 'epochs.jsonl', 'a character device']] as const) {
      const expected = `${join(STORE, id, file)}: Expected a regular file. Received: ${kind}`;
      const ls = cli(['ls']);
      assert.equal(ls.code, 0, `ls ends (${ls.stderr})`);
      assert.equal(listed(id).status, 'corrupt');
      assert.equal(listed(id).problem, expected);
      const diff = cli(['diff', original, id]);
      assert.equal(diff.code, 1);
      assert.ok(diff.stderr.includes(expected), diff.stderr);
      const report = cli(['report', original, id, '--out', join(WORK, 'report.html')]);
      assert.equal(report.code, 0);
      assert.ok(report.stderr.includes(`left out ${id}, corrupt: ${expected}`), report.stderr);
    }
    rmSync(join(STORE, fifo), { recursive: true });
    rmSync(join(STORE, device), { recursive: true });
  });

  it("a completed run's record cut short is a lost record (the run is corrupt), not a kill's torn line to ignore", () => {
    const values = copy('torn-values', (dir) => truncateSync(join(dir, 'values.jsonl'), readFileSync(join(dir, 'values.jsonl')).length - 10));
    const fits = copy('torn-fits', (dir) => truncateSync(join(dir, 'fits.jsonl'), readFileSync(join(dir, 'fits.jsonl')).length - 10));
    for (const [id, file] of [[values, 'values.jsonl'], [fits, 'fits.jsonl']] as const) {
      const expected = `${join(STORE, id, file)}: its last line is cut short (no newline at its end), though the run completed, which writes every record whole: a record was lost`;
      assert.equal(listed(id).status, 'corrupt', `${id}: was listed completed, without its last ${file} record`);
      assert.equal(listed(id).problem, expected);
      const diff = cli(['diff', original, id]);
      assert.equal(diff.code, 1);
      assert.ok(diff.stderr.includes(expected), diff.stderr);
    }
    // A run that did not complete was killed mid-write: its torn last line is still ignored.
    const killed = copy('killed-mid-write', (dir) => {
      truncateSync(join(dir, 'values.jsonl'), readFileSync(join(dir, 'values.jsonl')).length - 10);
      const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'status.json'), JSON.stringify({ ...status, status: 'interrupted', signal: 'SIGKILL' }));
    });
    assert.equal(listed(killed).status, 'interrupted');
    for (const id of [values, fits, killed]) rmSync(join(STORE, id), { recursive: true });
  });

  it('a damaged or lost manifest.json makes the run corrupt, instead of a completed run whose environment diff calls absent', () => {
    const garbage = copy('garbage-manifest', (dir) => writeFileSync(join(dir, 'manifest.json'), '{garbage'));
    const lost = copy('lost-manifest', (dir) => rmSync(join(dir, 'manifest.json')));
    const file = (id: string) => join(STORE, id, 'manifest.json');
    for (const [id, expected] of [
      [garbage, `${file(garbage)}: Expected property name or '}' in JSON at position 1`],
      [lost, `${file(lost)} is missing, though the run recorded epochs.jsonl, fits.jsonl, history.json, model.json, values.jsonl, weights.bin: the record of its environment is lost`],
    ] as const) {
      assert.equal(listed(id).status, 'corrupt', `${id}: was listed completed`);
      assert.equal(listed(id).problem, expected);
      const diff = cli(['diff', original, id]);
      assert.equal(diff.code, 1);
      assert.ok(diff.stderr.includes(expected), diff.stdout + diff.stderr);
    }
    // A run stopped before its script imported verbatim has no manifest and no records: not corrupt.
    const early = copy('stopped-early', (dir) => {
      for (const name of readdirSync(dir)) if (!['run.json', 'status.json', 'stdout.txt', 'stderr.txt'].includes(name)) rmSync(join(dir, name), { recursive: true });
      const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'status.json'), JSON.stringify({ ...status, status: 'interrupted', signal: 'SIGTERM' }));
    });
    assert.equal(listed(early).status, 'interrupted');
    for (const id of [garbage, lost, early]) rmSync(join(STORE, id), { recursive: true });
  });

  it('verify refuses a run that is still running (it would call every record not yet written a difference)', () => {
    const id = copy('still-running', (dir) => {
      // This test's process plays the run's: alive, with its own start time.
      writeFileSync(join(dir, 'status.json'), JSON.stringify({ status: 'running', pid: process.pid, pidStartTime: processStartTime(process.pid), startedAt: new Date().toISOString() }));
    });
    assert.equal(listed(id).status, 'running');
    const runs = readdirSync(STORE).length;
    const verify = cli(['verify', id]);
    assert.equal(verify.code, 2, verify.stdout + verify.stderr);
    assert.match(verify.stderr, new RegExp(`Expected a run that has ended to verify\\. Received: ${id}, still running`));
    assert.equal(readdirSync(STORE).length, runs, 'nothing was re-executed');
    rmSync(join(STORE, id), { recursive: true });
  });

  it('a custom value of -0 is shown as -0 by show and ls (was 0, as if its sign bit were not recorded)', () => {
    const id = copy('minus-zero', (dir) => writeFileSync(join(dir, 'values.jsonl'), '{"name":"score","step":0,"bits":"80000000","value":0}\n'));
    assert.match(cli(['show', id]).stdout, /^score\s+0\s+-0\s+80000000$/m);
    assert.match(cli(['ls']).stdout, new RegExp(`^${id}\\s.*\\sscore=-0\\s`, 'm'));
    rmSync(join(STORE, id), { recursive: true });
  });

  it('verify and resume refuse a recorded thread count or backend that run would refuse (it ran 1000 threads clamped to 64, or failed the run)', () => {
    const id = copy('hostile-invocation', () => undefined);
    const file = join(STORE, id, 'run.json');
    const saved = readFileSync(file, 'utf8');
    for (const [field, value, reason] of [
      ['threads', 65, 'its recorded thread count is 65 \\(expected 1 to 64\\)'],
      ['backend', 'evil', 'its recorded backend is "evil" \\(expected one of reference, wasm\\)'],
    ] as const) {
      const run = JSON.parse(saved) as { invocation: Record<string, unknown> };
      run.invocation[field] = value;
      writeFileSync(file, JSON.stringify(run));
      const runs = readdirSync(STORE).length;
      const verify = cli(['verify', id]);
      assert.equal(verify.code, 1, verify.stdout + verify.stderr);
      assert.match(verify.stderr, new RegExp(`verify will not run ${id}: ${reason}`));
      assert.equal(readdirSync(STORE).length, runs, 'nothing was re-executed');
    }
    rmSync(join(STORE, id), { recursive: true });
  });

  it('a value name and step logged again (in every fit) is compared logging by logging: identical runs are identical', () => {
    const file = join(WORK, 'steps-again.mjs');
    writeFileSync(file, `import * as vb from 'verbatim';
for (let k = 0; k < 2; k++) {
  const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 2, verbose: 0, callbacks: { onEpochEnd: (epoch, logs) => vb.runs.log('val', logs.loss + k, { step: epoch }) } });
}
`);
    const r = cli(['run', file, '--seed', '2', '--repeats', '2', '--name', 'steps-again']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /seed 2: 2 runs, bit-identical/);
    const [a, b] = (JSON.parse(cli(['ls', '--json', '--name', 'steps-again']).stdout) as Listed[]).map((x) => x.id);
    const same = cli(['diff', a!, b!]);
    assert.equal(same.code, 0, same.stdout);
    assert.match(same.stdout, /^identical: every recorded digest, metric and value bit agrees$/m);
    // The second fit's logging of step 0 changed: named as such, the first fit's left alone.
    const values = join(STORE, b!, 'values.jsonl');
    const lines = readFileSync(values, 'utf8').trim().split('\n');
    lines[2] = '{"name":"val","step":0,"bits":"3f800000","value":1}';
    writeFileSync(values, `${lines.join('\n')}\n`);
    const changed = cli(['diff', a!, b!]);
    assert.equal(changed.code, 1);
    assert.match(changed.stdout, /custom values that differ:\n {2}val step 0 \(logging 2\): \S+ \(bits [0-9a-f]{8}\) -> 1 \(bits 3f800000\)\ntraining identical/);
    // A name and step logged twice with the same bits against once: a logging fewer is a difference (the last ones agree).
    const [first, last] = [lines[0]!, lines.at(-1)!];
    writeFileSync(join(STORE, a!, 'values.jsonl'), `${[first, last, last].join('\n')}\n`);
    writeFileSync(values, `${[first, last].join('\n')}\n`);
    const fewer = cli(['diff', a!, b!]);
    assert.equal(fewer.code, 1, fewer.stdout);
    assert.match(fewer.stdout, /custom values that differ:\n {2}val step 1 \(logging 2\): \S+ \(bits [0-9a-f]{8}\) -> absent\ntraining identical/);
    for (const id of [a!, b!]) rmSync(join(STORE, id), { recursive: true });
  });

  it("show escapes a run name's control characters (it printed them raw) and bidirectional controls (U+202E), as ls does", () => {
    const id = copy('bidi-name', (dir) => {
      const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...run, name: 'a\u202eb\u2066c\n\u001b[2J' }));
    });
    for (const command of [['ls'], ['show', id]]) {
      const out = cli(command).stdout;
      assert.ok(out.includes('a\\u202eb\\u2066c\\u000a\\u001b[2J'), `${command[0]}: ${out}`);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(out, /[\u001b\u202a-\u202e\u2066-\u2069]/, command[0]);
    }
    rmSync(join(STORE, id), { recursive: true });
  });

  it('a store that is a file is a usage error naming it, in every command that reads the store (was ENOTDIR, exit 1)', () => {
    const file = join(WORK, 'not-a-store');
    writeFileSync(file, 'a file\n');
    for (const command of [['ls'], ['show', 'x'], ['rm', 'x'], ['diff', 'x', 'y'], ['report', '--name', 'x']]) {
      const r = cli([...command, '--store', file]);
      assert.equal(r.code, 2, `${command[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^verbatim ${command[0]}: Expected a store directory\\. Received: store=${file} \\(not a directory\\)$`, 'm'));
    }
  });

  it('a store that is a symlink loop (or under a file) is a usage error with the reason, not a store without runs', () => {
    const loop = join(WORK, 'loop');
    symlinkSync('loop', loop);
    writeFileSync(join(WORK, 'a-file'), 'a file\n');
    const underFile = join(WORK, 'a-file', 'runs');
    for (const [store, reason] of [[loop, 'ELOOP'], [underFile, 'ENOTDIR']] as const) {
      for (const command of [['ls'], ['show', 'x'], ['rm', 'x']]) {
        const r = cli([...command, '--store', store]);
        assert.equal(r.code, 2, `${command[0]} ${store}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^verbatim ${command[0]}: Expected a store directory\\. Received: store=${store} \\(not readable: ${reason}\\)$`, 'm'));
      }
    }
    rmSync(loop);
  });

  it('report counts a run named twice (its id and a prefix of it) once, not as a repeat of itself', () => {
    const r = cli(['report', original, original.slice(0, original.length - 3), '--out', join(WORK, 'twice.html')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `wrote ${join(WORK, 'twice.html')} (1 runs)\n`);
  });

  it('a damaged run.json or status.json is named in the reason, not only its JSON error', () => {
    const id = copy('garbage-status', (dir) => writeFileSync(join(dir, 'status.json'), '{garbage'));
    assert.match(listed(id).problem!, new RegExp(`^${join(STORE, id, 'status.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: Expected property name`));
    rmSync(join(STORE, id), { recursive: true });
  });

  it('a directory of hundreds of files without run.json names the first ten and how many more (ls --store /proc/1 listed every fd)', () => {
    const dir = join(STORE, 'many-files');
    mkdirSync(dir);
    for (let i = 0; i < 300; i++) writeFileSync(join(dir, `f${String(i).padStart(3, '0')}`), '');
    const names = Array.from({ length: 10 }, (_, i) => `f00${i}`).join(', ');
    assert.equal(listed('many-files').problem, `${join(dir, 'run.json')} is missing, though the run recorded ${names} and 290 more: the run record is lost`);
    rmSync(dir, { recursive: true });
  });
  it('run --resume refuses a run diff calls corrupt, with its reason and exit 1, before the script runs (it resumed a changed run to completed)', () => {
    writeFileSync(join(WORK, 'fails-once.mjs'), FAILS_ONCE);
    assert.equal(cli(['run', join(WORK, 'fails-once.mjs'), '--name', 'fails-once']).code, 1);
    const failed = (JSON.parse(cli(['ls', '--json', '--name', 'fails-once']).stdout) as Listed[])[0]!.id;
    const damaged = (suffix: string, damage: (dir: string) => void) => {
      const id = `${failed}-${suffix}`;
      cpSync(join(STORE, failed), join(STORE, id), { recursive: true });
      damage(join(STORE, id));
      return id;
    };
    const edit = (file: string, change: (text: string) => string) => writeFileSync(file, change(readFileSync(file, 'utf8')));
    const refused: [string, RegExp][] = [
      // diff called this run corrupt only once resumed to completed: the resume keeps epoch 0's record, whose snapshot cannot be there.
      [damaged('shape', (dir) => edit(join(dir, 'fits.jsonl'), (t) => t.replace('"shape":[2,1]', '"shape":[1e15,1e15]'))),
        /: weights\/fit-0\.bin holds 48 bytes, 0 whole snapshot\(s\) of the 4e\+30 bytes the recorded weight shapes need, but the weights of fit 0 from epoch 0 on were kept there$/m],
      [damaged('snapshot', (dir) => {
        const bytes = readFileSync(join(dir, 'weights', 'fit-0.bin'));
        bytes[3]! ^= 1;
        writeFileSync(join(dir, 'weights', 'fit-0.bin'), bytes);
      }), /: weights\/fit-0\.bin, snapshot 1 \(fit 0, epoch 0\): expected digest [0-9a-f]{64} \(epochs\.jsonl\), the file holds [0-9a-f]{64}$/m],
      // Was exit 2, "Expected an interrupted or failed run to resume. Received: ..., corrupt", without the reason.
      [damaged('lost', (dir) => rmSync(join(dir, 'epochs.jsonl'))), /epochs\.jsonl is missing or empty, though .* show that fits ran$/m],
    ];
    for (const [id, reason] of refused) {
      const status = readFileSync(join(STORE, id, 'status.json'), 'utf8');
      const r = cli(['run', '--resume', id]);
      assert.equal(r.code, 1, `${id}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^verbatim run: Expected a readable run\\. Received: ${id}, corrupt: `));
      assert.match(r.stderr, reason, id);
      // What diff says of the run (as it stands, or once resumed), word for word.
      if (!id.endsWith('shape')) assert.equal(r.stderr, cli(['diff', id, failed]).stderr.replace('verbatim diff', 'verbatim run'));
      assert.equal(readFileSync(join(STORE, id, 'status.json'), 'utf8'), status, `${id}: the script did not run`);
    }
    // Records a resume cuts (no backup: the fit trains again) need no snapshot: a full disk may have refused them.
    const cut = damaged('cut', (dir) => {
      rmSync(join(dir, 'backups'), { recursive: true });
      rmSync(join(dir, 'weights', 'fit-0.bin'));
    });
    const resumed = cli(['run', '--resume', cut]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(listed(cut).status, 'completed');
    for (const id of [failed, cut, ...refused.map(([id]) => id)]) rmSync(join(STORE, id), { recursive: true });
  });

  it('verify of a run whose recorded script is now a FIFO says so (it said the script was not there any more)', () => {
    const fifo = join(WORK, 'fifo-script.mjs');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const id = copy('fifo-script', (dir) => {
      const edit = (name: string, change: (o: Record<string, unknown>) => void) => {
        const o = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
        change(o);
        writeFileSync(join(dir, name), JSON.stringify(o));
      };
      edit('run.json', (o) => { (o.invocation as Record<string, unknown>).script = fifo; });
      edit('manifest.json', (o) => { (o.script as Record<string, unknown>).path = fifo; });
    });
    const r = cli(['verify', id]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `verbatim verify: verify will not run fifo-script: the script ${fifo} is not a regular file (a FIFO, a device or a directory is never run)\n`);
  });
});
