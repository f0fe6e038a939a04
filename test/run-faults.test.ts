/**
 * The run tools under faults, bad input and hostile stores (issue 11): every case was first
 * reproduced here as a failing test. Real processes and real signals; a real full disk (tmpfs)
 * where the machine allows mounting one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mountTmpfs, REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-faults');
const STORE = join(WORK, 'store');

function cli(args: string[], options: { store?: string; cwd?: string; uid?: number } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? WORK, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VERBATIM_STORE: options.store ?? STORE },
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Listed { id: string; name: string | null; status: string; finalMetrics: Record<string, number | string>; problem?: string }
const listed = (store = STORE): Listed[] => JSON.parse(cli(['ls', '--json'], { store }).stdout) as Listed[];
const named = (name: string) => listed().filter((r) => r.name === name);

function script(name: string, body: string): string {
  const file = join(WORK, name);
  writeFileSync(file, body);
  return file;
}

/** A script that trains for a long time, printing a line first (so kept output can be checked). */
const LONG = `import * as vb from 'verbatim';
vb.setRandomSeed(1);
const x = vb.random.normal(vb.random.key(1), [64, 4]);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [4] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
console.log('training starts');
await m.fit(x, vb.sum(x, 1, true), { epochs: 1000000, verbose: 0 });
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `verbatim run` on the long script; resolves once its run has recorded a few epochs. */
async function startLongRun(name: string, detached = false, body = LONG): Promise<{ cli: ChildProcess; dir: string; childPid: number; exit: Promise<number | null> }> {
  const file = script(`${name}.mjs`, body);
  const before = new Set(existsSync(STORE) ? readdirSync(STORE) : []);
  const child = spawn(process.execPath, [CLI, 'run', file, '--name', name], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: 'ignore', detached });
  const exit = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))));
  for (let i = 0; i < 300; i++) {
    await sleep(100);
    const fresh = existsSync(STORE) ? readdirSync(STORE).find((id) => !before.has(id)) : undefined;
    const epochs = fresh ? join(STORE, fresh, 'epochs.jsonl') : '';
    if (fresh && existsSync(epochs) && readFileSync(epochs, 'utf8').split('\n').length > 5) {
      const dir = join(STORE, fresh);
      const { pid } = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { pid: number };
      return { cli: child, dir, childPid: pid, exit };
    }
  }
  child.kill('SIGKILL');
  throw new Error('the run never started recording epochs');
}

function status(dir: string): { status: string; reached?: { fit: number; epoch: number; step: number }; error?: { message: string } } {
  return JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as ReturnType<typeof status>;
}

describe('run tools under faults and hostile stores', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('a loss that becomes Inf is recorded by its float32 bits and shown as Infinity by run, ls, show and report', () => {
    const file = script('diverges.mjs', `import * as vb from 'verbatim';
vb.setRandomSeed(1);
const x = vb.fill([8, 2], 1e30);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [2] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(x, vb.zeros([8, 1]), { epochs: 3, verbose: 0 });
`);
    const r = cli(['run', file, '--name', 'diverges']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /loss\s+1 \(1 non-finite\)\s+Infinity\s/);
    const [run] = named('diverges');
    assert.equal(run!.status, 'completed');
    const line = JSON.parse(readFileSync(join(STORE, run!.id, 'epochs.jsonl'), 'utf8').trim().split('\n').at(-1)!) as { logs: { loss: unknown }; logBits: { loss: string } };
    assert.deepEqual([line.logs.loss, line.logBits.loss], ['Infinity', '7f800000']);
    assert.equal(run!.finalMetrics.loss, 'Infinity', 'ls --json writes non-finite numbers as strings');
    assert.match(cli(['ls']).stdout, new RegExp(`${run!.id}\\s+diverges\\s+1\\s+completed\\s+loss=Infinity`));
    assert.match(cli(['show', run!.id]).stdout, /loss=Infinity/);
    const report = cli(['report', '--name', 'diverges', '--out', join(WORK, 'diverges.html')]);
    assert.equal(report.code, 0, report.stderr);
  });

  it('metric lines of the wrong type (null, a string, an object, no logs) never crash a command', () => {
    const [run] = named('diverges');
    const file = join(STORE, run!.id, 'epochs.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = lines.at(-1)!;
    // What the recorder wrote before: a NaN loss as null, its bits kept beside it.
    const variants = [
      { ...last, logs: { loss: null }, logBits: { loss: '7fc00000' } },
      { ...last, logs: { loss: 'abc', acc: { x: 1 } }, logBits: { loss: 'zz' } },
      { ...last, logs: null, logBits: 5 },
    ];
    for (const [i, variant] of variants.entries()) {
      writeFileSync(file, [...lines.slice(0, -1), variant].map((l) => JSON.stringify(l)).join('\n') + '\n');
      for (const args of [['ls'], ['ls', '--json'], ['show', run!.id], ['show', run!.id, '--json'], ['diff', run!.id, run!.id], ['report', run!.id, '--out', join(WORK, 'r.html')]]) {
        const r = cli(args);
        assert.equal(r.code, 0, `variant ${i}, ${args[0]}: ${r.stderr}`);
      }
      if (i === 0) assert.match(cli(['ls']).stdout, new RegExp(`${run!.id}.*loss=NaN`));
    }
  });

  it('one bad store entry (symlink loop, dangling link, unreadable directory, malformed line) never stops ls: each is listed with its reason', () => {
    const store = join(WORK, 'bad-store');
    mkdirSync(store, { recursive: true });
    const good = script('good.mjs', "import * as vb from 'verbatim';\nvb.setRandomSeed(2);\nconst m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });\nm.compile({ optimizer: 'sgd', loss: 'mse' });\nawait m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 3, verbose: 0 });\n");
    for (let i = 0; i < 3; i++) assert.equal(cli(['run', good, '--name', 'good'], { store }).code, 0);
    const [a, b, c] = readdirSync(store).sort();
    symlinkSync(join(store, 'loop'), join(store, 'loop'));
    symlinkSync(join(store, 'nowhere'), join(store, 'dangling'));
    const epochs = join(store, b!, 'epochs.jsonl');
    const [first, ...rest] = readFileSync(epochs, 'utf8').split('\n');
    writeFileSync(epochs, [first, '{"fit": 0, "epo', ...rest].join('\n'));
    rmSync(join(store, c!, 'run.json'));
    mkdirSync(join(store, c!, 'run.json'));
    const r = cli(['ls'], { store });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${a}\\s+good\\s+2\\s+completed`));
    assert.match(r.stdout, /loop\s+corrupt\s+.*ELOOP/);
    assert.match(r.stdout, /dangling\s+corrupt\s+.*ENOENT/);
    assert.match(r.stdout, new RegExp(`${b}\\s+corrupt\\s+.*epochs\\.jsonl line 2: `));
    assert.match(r.stdout, new RegExp(`${c}\\s+corrupt\\s+.*run\\.json: Expected a regular file\\. Received: a directory`));
    assert.match(cli(['show', b!], { store }).stdout, /problem: .*epochs\.jsonl line 2/);
    // An unreadable directory: root reads everything, so ls runs as nobody.
    chmodSync(join(store, a!), 0o000);
    const asNobody = cli(['ls'], { store, uid: 65534, cwd: '/' });
    chmodSync(join(store, a!), 0o755);
    if (asNobody.code === -1 || /EACCES.*dist|Cannot find module/.test(asNobody.stderr)) return;
    assert.equal(asNobody.code, 0, asNobody.stderr);
    assert.match(asNobody.stdout, new RegExp(`${a}\\s+corrupt\\s+.*EACCES`));
  });

  it('Ctrl-C (SIGINT to the process group) stops training at the next step: interrupted, the step reached, output kept, exit 130, no child left', async () => {
    const run = await startLongRun('sigint', true);
    const t0 = performance.now();
    process.kill(-run.cli.pid!, 'SIGINT');
    const code = await run.exit;
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(code, 130);
    assert.ok(seconds < 1.5, `stopped in ${seconds.toFixed(2)} s`);
    const s = status(run.dir);
    assert.equal(s.status, 'interrupted');
    assert.match(s.error!.message, /SIGINT/);
    assert.equal(s.reached!.fit, 0);
    assert.ok(s.reached!.epoch > 5 && (s.reached!.step === 1 || s.reached!.step === 2), JSON.stringify(s.reached));
    assert.match(readFileSync(join(run.dir, 'stdout.txt'), 'utf8'), /training starts/);
    assert.ok(!alive(run.childPid), 'the child is gone');
  });

  it('SIGTERM to the CLI alone: passed on to the child, exit 143', async () => {
    const run = await startLongRun('sigterm');
    run.cli.kill('SIGTERM');
    assert.equal(await run.exit, 143);
    assert.equal(status(run.dir).status, 'interrupted');
    assert.match(status(run.dir).error!.message, /SIGTERM/);
    assert.ok(!alive(run.childPid));
  });

  it('a script that handles Ctrl-C itself trains on; a SIGTERM after it is passed on (not taken as a second signal): interrupted by SIGTERM, exit 143', async () => {
    const body = LONG.replace("console.log('training starts');", "process.on('SIGINT', () => console.log('SIGINT handled'));\nconsole.log('training starts');");
    const run = await startLongRun('handles-sigint', true, body);
    const output = join(run.dir, 'stdout.txt');
    process.kill(-run.cli.pid!, 'SIGINT');
    for (let i = 0; i < 50 && !readFileSync(output, 'utf8').includes('SIGINT handled'); i++) await sleep(100);
    assert.match(readFileSync(output, 'utf8'), /SIGINT handled/);
    const epochs = () => readFileSync(join(run.dir, 'epochs.jsonl'), 'utf8').split('\n').length;
    const handledAt = epochs();
    await sleep(700);
    assert.ok(epochs() > handledAt && alive(run.childPid), 'training goes on, as under plain node');
    process.kill(-run.cli.pid!, 'SIGTERM');
    assert.equal(await run.exit, 143);
    const s = status(run.dir) as ReturnType<typeof status> & { signal?: string };
    assert.deepEqual([s.status, s.signal, s.error!.message], ['interrupted', 'SIGTERM', 'interrupted by SIGTERM']);
    assert.equal(s.reached!.fit, 0);
  });

  it('a script that handles Ctrl-C itself and completes its run: recorded completed, the CLI exits 0 as the script did', async () => {
    const body = `import * as vb from 'verbatim';
let stop = false;
process.on('SIGINT', () => { console.log('SIGINT handled'); stop = true; });
vb.setRandomSeed(1);
const x = vb.random.normal(vb.random.key(1), [64, 4]);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [4] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
console.log('training starts');
await m.fit(x, vb.sum(x, 1, true), { epochs: 1000000, verbose: 0, callbacks: { onEpochEnd: () => { if (stop) m.stopTraining = true; } } });
`;
    const run = await startLongRun('handles-sigint-completes', true, body);
    process.kill(-run.cli.pid!, 'SIGINT');
    assert.equal(await run.exit, 0);
    assert.match(readFileSync(join(run.dir, 'stdout.txt'), 'utf8'), /SIGINT handled/);
    assert.equal(status(run.dir).status, 'completed');
  });

  it('a script that ignores Ctrl-C: a second Ctrl-C still ends it (killed), exit 130, no child left', async () => {
    const body = LONG.replace("console.log('training starts');", "process.on('SIGINT', () => console.log('SIGINT ignored'));\nconsole.log('training starts');");
    const run = await startLongRun('ignores-sigint', true, body);
    process.kill(-run.cli.pid!, 'SIGINT');
    for (let i = 0; i < 50 && !readFileSync(join(run.dir, 'stdout.txt'), 'utf8').includes('SIGINT ignored'); i++) await sleep(100);
    process.kill(-run.cli.pid!, 'SIGINT');
    assert.equal(await run.exit, 130);
    assert.equal(status(run.dir).status, 'interrupted');
    assert.equal(status(run.dir).error!.message, 'killed by SIGKILL');
    assert.ok(!alive(run.childPid), 'the child is gone');
  });

  it('the CLI killed with SIGKILL: the child notices (its IPC channel closes, or its output pipe breaks) and stops, recorded interrupted', async () => {
    // A script that prints as it trains meets the broken pipe first: still interrupted, not failed.
    const printing = LONG.replace('verbose: 0', 'verbose: 0, callbacks: { onEpochEnd: (e) => console.log(`epoch ${e}`) }');
    for (const [name, body] of [['orphan', LONG], ['orphan-printing', printing]] as const) {
      const run = await startLongRun(name, false, body);
      run.cli.kill('SIGKILL');
      await run.exit;
      for (let i = 0; i < 50 && alive(run.childPid); i++) await sleep(100);
      assert.ok(!alive(run.childPid), `${name}: the child outlived the CLI`);
      assert.equal(status(run.dir).status, 'interrupted', name);
      assert.match(status(run.dir).error!.message, /CLI that started the run ended/, name);
    }
  });

  it('the CLI killed with SIGKILL while its child still loads: the child stops as soon as it can, never recorded completed', async () => {
    // A child that loads slowly (a busy machine): the CLI's channel closes before verbatim listens for it.
    const file = script('early-orphan.mjs', `const until = Date.now() + 1500;
while (Date.now() < until) { /* loading */ }
${LONG.replace("import * as vb from 'verbatim';", "const vb = await import('verbatim');").replace('epochs: 1000000', 'epochs: 300')}`);
    const before = new Set(existsSync(STORE) ? readdirSync(STORE) : []);
    const child = spawn(process.execPath, [CLI, 'run', file, '--name', 'early-orphan'], { cwd: WORK, env: { ...process.env, VERBATIM_STORE: STORE }, stdio: 'ignore' });
    const exit = new Promise((r) => child.on('exit', r));
    const fresh = () => (existsSync(STORE) ? readdirSync(STORE) : []).filter((id) => !before.has(id) && !id.startsWith('.'));
    // Killed once the child process exists (it then spends 1.5 s loading), found in /proc by its
    // script: a fixed wait killed the CLI before it had started the child on a loaded machine. A
    // process the CLI forked shows the CLI's command line until it execs (git, asked before the
    // run's status is written): the child's command line runs the script, not the CLI.
    const childStarted = () => readdirSync('/proc').some((pid) => {
      try {
        const cmdline = /^\d+$/.test(pid) && Number(pid) !== child.pid ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
        return cmdline.includes(file) && !cmdline.includes(CLI);
      } catch {
        return false; // a process that ended meanwhile
      }
    });
    for (let waited = 0; !childStarted() && waited < 10_000; waited += 20) await sleep(20);
    child.kill('SIGKILL');
    await exit;
    // Long enough for a left-over child to load and finish its 300 epochs.
    await sleep(5000);
    const [run, ...others] = fresh();
    assert.equal(others.length, 0);
    assert.equal(status(join(STORE, run!)).status, 'interrupted');
    assert.match(status(join(STORE, run!)).error!.message, /CLI that started the run ended/);
  });

  it('the child killed with SIGKILL: the CLI records it interrupted by SIGKILL, with the output so far, and exits 137', async () => {
    const run = await startLongRun('child-killed');
    process.kill(run.childPid, 'SIGKILL');
    assert.equal(await run.exit, 137);
    assert.equal(status(run.dir).status, 'interrupted');
    assert.equal(status(run.dir).error!.message, 'killed by SIGKILL');
    assert.match(readFileSync(join(run.dir, 'stdout.txt'), 'utf8'), /training starts/);
    assert.match(cli(['show', run.dir.split('/').at(-1)!]).stdout, /status interrupted\nreason: killed by SIGKILL/);
  });

  it('SIGTERM to the script\'s process alone (not the CLI\'s group): interrupted by SIGTERM, and the CLI exits 143, not 1', async () => {
    const run = await startLongRun('child-sigterm');
    process.kill(run.childPid, 'SIGTERM');
    assert.equal(await run.exit, 143);
    const s = status(run.dir) as ReturnType<typeof status> & { signal?: string };
    assert.equal(s.status, 'interrupted');
    assert.equal(s.signal, 'SIGTERM');
    assert.match(s.error!.message, /interrupted by SIGTERM/);
  });

  it('the CLI and its child both killed with SIGKILL: show gives the run a reason at once, never a bare interrupted', async () => {
    const run = await startLongRun('both-killed');
    process.kill(run.cli.pid!, 'SIGKILL');
    process.kill(run.childPid, 'SIGKILL');
    await run.exit;
    const id = run.dir.split('/').at(-1)!;
    assert.equal(status(run.dir).status, 'running', 'nobody was left to record the end');
    for (let i = 0; i < 50; i++) {
      const shown = cli(['show', id]).stdout;
      if (/status running/.test(shown)) {
        await sleep(100);
        continue;
      }
      assert.match(shown, new RegExp(`status interrupted\nreason: its process \\(pid ${run.childPid}\\) ended without recording how the run ended \\(killed by SIGKILL, or the machine stopped\\)`));
      return;
    }
    assert.fail('the run was still shown running 5 s after its processes were killed');
  });

  // process.exit(0) in the middle of fit: not completed, and the CLI exits 1; process.exit(3): the CLI exits as the script did.
  for (const { code, epoch, cliCode, status, problem } of [
    { code: 0, epoch: 2, cliCode: 1, status: 'interrupted', problem: /ended during fit 0.*at fit 0, epoch 3, after its step 0/ },
    { code: 3, epoch: 1, cliCode: 3, status: 'failed', problem: /exit code 3.*at fit 0, epoch 2, after its step 0/ },
  ]) {
    it(`process.exit(${code}) in the middle of fit: recorded ${status} with where it stopped, and the CLI exits ${cliCode}`, () => {
      const file = script(`exits-${code}.mjs`, `import * as vb from 'verbatim';
vb.setRandomSeed(1);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 10, verbose: 0, callbacks: { onEpochEnd: (epoch) => { if (epoch === ${epoch}) process.exit(${code}); } } });
`);
      const r = cli(['run', file, '--name', `exits-${code}`]);
      assert.equal(r.code, cliCode, r.stderr);
      const [run] = named(`exits-${code}`);
      assert.equal(run!.status, status);
      assert.match(run!.problem!, problem);
    });
  }

  // How the script ends decides the status, as plain node ends it: a fit error the script catches
  // ends that fit, not the run; top-level await that never settles exits 13; an exit listener
  // after the recorder's may still set the exit code.
  for (const { name, body, cliCode, status, problem, output } of [
    { name: 'caught', cliCode: 0, status: 'completed', problem: undefined, body: `
await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
try {
  await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 5, verbose: 0, callbacks: { onEpochEnd: (epoch) => { if (epoch === 2) throw new Error('stop here'); } } });
} catch (error) {
  console.log('caught:', error.message);
}
` },
    { name: 'never-settles', cliCode: 13, status: 'failed', problem: /exit code 13/, body: `
await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
await new Promise(() => {});
` },
    { name: 'late-exit-code', cliCode: 7, status: 'failed', problem: /exit code 7/, body: `
await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
process.on('exit', () => { process.exitCode = 7; });
` },
    // Past its fit, the run is not said to be inside it.
    { name: 'failing-after-its-fit', cliCode: 1, status: 'failed', problem: /^after training \(after fit 0 ended\)$/, body: `
await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
throw new Error('after training');
` },
    // A script's own handlers run as under plain node: verbatim only observes.
    { name: 'handling-its-errors', cliCode: 0, status: 'completed', problem: undefined, output: /handled: later/, body: `
process.on('uncaughtException', (error) => console.log('handled:', error.message));
setTimeout(() => { throw new Error('later'); }, 0);
await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
await new Promise((resolve) => setTimeout(resolve, 20));
` },
    { name: 'handling-its-signal', cliCode: 0, status: 'completed', problem: undefined, output: /saved on SIGTERM/, body: `
await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });
process.on('SIGTERM', () => { console.log('saved on SIGTERM'); process.exit(0); });
process.kill(process.pid, 'SIGTERM');
await new Promise((resolve) => setTimeout(resolve, 5000));
` },
  ] as { name: string; body: string; cliCode: number; status: string; problem?: RegExp; output?: RegExp }[]) {
    it(`a script that ends ${name}: recorded ${status}, and the CLI exits ${cliCode}`, () => {
      const file = script(`ends-${name}.mjs`, `import * as vb from 'verbatim';
vb.setRandomSeed(1);
const m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });
m.compile({ optimizer: 'sgd', loss: 'mse' });
${body}`);
      const r = cli(['run', file, '--name', `ends-${name}`]);
      assert.equal(r.code, cliCode, r.stderr);
      const [run] = named(`ends-${name}`);
      assert.equal(run!.status, status);
      if (problem) assert.match(run!.problem!, problem);
      else assert.equal(run!.problem, undefined);
      if (output) assert.match(readFileSync(join(STORE, run!.id, 'stdout.txt'), 'utf8'), output);
    });
  }

  it('a syntax error and a run killed before it recorded anything are failed and interrupted, with reasons, not corrupt', () => {
    const file = script('syntax.mjs', "import * as vb from 'verbatim';\nconst = 3;\n");
    const r = cli(['run', file, '--name', 'syntax']);
    assert.equal(r.code, 1);
    const [run] = named('syntax');
    assert.equal(run!.status, 'failed');
    assert.match(run!.problem!, /^SyntaxError: /);
    assert.match(readFileSync(join(STORE, run!.id, 'stderr.txt'), 'utf8'), /SyntaxError/);
    mkdirSync(join(STORE, '20200101-000000000-1-000000'));
    const empty = listed().find((x) => x.id === '20200101-000000000-1-000000')!;
    assert.equal(empty.status, 'interrupted');
    assert.match(empty.problem!, /before it recorded a status/);
    rmSync(join(STORE, '20200101-000000000-1-000000'), { recursive: true });
  });

  it('a status naming a live but unrelated pid is recognised as a dead run by the pid\'s start time', { skip: existsSync('/proc/self/stat') ? false : 'needs /proc (Linux)' }, () => {
    const [run] = named('diverges');
    const file = join(STORE, run!.id, 'status.json');
    const saved = readFileSync(file, 'utf8');
    const startTime = readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
    writeFileSync(file, JSON.stringify({ status: 'running', pid: process.pid, pidStartTime: '1', startedAt: 'x' }));
    assert.equal(named('diverges')[0]!.status, 'interrupted');
    assert.match(named('diverges')[0]!.problem!, new RegExp(`^pid ${process.pid} is another process now \\(started at tick ${startTime} after boot, the run's at 1\\): the run's process ended without recording how`));
    writeFileSync(file, JSON.stringify({ status: 'running', pid: process.pid, pidStartTime: startTime, startedAt: 'x' }));
    assert.equal(named('diverges')[0]!.status, 'running');
    assert.equal(named('diverges')[0]!.problem, undefined);
    // Hand-written, with no start time: a live pid alone (pid 1 lives forever) proves nothing.
    for (const pid of [1, process.pid]) {
      writeFileSync(file, JSON.stringify({ status: 'running', pid }));
      assert.equal(named('diverges')[0]!.status, 'interrupted', `pid ${pid}`);
      assert.match(cli(['show', run!.id]).stdout, new RegExp(`status interrupted\nreason: its status names pid ${pid} without that process's start time, so it cannot be told from another process that got the pid: taken as stale`));
    }
    writeFileSync(file, saved);
  });

  it('ids for rm, show, verify and diff: empty, path-like or ambiguous ones are errors; rm names what it removes', () => {
    const before = listed().length;
    for (const args of [['rm', ''], ['show', ''], ['verify', ''], ['diff', '', ''], ['rm', '..'], ['rm', '../store'], ['rm', '.'], ['rm', '2']]) {
      const r = cli(args);
      assert.equal(r.code, 2, `${JSON.stringify(args)}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /Expected (a run id|an id that names one run|a non-empty run id)/);
    }
    assert.equal(listed().length, before, 'nothing was removed');
    const [run] = named('exits-0');
    const r = cli(['rm', run!.id]);
    assert.equal(r.stdout, `removed ${run!.id} (name exits-0, seed 1, interrupted)\n`);
  });

  it('a closed pipe is a normal end: show | true, ls | head -c 1', () => {
    const [run] = named('diverges');
    for (const command of [`show ${run!.id} --json | true`, 'ls | head -c 1 >/dev/null', `show ${run!.id} | head -3 >/dev/null`]) {
      const r = spawnSync('bash', ['-c', `set -o pipefail; for i in 1 2 3; do "${process.execPath}" "${CLI}" ${command} || exit $?; done`], {
        cwd: WORK, encoding: 'utf8', env: { ...process.env, VERBATIM_STORE: STORE },
      });
      assert.equal(r.stderr, '', command);
      assert.equal(r.status, 0, command);
    }
  });

  it('hostile stores: a huge weight shape, a weights file of odd length and a fit outside the store do not hang or crash diff', () => {
    const [x, y] = named('good-diff').length ? named('good-diff') : (() => {
      const file = script('two.mjs', "import * as vb from 'verbatim';\nconst m = vb.sequential({ layers: [vb.layers.dense({ units: 2, inputShape: [3] })] });\nm.compile({ optimizer: 'sgd', loss: 'mse' });\nawait m.fit(vb.ones([4, 3]), vb.ones([4, 2]), { epochs: 2, verbose: 0 });\n");
      assert.equal(cli(['run', file, '--seeds', '1,2', '--name', 'good-diff']).code, 0);
      return named('good-diff');
    })();
    assert.match(cli(['diff', x!.id, y!.id]).stdout, /kernel \[3,2\]: 6 of 6 values differ/);
    const fits = join(STORE, x!.id, 'fits.jsonl');
    const original = readFileSync(fits, 'utf8');
    writeFileSync(fits, original.replace(/"shape":\[3,2\]/, '"shape":[1000000000,1000000000]'));
    const t0 = performance.now();
    const huge = cli(['diff', x!.id, y!.id]);
    assert.ok(performance.now() - t0 < 10_000);
    // The records no longer describe the kept snapshots: a corrupt run (a failed check, exit 1).
    assert.equal(huge.code, 1, huge.stderr);
    assert.match(huge.stderr, /weights\/fit-0\.bin holds 96 bytes, 0 whole snapshot\(s\) of the \d+ bytes the recorded weight shapes need/);
    writeFileSync(fits, original);
    // Two runs' snapshots, the first cut to a length that is no whole number of float32 values, then of snapshots.
    const weights = join(STORE, x!.id, 'weights', 'fit-0.bin');
    const bytes = readFileSync(weights);
    assert.equal(bytes.length, 3 * 8 * 4, 'epochs 0, 1 and 2 of 8 weights');
    writeFileSync(weights, bytes.subarray(0, 30));
    assert.match(cli(['diff', x!.id, y!.id]).stderr, /fit-0\.bin holds 30 bytes, 0 whole snapshot\(s\) of the 32 bytes .* from epoch 0 on were kept there/);
    writeFileSync(weights, bytes.subarray(0, 36));
    assert.match(cli(['diff', x!.id, y!.id]).stderr, /fit-0\.bin holds 36 bytes, 1 whole snapshot\(s\) of the 32 bytes .* from epoch 1 on were kept there/);
    // A run that did not complete may have lost its last snapshots (a full disk): diff compares what is there.
    const status = join(STORE, x!.id, 'status.json');
    const completed = readFileSync(status, 'utf8');
    writeFileSync(status, completed.replace('"completed"', '"failed"'));
    writeFileSync(weights, bytes.subarray(0, 30));
    assert.match(cli(['diff', x!.id, y!.id]).stdout, /fit-0\.bin holds 30 bytes, not a whole number of float32 values/);
    writeFileSync(weights, bytes.subarray(0, 36));
    assert.match(cli(['diff', x!.id, y!.id]).stdout, /fit-0\.bin holds 36 bytes, not whole snapshots of the 32 bytes the recorded weight shapes need/);
    writeFileSync(status, completed);
    writeFileSync(weights, bytes);
    const epochs = join(STORE, x!.id, 'epochs.jsonl');
    const lines = readFileSync(epochs, 'utf8');
    writeFileSync(epochs, lines.replace('"fit":0', '"fit":"../../../../etc/passwd"'));
    const hostile = cli(['diff', x!.id, y!.id]);
    assert.equal(hostile.code, 1, hostile.stderr);
    assert.match(hostile.stderr, new RegExp(`Expected a readable run\\. Received: ${x!.id}, corrupt: .*epochs\\.jsonl record 1`));
    assert.match(cli(['ls']).stdout, new RegExp(`${x!.id}\\s+corrupt\\s+.*epochs\\.jsonl record 1: Expected \\{fit, epoch, digest, logs\\} with non-negative integer fit and epoch`));
    writeFileSync(epochs, lines);
  });

  it('verify runs only the recorded, unchanged script inside this project, and says why it refuses', () => {
    const file = script('honest.mjs', "import * as vb from 'verbatim';\nvb.setRandomSeed(4);\nconst m = vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });\nm.compile({ optimizer: 'sgd', loss: 'mse' });\nawait m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });\n");
    assert.equal(cli(['run', file, '--name', 'honest']).code, 0);
    const [run] = named('honest');
    assert.match(cli(['verify', run!.id]).stdout, /^identical/);
    const marker = join(WORK, 'evil-ran');
    const evil = join('/tmp', `verbatim-evil-${process.pid}.mjs`);
    writeFileSync(evil, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const runJson = join(STORE, run!.id, 'run.json');
    const manifestJson = join(STORE, run!.id, 'manifest.json');
    const [savedRun, savedManifest] = [readFileSync(runJson, 'utf8'), readFileSync(manifestJson, 'utf8')];
    const sha = spawnSync('sha256sum', [evil], { encoding: 'utf8' }).stdout.split(' ')[0]!;
    const cases: [() => void, RegExp][] = [
      [() => writeFileSync(runJson, savedRun.replace(file, evil)), /run\.json names the script .*verbatim-evil.*, the manifest .*honest\.mjs/],
      [() => {
        writeFileSync(runJson, savedRun.replace(file, evil));
        writeFileSync(manifestJson, savedManifest.replace(file, evil).replace(/("script": \{[^}]*"sha256": ")[0-9a-f]+/, `$1${sha}`));
      }, /the script \S*verbatim-evil\S* is outside this project/],
      [() => appendFileSync(file, '// changed\n'), /the script \S*honest\.mjs changed since the run \(SHA-256/],
      [() => writeFileSync(runJson, savedRun.replace('"seed": "4"', '"seed": "4; rm -rf /"')), /its recorded seed is "4; rm -rf \/"/],
    ];
    for (const [tamper, reason] of cases) {
      const script = readFileSync(file, 'utf8');
      tamper();
      const r = cli(['verify', run!.id]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`verify will not run ${run!.id}: ${reason.source}`));
      assert.ok(!existsSync(marker), 'the hostile program did not run');
      writeFileSync(runJson, savedRun);
      writeFileSync(manifestJson, savedManifest);
      writeFileSync(file, script);
    }
    rmSync(evil);
  });

  it('verify (and so resume, which checks the same way) accepts a script that imports verbatim through its own helper module, and refuses one that reaches no verbatim', () => {
    mkdirSync(join(WORK, 'lib'), { recursive: true });
    writeFileSync(join(WORK, 'lib', 'common.mjs'), "import * as vb from 'verbatim';\nexport { vb };\nexport const model = () => vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] });\n");
    const file = script('uses-helper.mjs', "import { vb, model } from './lib/common.mjs';\nconst m = model();\nm.compile({ optimizer: 'sgd', loss: 'mse' });\nawait m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });\n");
    assert.equal(cli(['run', file, '--name', 'uses-helper', '--seed', '3']).code, 0);
    const [run] = named('uses-helper');
    const verified = cli(['verify', run!.id]);
    assert.match(verified.stdout, /^identical/, verified.stderr);
    // The same run pointed (run.json and manifest, with the SHA-256) at a project file that reaches no verbatim.
    const innocent = script('innocent.mjs', "import { writeFileSync } from 'node:fs';\nimport './lib/nothing.mjs';\nwriteFileSync('innocent-ran', 'ran');\n");
    writeFileSync(join(WORK, 'lib', 'nothing.mjs'), 'export {};\n');
    const sha = spawnSync('sha256sum', [innocent], { encoding: 'utf8' }).stdout.split(' ')[0]!;
    for (const name of ['run.json', 'manifest.json']) {
      const path = join(STORE, run!.id, name);
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll(file, innocent).replace(/("script": \{[^}]*"sha256": ")[0-9a-f]+/, `$1${sha}`));
    }
    const refused = cli(['verify', run!.id]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the script \S*innocent\.mjs does not import verbatim, itself or through the project's modules it imports/);
    assert.ok(!existsSync(join(WORK, 'innocent-ran')), 'the refused program did not run');
    // Naming verbatim is not importing it: in a comment, a string, a template literal, or a helper's comment.
    writeFileSync(join(WORK, 'lib', 'mentions.mjs'), "// import * as vb from 'verbatim';\nexport {};\n");
    let previous = sha;
    for (const mention of ["// import * as vb from 'verbatim';", "/* import 'verbatim' */", 'const text = "import \'verbatim\'";', "const text = `await import('verbatim')`;", "import './lib/mentions.mjs';"]) {
      writeFileSync(innocent, `${mention}\nimport { writeFileSync } from 'node:fs';\nwriteFileSync('innocent-ran', 'ran');\n`);
      const now = spawnSync('sha256sum', [innocent], { encoding: 'utf8' }).stdout.split(' ')[0]!;
      for (const name of ['run.json', 'manifest.json']) {
        const path = join(STORE, run!.id, name);
        writeFileSync(path, readFileSync(path, 'utf8').replace(previous, now));
      }
      previous = now;
      const mentioned = cli(['verify', run!.id]);
      assert.equal(mentioned.code, 1, mention);
      assert.match(mentioned.stderr, /innocent\.mjs does not import verbatim/, mention);
      assert.ok(!existsSync(join(WORK, 'innocent-ran')), `the refused program did not run (${mention})`);
    }
  });

  it('strict mode: a dependency that captured Math.random at import is caught under verbatim run and with node --import verbatim/strict, not without', () => {
    mkdirSync(join(WORK, 'dep'), { recursive: true });
    writeFileSync(join(WORK, 'dep', 'early.mjs'), 'const random = Math.random;\nexport const draw = () => random();\n');
    const file = script('strict.mjs', "import { draw } from './dep/early.mjs';\nimport * as vb from 'verbatim';\nvb.enableOpDeterminism();\nconsole.log('drew', draw());\n");
    const run = cli(['run', file, '--name', 'strict']);
    assert.equal(run.code, 1);
    assert.match(named('strict')[0]!.problem!, /Math\.random was called by draw \(file:.*early\.mjs:\d+:\d+\) while op determinism is enabled/);
    const preloaded = spawnSync(process.execPath, ['--import', 'verbatim/strict', file], { cwd: WORK, encoding: 'utf8' });
    assert.equal(preloaded.status, 1);
    assert.match(preloaded.stderr, /DeterminismError: Math\.random was called/);
    // The documented limit: plain node imports the dependency before strict mode is on.
    const plain = spawnSync(process.execPath, [file], { cwd: WORK, encoding: 'utf8' });
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stdout, /^drew 0\./);
  });

  it('a full disk: the run marked failed with the reason, no temporary file left, a clear message, exit 1', (t) => {
    const disk = join(WORK, 'full-disk');
    if (!mountTmpfs(t, disk, 'size=640k')) return;
    try {
      const r = cli(['run', join(WORK, 'sigint.mjs'), '--name', 'full'], { store: disk });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /the disk is full \(ENOSPC\) while writing /);
      const [run] = listed(disk);
      assert.equal(run!.status, 'failed');
      assert.match(run!.problem!, /the disk is full \(ENOSPC\)/);
      const leftovers = spawnSync('find', [disk, '-name', '*.tmp'], { encoding: 'utf8' }).stdout;
      assert.equal(leftovers, '');
    } finally {
      spawnSync('umount', [disk]);
    }
  });
});
