/**
 * vb.data.func(f): TF.js's tf.data.func. Elements come from calling f until it returns
 * {done: true}; f (sync or async) keeps its own state, so a later pass goes on from where the
 * last one stopped, as in TF.js.
 */
import { invalid } from '../errors.js';
import { Dataset } from './dataset.js';

export function func<T>(f: () => IteratorResult<T> | Promise<IteratorResult<T>>): Dataset<T> {
  if (typeof f !== 'function') throw invalid('data.func', 'Expected a function returning {value, done}', { f });
  return new Dataset<T>(async function* called() {
    for (;;) {
      const r = await f();
      // Anything but a result object would never be done: an endless pass of undefined elements.
      if (r === null || typeof r !== 'object') throw invalid('data.func', 'Expected f to return {value, done}', { returned: r });
      if (r.done) return;
      yield r.value;
    }
  }, null);
}
