import { after, before, describe } from 'node:test';
import * as vb from 'verbatim';

/** Runs the suite once per registered backend. */
export function forEachBackend(title: string, suite: (backend: string) => void): void {
  for (const backend of vb.backendNames()) {
    describe(`${title} [${backend}]`, () => {
      let previous = '';
      before(() => {
        previous = vb.getBackend();
        vb.setBackend(backend);
      });
      after(() => vb.setBackend(previous));
      suite(backend);
    });
  }
}
