// What a failed call into the zlib sandbox means for a node:zlib user: the glue's code (read with
// last_error) picks node's error; running out of sandbox memory is ZlibMemoryLimitError.
import { constants } from 'node:zlib';
import { CboxCallError, CboxError } from 'cbox';
import { BufferTooLargeError, ZlibError, ZlibMemoryLimitError } from './errors.js';
import type { ZlibLibrary } from './sandboxes.js';

/** zlib_glue.c's code for "more than maxOutput bytes". */
const OUTPUT_TOO_LARGE = 100;

export function memoryLimitError(library: ZlibLibrary): ZlibMemoryLimitError {
  const bytes = library.stats().memory.limit;
  return new ZlibMemoryLimitError(bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`);
}

export function engineFailure(library: ZlibLibrary, error: unknown, maxOutputLength: number): unknown {
  if (error instanceof CboxCallError && error.code === 'call-failed') {
    const code = library.last_error();
    if (code === OUTPUT_TOO_LARGE) return new BufferTooLargeError(maxOutputLength);
    if (code === constants.Z_MEM_ERROR) return memoryLimitError(library);
    return new ZlibError(error.detail, code);
  }
  // Arguments that do not fit in the sandbox memory at all.
  if (error instanceof CboxError && error.code === 'arena-full') return memoryLimitError(library);
  return error;
}
