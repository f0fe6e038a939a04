/**
 * Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11): a keyed bijection on 64-bit counters. Only 32-bit additions, rotations and xors, so
 * every engine computes the same bits.
 */

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];
const KEY_SCHEDULE_PARITY = 0x1bd11bda;

function rotl32(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** Encrypts counter (c0, c1) under key (k0, k1); writes the two output words into out[at], out[at + 1]. */
export function threefry2x32Into(
  k0: number, k1: number, c0: number, c1: number, out: Uint32Array, at: number,
): void {
  const k2 = (k0 ^ k1 ^ KEY_SCHEDULE_PARITY) >>> 0;
  const keys = [k0 >>> 0, k1 >>> 0, k2];
  let x0 = (c0 + k0) >>> 0;
  let x1 = (c1 + k1) >>> 0;
  for (let round = 0; round < 20; round++) {
    x0 = (x0 + x1) >>> 0;
    x1 = rotl32(x1, ROTATIONS[round % 8]!) ^ x0;
    if (round % 4 === 3) {
      const injection = (round + 1) / 4;
      x0 = (x0 + keys[injection % 3]!) >>> 0;
      x1 = (x1 + keys[(injection + 1) % 3]! + injection) >>> 0;
    }
  }
  out[at] = x0;
  out[at + 1] = x1 >>> 0;
}

export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const out = new Uint32Array(2);
  threefry2x32Into(k0, k1, c0, c1, out, 0);
  return [out[0]!, out[1]!];
}
