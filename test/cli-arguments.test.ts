/**
 * The run tools' arguments and stores after a second outside tester (issue 11): every option
 * checked with "Expected X. Received: ..." and exit code 2, `-` as stdout, bounded thread counts,
 * one list of script kinds, and stores that cannot be written (read-only, full before the run
 * starts) said as such. Real CLI processes; the full and read-only disks are real tmpfs mounts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fillDisk, mountTmpfs, REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'cli-arguments');
const STORE = join(WORK, 'store');

function cli(args: string[], store = STORE): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VERBATIM_STORE: store } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Listed { id: string; seed: string | null; status: string; problem?: string }
const listed = (store = STORE): Listed[] => JSON.parse(cli(['ls', '--json'], store).stdout) as Listed[];

const FIT = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
`;

describe('run tools: arguments and stores', () => {
  let script: string;
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    script = join(WORK, 'fit.mjs');
    writeFileSync(script, FIT);
    const r = cli(['run', script, '--seeds', '7,8']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('a setting verbatim refuses as it loads (VERBATIM_THREADS, VERBATIM_BACKEND) is bad usage: one line, exit 2, not a stack trace', () => {
    for (const [name, value, message] of [
      ['VERBATIM_THREADS', 'two', /^verbatim: Expected VERBATIM_THREADS in the environment to be an integer from 1 to 64\. Received: VERBATIM_THREADS="two"\n$/],
      // The WASM backend runs at most 64 threads: 65 was clamped to 64 unseen (--threads 65 is refused).
      ['VERBATIM_THREADS', '65', /^verbatim: Expected VERBATIM_THREADS in the environment to be an integer from 1 to 64\. Received: VERBATIM_THREADS=65\n$/],
      ['VERBATIM_THREADS', '0x4', /^verbatim: Expected VERBATIM_THREADS in the environment to be an integer from 1 to 64\. Received: VERBATIM_THREADS="0x4"\n$/],
      ['VERBATIM_BACKEND', 'gpu', /^verbatim: Expected VERBATIM_BACKEND in the environment to be one of the registered backends \(.*\)\. Received: VERBATIM_BACKEND="gpu"\n$/],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'ls'], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE, [name]: value } });
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('usage errors: every bad value is "Expected X. Received: ..." with exit code 2', () => {
    const other = join(WORK, 'notes.py');
    writeFileSync(other, 'print(1)\n');
    const cases: [string[], RegExp][] = [
      [['ls', '--seed', 'abc'], /verbatim ls: Expected --seed to be an integer seed from 0 to 2\^64 - 1\. Received: seed=abc$/m],
      [['ls', '--seed', ''], /Expected a non-empty value after --seed\. Received: --seed \(empty\)/],
      [['report', '--name', 'x', '--metric', 'nope'], /Expected runs named x in \S+\. Received: none of that name/],
      [['run', script, '--threads', '1000'], /Expected --threads to be an integer from 1 to 64\. Received: --threads 1000/],
      [['run', script, '--threads', '0'], /Expected --threads to be an integer from 1 to 64\. Received: --threads 0/],
      [['run', script, '--threads', '0x2'], /Expected --threads to be an integer from 1 to 64\. Received: --threads 0x2/],
      [['run', script, '--repeats', '1e1'], /Expected --repeats to be an integer >= 1\. Received: --repeats 1e1/],
      // --backup-interval took what Number() takes: hexadecimal, exponents, blanks around it.
      [['run', script, '--backup-interval', '0x10'], /verbatim run: Expected --backup-interval to be a number of seconds \(>= 0\) or off\. Received: --backup-interval 0x10$/m],
      [['run', script, '--backup-interval', '1e3'], /Expected --backup-interval to be a number of seconds \(>= 0\) or off\. Received: --backup-interval 1e3$/m],
      [['run', script, '--backup-interval', ' 5'], /Expected --backup-interval to be a number of seconds \(>= 0\) or off\. Received: --backup-interval  5$/m],
      [['run', script, '--parallel', '1000001'], /Expected --parallel to be an integer from 1 to 100000\. Received: --parallel 1000001/],
      [['worker', '--queue', 'redis://127.0.0.1:1', '--threads', '65'], /Expected --threads to be an integer from 1 to 64\. Received: --threads 65/],
      [['worker', '--queue', 'redis://127.0.0.1:1', '--lock-ms', '99999999999'], /Expected --lock-ms to be an integer from 200 to 2147483647/],
      [['run', script, '--seeds', '1,x'], /Expected --seeds to be an integer seed from 0 to 2\^64 - 1\. Received: seed=x$/m],
      [['doctor', script, '--seed', '1.5'], /Expected --seed to be an integer seed from 0 to 2\^64 - 1\. Received: seed=1\.5$/m],
      // Past 2^64 - 1 or below 0 a seed trained as its value mod 2^64 while it was recorded as itself.
      [['run', script, '--seeds', '18446744073709551617'], /verbatim run: Expected --seeds to be an integer seed from 0 to 2\^64 - 1\. Received: seed=18446744073709551617$/m],
      [['run', script, '--seed', '18446744073709551616'], /Expected --seed to be an integer seed from 0 to 2\^64 - 1\. Received: seed=18446744073709551616$/m],
      [['run', script, '--seed', '-1'], /Expected --seed to be an integer seed from 0 to 2\^64 - 1\. Received: seed=-1$/m],
      [['run', script, '--seeds', '-2..3'], /Expected --seeds to be an integer seed from 0 to 2\^64 - 1\. Received: seed=-2$/m],
      [['doctor', script, '--seed', '-5'], /verbatim doctor: Expected --seed to be an integer seed from 0 to 2\^64 - 1\. Received: seed=-5$/m],
      [['ls', '--seed', '99999999999999999999'], /verbatim ls: Expected --seed to be an integer seed from 0 to 2\^64 - 1\. Received: seed=99999999999999999999$/m],
      [['doctor', other], /verbatim doctor: Expected a \.js, \.mjs, \.cjs, \.ts, \.mts or \.cts script\. Received: script=.*notes\.py/],
      [['run', other], /Expected a \.js, \.mjs, \.cjs, \.ts, \.mts or \.cts script\. Received: script=.*notes\.py/],
      [['report', '--out', '', ...listed().map((r) => r.id)], /Expected a non-empty value after --out\. Received: --out \(empty\)/],
      // Was Node's raw ENOENT (exit 1) after reading every run.
      [['report', '--out', '/nonexistent-dir/report.html', ...listed().map((r) => r.id)], /verbatim report: Expected --out to be a file in an existing directory \(or - for stdout\)\. Received: --out \/nonexistent-dir\/report\.html \(\/nonexistent-dir is not a directory\)/],
      // Arguments that were ignored: extra positionals, an empty store (runs in the working directory), doctor's --store.
      [['ls', 'foo'], /verbatim ls: Expected no positional arguments .*\. Received: \["foo"\]/],
      [['env', 'x'], /verbatim env: Expected no positional arguments\. Received: \["x"\]/],
      [['show', 'a', 'b'], /verbatim show: Expected one run id\. Received: \["a","b"\]/],
      [['verify', 'a', 'b'], /verbatim verify: Expected one run id\. Received: \["a","b"\]/],
      [['report', 'a', '--name', 'b'], /verbatim report: Expected runs or --name, not both\./],
      [['ls', '--store='], /verbatim ls: Expected a non-empty value after --store\. Received: --store \(empty\)/],
      [['run', script, '--store', ''], /verbatim run: Expected a non-empty value after --store\. Received: --store \(empty\)/],
      [['worker', '--queue', 'redis://127.0.0.1:1', '--store='], /verbatim worker: Expected a non-empty value after --store/],
      [['doctor', script, '--store', 'elsewhere'], /verbatim doctor: Expected one of --seed, --trace\. Received: --store/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.deepEqual(readdirSync(WORK).sort(), ['fit.mjs', 'notes.py', 'store']);
    // The seed filter takes a seed in any spelling the store records as one.
    assert.deepEqual(JSON.parse(cli(['ls', '--seed', '007', '--json']).stdout).map((r: Listed) => r.seed), ['7']);
    // An .mjs script runs as a .ts or .js one does (the list the workers accept too).
    assert.deepEqual(listed().map((r) => r.status), ['completed', 'completed']);
    // The largest seed is a seed like any other, recorded as given.
    const seeds = join(WORK, 'seeds');
    assert.equal(cli(['run', script, '--seeds', '18446744073709551615,0'], seeds).code, 0);
    assert.deepEqual(listed(seeds).map((r) => r.seed), ['18446744073709551615', '0']);
  });

  it('an option given twice or with an empty value is a usage error naming it, and nothing runs', () => {
    const before = listed().length;
    const cases: [string[], RegExp][] = [
      [['run', script, '--seed', '1', '--seed', '2'], /verbatim run: Expected --seed at most once\. Received: --seed 1 and --seed 2$/m],
      [['run', script, '--seed=1', '--seed=2'], /Expected --seed at most once\. Received: --seed 1 and --seed=2$/m],
      [['run', script, '--name', 'a', '--seed', '1', '--name', ''], /Expected --name at most once\. Received: --name a and --name \(empty\)$/m],
      [['run', script, '--progress', '--progress'], /Expected --progress at most once\. Received: --progress and --progress$/m],
      [['ls', '--status', 'completed', '--status', 'failed'], /verbatim ls: Expected --status at most once/],
      [['diff', 'a', 'b', '--json', '--json'], /verbatim diff: Expected --json at most once/],
      [['worker', '--queue', 'redis://127.0.0.1:1', '--queue', 'redis://127.0.0.1:2'], /verbatim worker: Expected --queue at most once/],
      [['doctor', script, '--seed', '1', '--seed', '1'], /verbatim doctor: Expected --seed at most once/],
    ];
    // Every string option: an empty value was dropped (--name), or meant the working directory (--store).
    for (const [command, flags] of [
      ['run', ['name', 'store', 'metric', 'queue', 'backend', 'trace', 'backup-interval', 'seeds', 'resume']],
      ['ls', ['name', 'status', 'since', 'sort', 'store']], ['report', ['name', 'out', 'metric', 'store']],
      ['status', ['queue', 'store', 'metric']], ['worker', ['queue', 'store']], ['show', ['store']], ['diff', ['store']], ['verify', ['store']], ['rm', ['store']],
    ] as const) {
      for (const flag of flags) {
        const positionals = command === 'run' && flag !== 'resume' ? [script] : [];
        cases.push([[command, ...positionals, `--${flag}`, ''], new RegExp(`verbatim ${command}: Expected a non-empty value after --${flag}\\. Received: --${flag} \\(empty\\)$`, 'm')]);
      }
    }
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    assert.equal(listed().length, before, 'no run was started');
  });

  it('worker --concurrency is 1 to 256; a data-parallel worker process takes a port from 1 to 65535', () => {
    for (const value of ['257', '100000000', '0']) {
      const r = cli(['worker', '--queue', 'redis://127.0.0.1:1', '--concurrency', value]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`Expected --concurrency to be an integer from 1 to 256\\. Received: --concurrency ${value}$`, 'm'));
    }
    assert.match(cli(['worker', '--help']).stdout, /--concurrency N {2}jobs at once \(1\.\.256, default 1\)/);
    const worker = join(REPO_ROOT, 'dist/src/models/data-parallel-process.js');
    for (const address of ['127.0.0.1:99999', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:', 'localhost']) {
      // Before ports were checked, 0 was tried for 60 s: the timeout turns that into a failure, not a hang.
      const r = spawnSync(process.execPath, [worker, address], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 2, `${address}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^data-parallel worker: Expected host:port as the one address, with a port from 1 to 65535\\. Received: ${address}\\. Usage: `));
    }
  });

  it('report --metric naming no metric of the runs says which exist; --out - writes the report to stdout, not a file named -', () => {
    const ids = listed().map((r) => r.id);
    const unknown = cli(['report', ...ids, '--metric', 'nope']);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /Expected --metric to name a metric or value of these runs \(loss\)\. Received: --metric nope/);
    // run's summary names the metrics the runs have, too.
    const summary = cli(['run', script, '--seed', '9', '--metric', 'nope', '--store', join(WORK, 'metric')]);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /\(no completed run recorded a metric or value named nope; they recorded loss\)/);
    rmSync(join(WORK, 'metric'), { recursive: true });
    const piped = cli(['report', ...ids, '--out', '-', '--metric', 'loss']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /^<!doctype html>/i);
    assert.match(piped.stdout, /<\/html>\s*$/);
    assert.match(piped.stderr, /wrote the report to stdout \(2 runs\)/);
    assert.equal(existsSync(join(WORK, '-')), false);
    // A reader that closes the pipe early (the report is far more than a pipe holds) is a normal end, exit 0, as for show | head;
    // it did not get the report, so nothing says it was written (it did, on every run).
    const cut = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" report ${ids.join(' ')} --out - | head -c 10 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], {
      cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE },
    });
    assert.equal(cut.stdout.trim(), 'status=0');
    assert.equal(cut.stderr, '');
  });

  it('a status whose "reached" has the wrong shape: show and ls say so, never "undefined"', () => {
    const [run] = listed();
    const file = join(STORE, run!.id, 'status.json');
    const status = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...status, status: 'failed', reached: 'yes', error: { message: 'stopped by hand' } }));
    for (const args of [['show', run!.id], ['ls']]) {
      const r = cli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /undefined/, args[0]);
      assert.match(r.stdout, /stopped by hand \(at an unreadable point \(reached="yes"\)\)/, args[0]);
    }
    writeFileSync(file, JSON.stringify({ ...status, status: 'failed', reached: { fit: 0, epoch: 1, step: 2 } }));
    assert.match(cli(['show', run!.id]).stdout, /reason: stopped at fit 0, epoch 1, after its steps 0-1/);
    // Ended outside any fit: after which one, its number checked the same way.
    writeFileSync(file, JSON.stringify({ ...status, status: 'failed', afterFit: 1 }));
    assert.match(cli(['show', run!.id]).stdout, /reason: stopped after fit 1 ended/);
    writeFileSync(file, JSON.stringify({ ...status, status: 'failed', afterFit: -1, error: { message: 'stopped by hand' } }));
    assert.match(cli(['show', run!.id]).stdout, /reason: stopped by hand \(at an unreadable point \(afterFit=-1\)\)/);
    writeFileSync(file, JSON.stringify(status));
  });

  it('a read-only store: the error says the store is not writable, naming it; nothing else is written', (t) => {
    const readOnly = join(WORK, 'read-only');
    if (!mountTmpfs(t, readOnly, 'ro,size=64k')) return;
    try {
      for (const store of [readOnly, join(readOnly, 'runs')]) {
        const r = cli(['run', script], store);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, new RegExp(`verbatim run: Expected a writable store\\. Received: store=${store.replace(/[/.]/g, '\\$&')} \\(not writable: EROFS`));
        assert.doesNotMatch(r.stderr, /ENOENT/);
      }
      assert.equal(cli(['ls'], readOnly).stdout.trim(), '(no runs)');
    } finally {
      spawnSync('umount', [readOnly]);
    }
  });

  it('a store where mkdir answers ENOENT of an existing parent (under /proc): a clear error at once, no endless loop', (t) => {
    if (!existsSync('/proc/self')) return t.skip('no /proc here');
    const r = spawnSync(process.execPath, [CLI, 'run', script, '--store', '/proc/verbatim-store'], { cwd: WORK, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, `${r.stderr} (signal ${r.signal})`);
    assert.match(r.stderr, /verbatim run: Expected a writable store\. Received: store=\/proc\/verbatim-store \(not writable: /);
    // /proc itself exists and lets root pass the permission check, but takes no directory.
    const proc = spawnSync(process.execPath, [CLI, 'run', script, '--store', '/proc'], { cwd: WORK, encoding: 'utf8', timeout: 20_000 });
    assert.equal(proc.status, 2, proc.stderr);
    assert.match(proc.stderr, /verbatim run: Expected a writable store\. Received: store=\/proc \(not writable: ENOENT\)/);
  });

  it('a disk full before the child starts (under 4 KB free): no run left "interrupted", a clear message, exit 1', (t) => {
    const disk = join(WORK, 'full');
    if (!mountTmpfs(t, disk, 'size=64k')) return;
    try {
      mkdirSync(join(disk, 'store'));
      // Fill the disk, then free one 4 KB page and take back all but 1 KB of it.
      const filler = fillDisk(disk);
      rmSync(`${filler}0`);
      writeFileSync(`${filler}0`, Buffer.alloc(3072));
      const r = cli(['run', script, '--name', 'full'], join(disk, 'store'));
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /verbatim run: the disk is full \(ENOSPC\) while writing \S+\/(run|status)\.json: free some space and run again \((no run recorded|run \S+ recorded as failed)\)/);
      const runs = listed(join(disk, 'store'));
      assert.ok(runs.every((run) => run.status === 'failed' && /ENOSPC/.test(run.problem ?? '')), JSON.stringify(runs));
      assert.equal(spawnSync('find', [disk, '-name', '*.tmp'], { encoding: 'utf8' }).stdout, '');
    } finally {
      spawnSync('umount', [disk]);
    }
  });

  it('a disk that fills while the script prints: the output stdout.txt could not keep is said lost, exit 1', (t) => {
    const disk = join(WORK, 'filling');
    if (!mountTmpfs(t, disk, 'size=64k')) return;
    try {
      mkdirSync(join(disk, 'store'));
      // The script fills the disk once its run is set up, frees one 4 KB page, then prints 10 KB in one write:
      // the write of stdout.txt takes 4 KB of it without an error (was all that was kept, and nothing said so).
      const printer = join(WORK, 'fills-then-prints.mjs');
      writeFileSync(printer, `import { rmSync } from 'node:fs';
import { fillDisk } from ${JSON.stringify(join(REPO_ROOT, 'dist/test/helpers/process.js'))};
const filler = fillDisk(${JSON.stringify(disk)});
rmSync(\`\${filler}0\`);
process.stdout.write('x'.repeat(10_000));
`);
      const r = cli(['run', printer, '--name', 'filling'], join(disk, 'store'));
      assert.equal(r.stdout.slice(0, 10_000), 'x'.repeat(10_000), 'the output is echoed whole');
      const [run] = listed(join(disk, 'store'));
      const kept = readFileSync(join(disk, 'store', run!.id, 'stdout.txt'), 'utf8');
      assert.equal(kept, 'x'.repeat(4096), 'the free page took what it could');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /verbatim run: the disk is full \(ENOSPC\) while writing \S+\/stdout\.txt: free some space and run again/);
    } finally {
      spawnSync('umount', [disk]);
    }
  });
});
