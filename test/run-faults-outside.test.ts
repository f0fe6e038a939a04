/**
 * The run tools against what an outside tester broke in an hour (after issue 11's fixes): each
 * case reproduces a failure that was reported, through the real CLI and real processes.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';
import { table } from '../src/cli/inspect.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-faults-outside');
const STORE = join(WORK, 'store');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VERBATIM_STORE: STORE } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Listed { id: string; name: string | null; status: string; problem?: string }
const named = (name: string) => (JSON.parse(cli(['ls', '--json']).stdout) as Listed[]).filter((r) => r.name === name);

function script(name: string, body: string): string {
  const file = join(WORK, name);
  writeFileSync(file, body);
  return file;
}

const FIT = `import * as vb from 'verbatim';
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.ones([4, 2]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
`;

describe('run tools against an outside tester', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('verify refuses to run verbatim itself, or any script a hostile store names with its own arguments', () => {
    const file = script('fit.mjs', FIT);
    assert.equal(cli(['run', file, '--name', 'victim']).code, 0);
    const [run] = named('victim');
    const evil = join(STORE, 'evil');
    cpSync(join(STORE, run!.id), evil, { recursive: true });
    const pwned = join(WORK, 'PWNED');
    writeFileSync(join(evil, 'evil.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(pwned)}, 'ran');\n`);
    const edit = (name: string, change: (o: Record<string, unknown>) => void) => {
      const o = JSON.parse(readFileSync(join(evil, name), 'utf8')) as Record<string, unknown>;
      change(o);
      writeFileSync(join(evil, name), JSON.stringify(o));
    };
    const sha = (path: string) => spawnSync('sha256sum', [path], { encoding: 'utf8' }).stdout.split(' ')[0];
    for (const target of [CLI, join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')]) {
      edit('run.json', (o) => { o.invocation = { script: target, args: ['run', join(evil, 'evil.mjs')] }; });
      edit('manifest.json', (o) => { o.script = { path: target, sha256: sha(target) }; });
      const r = cli(['verify', 'evil']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /verify will not run evil: the script .* is (part of verbatim itself|a dependency's file \(under node_modules\)), not a training script/);
      assert.equal(existsSync(pwned), false, 'nothing the store named ran');
    }
    rmSync(evil, { recursive: true });
  });

  it('a process the script starts does not record into the run; failed runs stay out of the statistics; plain Errors give the reason', () => {
    const child = script('child.mjs', FIT);
    const parent = script('parent.mjs', `${FIT}import { execFileSync } from 'node:child_process';\nexecFileSync(process.execPath, [${JSON.stringify(child)}]);\n`);
    assert.equal(cli(['run', parent, '--name', 'parent']).code, 0);
    const [run] = named('parent');
    const fits = readFileSync(join(STORE, run!.id, 'fits.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"kind"'));
    assert.equal(fits.length, 1, 'only the script itself is recorded');

    const failing = script('fails-for-seed-2.mjs', `${FIT}if (process.env.VERBATIM_SEED === '2') throw new Error('seed 2 is broken');\n`);
    const r = cli(['run', failing, '--seeds', '1,2,3', '--name', 'some-fail']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /loss\s+2\s/, 'n counts the completed runs only');
    assert.match(r.stdout, /1 run\(s\) not completed, left out of the statistics: .* failed/);
    const failed = named('some-fail').find((x) => x.status === 'failed')!;
    assert.match(failed.problem!, /^seed 2 is broken/);
    assert.match(cli(['ls', '--name', 'some-fail']).stdout, new RegExp(`reasons:\\n\\s+${failed.id}\\s+failed\\s+seed 2 is broken`));
    // Thrown before verbatim is imported: the CLI finds the reason in the script's error output.
    assert.equal(cli(['run', script('throws-early.mjs', "throw new Error('boom before verbatim');\n"), '--name', 'early']).code, 1);
    assert.equal(named('early')[0]!.problem, 'Error: boom before verbatim');
  });

  it('a closed stdout leaves stderr speaking; report takes values named like object properties; diff and report refuse corrupt runs', () => {
    const failing = join(WORK, 'fails-for-seed-2.mjs');
    const piped = spawnSync('bash', ['-c', `node ${CLI} run ${failing} --seeds 1,2 2>${join(WORK, 'err.txt')} | head -c 1 >/dev/null`], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, encoding: 'utf8' });
    assert.equal(piped.status, 0);
    assert.match(readFileSync(join(WORK, 'err.txt'), 'utf8'), /\[2\/2\] .* failed .*seed 2 is broken/);

    const odd = script('odd-names.mjs', `${FIT}for (const [i, name] of ['constructor', 'toString', '__proto__'].entries()) vb.runs.log(name, i + 0.5);\n`);
    assert.equal(cli(['run', odd, '--name', 'odd']).code, 0);
    const [run] = named('odd');
    const report = cli(['report', run!.id, '--out', join(WORK, 'odd.html')]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(cli(['ls', '--name', 'odd']).stdout, /constructor=0\.5 toString=1\.5 __proto__=2\.5/);

    const broken = join(STORE, 'broken');
    cpSync(join(STORE, run!.id), broken, { recursive: true });
    writeFileSync(join(broken, 'epochs.jsonl'), '{"fit":0,"epoch":-1,"digest":"x"}\n');
    const diff = cli(['diff', run!.id, 'broken']);
    assert.equal(diff.code, 1, 'a corrupt run is a failed check, not bad usage');
    assert.match(diff.stderr, /Expected a readable run\. Received: broken, corrupt: .*epochs\.jsonl record 1/);
    const both = cli(['report', run!.id, 'broken', '--out', join(WORK, 'both.html')]);
    assert.equal(both.code, 0);
    assert.match(both.stderr, /left out broken, corrupt/);
    assert.match(both.stdout, /\(1 runs\)/);
    rmSync(broken, { recursive: true });
  });

  it('report takes values whose names hold a newline or a line separator, shown escaped (vega could not parse its tooltips: no report)', () => {
    const lines = script('line-names.mjs', `${FIT}vb.runs.log('first\\nsecond', 1);\nvb.runs.log('a\\u2028b', 2);\n`);
    assert.equal(cli(['run', lines, '--name', 'line-names', '--seed', '1']).code, 0);
    assert.equal(cli(['run', lines, '--name', 'line-names', '--seed', '2']).code, 0);
    const out = join(WORK, 'line-names.html');
    const report = cli(['report', '--name', 'line-names', '--out', out]);
    assert.equal(report.code, 0, report.stderr);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /final first\\u000asecond across 2 runs/);
    assert.match(html, /final a\\u2028b across 2 runs/);
    assert.match(cli(['ls', '--name', 'line-names']).stdout, /first\\u000asecond=1 a\\u2028b=2/);
  });

  it('a repeat that did not complete is left out of the same-seed verdict (it stopped where it was stopped)', () => {
    const marker = join(WORK, 'second-time');
    rmSync(marker, { force: true });
    // The second execution stops after training a little: a failed run of the same seed.
    const once = script('fails-second-time.mjs', `import { existsSync, writeFileSync } from 'node:fs';\n${FIT}if (existsSync(${JSON.stringify(marker)})) throw new Error('stopped');\nwriteFileSync(${JSON.stringify(marker)}, '');\n`);
    const r = cli(['run', once, '--seeds', '3,3', '--name', 'fails-second-time']);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /bit-identical/);
    assert.match(r.stdout + r.stderr, /1 run\(s\) not completed/);
  });

  it('custom values count as results: same-seed runs, verify and diff see a value that differs', () => {
    const random = script('random-value.mjs', `${FIT}vb.runs.log('test_mse', Math.random());\n`);
    const r = cli(['run', random, '--seeds', '3,3', '--name', 'random-value']);
    assert.match(r.stdout, /seed 3: 2 runs, NOT bit-identical: \S+ and \S+: custom values differ: test_mse step 0/);
    // One sample (the seed), its repeats' disagreement said in the table too.
    assert.match(r.stdout, /^test_mse\s+1 \(2 runs, repeats of 1 seed\(s\) differ: their first run counted\)\s+\S+\s+-\s.*none: one seed$/m);
    const [a, b] = named('random-value');
    const diff = cli(['diff', a!.id, b!.id]);
    assert.match(diff.stdout, /custom values that differ:\n\s+test_mse step 0: \S+ \(bits [0-9a-f]{8}\) -> \S+ \(bits [0-9a-f]{8}\)/);
    assert.match(diff.stdout, /training identical/);
    const verify = cli(['verify', a!.id]);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /custom values that differ/);
  });

  it('bad run options are usage errors before anything starts; rm checks every id first and leaves running runs alone', () => {
    const before = readdirSync(STORE).length;
    const file = join(WORK, 'fit.mjs');
    for (const [args, message] of [
      [['run', file, '--repeats', '1000000000'], /Expected --repeats of at most 100000/],
      [['run', file, '--backend', 'nope'], /Expected --backend to be one of reference, wasm\. Received: --backend nope/],
      [['run', WORK], /Expected a script file\. Received: .* \(not a regular file\)/],
    ] as const) {
      const r = cli([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
    const twice = cli(['run', file, '--seeds', '1..2,1..2', '--queue', 'redis://127.0.0.1:1']);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /Expected distinct seeds with --queue \(use --repeats to run a seed again\)\. Received: seed 1 more than once/);
    assert.equal(readdirSync(STORE).length, before, 'no run was made');
    assert.equal(cli(['run', file, '--seed', '-0', '--name', 'minus-zero']).code, 0);
    assert.equal((JSON.parse(cli(['ls', '--json', '--name', 'minus-zero']).stdout) as { seed: string }[])[0]!.seed, '0', '-0 is seed 0, one job id');
    const [victim] = named('victim');
    assert.equal(cli(['rm', victim!.id, '']).code, 2);
    assert.equal(named('victim').length, 1, 'nothing was removed');
    const status = join(STORE, victim!.id, 'status.json');
    const saved = readFileSync(status, 'utf8');
    // A live run's status, as the recorder writes it: the pid with its start time where /proc tells it.
    const startTime = existsSync('/proc/self/stat') ? readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19] : undefined;
    writeFileSync(status, JSON.stringify({ status: 'running', pid: process.pid, ...(startTime ? { pidStartTime: startTime } : {}), startedAt: 'x' }));
    const rm = cli(['rm', victim!.id]);
    assert.equal(rm.code, 2);
    assert.match(rm.stderr, /still running/);
    writeFileSync(status, JSON.stringify({ status: 'running', pid: 0, startedAt: 'x' }));
    assert.equal(named('victim')[0]!.status, 'interrupted', 'pid 0 is no run\'s process');
    writeFileSync(status, saved);
  });

  it('control characters from a store are shown escaped; a long table needs no deep stack', () => {
    const [victim] = named('victim');
    const file = join(STORE, victim!.id, 'run.json');
    const saved = readFileSync(file, 'utf8');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(saved), name: 'evil\u001b]0;title\u0007\u001b[2J\nfake line\r' }));
    const ls = cli(['ls']).stdout;
    assert.doesNotMatch(ls, /\u001b|\u0007|\r/);
    assert.match(ls, /evil\\u001b\]0;title\\u0007\\u001b\[2J\\u000afake line\\u000d/);
    writeFileSync(file, saved);
    const rows = Array.from({ length: 200_000 }, (_, i) => [String(i), 'x']);
    assert.equal(table([['a', 'b'], ...rows]).split('\n').length, 200_001);
  });

  it('a signal to verbatim run reaches the processes the script started', { skip: process.platform === 'win32' && 'no process groups' }, async () => {
    const pidFile = join(WORK, 'grandchild.pid');
    const file = script('grandchild.mjs', `import { spawn } from 'node:child_process';\nimport { writeFileSync } from 'node:fs';\nconst sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });\nwriteFileSync(${JSON.stringify(pidFile)}, String(sleeper.pid));\n${FIT}await new Promise((r) => setTimeout(r, 120000));\n`);
    const run = spawn(process.execPath, [CLI, 'run', file], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    run.kill('SIGTERM');
    assert.equal(await exited, 143);
    let alive = true;
    for (let i = 0; i < 40 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(sleeper, 0);
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, 'the grandchild was stopped with the run');
  });

  it('the CLI killed by SIGKILL: the processes the script started stop with the script (they were left running, orphaned)', { skip: process.platform === 'win32' && 'no process groups' }, async () => {
    const pidFile = join(WORK, 'orphan.pid');
    const file = script('orphan.mjs', `import { spawn } from 'node:child_process';\nimport { writeFileSync } from 'node:fs';\nconst sleeper = spawn('sleep', ['120'], { stdio: 'ignore' });\nwriteFileSync(${JSON.stringify(pidFile)}, String(sleeper.pid));\n${FIT}await new Promise((r) => setTimeout(r, 120000));\n`);
    const run = spawn(process.execPath, [CLI, 'run', file, '--name', 'orphan'], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: 'ignore' });
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    run.kill('SIGKILL');
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(sleeper, 0);
      } catch {
        alive = false;
      }
    }
    if (alive) process.kill(sleeper, 'SIGKILL');
    assert.equal(alive, false, 'the grandchild was stopped with the run');
    const [run0] = named('orphan');
    assert.equal(run0!.status, 'interrupted');
    assert.match(run0!.problem!, /the verbatim CLI that started the run ended/);
  });

  it('verify interrupted by SIGTERM or SIGINT says so on stderr (was a silent 143/130), keeps its re-execution named, leaves no process', async () => {
    // Slow only when verify re-executes it (the same script, so its SHA-256 is the recorded one).
    const file = script('slow-when-asked.mjs', FIT.replace('verbose: 0', 'verbose: 0, callbacks: { onEpochEnd: () => new Promise((r) => setTimeout(r, process.env.SLOW ? 60_000 : 0)) }'));
    assert.equal(cli(['run', file, '--name', 'to-verify', '--seed', '1']).code, 0);
    const [original] = named('to-verify');
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const before = new Set(readdirSync(STORE));
      const verify = spawn(process.execPath, [CLI, 'verify', original!.id], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE, SLOW: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      verify.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const exited = new Promise<number | null>((r) => verify.on('close', (c) => r(c)));
      // Once the re-execution's recorder has taken over its status (its pid, not the CLI's), its script trains and then waits.
      let rerun: string | undefined;
      let pid = verify.pid;
      for (let i = 0; i < 300 && pid === verify.pid; i++) {
        await new Promise((r) => setTimeout(r, 100));
        rerun = readdirSync(STORE).find((id) => !before.has(id));
        const status = rerun && join(STORE, rerun, 'status.json');
        if (status && existsSync(status)) pid = (JSON.parse(readFileSync(status, 'utf8')) as { pid: number }).pid;
      }
      verify.kill(signal);
      assert.equal(await exited, code, stderr);
      assert.equal(stderr, `verbatim verify: interrupted by ${signal}, nothing was compared: the re-execution is kept as run ${rerun}, interrupted (verbatim rm removes it)\n`);
      assert.notEqual(pid, verify.pid);
      assert.throws(() => process.kill(pid!, 0), { code: 'ESRCH' }, 'the re-execution\'s process is gone');
      assert.deepEqual(named(`verify ${original!.id}`).map((r) => [r.id, r.status]).filter(([id]) => id === rerun), [[rerun, 'interrupted']]);
    }
  });

  it('a fit started inside another fit\'s callback, and two fits run together: each fit\'s records carry its number, the run completes and verifies; a resume refuses nested fits', () => {
    const header = `import * as vb from 'verbatim';
const make = (units) => { const m = vb.sequential({ layers: [vb.layers.dense({ units, inputShape: [2] }), vb.layers.dense({ units: 1 })] }); m.compile({ optimizer: 'adam', loss: 'mse' }); return m; };
const [a, b] = [make(3), make(4)];
const x = vb.random.normal(vb.random.key(2), [8, 2]);
const y = vb.sum(x, 1, true);
`;
    const nested = script('nested.mjs', `${header}await a.fit(x, y, { epochs: 4, batchSize: 4, verbose: 0, callbacks: { onEpochEnd: async (epoch) => { if (epoch === 1) await b.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 }); if (epoch === 2 && process.env.STOP) process.exit(0); } } });\n`);
    const together = script('together.mjs', `${header}await Promise.all([a.fit(x, y, { epochs: 4, batchSize: 2, verbose: 0 }), b.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 })]);\n`);
    for (const [file, name] of [[nested, 'nested'], [together, 'together']] as const) {
      const r = cli(['run', file, '--name', name, '--seed', '1']);
      assert.equal(r.code, 0, r.stderr);
      const [run] = named(name);
      assert.equal(run!.status, 'completed', run!.problem);
      const epochs = readFileSync(join(STORE, run!.id, 'epochs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fit: number; epoch: number });
      assert.deepEqual([0, 1].map((fit) => epochs.filter((e) => e.fit === fit).map((e) => e.epoch)), [[0, 1, 2, 3, 4], [0, 1, 2, 3]], name);
      const fits = readFileSync(join(STORE, run!.id, 'fits.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { fit: number; kind?: string; within?: number[]; weights?: { shape: number[] }[] });
      assert.deepEqual(fits.filter((f) => f.kind).map((f) => [f.fit, f.weights![0]!.shape, f.within ?? []]), [[0, [2, 3], []], [1, [2, 4], [0]]], name);
      const verify = cli(['verify', run!.id]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /^identical/);
    }
    const stopped = spawnSync(process.execPath, [CLI, 'run', nested, '--name', 'nested-stopped', '--seed', '1'], { cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE, STOP: '1' } });
    assert.equal(stopped.status, 1, stopped.stderr);
    const [interrupted] = named('nested-stopped');
    assert.equal(interrupted!.status, 'interrupted');
    // Stopped in the outer fit after the inner one ended: where the open fit stood, not the ended one.
    assert.match(interrupted!.problem!, /ended during fit 0: .* \(at fit 0, epoch 3, after its steps 0-1\)$/);
    const resumed = cli(['run', '--resume', interrupted!.id]);
    assert.equal(resumed.code, 2);
    assert.match(resumed.stderr, /Expected a run whose fits ran one after another to resume\. Received: \S+, whose fit 1 began while fit 0 was training/);
  });
});
