/**
 * The two-command set-up stays two commands: every locked dependency that has an install script
 * is decided in package.json's allowScripts (npm 12 skips the scripts of dependencies not listed
 * there, and the engine tests need the Deno and Bun binaries their scripts put in place), and no
 * decision names a package the lockfile no longer has.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readJson = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;

/** The package name of a lockfile entry's path (node_modules/a/node_modules/@s/b -> @s/b). */
function packageName(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

describe('set-up', () => {
  const manifest = readJson('package.json');
  const lock = readJson('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
  const decisions = (manifest.allowScripts ?? {}) as Record<string, unknown>;
  const scripted = Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.hasInstallScript).map(([path]) => packageName(path));

  it('decides every locked install script in allowScripts, the ones the tests need allowed', () => {
    assert.ok(scripted.length > 0, 'the lockfile lists packages with install scripts (deno, bun)');
    assert.deepEqual(scripted.filter((name) => typeof decisions[name] !== 'boolean'), [], 'install scripts without an allowScripts decision');
    for (const needed of ['deno', 'bun']) assert.equal(decisions[needed], true, `${needed}'s install script puts in place the binary the engine tests run`);
  });

  it('the build leaves the verbatim command executable, and npx verbatim runs in the checkout', () => {
    // npx marks it only when it first links the checkout into its cache: a checkout cloned again at the same path failed ('Permission denied').
    for (const file of Object.values(manifest.bin as Record<string, string>)) {
      assert.notEqual(statSync(join(root, file)).mode & 0o111, 0, `${file} is executable`);
    }
    const r = spawnSync('npx', ['--no-install', 'verbatim', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^verbatim <command> \[options\]/);
  });

  it('names no package the lockfile does not have', () => {
    const locked = new Set(Object.keys(lock.packages).filter((path) => path !== '').map(packageName));
    assert.deepEqual(Object.keys(decisions).filter((name) => !locked.has(name)), []);
  });
});
