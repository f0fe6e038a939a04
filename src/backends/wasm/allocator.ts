/**
 * Tensor storage in WebAssembly linear memory. Blocks are 64-byte aligned (SIMD and cache
 * lines). Freed blocks join an address-ordered free list and merge with free neighbours; an
 * allocation takes the smallest free block that fits (the lowest address among equals) and
 * returns the rest to the list, so a training loop that allocates the same sizes every step keeps
 * memory flat, and memory freed by tensors of other sizes is reused rather than left behind.
 * Memory grows on demand (a free block at the top grows with it). Blocks are reference-counted so
 * that reshape can share storage without copying. Where a tensor lives never changes its values.
 */
import { invalid } from '../../errors.js';

const ALIGN = 64;
const PAGE = 65536;

export interface Block {
  readonly ptr: number;
  readonly bytes: number;
  refs: number;
}

interface FreeBlock {
  ptr: number;
  bytes: number;
}

export class Allocator {
  /** The end of the memory handed out so far; everything above is untouched. */
  private top: number;
  /** Free blocks below top, by address, never adjacent (neighbours are merged). */
  private readonly free: FreeBlock[] = [];
  liveBytes = 0;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  allocate(bytes: number): Block {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const ptr = this.takeFree(size) ?? this.takeTop(size, bytes);
    this.liveBytes += size;
    return { ptr, bytes: size, refs: 1 };
  }

  release(block: Block): void {
    block.refs--;
    if (block.refs > 0) return;
    this.liveBytes -= block.bytes;
    let start = block.ptr;
    let end = block.ptr + block.bytes;
    const i = this.insertionIndex(start);
    // Merge with the free neighbours on either side.
    const before = this.free[i - 1];
    const after = this.free[i];
    let from = i;
    let count = 0;
    if (before && before.ptr + before.bytes === start) {
      start = before.ptr;
      from = i - 1;
      count++;
    }
    if (after && after.ptr === end) {
      end = after.ptr + after.bytes;
      count++;
    }
    if (end === this.top) {
      this.free.splice(from, count);
      this.top = start;
    } else {
      this.free.splice(from, count, { ptr: start, bytes: end - start });
    }
  }

  /** The best-fitting free block for `size` bytes (split if larger), or undefined. */
  private takeFree(size: number): number | undefined {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!.bytes;
      if (b >= size && (best < 0 || b < this.free[best]!.bytes)) {
        best = i;
        if (b === size) break;
      }
    }
    if (best < 0) return undefined;
    const block = this.free[best]!;
    const ptr = block.ptr;
    if (block.bytes === size) this.free.splice(best, 1);
    else {
      block.ptr += size;
      block.bytes -= size;
    }
    return ptr;
  }

  /** `size` bytes at the top, growing the memory if needed; nothing changes if it cannot grow. */
  private takeTop(size: number, requested: number): number {
    const ptr = this.top;
    const needed = ptr + size - this.memory.buffer.byteLength;
    if (needed > 0) {
      try {
        this.memory.grow(Math.ceil(needed / PAGE));
      } catch {
        // Nothing was taken: the allocator stays usable for anything that still fits.
        throw invalid('wasm backend', `Expected WebAssembly memory for ${requested} more bytes (its limit is 4 GiB; ${this.liveBytes} bytes hold live tensors, ${this.memory.buffer.byteLength} are reserved)`, { bytes: requested });
      }
    }
    this.top = ptr + size;
    return ptr;
  }

  /** The index of the first free block at or above `ptr` (binary search). */
  private insertionIndex(ptr: number): number {
    let lo = 0;
    let hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.free[mid]!.ptr < ptr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
