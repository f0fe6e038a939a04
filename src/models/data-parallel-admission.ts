/**
 * Who joins a data-parallel fit over TCP (src/models/data-parallel-tcp.ts). The port is open to
 * anything that can reach it, so a connection counts as a worker only once its first frame, at
 * most HELLO_LIMIT bytes, is a worker's hello of this protocol and verbatim version. Bounds keep
 * peers that never say hello from starving real workers of file descriptors:
 * - each connection has helloTimeout seconds (HELLO_TIMEOUT, at most connectTimeout) to say
 *   hello, and is closed after that;
 * - at most `workers + UNIDENTIFIED_EXTRA` connections await a hello (or the end of their
 *   refusal) at once: a new one closes the oldest of them, so the newest connection, a real
 *   worker's whose hello comes within a round trip, always gets a place.
 * A refused peer is sent a `{kind: 'refused', reason}` frame and our end of the connection (what
 * it sends meanwhile is read and dropped, so that no reset overtakes the refusal), then closed
 * once it has closed or after REFUSAL_LINGER seconds. Once the workers are complete the port stays
 * open until the fit ends, refusing each further connection the same way: an extra worker
 * learns that the fit already has its workers.
 */
import { VERSION } from '../version.js';
import { decodeFrame, encodeFrame, FrameReader, HELLO_LIMIT, HELLO_MAGIC, PROTOCOL } from './data-parallel-wire.js';

type Socket = import('node:net').Socket;
type Timer = ReturnType<typeof setTimeout>;

/** Seconds a connection has to say hello, unless connectTimeout is shorter: a real worker says it as it connects. */
export const HELLO_TIMEOUT = 5;
/** Connections awaiting a hello or finishing a refusal, beyond the number of workers, before the oldest is closed. */
export const UNIDENTIFIED_EXTRA = 16;
/** Seconds a refused peer has to read its refusal and close. */
const REFUSAL_LINGER = 1;
/** Refused connections named in the log and the connect-timeout error. */
const REFUSALS_KEPT = 10;

/** A connection that said a worker's hello; the group sets its handlers once the workers are complete. */
export interface JoinedWorker {
  socket: Socket;
  /** Its address, host:port, as errors name it. */
  name: string;
  reader: FrameReader;
  /** Its process id, when its hello gave one. */
  pid?: number;
  onFrame?: (body: Uint8Array) => void;
  onEnd?: (reason: string) => void;
}

/** How the log and errors name a peer. */
const address = (socket: Socket) => `${socket.remoteAddress}:${socket.remotePort}`;

/** Why a first frame is not a worker's hello, or undefined; `pid` is the worker's process id when it sent one. */
function helloProblem(body: Uint8Array): { problem?: string; pid?: number } {
  let hello: unknown;
  try {
    hello = decodeFrame(body);
  } catch (error) {
    return { problem: `its first frame does not decode (${(error as Error).message})` };
  }
  const h = (hello ?? {}) as { kind?: unknown; magic?: unknown; protocol?: unknown; version?: unknown; pid?: unknown };
  if (h.kind !== 'hello' || h.magic !== HELLO_MAGIC) return { problem: 'its first frame is not a data-parallel worker\'s hello' };
  if (h.protocol !== PROTOCOL) return { problem: `it speaks protocol ${String(h.protocol)}, not ${PROTOCOL}` };
  if (h.version !== VERSION) return { problem: `it runs verbatim ${String(h.version)}, not ${VERSION}` };
  return Number.isInteger(h.pid) ? { pid: h.pid as number } : {};
}

/** The connections to a fit's port: the workers, in the order they said hello, and everything else, bounded. */
export class Admission {
  readonly workers: JoinedWorker[] = [];
  /** Every open connection, worker or not: none outlives the fit. */
  readonly connections = new Set<Socket>();
  /** Connections yet to say hello, oldest first, with their hello deadlines. */
  private readonly awaiting = new Map<Socket, Timer>();
  /** Refused connections whose refusal is being read, oldest first, with the timer that closes them. */
  private readonly refusing = new Map<Socket, Timer>();
  /** The first REFUSALS_KEPT refusals, for the connect-timeout error and the log; later ones are only counted (a port scan or flood is not kept). */
  private readonly refused: string[] = [];
  private refusedCount = 0;

  /**
   * `headerRoom`: the frame limit of a worker's connection after its hello; `onComplete` runs when
   * `size` workers have said hello.
   */
  constructor(
    private readonly size: number,
    private readonly context: string,
    private readonly helloTimeout: number,
    private readonly headerRoom: number,
    private readonly onComplete: () => void,
  ) {}

  private get complete(): boolean {
    return this.workers.length === this.size;
  }

  private get full(): string {
    return `the fit already has ${this.size} worker${this.size === 1 ? '' : 's'}`;
  }

  accept(socket: Socket): void {
    const name = address(socket);
    this.connections.add(socket);
    let worker: JoinedWorker | undefined;
    const reader = new FrameReader((body) => {
      if (worker) return worker.onFrame?.(body);
      // Frames after a refused first one (in the same chunk) are dropped.
      if (!this.awaiting.has(socket)) return;
      const { problem, pid } = helloProblem(body);
      if (problem) return this.refuse(socket, name, problem);
      this.forget(socket);
      worker = { socket, name, reader, ...(pid === undefined ? {} : { pid }) };
      reader.limit = this.headerRoom;
      this.workers.push(worker);
      if (!this.complete) return;
      for (const other of [...this.awaiting.keys()]) this.refuse(other, address(other), this.full);
      this.onComplete();
    }, HELLO_LIMIT);
    socket.on('data', (chunk: Buffer) => {
      // A refused peer's bytes are dropped: it is being closed.
      if (!worker && !this.awaiting.has(socket)) return;
      try {
        reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      } catch (error) {
        if (!worker) return this.refuse(socket, name, (error as Error).message);
        worker.onEnd?.(`a worker process sent ${(error as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', (error) => worker?.onEnd?.(`a worker process's connection failed (${error.message})`));
    socket.on('close', () => {
      this.connections.delete(socket);
      this.forget(socket);
      worker?.onEnd?.('a worker process closed its connection');
    });
    this.makeRoom();
    if (this.complete) return this.refuse(socket, name, this.full);
    this.awaiting.set(socket, setTimeout(() => this.refuse(socket, name, `no hello within ${this.helloTimeout} s`), this.helloTimeout * 1000));
  }

  /** Below the bound of unidentified connections for one more: the oldest refusal in progress goes first, then the oldest connection awaiting a hello. */
  private makeRoom(): void {
    while (this.awaiting.size + this.refusing.size >= this.size + UNIDENTIFIED_EXTRA) {
      const [oldest] = this.refusing.size > 0 ? this.refusing.keys() : this.awaiting.keys();
      if (this.awaiting.has(oldest!)) this.count(address(oldest!), `the oldest of ${this.size + UNIDENTIFIED_EXTRA} connections awaiting a hello, closed for a newer one`);
      this.forget(oldest!);
      oldest!.destroy();
    }
  }

  private count(name: string, reason: string): void {
    if (++this.refusedCount > REFUSALS_KEPT) return;
    this.refused.push(`${name}: ${reason}`);
    console.warn(`${this.context}: dataParallel: refused a connection from ${name}: ${reason}${this.refusedCount === REFUSALS_KEPT ? ' (later refusals are only counted)' : ''}`);
  }

  private refuse(socket: Socket, name: string, reason: string): void {
    this.count(name, reason);
    this.forget(socket);
    // Our end goes after the refusal (end, not destroy, which could reset the connection before
    // the peer reads it); the peer's close, or the linger timer, closes the socket.
    socket.end(encodeFrame({ kind: 'refused', reason }));
    this.refusing.set(socket, setTimeout(() => socket.destroy(), REFUSAL_LINGER * 1000));
  }

  private forget(socket: Socket): void {
    clearTimeout(this.awaiting.get(socket));
    clearTimeout(this.refusing.get(socket));
    this.awaiting.delete(socket);
    this.refusing.delete(socket);
  }

  /** What the connect-timeout error reports: workers connected, what was refused, connections that said nothing. */
  report(): Record<string, unknown> {
    return {
      connected: this.workers.length,
      ...(this.refused.length ? { refused: this.refused } : {}),
      ...(this.refusedCount > this.refused.length ? { refusedInAll: this.refusedCount } : {}),
      ...(this.awaiting.size ? { silent: this.awaiting.size } : {}),
    };
  }

  /**
   * Closes every connection: closing a worker's is its signal to exit. A socket goes once our end
   * is sent, or after a second if it cannot be (a peer that stopped reading leaves our writes unflushed).
   */
  close(): void {
    for (const socket of this.connections) {
      this.forget(socket);
      const timer = setTimeout(() => socket.destroy(), 1000);
      socket.end(() => {
        clearTimeout(timer);
        socket.destroy();
      });
    }
  }
}
