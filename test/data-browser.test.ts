/**
 * vb.data.csv in browsers: the page (test/engines/csv-page.ts, bundled as an app would) reads the
 * same CSV text through fetch and must get exactly what Node gets from a file: elements, column
 * names and the shuffled batches, bit for bit. A missing browser is a reported skip.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as vb from 'verbatim';
import { bundlePage, runChromium, runFirefox, servePage } from './engines/browsers.js';
import { CSV_TEXT, readCsv, type CsvReading } from './engines/csv-sample.js';
import { REPO_ROOT } from './helpers/process.js';

const PAGE = join(REPO_ROOT, 'dist/test/engines/csv-page.js');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
const FIREFOX = ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find(existsSync);

describe('vb.data.csv in browsers reads what Node reads', () => {
  let expected: CsvReading;

  it('Node: the reading of the file (the reference)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verbatim-csv-browser-'));
    try {
      writeFileSync(join(dir, 'sample.csv'), CSV_TEXT);
      expected = await readCsv(vb as never, join(dir, 'sample.csv'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(expected.columns, ['id', 'note', 'x', 'y', 'label'], 'the byte-order mark is dropped');
    assert.deepEqual(expected.first, { xs: { id: 0, note: 'row 0, "q"\nsecond line', x: 0, y: 99 }, ys: { label: 0 } });
    assert.equal(expected.notes.length, 500);
    assert.deepEqual(expected.prefetched, [0, 1, 2]);
    assert.deepEqual(expected.batches.map((b) => b.xsShape), [[128, 2], [128, 2], [128, 2], [116, 2]]);
  });

  for (const [name, binary, run] of [['chromium', CHROMIUM, runChromium], ['firefox', FIREFOX, runFirefox]] as const) {
    it(`${name}: blob: and data: URLs through fetch, bit for bit`, { skip: binary ? false : `${name} not found` }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'verbatim-csv-page-'));
      const served = await (async () => {
        await bundlePage(PAGE, dir);
        return servePage(dir, false);
      })();
      try {
        const lines: string[] = [];
        const report = await run(binary!, served, 120_000, (line) => lines.push(line)) as { error?: string; blob: CsvReading; data: CsvReading };
        assert.equal(report.error, undefined, `${report.error}\n${lines.join('\n')}`);
        assert.deepEqual(report.blob, expected);
        assert.deepEqual(report.data, expected);
      } finally {
        await served.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
