/** The CSV text and the reading of it that the browser page and Node both do (test/data-browser.test.ts). */
import type * as VB from '../../src/index.js';

/** Quoted fields with delimiters, doubled quotes and line breaks; CRLF; a label; an empty field with a default. */
export const CSV_TEXT = '\ufeffid,note,x,y,label\r\n'
  + Array.from({ length: 500 }, (_, i) => `${i},"row ${i}, ""q""${i % 7 === 0 ? '\nsecond line' : ''}",${i * 0.25},${i % 5 === 0 ? '' : -i},${i % 3}`).join('\r\n');

export interface CsvReading {
  columns: string[];
  first: unknown;
  notes: string[];
  /** The first 3 rows' ids through prefetch, which gives its download a stop signal and aborts it at take's end. */
  prefetched: number[];
  batches: { xs: number[]; xsShape: number[]; ys: number[] }[];
}

export async function readCsv(vb: typeof VB, source: string): Promise<CsvReading> {
  const ds = vb.data.csv(source, { columnConfigs: { label: { isLabel: true }, y: { default: 99 } } });
  const rows = (await ds.toArray()) as { xs: Record<string, number | string>; ys: Record<string, number> }[];
  const batches = await ds
    .map((row) => {
      const { xs, ys } = row as { xs: Record<string, number>; ys: Record<string, number> };
      return { xs: [xs.x!, xs.y!], ys: Object.values(ys) };
    })
    .shuffle(64, { seed: 3 })
    .batch(128)
    .toArray() as { xs: VB.Tensor; ys: VB.Tensor }[];
  return {
    columns: await ds.columnNames(),
    first: rows[0],
    notes: rows.map((r) => r.xs.note as string),
    prefetched: ((await ds.prefetch(4).take(3).toArray()) as { xs: Record<string, number | string> }[]).map((r) => r.xs.id as number),
    batches: batches.map(({ xs, ys }) => ({ xs: Array.from(xs.dataSync()), xsShape: [...xs.shape], ys: Array.from(ys.dataSync()) })),
  };
}
