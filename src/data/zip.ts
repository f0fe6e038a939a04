/**
 * vb.data.zip: TF.js's tf.data.zip. Datasets given as an array or an object, nested to any
 * depth, become one dataset whose element i has the same structure with each dataset replaced by
 * its element i. It ends with its shortest dataset; its size is the smallest size (null when one
 * is unknown). Every dataset runs the zip's pass.
 */
import { invalid } from '../errors.js';
import { Dataset, disposeElement, passOf, type Element } from './dataset.js';

export type DatasetContainer = Dataset<Element> | readonly DatasetContainer[] | { readonly [name: string]: DatasetContainer };

const CONTEXT = 'data.zip';

/** The datasets of the structure in a fixed order (arrays by index, objects by key order), checking its leaves. */
function leavesOf(structure: unknown, path: string, into: [Dataset<Element>, string][] = []): [Dataset<Element>, string][] {
  if (structure instanceof Dataset) into.push([structure, path]);
  else if (Array.isArray(structure)) structure.forEach((item, i) => leavesOf(item, `${path}[${i}]`, into));
  else if (structure !== null && typeof structure === 'object') for (const [k, v] of Object.entries(structure)) leavesOf(v, `${path}.${k}`, into);
  else throw invalid(CONTEXT, 'Expected datasets, or arrays and objects of them, at every leaf', { [`datasets${path}`]: structure });
  return into;
}

/** The structure with its leaves replaced, in leavesOf's order, by values. */
function rebuild(structure: unknown, values: readonly unknown[], cursor = { i: 0 }): unknown {
  if (structure instanceof Dataset) return values[cursor.i++];
  if (Array.isArray(structure)) return structure.map((item) => rebuild(item, values, cursor));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(structure as object)) Object.defineProperty(out, k, { value: rebuild(v, values, cursor), enumerable: true, writable: true, configurable: true });
  return out;
}

export function zip(datasets: DatasetContainer): Dataset<Element> {
  if (datasets === null || typeof datasets !== 'object' || datasets instanceof Dataset) {
    throw invalid(CONTEXT, 'Expected an array or an object of datasets', { datasets: datasets instanceof Dataset ? 'a Dataset' : datasets });
  }
  const leaves = leavesOf(datasets, '');
  if (leaves.length === 0) throw invalid(CONTEXT, 'Expected at least one dataset', { datasets });
  const sizes = leaves.map(([d]) => d.size);
  const size = sizes.some((s) => s === null) ? null : Math.min(...(sizes as number[]));
  return new Dataset<Element>(async function* zipped(pass, stop) {
    const iterators = leaves.map(([d]) => passOf(d, pass, stop));
    try {
      for (;;) {
        const settled = await Promise.allSettled(iterators.map((it) => it.next()));
        const results = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const failed = settled.find((r) => r.status === 'rejected');
        if (failed || results.some((r) => r.done)) {
          // The shortest dataset ended (or one failed): the others' elements of this step are not used.
          for (const r of results) if (!r.done) disposeElement(r.value);
          if (failed) throw failed.reason;
          return;
        }
        yield rebuild(datasets, results.map((r) => r.value)) as Element;
      }
    } finally {
      // The longer datasets, stopped part way: their buffers free their elements.
      await Promise.all(iterators.map((it) => it.return()));
    }
  }, size);
}
