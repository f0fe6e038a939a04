/**
 * A data-parallel worker process imports a fit's workerModule only under a path it was started
 * with (--allow-module <file or directory>): any other file, a path escaping through `..` or a
 * symbolic link, a data: or http: URL is refused with an error the fit reports, and its code
 * never runs; an allowed module is imported and the fit trains as in-process; a fit that starts
 * its worker processes allows them its workerModule.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { moduleImporter } from '../src/models/data-parallel-modules.js';
import { exited, train, WORKER_SCRIPT } from './helpers/peers.js';
import { freePort } from './helpers/process.js';

/** A directory `allowed` with module.mjs, and beside it `allowed-sibling/module.mjs` and outside.mjs; each module marks that it ran. */
function modules(): { root: string; allowed: string; ran: (name: string) => boolean } {
  const root = mkdtempSync(join(tmpdir(), 'vb-dp-modules-'));
  const allowed = join(root, 'allowed');
  mkdirSync(allowed);
  mkdirSync(join(root, 'allowed-sibling'));
  const module = (path: string, name: string) => writeFileSync(path, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(root, `ran-${name}`))}, '');\nexport const name = ${JSON.stringify(name)};\n`);
  module(join(allowed, 'module.mjs'), 'allowed');
  module(join(root, 'allowed-sibling', 'module.mjs'), 'sibling');
  module(join(root, 'outside.mjs'), 'outside');
  symlinkSync(join(root, 'outside.mjs'), join(allowed, 'link.mjs'));
  return { root, allowed, ran: (name) => existsSync(join(root, `ran-${name}`)) };
}

it('moduleImporter imports files under an allowed directory or an allowed file, and refuses every other module without running it', async () => {
  const { root, allowed, ran } = modules();
  try {
    const url = (path: string) => pathToFileURL(path).href;
    const byDirectory = moduleImporter([allowed]);
    assert.equal(((await byDirectory(url(join(allowed, 'module.mjs')))) as { name: string }).name, 'allowed');
    const refused = (problem?: string) => new RegExp(`^ValueError: dataParallel worker: Expected a workerModule under a path this worker process was started with \\(--allow-module <file or directory>\\)\\. Received: workerModule=".*"${problem ? `, problem="${problem}` : ''}.*, allowed="[^"]*allowed"$`);
    await assert.rejects(byDirectory(url(join(root, 'allowed-sibling', 'module.mjs'))), refused());
    await assert.rejects(byDirectory(`${url(allowed)}/../outside.mjs`), refused());
    await assert.rejects(byDirectory(url(join(allowed, 'link.mjs'))), refused());
    await assert.rejects(byDirectory(url(join(allowed, 'missing.mjs'))), refused('no such file on this worker'));
    await assert.rejects(byDirectory('data:text/javascript,globalThis.vbPwned = 1'), refused('a data: URL, not a file'));
    await assert.rejects(byDirectory('https://example.com/layers.mjs'), refused('a https: URL, not a file'));
    await assert.rejects(byDirectory('file://other-host/layers.mjs'), refused('not a local file URL'));
    assert.equal((globalThis as { vbPwned?: number }).vbPwned, undefined);
    assert.deepEqual(['sibling', 'outside'].map(ran), [false, false]);
    // One file allowed: that file only.
    const byFile = moduleImporter([join(allowed, 'module.mjs')]);
    assert.equal(((await byFile(url(join(allowed, 'module.mjs')))) as { name: string }).name, 'allowed');
    await assert.rejects(byFile(url(join(root, 'outside.mjs'))), /allowed=".*module\.mjs"$/);
    await assert.rejects(moduleImporter([])(url(join(allowed, 'module.mjs'))), /allowed="none"$/);
    assert.throws(() => moduleImporter([join(root, 'nothing-here')]), /^ValueError: data-parallel worker: Expected --allow-module to name an existing file or directory\. Received: allow-module=".*nothing-here"$/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

it('a worker process started without --allow-module refuses the fit\'s workerModule (the fit fails saying why); started with it, imports it and trains as in-process', { timeout: 120_000 }, async () => {
  const { root, allowed, ran } = modules();
  const module = join(allowed, 'module.mjs');
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    const local = await train({ workers: 1, microBatch: 3, inProcess: true });
    for (const allow of [[], ['--allow-module', join(root, 'allowed-sibling')]]) {
      const port = await freePort();
      const worker = spawn(process.execPath, [WORKER_SCRIPT, ...allow, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
      try {
        await assert.rejects(train({ workers: 1, microBatch: 3, workerModule: module, processes: { port, spawn: false, connectTimeout: 30 } }),
          /^ValueError: fit: Expected each data-parallel worker to rebuild the model .*Received: error="dataParallel worker: Expected a workerModule under a path this worker process was started with \(--allow-module <file or directory>\)\. Received: workerModule=\\"file:\/\/\/.*module\.mjs\\", allowed=\\"(none|.*allowed-sibling)\\"", worker="worker process 127\.0\.0\.1:\d+"$/);
        await exited(worker);
      } finally {
        worker.kill('SIGKILL');
      }
    }
    assert.equal(ran('allowed'), false);
    const port = await freePort();
    const worker = spawn(process.execPath, [WORKER_SCRIPT, '--allow-module', allowed, `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      assert.equal(await train({ workers: 1, microBatch: 3, workerModule: module, processes: { port, spawn: false, connectTimeout: 30 } }), local);
      assert.equal(ran('allowed'), true);
    } finally {
      worker.kill('SIGKILL');
    }
  } finally {
    console.warn = warn;
    rmSync(root, { recursive: true, force: true });
  }
});

it('worker processes the fit starts are allowed its workerModule', { timeout: 120_000 }, async () => {
  const { root, allowed, ran } = modules();
  try {
    assert.equal(await train({ workers: 2, microBatch: 3, workerModule: join(allowed, 'module.mjs'), processes: {} }), await train({ workers: 1, microBatch: 3, inProcess: true }));
    assert.equal(ran('allowed'), true);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

it('the worker process\'s arguments: a missing --allow-module path or an unknown option exits 2 with the usage', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [WORKER_SCRIPT, ...args], { encoding: 'utf8' });
  const missing = run('--allow-module', '/nonexistent/verbatim-modules', '127.0.0.1:1');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^data-parallel worker: Expected --allow-module to name an existing file or directory\. Received: allow-module="\/nonexistent\/verbatim-modules"\. Usage: node data-parallel-process\.js \[--allow-module <file or directory>\]\.\.\. host:port\n$/);
  assert.match(run('--allow-modules', 'x', '127.0.0.1:1').stderr, /Expected --allow-module or host:port\. Received: --allow-modules\. Usage:/);
  assert.match(run('--allow-module').stderr, /Expected a file or directory after --allow-module\. Usage:/);
  assert.match(run('127.0.0.1:1', '127.0.0.1:2').stderr, /Expected host:port as the one address, with a port from 1 to 65535\. Received: 127\.0\.0\.1:1 127\.0\.0\.1:2\. Usage:/);
});
