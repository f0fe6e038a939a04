/**
 * Tensor storage in WebAssembly linear memory. Blocks are 64-byte aligned (SIMD and cache
 * lines); freed blocks go to a free list for their size and are reused first, so a training
 * loop that allocates the same sizes every step keeps memory flat. Memory grows on demand.
 * Blocks are reference-counted so that reshape can share storage without copying.
 */
import { invalid } from '../../errors.js';

const ALIGN = 64;
const PAGE = 65536;

export interface Block {
  readonly ptr: number;
  readonly bytes: number;
  refs: number;
}

export class Allocator {
  private top: number;
  private readonly free = new Map<number, number[]>();
  liveBytes = 0;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  allocate(bytes: number): Block {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const reusable = this.free.get(size);
    let ptr = reusable?.pop();
    if (ptr === undefined) {
      ptr = this.top;
      const needed = ptr + size - this.memory.buffer.byteLength;
      if (needed > 0) {
        try {
          this.memory.grow(Math.ceil(needed / PAGE));
        } catch {
          // Nothing was taken: the allocator stays usable for anything that still fits.
          throw invalid('wasm backend', `Expected WebAssembly memory for ${bytes} more bytes (its limit is 4 GiB; ${this.liveBytes} bytes hold live tensors, ${this.memory.buffer.byteLength} are reserved)`, { bytes });
        }
      }
      this.top = ptr + size;
    }
    this.liveBytes += size;
    return { ptr, bytes: size, refs: 1 };
  }

  release(block: Block): void {
    block.refs--;
    if (block.refs > 0) return;
    let list = this.free.get(block.bytes);
    if (!list) {
      list = [];
      this.free.set(block.bytes, list);
    }
    list.push(block.ptr);
    this.liveBytes -= block.bytes;
  }
}
