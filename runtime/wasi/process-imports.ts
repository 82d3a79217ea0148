// argv, environment, randomness, exit and the other process-level preview1 calls.
import { getRandomValues } from 'node:crypto';
import type { WasiContext } from './context.js';
import { Errno, WasiErrnoError } from './errno.js';
import { WasiExit } from './exit.js';
import type { GuestMemory } from './guest-memory.js';
import type { Preview1Handlers } from './preview1.js';

/** getRandomValues refuses more than this many bytes per call. */
const RANDOM_CHUNK = 65536;

export function processImports({ memory, options }: WasiContext) {
  return {
    args_sizes_get(countOut, sizeOut) {
      writeListSizes(memory, options.args, countOut, sizeOut);
    },
    args_get(pointersOut, bufferOut) {
      writeList(memory, options.args, pointersOut, bufferOut);
    },
    environ_sizes_get(countOut, sizeOut) {
      writeListSizes(memory, options.env, countOut, sizeOut);
    },
    environ_get(pointersOut, bufferOut) {
      writeList(memory, options.env, pointersOut, bufferOut);
    },
    random_get(buf, length) {
      if (!options.random) throw new WasiErrnoError(Errno.NOTCAPABLE);
      const target = memory.bytes(buf, length);
      for (let start = 0; start < target.length; start += RANDOM_CHUNK) {
        getRandomValues(target.subarray(start, start + RANDOM_CHUNK));
      }
    },
    proc_exit(code): never {
      throw new WasiExit(code >>> 0);
    },
    // Signals do not exist in the sandbox; wasi-libc's raise() never calls this.
    proc_raise() {
      throw new WasiErrnoError(Errno.NOSYS);
    },
    // The guest is the only thread of its sandbox: nothing to yield to.
    sched_yield() {},
  } satisfies Partial<Preview1Handlers>;
}

function writeListSizes(memory: GuestMemory, list: readonly Uint8Array[], countOut: number, sizeOut: number): void {
  memory.setU32(countOut, list.length);
  memory.setU32(sizeOut, list.reduce((total, item) => total + item.length, 0));
}

/** The guest sized both buffers with *_sizes_get; both are still bounds-checked before writing. */
function writeList(memory: GuestMemory, list: readonly Uint8Array[], pointersOut: number, bufferOut: number): void {
  memory.bytes(pointersOut, list.length * 4);
  const buffer = memory.bytes(bufferOut, list.reduce((total, item) => total + item.length, 0));
  let offset = 0;
  list.forEach((item, index) => {
    buffer.set(item, offset);
    memory.setU32(pointersOut + index * 4, (bufferOut >>> 0) + offset);
    offset += item.length;
  });
}
