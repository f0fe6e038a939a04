/**
 * vb.data.csv: the RFC 4180 record parser on its own (quoted fields, line breaks inside quotes,
 * CRLF, doubled quotes, every chunk split), then whole files read by vb.data.csv and by TF.js
 * 4.22's tf.data.csv, which must give the same elements and batches wherever TF.js parses the
 * file correctly; where verbatim differs on purpose, the expected values are written out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as vb from 'verbatim';
import { CsvRecordParser, type CsvSyntax } from '../src/data/csv-parser.js';

const COMMA: CsvSyntax = { delimiter: ',', whitespace: false };

function parse(text: string, syntax: CsvSyntax = COMMA, chunks: string[] = [text]): [number, ...string[]][] {
  const parser = new CsvRecordParser(syntax, 'test');
  const records = [...chunks.flatMap((c) => parser.push(c)), ...parser.finish()];
  return records.map((r) => [r.line, ...r.fields]);
}

describe('CSV record parser (RFC 4180)', () => {
  it('splits fields and records, with LF, CRLF and CR line endings', () => {
    assert.deepEqual(parse('a,b,c\n1,2,3\n'), [[1, 'a', 'b', 'c'], [2, '1', '2', '3']]);
    assert.deepEqual(parse('a,b\r\n1,2\r\n'), [[1, 'a', 'b'], [2, '1', '2']]);
    assert.deepEqual(parse('a,b\r1,2'), [[1, 'a', 'b'], [2, '1', '2']], 'a lone CR, and no final line break');
    assert.deepEqual(parse('a,,\n,\n'), [[1, 'a', '', ''], [2, '', '']], 'empty fields');
    assert.deepEqual(parse('a\n\nb\n'), [[1, 'a'], [2, ''], [3, 'b']], 'an empty line is one empty field');
    assert.deepEqual(parse(''), []);
    assert.deepEqual(parse('\n'), [[1, '']]);
  });

  it('reads quoted fields: delimiters, line breaks and doubled quotes inside', () => {
    assert.deepEqual(parse('"x,y",2\n'), [[1, 'x,y', '2']]);
    assert.deepEqual(parse('"he said ""hi""",3\n'), [[1, 'he said "hi"', '3']]);
    assert.deepEqual(parse('"two\nlines",1\r\nnext,2\n'), [[1, 'two\nlines', '1'], [3, 'next', '2']], 'the line number counts the line break inside');
    assert.deepEqual(parse('"a\r\nb"\n'), [[1, 'a\r\nb']], 'a CRLF inside quotes is kept');
    const breaks = '"lone\rCR",1\n"CR\r\nLF",2\n"CR\r""\nquote",3\nlast,4\n';
    const lines = [[1, 'lone\rCR', '1'], [3, 'CR\r\nLF', '2'], [5, 'CR\r"\nquote', '3'], [8, 'last', '4']];
    assert.deepEqual(parse(breaks), lines, 'a lone CR inside quotes is a line break too; a CRLF is one');
    for (let cut = 0; cut <= breaks.length; cut++) assert.deepEqual(parse(breaks, COMMA, [breaks.slice(0, cut), breaks.slice(cut)]), lines, `split at ${cut}`);
    assert.deepEqual(parse('"",""""\n'), [[1, '', '"']]);
    assert.deepEqual(parse('x"y,2\n'), [[1, 'x"y', '2']], 'a quote inside an unquoted field is kept (as TF.js)');
  });

  it('gives the same records however the text is split into chunks', () => {
    const text = 'name,"note, with comma"\r\n"multi\nline ""q""",2\r\n,\n"",x\r\nlast,"end"';
    const whole = parse(text);
    assert.equal(whole.length, 5);
    for (let cut = 0; cut <= text.length; cut++) {
      assert.deepEqual(parse(text, COMMA, [text.slice(0, cut), text.slice(cut)]), whole, `split at ${cut}`);
    }
    assert.deepEqual(parse(text, COMMA, [...text]), whole, 'one character per chunk');
  });

  it('whitespace syntax: runs of spaces and tabs, leading and trailing ones ignored', () => {
    const ws: CsvSyntax = { delimiter: ' ', whitespace: true };
    assert.deepEqual(parse('a  b\tc\n  1 2   3  \n"x y" z w\n', ws), [[1, 'a', 'b', 'c'], [2, '1', '2', '3'], [3, 'x y', 'z', 'w']]);
    assert.deepEqual(parse('a;b\n1;2', { delimiter: ';', whitespace: false }), [[1, 'a', 'b'], [2, '1', '2']]);
  });

  it('malformed quoting is an error naming the line', () => {
    assert.throws(() => parse('a,b\n"x"y,2\n'), /test: Expected a delimiter or a line break after the closing quote.*Received: line=2/);
    assert.throws(() => parse('a\n"never closed\n'), /test: Expected a closing quote before the end of the input\. Received: line=2/);
  });
});

/** A dataset's element type, and whether two types are the same (a test that fails to compile otherwise). */
type ElementOf<D> = D extends vb.data.Dataset<infer E> ? E : never;
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Elements of either library as JSON: tensors as {shape, dtype, values}. */
function plain(x: unknown): Json {
  if (x instanceof vb.Tensor || x instanceof tf.Tensor) {
    const t = x as { shape: number[]; dtype: string; dataSync(): ArrayLike<number> };
    return { shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) };
  }
  if (Array.isArray(x)) return x.map(plain);
  if (x === undefined) return '<undefined>';
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]));
  return x as Json;
}

let dir: string;
let files = 0;
const file = (text: string) => {
  const path = join(dir, `f${files++}.csv`);
  writeFileSync(path, text);
  return path;
};

async function both(text: string, config: vb.data.CsvConfig = {}, pipe = (d: vb.data.Dataset<unknown>) => d) {
  const path = file(text);
  const mine = plain(await pipe(vb.data.csv(path, config) as vb.data.Dataset<unknown>).toArray());
  const theirs = plain(await pipe(tf.data.csv(pathToFileURL(path).href, config as Parameters<typeof tf.data.csv>[1]) as unknown as vb.data.Dataset<unknown>).toArray());
  return { mine, theirs };
}

describe('vb.data.csv against tf.data.csv', () => {
  before(() => { dir = mkdtempSync(join(tmpdir(), 'verbatim-csv-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const SAME: [string, string, vb.data.CsvConfig?][] = [
    ['header and numbers', 'a,b,c\n1,2.5,-3\n4,5e3,0x10\n'],
    ['no final line break, CRLF', 'a,b\r\n1,2\r\n3,4'],
    ['text fields, empty fields, Number() edge cases', 'a,b,c,d\nfoo, 7 ,,NaN\nInfinity,-0,.5,1e-50\n'],
    ['a label column gives {xs, ys}', 'f1,f2,y\n1,2,0\n3,4,1\n', { columnConfigs: { y: { isLabel: true } } }],
    ['defaults, int32 and bool columns', 'a,b,c,d,e\n,2.7,-2.7,true,yes\n1,,2,0,TRUE\n',
      { columnConfigs: { a: { default: 9 }, b: { dtype: 'int32', default: -1 }, c: { dtype: 'int32' }, d: { dtype: 'bool' }, e: { dtype: 'bool' } } }],
    ['configuredColumnsOnly', 'a,b,c\n1,2,3\n', { columnConfigs: { c: { isLabel: true }, a: {} }, configuredColumnsOnly: true }],
    ['columnNames without a header', '1,2\n3,4\n', { hasHeader: false, columnNames: ['x', 'y'] }],
    ['columnNames replacing the header', 'a,b\n1,2\n', { columnNames: ['x', 'y'] }],
    ['a delimiter', 'a;b\n1;2\n', { delimiter: ';' }],
    ['a tab delimiter', 'a\tb\n1\t2\n', { delimiter: '\t' }],
    ['delimWhitespace', 'a  b c\n1   2 3\n  4 5 6\n', { delimWhitespace: true }],
    ['quoted fields without doubled quotes', '"a b",c\n"1,5",2\n'],
    ['a header only', 'a,b\n'],
  ];
  for (const [name, text, config] of SAME) {
    it(`elements: ${name}`, async () => {
      const { mine, theirs } = await both(text, config);
      assert.deepEqual(mine, theirs);
    });
  }

  it('batches of rows: one tensor per column, labels under ys (as TF.js)', async () => {
    const text = 'a,b,label\n1,2,0\n3,4,1\n5,6,1\n';
    const config = { columnConfigs: { label: { isLabel: true } } };
    const { mine, theirs } = await both(text, config, (d) => d.batch(2) as vb.data.Dataset<unknown>);
    assert.deepEqual(mine, theirs);
    assert.deepEqual((mine as Json[])[0], { xs: { a: { shape: [2], dtype: 'float32', values: [1, 3] }, b: { shape: [2], dtype: 'float32', values: [2, 4] } },
      ys: { label: { shape: [2], dtype: 'float32', values: [0, 1] } } });
  });

  it("the tfjs-examples idiom: map rows to arrays of values, batch into 2-D tensors (as TF.js)", async () => {
    const text = 'a,b,c,y\n1,2,3,0\n4,5,6,1\n7,8,9,0\n';
    const toArrays = (d: vb.data.Dataset<unknown>) => (d as vb.data.Dataset<{ xs: Record<string, number>; ys: Record<string, number> }>)
      .map(({ xs, ys }) => ({ xs: Object.values(xs), ys: Object.values(ys) }) as unknown as vb.data.Element).batch(2) as vb.data.Dataset<unknown>;
    const { mine, theirs } = await both(text, { columnConfigs: { y: { isLabel: true } } }, toArrays);
    assert.deepEqual(mine, theirs);
    assert.deepEqual(((mine as Json[])[0] as { xs: Json }).xs, { shape: [2, 3], dtype: 'float32', values: [1, 2, 3, 4, 5, 6] });
  });

  it('elements are typed by the config: {xs, ys} with a label column, rows without (the idiom compiles without casts)', async () => {
    const file = join(dir, 'typed.csv');
    writeFileSync(file, 'a,b,y\n1,2,0\n3,4,1\n');
    // Typed as rows or {xs, ys} alike, Object.values(xs) did not compile under strict TS (xs could be a value).
    const labelled = vb.data.csv(`file://${file}`, { columnConfigs: { y: { isLabel: true } } });
    const arrays = await labelled.map(({ xs, ys }) => ({ xs: Object.values(xs), ys: Object.values(ys) })).toArray();
    assert.deepEqual(arrays, [{ xs: [1, 2], ys: [0] }, { xs: [3, 4], ys: [1] }]);
    const rows: vb.data.CsvRow[] = await vb.data.csv(`file://${file}`).toArray();
    assert.deepEqual(rows[1], { a: 3, b: 4, y: 1 });
    // A config typed CsvConfig (built at run time) may hold a label: either element (it was typed as rows, which these are not).
    const config: vb.data.CsvConfig = { columnConfigs: { y: { isLabel: true } } };
    const built = vb.data.csv(`file://${file}`, config);
    const typed: Equal<ElementOf<typeof built>, vb.data.CsvElement> = true;
    assert.ok(typed);
    assert.deepEqual((await built.toArray())[0], { xs: { a: 1, b: 2 }, ys: { y: 0 } });
  });

  it('columnNames() as TF.js: all names, or the configured ones', async () => {
    const path = file('a,b,c\n1,2,3\n');
    const url = pathToFileURL(path).href;
    assert.deepEqual(await vb.data.csv(path).columnNames(), await tf.data.csv(url).columnNames());
    const config = { columnConfigs: { c: {}, a: {} }, configuredColumnsOnly: true };
    assert.deepEqual(await vb.data.csv(path, config).columnNames(), await tf.data.csv(url, config).columnNames());
    assert.deepEqual(await vb.data.csv(path, config).columnNames(), ['c', 'a']);
  });

  it('differs from TF.js on purpose: RFC 4180 quoting, line breaks in quotes, a byte-order mark', async () => {
    const elements = async (text: string, config?: vb.data.CsvConfig) => plain(await vb.data.csv(file(text), config).toArray());
    assert.deepEqual(await elements('a,b\n"he said ""hi""",1\n'), [{ a: 'he said "hi"', b: 1 }], 'TF.js keeps both quotes');
    assert.deepEqual(await elements('a,b\n"two\nlines",1\n'), [{ a: 'two\nlines', b: 1 }], 'TF.js fails on the split line');
    assert.deepEqual(await elements('\ufeffa,b\n1,2\n'), [{ a: 1, b: 2 }], 'TF.js names the first column "\\ufeffa"');
    assert.deepEqual(await elements('a b\n1 2 \n', { delimWhitespace: true }), [{ a: 1, b: 2 }], 'TF.js fails on the trailing space');
    const proto = (await vb.data.csv(file('__proto__,b\n1,2\n')).toArray())[0] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(proto), Object.prototype, 'a column named __proto__ is a column, not the prototype');
    assert.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 1);
  });

  it('reads a file:// URL, and an http URL as a stream (a local server)', async () => {
    const text = 'a,b\n' + Array.from({ length: 3000 }, (_, i) => `${i},"row ${i}"`).join('\n') + '\n';
    const path = file(text);
    const fromUrl = await vb.data.csv(pathToFileURL(path)).toArray();
    assert.equal(fromUrl.length, 3000);
    let server: Server | undefined;
    try {
      server = createServer((request, response) => {
        if (request.url !== '/data.csv') { response.statusCode = 404; response.end(); return; }
        // In pieces, so that records span the chunks the client receives.
        const bytes = Buffer.from(text);
        for (let i = 0; i < bytes.length; i += 1000) response.write(bytes.subarray(i, i + 1000));
        response.end();
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      const fromHttp = await vb.data.csv(`http://127.0.0.1:${port}/data.csv`).toArray();
      assert.deepEqual(fromHttp, fromUrl);
      assert.deepEqual(fromHttp[2999], { a: 2999, b: 'row 2999' });
      const fromRequest = await vb.data.csv(new Request(`http://127.0.0.1:${port}/data.csv`, { headers: { 'x-test': '1' } })).toArray();
      assert.deepEqual(fromRequest, fromUrl, 'a Request (as TF.js takes) is fetched');
      await assert.rejects(vb.data.csv(`http://127.0.0.1:${port}/missing.csv`).toArray(), /data\.csv: Expected a URL that answers with success\. Received: source=.*missing\.csv", status=404/);
    } finally {
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  it('reads the file anew on every pass, streamed in chunks (records across chunk borders)', async () => {
    const rows = 40000;
    const text = 'x,label\n' + Array.from({ length: rows }, (_, i) => `${i * 0.5},"${i % 3}"`).join('\r\n');
    const ds = vb.data.csv(file(text), { columnConfigs: { label: { isLabel: true } } });
    let count = 0;
    let sum = 0;
    for (let pass = 0; pass < 2; pass++) {
      await ds.forEachAsync((e) => {
        const { xs, ys } = e as { xs: { x: number }; ys: { label: number } };
        assert.equal(xs.x, count % rows * 0.5);
        assert.equal(ys.label, count % rows % 3);
        count++;
        sum += xs.x;
      });
    }
    assert.equal(count, 2 * rows);
    assert.equal(sum, 2 * (rows * (rows - 1) / 2) * 0.5);
    assert.deepEqual(plain(await ds.take(2).toArray()), [{ xs: { x: 0 }, ys: { label: 0 } }, { xs: { x: 0.5 }, ys: { label: 1 } }]);
  });

  it('multi-byte UTF-8 characters split between two chunks of the file are decoded whole', async () => {
    const value = '€é😀'.repeat(20);
    const rows = 5000; // about 450 KB: the 256 KiB chunk border falls inside a character
    const text = 'id,text\n' + Array.from({ length: rows }, (_, i) => `${i},${value}`).join('\n');
    assert.ok(Buffer.byteLength(text) > 1 << 18);
    const elements = await vb.data.csv(file(text)).toArray() as { id: number; text: string }[];
    assert.equal(elements.length, rows);
    assert.ok(elements.every((e, i) => e.id === i && e.text === value));
  });

  it('errors: each a clear message naming what was received', async () => {
    const rejects = (text: string, config: vb.data.CsvConfig | undefined, pattern: RegExp) => assert.rejects(vb.data.csv(file(text), config).toArray(), pattern);
    await rejects('a,b\n1\n', undefined, /data\.csv: Expected 2 fields in every row \(one per column\)\. Received: line=2, fields=1/);
    await rejects('a,b\n1,2\n\n', undefined, /Expected 2 fields in every row \(one per column\) \(this line is empty: blank lines are rows too, as in TF\.js\)\. Received: line=3, fields=1/);
    await rejects('a,b\n1,2,3\n', undefined, /Received: line=2, fields=3/);
    await rejects('a,b\n1,2\n\n3,4\n', undefined, /Received: line=3, fields=1/);
    await rejects('a,b\n"x\ry",1\n3\n', undefined, /Received: line=4, fields=1/);
    await rejects('a,a\n1,2\n', undefined, /data\.csv: Expected distinct column names\. Received: duplicate="a"/);
    await rejects('a,b\n1,2\n', { columnConfigs: { z: {} } }, /Expected columnConfigs keys among the column names \(a, b\)\. Received: columnConfigs="z"/);
    await rejects('a,b\n1,2\n', { columnNames: ['x', 'y', 'z'] }, /Expected as many columnNames as the header has columns \(2\)\. Received: columnNames.length=3/);
    await rejects('a,b\n1,\n', { columnConfigs: { b: { isLabel: true } } }, /Expected a value in every row of the label column "b" \(or a default\)\. Received: line=2, b=""/);
    await rejects('a,b\n,2\n', { columnConfigs: { a: { required: true } } }, /required column "a".*Received: line=2, a=""/);
    await rejects('', undefined, /data\.csv: Expected a header line \(the source is empty\)/);
    await rejects('a\n"x\n', undefined, /Expected a closing quote before the end of the input\. Received: line=2/);
    await assert.rejects(vb.data.csv(join(dir, 'no-such-file.csv')).toArray(), /data\.csv: Expected a readable file .*Received: source=".*no-such-file\.csv"/);
    await assert.rejects(vb.data.csv(dir).toArray(), /data\.csv: Expected a readable file \(EISDIR.*\)\. Received: source=/, 'a directory');
    const throwsNow = (source: unknown, config: unknown, pattern: RegExp) => assert.throws(() => vb.data.csv(source as string, config as vb.data.CsvConfig), pattern);
    throwsNow('x.csv', { delimiter: '::' }, /data\.csv: Expected delimiter to be one character other than a quote or a line break\. Received: delimiter="::"/);
    throwsNow('x.csv', { delimiter: ' ', delimWhitespace: true }, /Expected delimiter or delimWhitespace, not both/);
    throwsNow('x.csv', { hasHeader: false }, /Expected columnNames when hasHeader is false\. Received: hasHeader=false/);
    throwsNow('x.csv', { header: true }, /Expected option among hasHeader, columnNames, columnConfigs, configuredColumnsOnly, delimiter, delimWhitespace\. Received: option="header"/);
    throwsNow('x.csv', { columnConfigs: { a: { dtype: 'float64' } } }, /Expected dtype to be one of float32, int32, bool, string\. Received: columnConfigs\.a\.dtype="float64"/);
    throwsNow('x.csv', { columnConfigs: { a: { label: true } } }, /Received: columnConfigs\.a key="label"/);
    throwsNow('x.csv', { columnConfigs: { a: { isLabel: 'yes' } } }, /data\.csv: Expected isLabel to be a boolean\. Received: columnConfigs\.a\.isLabel="yes"/);
    throwsNow('x.csv', { columnConfigs: { a: { required: 1 } } }, /Expected required to be a boolean\. Received: columnConfigs\.a\.required=1/);
    throwsNow('x.csv', { columnConfigs: { a: { default: null } } }, /Expected default to be a number, a string or a boolean\. Received: columnConfigs\.a\.default=null/);
    throwsNow(42, undefined, /data\.csv: Expected a path, a URL or a Request\. Received: source=42/);
    throwsNow('ftp://host/x.csv', undefined, /Expected a file path, a file:\/\/ URL or an http\(s\):\/\/ URL\. Received: source="ftp:\/\/host\/x\.csv"/);
  });

  it('batching an empty field or a text field is an error naming the element (TF.js gives NaN)', async () => {
    const rejects = (text: string, pattern: RegExp) => assert.rejects(vb.data.csv(file(text)).batch(2).toArray(), pattern);
    await rejects('a,b\n1,2\n3,\n', /Dataset\.batch: Expected numbers, booleans, arrays of them or tensors in every element \(an empty CSV field needs a default in columnConfigs\)\. Received: element\[1\]\.b="undefined"/);
    await rejects('a,b\n1,2\n3,x\n', /Received: element\[1\]\.b="string"/);
  });
});
