// The sandboxes cbox/zlib runs zlib in: made on first use (loadSync compiles the module once and
// caches it) and shared, one per memoryLimit. One-shot calls keep no state between calls, so their
// sandbox is recycled after a large call to give back the memory it grew; streams keep their C
// state in a sandbox of their own kind, which lives as long as some stream uses it.
import { loadSync, type Library } from 'cbox';
import { binding, type ZlibExports } from '../../wasm-modules/zlib.js';

export type ZlibLibrary = Library<ZlibExports>;

/** The memoryLimit when the options name none. */
export const DEFAULT_MEMORY_LIMIT = '256MiB';
/** One-shot sandboxes kept for distinct memoryLimits (the oldest is closed past this). */
const MAX_ONE_SHOT_SANDBOXES = 4;
/** A one-shot call that moved this many bytes leaves its sandbox grown: recycle it. */
const SHRINK_AFTER_BYTES = 32 * 1024 * 1024;

type Limit = number | string | undefined;

function open(memoryLimit: Limit): ZlibLibrary {
  // No warm spare: zlib does not trap on bad input, and a spare would double the idle memory.
  return loadSync(binding, { memoryLimit: memoryLimit ?? DEFAULT_MEMORY_LIMIT, logger: null, spare: false });
}

function keyOf(memoryLimit: Limit): string {
  return memoryLimit === undefined ? '' : `${typeof memoryLimit}:${memoryLimit}`;
}

const oneShot = new Map<string, ZlibLibrary>();

export function oneShotSandbox(memoryLimit: Limit): ZlibLibrary {
  const key = keyOf(memoryLimit);
  let library = oneShot.get(key);
  if (!library) {
    library = open(memoryLimit);
    if (oneShot.size >= MAX_ONE_SHOT_SANDBOXES) {
      const [oldest, old] = oneShot.entries().next().value!;
      oneShot.delete(oldest);
      old.close();
    }
    oneShot.set(key, library);
  }
  return library;
}

/** After a one-shot call: a sandbox that a large call grew starts again small. */
export function afterOneShot(library: ZlibLibrary, bytesMoved: number): void {
  if (bytesMoved >= SHRINK_AFTER_BYTES) library.recycle('cbox/zlib: give back the memory of a large call');
}

interface Shared { readonly library: ZlibLibrary; users: number }
const streaming = new Map<string, Shared>();

/** The sandbox a new stream with this memoryLimit lives in; give it back with releaseStreamSandbox. */
export function acquireStreamSandbox(memoryLimit: Limit): ZlibLibrary {
  const key = keyOf(memoryLimit);
  let shared = streaming.get(key);
  if (!shared) streaming.set(key, shared = { library: open(memoryLimit), users: 0 });
  shared.users++;
  return shared.library;
}

/** A stream is done with its sandbox; one with a non-default limit and no streams left is closed. */
export function releaseStreamSandbox(memoryLimit: Limit): void {
  const key = keyOf(memoryLimit);
  const shared = streaming.get(key);
  if (!shared || --shared.users > 0 || key === '') return;
  streaming.delete(key);
  shared.library.close();
}
