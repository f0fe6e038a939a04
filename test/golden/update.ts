/**
 * `npm run golden:update`: recomputes test/golden/digests.json from the golden workload on the
 * reference backend. Run it only for a deliberate change of bits, and say why in the commit.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as vb from 'verbatim';
import { exampleDigests } from '../helpers/examples.js';
import { goldenDigests } from './workload.js';

vb.setBackend('reference');
const digests = { workload: await goldenDigests(vb), examples: exampleDigests() };
const path = fileURLToPath(new URL('../../../test/golden/digests.json', import.meta.url));
writeFileSync(path, `${JSON.stringify(digests, null, 2)}\n`);
console.log(`wrote ${Object.keys(digests.workload).length + Object.keys(digests.examples).length} digests to ${path}`);
