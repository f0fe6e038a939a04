/**
 * Who joins a data-parallel fit over TCP (src/models/data-parallel-admission.ts): a connection
 * that never says hello is refused at its 5 s deadline; beyond the workers plus 16 connections
 * awaiting a hello the oldest is closed, so a flood of silent connections does not keep real
 * workers out, even in a coordinator with 160 file descriptors (fewer than the flood); an extra worker process is told
 * that the fit already has its workers (the refusal is flushed before the connection ends).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { it } from 'node:test';
import { closed, connectWhenListening, exited, frames, train, TRAIN, WORKER_SCRIPT } from './helpers/peers.js';
import { freePort, REPO_ROOT } from './helpers/process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startWorker(port: number): ChildProcess & { stderrText: () => string } {
  const child = spawn(process.execPath, [WORKER_SCRIPT, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  return Object.assign(child, { stderrText: () => stderr });
}

/** Runs `body` with console.warn collected (the fit logs each refusal). */
async function withWarnings<T>(body: (warnings: string[]) => Promise<T>): Promise<T> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: string) => warnings.push(message);
  try {
    return await body(warnings);
  } finally {
    console.warn = warn;
  }
}

it('a connection that says nothing is sent a refusal at its 5 s hello deadline and closed; fit keeps waiting, and a worker joins after', { timeout: 60_000 }, async () => {
  await withWarnings(async (warnings) => {
    const port = await freePort();
    const fit = train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 30 } });
    const silent = await connectWhenListening(port);
    const connectedAt = performance.now();
    const refusal = await Promise.race([frames(silent)(), sleep(15_000).then(() => 'no refusal within 15 s')]);
    const waited = (performance.now() - connectedAt) / 1000;
    assert.deepEqual(refusal, { kind: 'refused', reason: 'no hello within 5 s' });
    assert.ok(waited > 4.9 && waited < 10, `refused after ${waited} s`);
    await closed(silent);
    const worker = startWorker(port);
    try {
      assert.equal(await fit, await train({ workers: 1, microBatch: 3, inProcess: true }));
    } finally {
      worker.kill('SIGKILL');
    }
    assert.match(warnings[0]!, /^fit: dataParallel: refused a connection from 127\.0\.0\.1:\d+: no hello within 5 s$/);
  });
});

it('beyond the workers plus 16 connections awaiting a hello, the oldest are closed; the others are told the fit has its worker', { timeout: 60_000 }, async () => {
  await withWarnings(async (warnings) => {
    const port = await freePort();
    const fit = train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 30 } });
    const sockets: Socket[] = [await connectWhenListening(port)];
    for (let i = 1; i < 20; i++) sockets.push(await connectWhenListening(port));
    const received = sockets.map((s) => frames(s));
    const isClosed = sockets.map(() => false);
    sockets.forEach((s, i) => void closed(s).then(() => { isClosed[i] = true; }));
    // 1 worker + 16: 17 may wait for their hello; the 3 oldest were closed for the newest.
    for (let i = 0; i < 60 && isClosed.filter(Boolean).length < 3; i++) await sleep(50);
    await sleep(200);
    assert.deepEqual(isClosed.map((c, i) => (c ? i : -1)).filter((i) => i >= 0), [0, 1, 2]);
    // A real worker is the newest: it displaces the oldest waiting connection and is the fit's worker.
    const worker = startWorker(port);
    try {
      assert.equal(await fit, await train({ workers: 1, microBatch: 3, inProcess: true }));
    } finally {
      worker.kill('SIGKILL');
    }
    // Told when the worker joined (or at their hello deadline, if it took 5 s to start).
    for (const i of [4, 10, 19]) assert.match(((await received[i]!()) as { reason: string }).reason, /^the fit already has 1 worker$|^no hello within 5 s$/, `connection ${i}`);
    assert.match(warnings[0]!, /refused a connection from 127\.0\.0\.1:\d+: the oldest of 17 connections awaiting a hello, closed for a newer one$/);
    await Promise.all(sockets.map(closed));
  });
});

it('a flood of connections that never say hello, at a coordinator limited to 160 file descriptors (Node opens the ~200 modules of verbatim at once as it imports them: about 100 now), does not keep the workers out', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const code = `import * as vb from 'verbatim';
    ${TRAIN}
    console.warn = () => undefined;
    const tcp = await train({ workers: 2, microBatch: 3, processes: { port: ${port}, spawn: false, connectTimeout: 20 } });
    console.log(JSON.stringify({ tcp, local: await train({ workers: 1, microBatch: 3, inProcess: true }) }));`;
  const coordinator = spawn('sh', ['-c', 'ulimit -n 160 && exec "$0" --input-type=module -e "$1"', process.execPath, code], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  coordinator.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  coordinator.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const workers: ChildProcess[] = [];
  const flood: Socket[] = [];
  try {
    // Listening once it says it waits for its workers (importing verbatim may take long on a busy machine).
    await Promise.race([
      new Promise<void>((resolve) => coordinator.stderr!.on('data', () => stderr.includes('waiting for 2 worker processes') && resolve())),
      exited(coordinator).then(() => assert.fail(`the coordinator exited before listening: ${stderr}`)),
    ]);
    flood.push(await connectWhenListening(port));
    // 300 connections at once, held open, never a byte sent.
    await Promise.all(Array.from({ length: 299 }, () => new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve());
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      flood.push(s);
    })));
    await sleep(500);
    workers.push(startWorker(port), startWorker(port));
    await exited(coordinator);
    assert.equal(coordinator.exitCode, 0, stderr);
    const { tcp, local } = JSON.parse(stdout) as { tcp: string; local: string };
    assert.equal(tcp, local);
  } finally {
    for (const s of flood) s.destroy();
    for (const w of workers) w.kill('SIGKILL');
    coordinator.kill('SIGKILL');
  }
});

it('a worker process beyond the fit\'s workers is told so and exits 1, never reset (20 attempts of 2 processes for 1 worker)', { timeout: 300_000 }, async () => {
  await withWarnings(async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await freePort();
      const pair = [startWorker(port), startWorker(port)];
      const exits = pair.map((w) => exited(w));
      try {
        // The fit waits for the extra one's answer: the port is open until the fit ends.
        await train({ workers: 1, microBatch: 3, processes: { port, spawn: false, connectTimeout: 30 } }, async (epoch) => {
          if (epoch === 0) await Promise.race([...exits, sleep(20_000)]);
        });
        await Promise.all(exits);
        const codes = pair.map((w) => w.exitCode).sort();
        assert.deepEqual(codes, [0, 1], `attempt ${attempt}: ${pair.map((w) => w.stderrText()).join(' | ')}`);
        const extra = pair.find((w) => w.exitCode === 1)!;
        assert.equal(extra.stderrText(), `data-parallel worker: refused by the fit at 127.0.0.1:${port}: the fit already has 1 worker\n`, `attempt ${attempt}`);
      } finally {
        for (const w of pair) w.kill('SIGKILL');
      }
    }
  });
});
