/**
 * Keys are immutable values: a pair of 32-bit words used as a Threefry-2x32 key. Every random
 * number is a pure function of a key and a counter, so consumers derive their own keys by name
 * (foldIn) or by position (split) and never depend on how many numbers anyone else drew.
 *
 * Domains, so that no two derivations ever feed Threefry the same counter under one key:
 *   bits:   word i of the stream is word (i mod 2) of threefry(key, (floor(i / 2), 0))
 *   split:  child i = threefry(key, (i, 1))
 *   foldIn: foldIn(key, d) = threefry(key, (d, 2)), d a uint32; a string is first hashed to
 *           32 bits with FNV-1a over its UTF-8 bytes (offset basis 0x811c9dc5, prime 0x01000193).
 */
import { invalid } from '../errors.js';
import { threefry2x32Into } from './threefry.js';

const DOMAIN_BITS = 0;
const DOMAIN_SPLIT = 1;
const DOMAIN_FOLD = 2;

export class Key {
  readonly words: readonly [number, number];

  constructor(word0: number, word1: number) {
    this.words = Object.freeze([word0 >>> 0, word1 >>> 0]) as readonly [number, number];
    Object.freeze(this);
  }

  equals(other: Key): boolean {
    return this.words[0] === other.words[0] && this.words[1] === other.words[1];
  }

  toString(): string {
    const hex = (w: number) => `0x${w.toString(16).padStart(8, '0')}`;
    return `Key(${hex(this.words[0])}, ${hex(this.words[1])})`;
  }
}

function derive(parent: Key, counter0: number, domain: number): Key {
  const out = new Uint32Array(2);
  threefry2x32Into(parent.words[0], parent.words[1], counter0, domain, out, 0);
  return new Key(out[0]!, out[1]!);
}

export type Seed = number | bigint;

/** A key from an integer seed: the seed's 64-bit two's complement as (high word, low word). */
export function key(seed: Seed): Key {
  let value: bigint;
  if (typeof seed === 'bigint') {
    value = seed;
  } else if (Number.isSafeInteger(seed)) {
    value = BigInt(seed);
  } else {
    throw invalid('random.key', 'Expected seed to be a safe integer or a bigint', { seed });
  }
  const bits = BigInt.asUintN(64, value);
  return new Key(Number(bits >> 32n), Number(bits & 0xffffffffn));
}

export function assertKey(value: unknown, context: string, argument = 'key'): Key {
  if (!(value instanceof Key)) {
    throw invalid(context, `Expected ${argument} to be a Key (from vb.random.key(seed))`, { [argument]: value });
  }
  return value;
}

/** n independent child keys. */
export function split(parent: Key, n = 2): Key[] {
  assertKey(parent, 'random.split');
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw invalid('random.split', 'Expected n to be a non-negative integer below 2^32', { n });
  }
  return Array.from({ length: n }, (_, i) => derive(parent, i, DOMAIN_SPLIT));
}

const utf8 = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of utf8.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export type FoldData = number | string;

function foldWord(data: FoldData): number {
  if (typeof data === 'string') return hashString(data);
  if (!Number.isInteger(data) || data < -0x80000000 || data > 0xffffffff) {
    throw invalid('random.foldIn', 'Expected data to be a string or an integer in [-2^31, 2^32)', { data });
  }
  return data >>> 0;
}

/** The key derived from `parent` and each item of `data` in turn. */
export function foldIn(parent: Key, ...data: FoldData[]): Key {
  assertKey(parent, 'random.foldIn');
  let k = parent;
  for (const item of data) k = derive(k, foldWord(item), DOMAIN_FOLD);
  return k;
}

/**
 * `count` words of the key's bit stream from word `start` (default the first): the same words as
 * randomBits(k, start + count).subarray(start), without drawing those before.
 */
export function randomBits(k: Key, count: number, start = 0): Uint32Array {
  const skip = start % 2;
  const first = (start - skip) / 2;
  const words = skip + count;
  const out = new Uint32Array(words + (words % 2));
  const [w0, w1] = k.words;
  for (let block = 0; 2 * block < words; block++) threefry2x32Into(w0, w1, first + block, DOMAIN_BITS, out, 2 * block);
  return out.subarray(skip, skip + count);
}
