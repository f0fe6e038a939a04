/**
 * A browser page for the data test: vb.data.csv reads a CSV through fetch (a blob: URL and a
 * data: URL, the ways a page has to a file without a server of its own), streams and batches it,
 * and POSTs what it read to /result, for the test to compare with Node's reading of the same text.
 */
import * as vb from '../../src/index.js';
import { CSV_TEXT, readCsv } from './csv-sample.js';

async function post(body: unknown): Promise<void> {
  await fetch('/result', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

try {
  const blobUrl = URL.createObjectURL(new Blob([CSV_TEXT], { type: 'text/csv' }));
  const dataUrl = `data:text/csv;charset=utf-8,${encodeURIComponent(CSV_TEXT)}`;
  await post({ blob: await readCsv(vb, blobUrl), data: await readCsv(vb, dataUrl) });
} catch (error) {
  await post({ error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) });
}
