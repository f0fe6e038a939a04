/**
 * The README's TypeScript blocks type-check under strict settings, as a user pasting them into a
 * project would compile them (the csv block did not: its elements were typed as a union of rows
 * and {xs, ys}). Each block is its own module; the names a block uses without making them (a
 * model, its data) are declared once for all.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from './helpers/process.js';

/** What the blocks take as given, declared as a user's own code would have them. */
const GIVEN = `import type * as vb from 'verbatim';
declare global {
  const model: vb.LayersModel;
  const x: vb.Tensor;
  const y: vb.Tensor;
  const xa: vb.Tensor;
  const xb: vb.Tensor;
  const yScore: vb.Tensor;
  const yLabel: vb.Tensor;
  const valDs: vb.data.Dataset<{ xs: vb.Tensor; ys: vb.Tensor }>;
  const WIDTH: number;
  const artifacts: vb.ModelArtifacts;
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: ['node'],
    strict: true, noEmit: true, skipLibCheck: true,
  },
  include: ['*.ts'],
};

describe('README', () => {
  it('every TypeScript block type-checks under strict settings', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
    assert.ok(blocks.length >= 8, `found ${blocks.length} blocks`);
    // Inside the package, so that 'verbatim' resolves to it (its package.json's name and exports).
    const dir = mkdtempSync(join(REPO_ROOT, '.readme-snippets-'));
    try {
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
      writeFileSync(join(dir, 'given.d.ts'), GIVEN);
      blocks.forEach((code, i) => {
        const imports = /^import \* as vb from 'verbatim';$/m.test(code) ? '' : "import * as vb from 'verbatim';\n";
        writeFileSync(join(dir, `block${i + 1}.ts`), `${imports}${code}export {};\n`);
      });
      const tsc = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      assert.equal(tsc.status, 0, `README blocks (blockN is the Nth \`\`\`ts block):\n${tsc.stdout}${tsc.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
