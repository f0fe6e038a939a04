/**
 * Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11): a keyed bijection on 64-bit counters. Only 32-bit additions, rotations and xors, so
 * every engine computes the same bits.
 */

const KEY_SCHEDULE_PARITY = 0x1bd11bda;

/** Four rounds with rotations r0..r3: x0 += x1; x1 = rotl(x1, r) ^ x0. */
function rounds(x: Uint32Array, r0: number, r1: number, r2: number, r3: number): void {
  let x0 = x[0]!;
  let x1 = x[1]!;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << r0) | (x1 >>> (32 - r0))) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << r1) | (x1 >>> (32 - r1))) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << r2) | (x1 >>> (32 - r2))) ^ x0;
  x0 = (x0 + x1) >>> 0; x1 = ((x1 << r3) | (x1 >>> (32 - r3))) ^ x0;
  x[0] = x0;
  x[1] = x1;
}

const state = new Uint32Array(2);

/**
 * Encrypts counter (c0, c1) under key (k0, k1); writes the two output words into out[at],
 * out[at + 1]. 20 rounds with the rotations 13 15 26 6 | 17 29 16 24, the key injected after
 * every 4 rounds: injection s adds ks[s mod 3] and ks[(s + 1) mod 3] + s, ks[2] = k0 ^ k1 ^ parity.
 */
export function threefry2x32Into(
  k0: number, k1: number, c0: number, c1: number, out: Uint32Array, at: number,
): void {
  const ks0 = k0 >>> 0;
  const ks1 = k1 >>> 0;
  const ks2 = (k0 ^ k1 ^ KEY_SCHEDULE_PARITY) >>> 0;
  const x = state;
  x[0] = c0 + ks0;
  x[1] = c1 + ks1;
  rounds(x, 13, 15, 26, 6); x[0] += ks1; x[1] += ks2 + 1;
  rounds(x, 17, 29, 16, 24); x[0] += ks2; x[1] += ks0 + 2;
  rounds(x, 13, 15, 26, 6); x[0] += ks0; x[1] += ks1 + 3;
  rounds(x, 17, 29, 16, 24); x[0] += ks1; x[1] += ks2 + 4;
  rounds(x, 13, 15, 26, 6); x[0] += ks2; x[1] += ks0 + 5;
  out[at] = x[0]!;
  out[at + 1] = x[1]!;
}

export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const out = new Uint32Array(2);
  threefry2x32Into(k0, k1, c0, c1, out, 0);
  return [out[0]!, out[1]!];
}
