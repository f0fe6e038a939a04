/**
 * The lines the run recorder writes per epoch, put together directly, and the float32 bits every
 * recorded metric and value carries.
 */
import type { Logs } from '../models/callbacks.js';

const BITS = new DataView(new ArrayBuffer(4));

export function float32Bits(value: number): string {
  // One NaN (NUMERICS.md): a NaN metric is recorded as the canonical NaN, whatever bits the engine gave it.
  if (value !== value) return '7fc00000';
  BITS.setFloat32(0, value);
  return BITS.getUint32(0).toString(16).padStart(8, '0');
}

/**
 * One line of epochs.jsonl: the bytes JSON.stringify gives {fit, epoch, logs, logBits, digest,
 * layers?} with non-finite metrics as strings (as jsonNumber writes them), put together directly
 * (a line per epoch: the objects the generic way allocates cost more than the line itself).
 */
export function epochLine(fit: number, epoch: number, logs: Logs, digest: string, layers: Record<string, string> | undefined): string {
  let values = '';
  let bits = '';
  for (const key in logs) {
    const value = logs[key]!;
    const name = JSON.stringify(key);
    // A finite number's JSON is its string (JSON.stringify(-0) and String(-0) are both "0").
    values += `${values ? ',' : ''}${name}:${Number.isFinite(value) ? String(value) : `"${value}"`}`;
    bits += `${bits ? ',' : ''}${name}:"${float32Bits(value)}"`;
  }
  return `{"fit":${fit},"epoch":${epoch},"logs":{${values}},"logBits":{${bits}},"digest":"${digest}"${layers ? `,"layers":${JSON.stringify(layers)}` : ''}}\n`;
}
