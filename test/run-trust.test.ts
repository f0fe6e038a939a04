/**
 * Which scripts `verify` (and `run --resume`, which checks the same way) will re-run: one that
 * imports verbatim through its helpers is followed the way its runtime loads them (tsx for
 * TypeScript, Node otherwise: extensionless and directory imports, CommonJS requires), and one
 * that cannot be told apart (a specifier two files could answer, a helper that cannot be read)
 * is refused, saying why. Real runs, real files, real CLI processes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/bin.js');
const WORK = join(REPO_ROOT, 'test-output', 'run-trust');
const STORE = join(WORK, 'store');
/** A CommonJS project with verbatim installed (linked) in its node_modules. */
const CJS = join(WORK, 'cjs-project');

function cli(args: string[], options: { cwd?: string; uid?: number } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? WORK, encoding: 'utf8', timeout: 120_000, env: { ...process.env, VERBATIM_STORE: STORE },
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function write(file: string, body: string): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, body);
  return file;
}

const runId = (name: string) => (JSON.parse(cli(['ls', '--json']).stdout) as { id: string; name: string | null }[]).find((r) => r.name === name)!.id;

/** Records the script with `verbatim run` (so it loads and trains), then verifies it. */
function runAndVerify(file: string, name: string, cwd = WORK): { code: number; stdout: string; stderr: string } {
  const ran = cli(['run', file, '--name', name, '--seed', '3'], { cwd });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(readFileSync(join(STORE, runId(name), 'epochs.jsonl'), 'utf8').trim().split('\n').length, 3, 'the run trained (epoch 0, the initial weights, and two)');
  return cli(['verify', runId(name)], { cwd });
}

/** A recorded run's run.json and manifest pointed (with its SHA-256) at another script of the project. */
function pointAt(id: string, from: string, to: string): void {
  const sha = spawnSync('sha256sum', [to], { encoding: 'utf8' }).stdout.split(' ')[0]!;
  for (const name of ['run.json', 'manifest.json']) {
    const path = join(STORE, id, name);
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll(from, to).replace(/("script": \{[^}]*"sha256": ")[0-9a-f]+/, `$1${sha}`));
  }
}

const FIT = `m.compile({ optimizer: 'sgd', loss: 'mse' });
  await m.fit(vb.ones([4, 1]), vb.ones([4, 1]), { epochs: 2, verbose: 0 });`;
const MODEL = 'vb.sequential({ layers: [vb.layers.dense({ units: 1, inputShape: [1] })] })';
/** A CommonJS module training a model with verbatim, which is ESM only: imported, not required. */
const CJS_FIT = `exports.fitModel = async () => {
  const vb = await import('verbatim');
  const m = ${MODEL};
  ${FIT}
};
`;

describe('verify (and resume, which checks the same way): which scripts it re-runs', () => {
  before(() => {
    rmSync(WORK, { recursive: true, force: true });
    mkdirSync(join(CJS, 'node_modules'), { recursive: true });
    writeFileSync(join(CJS, 'package.json'), '{ "name": "cjs-project", "type": "commonjs" }\n');
    symlinkSync(REPO_ROOT, join(CJS, 'node_modules', 'verbatim'));
  });
  after(() => rmSync(WORK, { recursive: true, force: true }));

  it('a TypeScript script reaching verbatim through an extensionless import and a directory\'s index (as tsx loads them) is verified', () => {
    write(join(WORK, 'model', 'fit.ts'), `import * as vb from 'verbatim';\nexport async function fitModel(): Promise<void> {\n  const m = ${MODEL};\n  ${FIT}\n}\n`);
    write(join(WORK, 'model', 'index.ts'), "export { fitModel } from './fit';\n");
    const file = write(join(WORK, 'train.ts'), "import { fitModel } from './model';\nawait fitModel();\n");
    const verified = runAndVerify(file, 'ts-helpers');
    assert.match(verified.stdout, /^identical/, verified.stderr);
  });

  it('CommonJS scripts reaching verbatim through require: a .cjs file, a directory\'s index.js, and a .cts file required as .cjs', () => {
    write(join(CJS, 'lib', 'fit.cjs'), CJS_FIT);
    write(join(CJS, 'lib', 'index.js'), CJS_FIT);
    write(join(CJS, 'typed', 'fit.cts'), CJS_FIT.replace('async () =>', 'async (): Promise<void> =>'));
    const scripts = {
      'require-cjs': write(join(CJS, 'require-cjs.cjs'), "require('./lib/fit.cjs').fitModel();\n"),
      'require-dir': write(join(CJS, 'require-dir.cjs'), "const { fitModel } = require('./lib');\nfitModel();\n"),
      'require-cts': write(join(CJS, 'require-cts.cts'), "const { fitModel } = require('./typed/fit.cjs');\nfitModel();\n"),
    };
    for (const [name, file] of Object.entries(scripts)) {
      const verified = runAndVerify(file, name, CJS);
      assert.match(verified.stdout, /^identical/, `${name}: ${verified.stderr}`);
    }
  });

  it('a specifier that two files could answer is not followed: tsx loads ./model.ts for \'./model.js\', so a decoy beside it is refused, not run', () => {
    const recorded = write(join(WORK, 'recorded.mjs'), `import * as vb from 'verbatim';\nconst m = ${MODEL};\n${FIT}\n`);
    assert.equal(cli(['run', recorded, '--name', 'decoyed']).code, 0);
    const id = runId('decoyed');
    // What would run is model.ts, which writes a file; model.js only mentions verbatim.
    write(join(WORK, 'decoy', 'model.ts'), "import { writeFileSync } from 'node:fs';\nwriteFileSync('decoy-ran', 'ran');\n");
    write(join(WORK, 'decoy', 'model.js'), "export * from 'verbatim';\n");
    const decoy = write(join(WORK, 'decoy', 'main.ts'), "import './model.js';\n");
    pointAt(id, recorded, decoy);
    const refused = cli(['verify', id]);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /does not import verbatim, itself or through the project's modules it imports/);
    assert.match(refused.stderr, /not followed, being unclear: which file '\.\/model\.js' in \S*decoy\/main\.ts loads: \S*decoy\/model\.js, \S*decoy\/model\.ts/);
    assert.ok(!existsSync(join(WORK, 'decoy-ran')), 'the refused program did not run');
  });

  it('what Node would not load is not followed: an extensionless import in a JavaScript script, a directory whose package.json chooses its file', () => {
    const recorded = write(join(WORK, 'recorded-js.mjs'), `import * as vb from 'verbatim';\nconst m = ${MODEL};\n${FIT}\n`);
    assert.equal(cli(['run', recorded, '--name', 'node-decoyed']).code, 0);
    const id = runId('node-decoyed');
    write(join(WORK, 'plain', 'helper.js'), "export * from 'verbatim';\n");
    write(join(CJS, 'pkg', 'index.js'), "exports.vb = import('verbatim');\n");
    write(join(CJS, 'pkg', 'package.json'), '{ "main": "main.js" }\n');
    write(join(CJS, 'pkg', 'main.js'), '');
    const cases = [
      { decoy: write(join(WORK, 'plain', 'main.mjs'), "import { writeFileSync } from 'node:fs';\nwriteFileSync('plain-ran', 'ran');\nawait import('./helper');\n"), unclear: false },
      { decoy: write(join(CJS, 'pkg-main.cjs'), "require('node:fs').writeFileSync('pkg-ran', 'ran');\nrequire('./pkg');\n"), unclear: true },
    ];
    let pointed = recorded;
    for (const { decoy, unclear } of cases) {
      pointAt(id, pointed, decoy);
      pointed = decoy;
      const refused = cli(['verify', id]);
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /does not import verbatim, itself or through the project's modules it imports, so it cannot have recorded this run/);
      if (unclear) assert.match(refused.stderr, /which file require\('\.\/pkg'\) in \S*pkg-main\.cjs loads: \S*pkg\/index\.js, \S*pkg\/package\.json/);
    }
    assert.ok(!existsSync(join(WORK, 'plain-ran')) && !existsSync(join(WORK, 'pkg-ran')), 'the refused programs did not run');
  });

  it('a helper that cannot be read is a refusal naming it and why, not a crash', (t) => {
    const helper = write(join(WORK, 'locked', 'model.mjs'), `import * as vb from 'verbatim';\nexport { vb };\nexport const model = () => ${MODEL};\n`);
    const file = write(join(WORK, 'locked', 'main.mjs'), `import { vb, model } from './model.mjs';\nconst m = model();\n${FIT}\n`);
    const ran = cli(['run', file, '--name', 'locked']);
    assert.equal(ran.code, 0, ran.stderr);
    const id = runId('locked');
    chmodSync(helper, 0o000);
    try {
      let readable = true;
      try {
        readFileSync(helper);
      } catch {
        readable = false;
      }
      // Root reads a file whatever its mode: verify then runs as nobody, who cannot.
      const asNobody = readable && process.getuid?.() === 0;
      if (readable && !asNobody) return t.skip('this user reads a file of mode 000, so it cannot be made unreadable here');
      const refused = cli(['verify', id], asNobody ? { uid: 65534 } : {});
      if (asNobody && (refused.code === -1 || /Cannot find module|EACCES: permission denied, open '\S*dist/.test(refused.stderr))) {
        return t.skip(`root reads a file of mode 000, and verbatim cannot run as nobody here: ${refused.stderr.split('\n')[0]}`);
      }
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /verify will not run \S+: the script \S*locked\/main\.mjs imports \S*locked\/model\.mjs, which cannot be read \(EACCES\), so whether it imports verbatim is unknown/);
      assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      chmodSync(helper, 0o644);
    }
  });
});
