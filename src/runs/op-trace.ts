/**
 * Op digests of one training step (`verbatim run --trace ops`): every primitive's output, in
 * the order run, as op name, shape, dtype, the SHA-256 of its bytes and the call site (the first
 * stack frame outside the engine, ops and tensor code: the layer, loss or optimizer line). Two
 * runs' lists, compared in order, name the first op whose output differs.
 */
import { ENGINE } from '../engine/engine.js';
import type { Tensor } from '../tensor/tensor.js';
import { Sha256 } from '../util/sha256.js';

export interface OpRecord {
  index: number;
  op: string;
  shape: number[];
  dtype: string;
  digest: string;
  site: string;
}

export interface OpTrace {
  /** Stops recording and returns the ops seen. */
  stop(): OpRecord[];
}

const INTERNAL = /[\\/](engine|ops|tensor|autograd|backends|util|runs)[\\/]|node:internal|^native/;

function callSite(stack: string): string {
  for (const line of stack.split('\n').slice(2)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m || INTERNAL.test(m[1]!)) continue;
    const fn = /^at (\S+) \(/.exec(line.trim())?.[1];
    return `${fn ? `${fn} ` : ''}${m[1]!.replace(/^file:\/\//, '')}:${m[2]}`;
  }
  return 'unknown';
}

export function startOpTrace(): OpTrace {
  const ops: OpRecord[] = [];
  const previous = ENGINE.opObserver;
  ENGINE.opObserver = (op: string, output: Tensor) => {
    const bytes = new Uint8Array(output.dataSync().slice().buffer);
    ops.push({
      index: ops.length, op, shape: [...output.shape], dtype: output.dtype,
      digest: new Sha256().update(bytes).hex().slice(0, 32), site: callSite(new Error().stack ?? ''),
    });
  };
  let stopped = false;
  return {
    stop() {
      if (!stopped) ENGINE.opObserver = previous;
      stopped = true;
      return ops;
    },
  };
}

/** The first op whose output (or op, shape, dtype) differs between two traces, as a sentence. */
export function firstDivergentOp(a: readonly OpRecord[], b: readonly OpRecord[]): string | undefined {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.digest === y.digest && x.op === y.op && JSON.stringify(x.shape) === JSON.stringify(y.shape)) continue;
    const what = x.op !== y.op || JSON.stringify(x.shape) !== JSON.stringify(y.shape) ? `different ops: ${x.op} ${JSON.stringify(x.shape)} and ${y.op} ${JSON.stringify(y.shape)}` : 'output differs';
    return `op #${i} of the first step, ${x.op} ${JSON.stringify(x.shape)} ${x.dtype} at ${x.site}: ${what}`;
  }
  if (a.length !== b.length) return `the first step ran ${a.length} and ${b.length} ops`;
  return undefined;
}
