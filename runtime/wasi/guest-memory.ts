// Bounds-checked access to the guest's linear memory. Every pointer and length comes from the
// guest and is untrusted: one that leaves the memory is EFAULT, never a host RangeError.
// The memory may grow during any call, which detaches the old ArrayBuffer, so views are
// re-made whenever memory.buffer is a different object (cheap: one identity check per access).
import { IOVEC_SIZE } from './abi.js';
import { Errno, WasiErrnoError } from './errno.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;
  #buffer: ArrayBuffer | undefined;
  #bytes = new Uint8Array(0);
  #view = new DataView(this.#bytes.buffer);

  bind(memory: WebAssembly.Memory): void {
    this.#memory = memory;
    this.#buffer = undefined;
  }

  #refresh(): void {
    if (!this.#memory) throw new Error('the WASI host was called before bind(memory)');
    const buffer = this.#memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#bytes = new Uint8Array(buffer);
      this.#view = new DataView(buffer);
    }
  }

  /**
   * The start of `size` in-bounds bytes at `pointer`: a guest u32, which JS sees as a negative
   * number above 2 GiB. Host code adds field offsets only inside a range it already checked,
   * so a sum past 2^32 is a fault here, never a wrap to a low address.
   */
  #at(pointer: number, size: number): number {
    this.#refresh();
    if (!Number.isInteger(pointer) || pointer < -0x8000_0000 || pointer >= 0x1_0000_0000) throw new WasiErrnoError(Errno.FAULT);
    const start = pointer >>> 0;
    if (start + size > this.#bytes.byteLength) throw new WasiErrnoError(Errno.FAULT);
    return start;
  }

  /** A live view of guest bytes; valid until the guest runs again (it may grow the memory). */
  bytes(pointer: number, length: number): Uint8Array {
    const size = length >>> 0;
    const start = this.#at(pointer, size);
    return this.#bytes.subarray(start, start + size);
  }

  // Each accessor checks (and refreshes the views) before touching #view: in
  // `this.#view.get…(this.#at(…))` the view would be read before #at could refresh it.
  u8(pointer: number): number {
    const at = this.#at(pointer, 1);
    return this.#view.getUint8(at);
  }

  u16(pointer: number): number {
    const at = this.#at(pointer, 2);
    return this.#view.getUint16(at, true);
  }

  u32(pointer: number): number {
    const at = this.#at(pointer, 4);
    return this.#view.getUint32(at, true);
  }

  u64(pointer: number): bigint {
    const at = this.#at(pointer, 8);
    return this.#view.getBigUint64(at, true);
  }

  setU8(pointer: number, value: number): void {
    const at = this.#at(pointer, 1);
    this.#view.setUint8(at, value);
  }

  setU16(pointer: number, value: number): void {
    const at = this.#at(pointer, 2);
    this.#view.setUint16(at, value, true);
  }

  setU32(pointer: number, value: number): void {
    const at = this.#at(pointer, 4);
    this.#view.setUint32(at, value, true);
  }

  setU64(pointer: number, value: bigint | number): void {
    const at = this.#at(pointer, 8);
    this.#view.setBigUint64(at, BigInt.asUintN(64, BigInt(value)), true);
  }

  /** A guest string given as pointer + length (WASI paths are not NUL-terminated). */
  string(pointer: number, length: number): string {
    const bytes = this.bytes(pointer, length);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new WasiErrnoError(Errno.ILSEQ);
    }
  }

  /** The buffers an iovec/ciovec array points at, each bounds-checked. */
  iovecs(pointer: number, count: number): Uint8Array[] {
    const table = this.#at(pointer, (count >>> 0) * IOVEC_SIZE);
    const buffers: Uint8Array[] = [];
    for (let index = 0; index < count >>> 0; index++) {
      const entry = table + index * IOVEC_SIZE;
      buffers.push(this.bytes(this.u32(entry), this.u32(entry + 4)));
    }
    return buffers;
  }
}
