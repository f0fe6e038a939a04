/** vb.data.concatenate(a, b, ...) or ([a, b, ...]): the datasets' elements one after the other (dataset.concatenate, chained). */
import { invalid } from '../errors.js';
import { Dataset } from './dataset.js';

export function concatenate<T>(...args: Dataset<T>[] | [readonly Dataset<T>[]]): Dataset<T> {
  const datasets = (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as readonly unknown[];
  if (datasets.length === 0 || !datasets.every((d) => d instanceof Dataset)) {
    throw invalid('data.concatenate', 'Expected one or more datasets', { datasets: datasets.map((d) => (d instanceof Dataset ? 'a Dataset' : d)) });
  }
  const list = datasets as Dataset<T>[];
  return list.slice(1).reduce<Dataset<T>>((joined, next) => joined.concatenate(next), list[0]!);
}
