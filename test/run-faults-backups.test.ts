/**
 * The run tools against a third outside tester: the backups `verbatim run --resume` continues from,
 * under a full disk. Real processes, real files; a real full disk (tmpfs) where the machine
 * allows mounting one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mountTmpfs, REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-faults-backups');
const STORE = join(WORK, 'store');

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: WORK, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VERBATIM_STORE: STORE, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Listed { id: string; name: string | null; status: string; problem?: string; digest?: string }
const listed = (store = STORE): Listed[] => JSON.parse(cli(['ls', '--json'], { VERBATIM_STORE: store }).stdout) as Listed[];

describe('run tools against a third outside tester: backups', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

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
});
