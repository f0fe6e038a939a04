/**
 * The source's architecture, checked: no import cycles among src/ modules (type-only imports
 * included, since a type cycle ties the modules together just the same), and the primitive
 * records reach no public op module.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.generated.ts') ? [path] : [];
  });
}

/** Every relative import and re-export of a module (static, dynamic, type-only), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

const graph = new Map(sources(src).map((file) => [file, importsOf(file)]));

function findCycle(): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'visiting') return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of [...graph.keys()].sort()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return undefined;
}

/** All modules reachable from `file`. */
function reachable(file: string): Set<string> {
  const seen = new Set<string>();
  const pending = [file];
  while (pending.length > 0) {
    const next = pending.pop()!;
    for (const dependency of graph.get(next) ?? []) {
      if (!seen.has(dependency)) {
        seen.add(dependency);
        pending.push(dependency);
      }
    }
  }
  return seen;
}

describe('architecture', () => {
  it('reads the whole source tree', () => {
    assert.ok(graph.size > 50, `only ${graph.size} modules found under ${src}`);
    assert.ok([...graph.values()].flat().length > 100);
  });

  it('has no import cycle, type-only imports included', () => {
    const cycle = findCycle();
    assert.equal(cycle, undefined, `import cycle: ${cycle?.map((f) => relative(root, f)).join(' -> ')}`);
  });

  it('primitives and backends reach no public op module', () => {
    for (const entry of ['primitives/index.ts', 'backends/reference.ts', 'backends/wasm/backend.ts']) {
      const ops = [...reachable(join(src, entry))].filter((f) => f.startsWith(join(src, 'ops')));
      assert.deepEqual(ops.map((f) => relative(root, f)), [], `${entry} reaches the ops`);
    }
  });

  it('the portable numerics import nothing but the dialect and each other', () => {
    for (const name of ['f32math.ts', 'scalar.ts']) {
      const dependencies = graph.get(join(src, 'numerics', name))!.map((f) => relative(src, f));
      assert.ok(dependencies.length > 0);
      assert.ok(dependencies.every((d) => d.startsWith('numerics/')), `${name} imports ${dependencies.join(', ')}`);
    }
  });
});
