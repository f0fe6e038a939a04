/**
 * A streaming RFC 4180 record parser: text goes in as chunks of any size (a chunk may end in the
 * middle of a field, a quote or a CRLF), complete records come out with the line they started
 * on. Fields are strings; quoted fields may hold delimiters, line breaks and doubled quotes ("").
 * Line endings are LF, CRLF or a lone CR. A file's final line break ends the last record and does
 * not start an empty one.
 *
 * Written here rather than taken from a package: verbatim has no runtime dependency, and what
 * tf.data.csv needs is small (no type guessing, no header logic: those are in csv.ts).
 */
import { invalid } from '../errors.js';

export interface CsvSyntax {
  /** One character that separates fields; ignored with `whitespace`. */
  delimiter: string;
  /**
   * Fields separated by runs of spaces and tabs, leading and trailing ones ignored (TF.js's
   * delimWhitespace, which also takes tabs here).
   */
  whitespace: boolean;
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the input where the record starts. */
  line: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;

type State = 'fieldStart' | 'unquoted' | 'quoted' | 'quoteInQuoted';

/** The line breaks (LF, CRLF or a lone CR) in text; `afterCR`: the text before it ended in a CR, whose break a leading LF completes. */
function lineBreaks(text: string, afterCR: boolean): number {
  let n = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === CR || (c === LF && !(k === 0 ? afterCR : text.charCodeAt(k - 1) === CR))) n++;
  }
  return n;
}

export class CsvRecordParser {
  private state: State = 'fieldStart';
  private field = '';
  private fields: string[] = [];
  /** Whether the current record has consumed any character (so that input ending without a line break still ends it). */
  private pending = false;
  /** Whitespace syntax: whether a field has begun since the last separator. */
  private fieldBegun = false;
  /** A CR ended the last record: an LF right after it belongs to the same line break. */
  private skipLineFeed = false;
  private line = 1;
  private recordLine = 1;
  private readonly delimiter: number;

  constructor(private readonly syntax: CsvSyntax, private readonly context: string) {
    this.delimiter = syntax.whitespace ? SPACE : syntax.delimiter.charCodeAt(0);
  }

  private isSeparator(c: number): boolean {
    return this.syntax.whitespace ? c === SPACE || c === TAB : c === this.delimiter;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.fieldBegun = false;
    this.state = 'fieldStart';
  }

  private endRecord(into: CsvRecord[]): void {
    // With whitespace separators a record ends without an empty trailing field; with a
    // delimiter, "a," has two fields and an empty line has one (empty) field.
    if (!this.syntax.whitespace || this.fieldBegun) this.fields.push(this.field);
    into.push({ fields: this.fields, line: this.recordLine });
    this.fields = [];
    this.field = '';
    this.fieldBegun = false;
    this.pending = false;
    this.state = 'fieldStart';
  }

  private lineBreak(c: number, into: CsvRecord[]): void {
    this.endRecord(into);
    this.line++;
    this.recordLine = this.line;
    this.skipLineFeed = c === CR;
  }

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk.charCodeAt(i);
      if (this.skipLineFeed) {
        this.skipLineFeed = false;
        if (c === LF) { i++; continue; }
      }
      this.pending = true;
      switch (this.state) {
        case 'fieldStart':
          if (c === QUOTE) {
            this.state = 'quoted';
            this.fieldBegun = true;
            i++;
          } else if (this.isSeparator(c)) {
            if (!this.syntax.whitespace) this.endField();
            i++;
          } else if (c === LF || c === CR) {
            this.lineBreak(c, out);
            i++;
          } else {
            this.state = 'unquoted';
            this.fieldBegun = true;
          }
          break;
        case 'unquoted': {
          let j = i;
          while (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === LF || d === CR || this.isSeparator(d)) break;
            j++;
          }
          this.field += chunk.slice(i, j);
          i = j;
          if (j < n) {
            const d = chunk.charCodeAt(j);
            if (d === LF || d === CR) this.lineBreak(d, out);
            else this.endField();
            i++;
          }
          break;
        }
        case 'quoted': {
          const j = chunk.indexOf('"', i);
          const end = j < 0 ? n : j;
          const text = chunk.slice(i, end);
          // A CRLF split between two chunks is one line break: the field holds the CR before it.
          this.line += lineBreaks(text, this.field.endsWith('\r'));
          this.field += text;
          if (j >= 0) this.state = 'quoteInQuoted';
          i = end + (j >= 0 ? 1 : 0);
          break;
        }
        case 'quoteInQuoted':
          if (c === QUOTE) {
            this.field += '"';
            this.state = 'quoted';
          } else if (this.isSeparator(c)) {
            this.endField();
          } else if (c === LF || c === CR) {
            this.lineBreak(c, out);
          } else {
            throw invalid(this.context, 'Expected a delimiter or a line break after the closing quote of a field (a quote inside a quoted field is written "")',
              { line: this.line, after: `"${this.field}"`, character: chunk[i] });
          }
          i++;
          break;
      }
    }
    return out;
  }

  /** The end of the input: the last record, if it did not end with a line break. */
  finish(): CsvRecord[] {
    if (this.state === 'quoted') {
      throw invalid(this.context, 'Expected a closing quote before the end of the input', { line: this.recordLine, field: this.field.slice(0, 40) });
    }
    const out: CsvRecord[] = [];
    if (this.pending) this.endRecord(out);
    return out;
  }
}
