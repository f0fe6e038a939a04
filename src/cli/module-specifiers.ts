/**
 * The modules a JavaScript or TypeScript source imports or requires, for the check of what
 * `verbatim verify` may run (src/cli/trust.ts). Only string literals that follow `from`, `import`,
 * `import(` or `require(` in code count: a specifier in a comment, in another string or in a
 * template literal is no import. A light scanner, not a parser: it knows comments, quotes and
 * template literals, not regular expression literals; a quote inside one can only hide imports
 * that follow it, and a hidden import makes the check refuse, which is the safe side.
 */

export interface ModuleSpecifier {
  specifier: string;
  kind: 'import' | 'require';
}

/** What the code before a string literal ends with when the literal is an import's or a require's specifier. */
const BEFORE_IMPORT = /(?:^|[^\w$.])(?:from|import)\s*\(?\s*$/;
const BEFORE_REQUIRE = /(?:^|[^\w$.])require\s*\(\s*$/;

export function moduleSpecifiers(text: string): ModuleSpecifier[] {
  const found: ModuleSpecifier[] = [];
  // The code read so far, comments and literals left out: what precedes the next literal.
  let code = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      code += ' ';
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      code += ' ';
    } else if (c === '\'' || c === '"' || c === '`') {
      const end = literalEnd(text, i);
      if (c !== '`') {
        const specifier = text.slice(i + 1, end - 1);
        if (BEFORE_IMPORT.test(code)) found.push({ specifier, kind: 'import' });
        else if (BEFORE_REQUIRE.test(code)) found.push({ specifier, kind: 'require' });
      }
      code += '""';
      i = end;
    } else {
      code += c;
      i++;
    }
    // Only the tail matters to the patterns above.
    if (code.length > 4096) code = code.slice(-64);
  }
  return found;
}

/** The index just past the string or template literal that starts at `start` (escapes skipped; unterminated: the end). */
function literalEnd(text: string, start: number): number {
  const quote = text[start]!;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (c === quote) return i + 1;
    // A quoted string ends at a line break (a syntax error the runtime would refuse anyway).
    else if (c === '\n' && quote !== '`') return i + 1;
  }
  return text.length;
}
