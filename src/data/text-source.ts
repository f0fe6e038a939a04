/**
 * Text read in chunks from where tf.data.csv reads it: in Node a file path, a file:// URL or an
 * http(s):// URL; in a browser any URL fetch() takes. Chunks are decoded as UTF-8 as they
 * arrive (a leading byte-order mark is dropped), so a large file is never held whole in memory.
 */
import { invalid } from '../errors.js';
import { followAborts } from '../util/abort.js';
import { optionalBuiltin } from '../util/node.js';

/** A path or URL, or (as TF.js takes) a fetch Request, for headers or credentials. */
export type TextSource = string | URL | Request;

const isRequest = (source: unknown): source is Request => typeof Request === 'function' && source instanceof Request;

const CHUNK_BYTES = 1 << 18;

interface NodeFs {
  promises: {
    open(path: string, flags: string): Promise<{
      read(buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
      close(): Promise<void>;
    }>;
  };
}

interface NodeUrl {
  fileURLToPath(url: string | URL): string;
}

function isWebUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/** The source as a Node file path, or undefined when it is to be fetched. */
function nodePath(source: TextSource, context: string): string | undefined {
  const fs = optionalBuiltin<NodeFs>('node:fs');
  if (isRequest(source)) return undefined;
  const text = source.toString();
  if (!fs || isWebUrl(text)) return undefined;
  if (/^file:/i.test(text)) return optionalBuiltin<NodeUrl>('node:url')!.fileURLToPath(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw invalid(context, 'Expected a file path, a file:// URL or an http(s):// URL', { source: text });
  }
  return text;
}

/**
 * The file's bytes, chunk by chunk. Each chunk opens, reads and closes the file: a pass that is
 * abandoned part way (take(), zip's shortest, an error downstream) then holds no open file, since
 * nothing would tell this generator to close one.
 */
async function* fileChunks(path: string, context: string): AsyncGenerator<Uint8Array> {
  const fs = optionalBuiltin<NodeFs>('node:fs')!;
  for (let position = 0; ;) {
    let handle: Awaited<ReturnType<NodeFs['promises']['open']>>;
    try {
      handle = await fs.promises.open(path, 'r');
    } catch (e) {
      throw invalid(context, `Expected a readable file (${(e as Error).message})`, { source: path });
    }
    const buffer = new Uint8Array(CHUNK_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position));
    } catch (e) {
      // A directory opens but does not read (EISDIR).
      throw invalid(context, `Expected a readable file (${(e as Error).message})`, { source: path });
    } finally {
      await handle.close();
    }
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function* fetchedChunks(source: string | Request, context: string, stop: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const url = isRequest(source) ? source.url : source;
  // A download of its own that `stop` aborts, and a Request's own signal still does.
  const download = stop && followAborts(isRequest(source) ? [source.signal, stop] : [stop]);
  try {
    let response: Response;
    try {
      response = await (download ? fetch(source, { signal: download.signal }) : fetch(source));
    } catch (e) {
      throw invalid(context, `Expected a reachable URL (${(e as Error).message})`, { source: url });
    }
    if (!response.ok) throw invalid(context, 'Expected a URL that answers with success', { source: url, status: response.status });
    if (!response.body) {
      yield new Uint8Array(await response.arrayBuffer());
      return;
    }
    const reader = response.body.getReader();
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) yield r.value;
    } finally {
      // Ending early (a take(), an error in a row) cancels the download instead of reading it to the end.
      await reader.cancel().catch(() => undefined);
    }
  } finally {
    download?.release();
  }
}

/** Throws now, rather than when the source is first read, if it is neither a path nor a URL this environment reads. */
export function checkTextSource(source: TextSource, context: string): void {
  if (typeof source !== 'string' && !(source instanceof URL) && !isRequest(source)) throw invalid(context, 'Expected a path, a URL or a Request', { source });
  nodePath(source, context);
}

/** The source's text, chunk by chunk; read anew on each call. `stop` aborts a download (a file's reads end by themselves). */
export async function* textChunks(source: TextSource, context: string, stop?: AbortSignal): AsyncGenerator<string> {
  const path = nodePath(source, context);
  const bytes = path === undefined ? fetchedChunks(isRequest(source) ? source : source.toString(), context, stop) : fileChunks(path, context);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}
