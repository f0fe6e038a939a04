/**
 * vb.data.csv: TF.js 4.22's tf.data.csv. Each row becomes a plain object by column name, or
 * {xs, ys} when a column is configured as a label. Values as TF.js gives them: Number(field) when
 * that is a number (int32 columns floor it, bool columns give 1 for '1' or 'true', else 0), the
 * field's text when it is not, and an empty field gives the column's default, an error when the
 * column is required or a label, or undefined. Records are read with an RFC 4180 parser (csv-parser.ts),
 * so quoted fields may hold line breaks and "" stands for a quote (TF.js splits lines first and
 * keeps "" as two quotes). The file is read anew, as a stream, on every pass.
 */
import { invalid } from '../errors.js';
import { CsvRecordParser, type CsvRecord, type CsvSyntax } from './csv-parser.js';
import { Dataset } from './dataset.js';
import { checkKeys, isRecord } from './options.js';
import { checkTextSource, textChunks, type TextSource } from './text-source.js';

export interface ColumnConfig {
  /** An empty field is an error (also for labels) unless there is a default. */
  required?: boolean;
  /** How a numeric field is read: 'int32' floors it, 'bool' gives 1 for '1' or 'true' (any case), else 0. */
  dtype?: 'float32' | 'int32' | 'bool' | 'string';
  /** The value of an empty field. */
  default?: number | string | boolean;
  /** The column goes to ys; the row becomes {xs, ys}. */
  isLabel?: boolean;
}

export interface CsvConfig {
  /** Whether the first record names the columns (default true). */
  hasHeader?: boolean;
  /** Column names in order; with a header they replace its names (the counts must agree). */
  columnNames?: string[];
  columnConfigs?: Record<string, ColumnConfig>;
  /** Only the columns in columnConfigs, in its key order for columnNames(). */
  configuredColumnsOnly?: boolean;
  /** One character (default ','). */
  delimiter?: string;
  /** Fields separated by runs of spaces or tabs (not with delimiter). */
  delimWhitespace?: boolean;
}

export type CsvValue = number | string | boolean | undefined;
export type CsvRow = Record<string, CsvValue>;
export type CsvElement = CsvRow | { xs: CsvRow; ys: CsvRow };

/** The elements column configs give: {xs, ys} when one says isLabel: true, rows when none can, either when the checker cannot tell. */
type CsvElementOfColumns<M> =
  true extends { [K in keyof M]: M[K] extends { isLabel: true } ? true : never }[keyof M]
    ? { xs: CsvRow; ys: CsvRow }
    : boolean extends { [K in keyof M]: M[K] extends { isLabel?: infer L } ? L : never }[keyof M] ? CsvElement : CsvRow;

/**
 * The elements a config gives, as the type checker can tell: {xs, ys} when a column config says
 * isLabel: true, rows when none can, either when it cannot tell (a config built at run time, or
 * typed CsvConfig, whose columnConfigs may hold a label).
 */
export type CsvElementOf<C extends CsvConfig | undefined> =
  C extends { columnConfigs?: infer M } ? ('columnConfigs' extends keyof C ? CsvElementOfColumns<NonNullable<M>> : CsvRow) : CsvRow;

const CONTEXT = 'data.csv';
const CONFIG_KEYS = ['hasHeader', 'columnNames', 'columnConfigs', 'configuredColumnsOnly', 'delimiter', 'delimWhitespace'];
const COLUMN_KEYS = ['required', 'dtype', 'default', 'isLabel'];
const DTYPES = ['float32', 'int32', 'bool', 'string'];

function checkConfig(config: unknown): CsvConfig {
  if (config === undefined) return {};
  if (!isRecord(config)) throw invalid(CONTEXT, 'Expected a config object', { config });
  checkKeys(CONTEXT, config, CONFIG_KEYS, 'option');
  const c = config as CsvConfig;
  for (const name of ['hasHeader', 'configuredColumnsOnly', 'delimWhitespace'] as const) {
    if (c[name] !== undefined && typeof c[name] !== 'boolean') throw invalid(CONTEXT, `Expected ${name} to be a boolean`, { [name]: c[name] });
  }
  if (c.columnNames !== undefined && !(Array.isArray(c.columnNames) && c.columnNames.every((n) => typeof n === 'string'))) {
    throw invalid(CONTEXT, 'Expected columnNames to be an array of strings', { columnNames: c.columnNames });
  }
  if (c.delimiter !== undefined && (typeof c.delimiter !== 'string' || c.delimiter.length !== 1 || c.delimiter === '"' || c.delimiter === '\n' || c.delimiter === '\r')) {
    throw invalid(CONTEXT, 'Expected delimiter to be one character other than a quote or a line break', { delimiter: c.delimiter });
  }
  if (c.delimWhitespace && c.delimiter !== undefined) {
    throw invalid(CONTEXT, 'Expected delimiter or delimWhitespace, not both', { delimiter: c.delimiter, delimWhitespace: true });
  }
  if (c.columnConfigs !== undefined) {
    if (!isRecord(c.columnConfigs)) throw invalid(CONTEXT, 'Expected columnConfigs to be an object of column configs by name', { columnConfigs: c.columnConfigs });
    for (const [name, column] of Object.entries(c.columnConfigs)) {
      if (!isRecord(column)) throw invalid(CONTEXT, 'Expected each column config to be an object', { [`columnConfigs.${name}`]: column });
      checkKeys(CONTEXT, column, COLUMN_KEYS, `columnConfigs.${name} key`);
      if (column.dtype !== undefined && !DTYPES.includes(column.dtype as string)) {
        throw invalid(CONTEXT, `Expected dtype to be one of ${DTYPES.join(', ')}`, { [`columnConfigs.${name}.dtype`]: column.dtype });
      }
      // TF.js takes any truthy isLabel or required: 'yes' would silently be false here.
      for (const flag of ['isLabel', 'required'] as const) {
        if (column[flag] !== undefined && typeof column[flag] !== 'boolean') throw invalid(CONTEXT, `Expected ${flag} to be a boolean`, { [`columnConfigs.${name}.${flag}`]: column[flag] });
      }
      if (column.default !== undefined && !['number', 'string', 'boolean'].includes(typeof column.default)) {
        throw invalid(CONTEXT, 'Expected default to be a number, a string or a boolean', { [`columnConfigs.${name}.default`]: column.default });
      }
    }
  }
  if (c.configuredColumnsOnly && c.columnConfigs === undefined) {
    throw invalid(CONTEXT, 'Expected columnConfigs with configuredColumnsOnly', { configuredColumnsOnly: true });
  }
  if (c.hasHeader === false && c.columnNames === undefined) {
    throw invalid(CONTEXT, 'Expected columnNames when hasHeader is false', { hasHeader: false });
  }
  return c;
}

/** TF.js's reading of one non-empty field. */
function parseField(text: string, config: ColumnConfig | undefined): CsvValue {
  const bool = () => (text === '1' || text.toLowerCase() === 'true' ? 1 : 0);
  const number = Number(text);
  if (Number.isNaN(number)) return config?.dtype === 'bool' ? bool() : text;
  if (config?.dtype === 'int32') return Math.floor(number);
  if (config?.dtype === 'bool') return bool();
  return number;
}

interface Column {
  name: string;
  index: number;
  config: ColumnConfig | undefined;
  label: boolean;
  /** An empty field is an error unless there is a default. */
  needed: boolean;
}

/** Reads the records of a CSV source and turns them into elements; remembers the checked column names. */
class CsvReader {
  private names: string[] | undefined;
  private readonly syntax: CsvSyntax;
  private readonly configs: Record<string, ColumnConfig>;

  constructor(private readonly source: TextSource, private readonly config: CsvConfig) {
    this.syntax = { delimiter: config.delimiter ?? ',', whitespace: config.delimWhitespace ?? false };
    this.configs = config.columnConfigs ?? {};
    if (config.hasHeader === false) this.names = this.checkedNames(config.columnNames!);
  }

  private configOf(name: string): ColumnConfig | undefined {
    return Object.hasOwn(this.configs, name) ? this.configs[name] : undefined;
  }

  private checkedNames(names: string[]): string[] {
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) throw invalid(CONTEXT, 'Expected distinct column names', { duplicate: name });
      seen.add(name);
    }
    for (const key of Object.keys(this.configs)) {
      if (!seen.has(key)) throw invalid(CONTEXT, `Expected columnConfigs keys among the column names (${names.join(', ')})`, { columnConfigs: key });
    }
    return names;
  }

  private namesFromHeader(header: CsvRecord): string[] {
    const given = this.config.columnNames;
    if (given && given.length !== header.fields.length) {
      throw invalid(CONTEXT, `Expected as many columnNames as the header has columns (${header.fields.length})`, { 'columnNames.length': given.length });
    }
    return this.checkedNames(given ?? header.fields);
  }

  /** The records, a chunk's worth at a time (one await per chunk rather than per record). */
  private async *records(stop?: AbortSignal): AsyncGenerator<CsvRecord[]> {
    const parser = new CsvRecordParser(this.syntax, CONTEXT);
    for await (const chunk of textChunks(this.source, CONTEXT, stop)) yield parser.push(chunk);
    yield parser.finish();
  }

  /** The full column names, reading the header if they are not known yet. */
  private async fullNames(): Promise<string[]> {
    if (this.names) return this.names;
    for await (const records of this.records()) if (records.length > 0) return (this.names = this.namesFromHeader(records[0]!));
    throw this.noHeader();
  }

  private noHeader(): Error {
    const source = this.source instanceof URL || typeof this.source === 'string' ? this.source.toString() : this.source.url;
    return invalid(CONTEXT, 'Expected a header line (the source is empty)', { source });
  }

  async columnNames(): Promise<string[]> {
    const names = await this.fullNames();
    return this.config.configuredColumnsOnly ? Object.keys(this.configs) : [...names];
  }

  /** What each kept column does, worked out once per pass rather than per row. */
  private plan(names: readonly string[]): Column[] {
    const columns: Column[] = [];
    names.forEach((name, index) => {
      const config = this.configOf(name);
      if (this.config.configuredColumnsOnly && !config) return;
      columns.push({ name, index, config, label: config?.isLabel === true, needed: config?.required === true || config?.isLabel === true });
    });
    return columns;
  }

  private element(record: CsvRecord, width: number, columns: readonly Column[]): CsvElement {
    if (record.fields.length !== width) {
      const blank = record.fields.length === 1 && record.fields[0] === '' ? ' (this line is empty: blank lines are rows too, as in TF.js)' : '';
      throw invalid(CONTEXT, `Expected ${width} fields in every row (one per column)${blank}`, { line: record.line, fields: record.fields.length });
    }
    const features: CsvRow = {};
    let labels: CsvRow | undefined;
    for (const { name, index, config, label, needed } of columns) {
      const text = record.fields[index]!;
      let value: CsvValue;
      if (text !== '') value = parseField(text, config);
      else if (config?.default !== undefined) value = config.default;
      else if (needed) {
        throw invalid(CONTEXT, `Expected a value in every row of the ${label ? 'label' : 'required'} column ${JSON.stringify(name)} (or a default)`, { line: record.line, [name]: '' });
      } else value = undefined;
      const row = label ? (labels ??= {}) : features;
      // A column named __proto__ stays a column instead of replacing the row's prototype.
      if (name === '__proto__') Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
      else row[name] = value;
    }
    return labels ? { xs: features, ys: labels } : features;
  }

  async *elements(stop: AbortSignal | undefined): AsyncGenerator<CsvElement> {
    let names = this.names;
    let columns = names && this.plan(names);
    let first = true;
    for await (const records of this.records(stop)) {
      for (const record of records) {
        if (first && this.config.hasHeader !== false) {
          first = false;
          names = this.names ?? (this.names = this.namesFromHeader(record));
          columns = this.plan(names);
          continue;
        }
        first = false;
        yield this.element(record, names!.length, columns!);
      }
    }
    if (first && this.config.hasHeader !== false) throw this.noHeader();
  }
}

/** A dataset of a CSV file's rows; read lazily, anew on each pass. */
export class CsvDataset<E extends CsvElement = CsvElement> extends Dataset<E> {
  private readonly reader: CsvReader;

  constructor(source: TextSource, config?: CsvConfig) {
    checkTextSource(source, CONTEXT);
    const reader = new CsvReader(source, checkConfig(config));
    // The reader gives {xs, ys} exactly when a column is a label, as E says where the checker can tell.
    super((_pass, stop) => reader.elements(stop) as AsyncGenerator<E, void, undefined>, null);
    this.reader = reader;
  }

  /** The column names (the configured ones with configuredColumnsOnly), read from the header if needed. */
  columnNames(): Promise<string[]> {
    return this.reader.columnNames();
  }
}

export function csv<const C extends CsvConfig | undefined = undefined>(source: TextSource, config?: C): CsvDataset<CsvElementOf<C>> {
  return new CsvDataset<CsvElementOf<C>>(source, config);
}
