#!/usr/bin/env node
/**
 * The `verbatim` command. The commands' modules, and with them the library, load inside a try: a
 * setting verbatim refuses as it loads (VERBATIM_THREADS=two, an unknown VERBATIM_BACKEND) is bad
 * usage, said in one line with exit code 2, not a stack trace.
 */
import { ValueError } from '../errors.js';

const loaded = await import('./main.js').catch((error: unknown) => {
  if (!(error instanceof ValueError)) throw error;
  process.stderr.write(`${error.message}\n`);
  return undefined;
});
process.exitCode = loaded ? await loaded.main(process.argv.slice(2)) : 2;
