/** The README examples as child processes, and the lines of theirs that the golden file pins. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { REPO_ROOT } from './process.js';

/** Runs dist/examples/<name>.js; returns its `history`, `digest`, `errors`, `seed` and `accuracy` lines. */
export function runExample(name: string, args: string[] = [], env: Record<string, string> = {}): Record<string, string> {
  const result = spawnSync(process.execPath, [`dist/examples/${name}.js`, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`example ${name} ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  const lines: Record<string, string> = {};
  for (const line of result.stdout.split('\n')) {
    const match = /^(history|digest|errors|seed|accuracy) (.*)$/.exec(line);
    if (match) lines[match[1]!] = match[2]!;
  }
  return lines;
}

/** The examples of layers beyond the tutorials (issue 9): an image, a text and a transformer model. */
export const MODEL_EXAMPLES = ['image-classifier', 'text-classifier', 'transformer'] as const;

/**
 * The pinned outputs of the examples: weight digests, and SHA-256 of the printed histories and
 * errors; with `models`, also the weights of MODEL_EXAMPLES (slow on the reference backend).
 */
export function exampleDigests(env: Record<string, string> = {}, models = true): Record<string, string> {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const out: Record<string, string> = {};
  for (const name of ['modern-tutorial', 'data-pipeline']) {
    const lines = runExample(name, [], env);
    out[`${name} weights`] = lines.digest!;
    out[`${name} history`] = sha(lines.history!);
  }
  out['classic-tutorial --seed 1 errors'] = sha(runExample('classic-tutorial', ['--seed', '1'], env).errors!);
  if (models) for (const name of MODEL_EXAMPLES) out[`${name} weights`] = runExample(name, [], env).digest!;
  return out;
}
