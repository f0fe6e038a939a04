/**
 * A data-parallel worker process: `node <this file> [--allow-module <file or directory>]...
 * host:port` connects to the fit that listens there (src/models/data-parallel-tcp.ts), builds
 * its replica of the model and answers each frame in order; it exits when the fit closes the
 * connection (one fit per worker), and tries to connect for 60 s, so it may start before the
 * fit. It imports a fit's workerModule only under a path given with --allow-module
 * (src/models/data-parallel-modules.ts). Run it on any machine that has the same verbatim as the
 * fit: the results are the same bits.
 */
import { connect } from 'node:net';
import '../index.js';
import { moduleImporter } from './data-parallel-modules.js';
import { replicaServer } from './data-parallel-replica.js';
import { VERSION } from '../version.js';
import { assertLittleEndian, decodeFrame, encodeFrame, FrameReader, HELLO_MAGIC, PROTOCOL } from './data-parallel-wire.js';

const USAGE = 'node data-parallel-process.js [--allow-module <file or directory>]... host:port';

/** `problem`: 'data-parallel worker: Expected ...'. */
function usage(problem: string): never {
  console.error(`${problem}. Usage: ${USAGE}`);
  process.exit(2);
}

const allowed: string[] = [];
const addresses: string[] = [];
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i]!;
  if (arg === '--allow-module') {
    const path = process.argv[++i];
    if (path === undefined) usage('data-parallel worker: Expected a file or directory after --allow-module');
    allowed.push(path);
  } else if (arg.startsWith('-')) {
    usage(`data-parallel worker: Expected --allow-module or host:port. Received: ${arg}`);
  } else {
    addresses.push(arg);
  }
}
const address = addresses.length === 1 ? addresses[0]! : '';
const match = /^(.*):(\d+)$/.exec(address);
// A port out of range would make connect throw (99999) or ask for any port (0, meaning none to connect to).
const port = match ? Number(match[2]) : Number.NaN;
if (!match || !(port >= 1 && port <= 65535)) {
  usage(`data-parallel worker: Expected host:port as the one address, with a port from 1 to 65535. Received: ${addresses.join(' ') || 'nothing'}`);
}
assertLittleEndian('data-parallel worker');
let importModule: (url: string) => Promise<unknown>;
try {
  importModule = moduleImporter(allowed);
} catch (error) {
  usage((error as Error).message);
}
const serve = replicaServer(importModule);
let queue = Promise.resolve();
/** Whether the fit sent anything: a connection closed before that is a refusal, not the end of the work. */
let received = false;
const reader = new FrameReader((body) => {
  let message: { kind: string };
  try {
    message = decodeFrame(body) as { kind: string };
  } catch (error) {
    // The coordinator is the only peer: a frame that does not decode means this is not one.
    console.error(`data-parallel worker: a frame that does not decode from ${address} (${(error as Error).message})`);
    process.exit(1);
  }
  // The fit refused this worker (one too many, another version): it says why, then closes.
  if (!received && message.kind === 'refused') {
    const { reason } = message as { reason?: unknown };
    // eslint-disable-next-line no-control-regex -- a peer's text is shown, never obeyed by the terminal
    const shown = typeof reason === 'string' && !/[\u0000-\u001f\u007f-\u009f]/.test(reason) ? reason : JSON.stringify(reason);
    console.error(`data-parallel worker: refused by the fit at ${address}: ${shown}`);
    process.exit(1);
  }
  received = true;
  queue = queue.then(async () => {
    const { reply } = await serve(message);
    socket.write(encodeFrame(reply));
  });
});
// A worker may start before the fit listens: it tries again every 200 ms for 60 s.
const deadline = Date.now() + 60_000; // non-numeric: how long to retry connecting
let socket = open();

function open() {
  const s = connect(port, match![1]!);
  let connected = false;
  s.setNoDelay(true);
  // A coordinator whose machine goes away (no FIN ever comes) is noticed by TCP keep-alive, so the worker exits.
  s.setKeepAlive(true, 10_000);
  s.on('connect', () => {
    connected = true;
    // Fit counts a connection as a worker only after this hello (src/models/data-parallel-tcp.ts).
    s.write(encodeFrame({ kind: 'hello', magic: HELLO_MAGIC, protocol: PROTOCOL, version: VERSION, pid: process.pid }));
  });
  s.on('data', (chunk: Buffer) => reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  s.on('error', (error) => {
    if (!connected && Date.now() < deadline) { // non-numeric: connect retry deadline
      setTimeout(() => { socket = open(); }, 200);
      return;
    }
    console.error(`data-parallel worker: ${error.message}`);
    process.exit(1);
  });
  s.on('close', () => {
    if (!connected) return;
    if (!received) {
      console.error(`data-parallel worker: the fit at ${address} closed the connection before sending any work (it refused this worker, e.g. of another verbatim version or one too many, or it gave up: its log says which)`);
      process.exit(1);
    }
    process.exit(0);
  });
  return s;
}
