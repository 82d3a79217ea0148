// The sandboxes cbox/zlib runs zlib in: made on first use (loadSync compiles the module once and
// caches it) and shared, per memoryLimit. One-shot calls keep no state between calls, so their
// sandbox is recycled after a large call to give back the memory it grew; streams keep their C
// state in sandboxes of their own, as many as their number needs (memoryLimit caps each one), each
// living as long as some stream uses it.
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

interface Shared { readonly key: string; readonly library: ZlibLibrary; users: number }
/** Per memoryLimit, the sandboxes streams live in, newest last. */
const streaming = new Map<string, Shared[]>();
const sharedOf = new Map<ZlibLibrary, Shared>();

/**
 * The sandbox a new stream with this memoryLimit goes into: the newest one, or with `fresh` a new
 * one (when the newest had no room left for another stream). Give it back with releaseStreamSandbox.
 */
export function acquireStreamSandbox(memoryLimit: Limit, fresh = false): ZlibLibrary {
  const key = keyOf(memoryLimit);
  const list = streaming.get(key) ?? [];
  streaming.set(key, list);
  let shared = fresh ? undefined : list.at(-1);
  if (!shared) {
    shared = { key, library: open(memoryLimit), users: 0 };
    list.push(shared);
    sharedOf.set(shared.library, shared);
  }
  shared.users++;
  return shared.library;
}

/** Streams in this sandbox (the one asking included). */
export function streamsIn(library: ZlibLibrary): number {
  return sharedOf.get(library)?.users ?? 0;
}

/** A stream is done with its sandbox. One left without streams is closed, except the last of the default limit. */
export function releaseStreamSandbox(library: ZlibLibrary): void {
  const shared = sharedOf.get(library);
  if (!shared || --shared.users > 0) return;
  const list = streaming.get(shared.key)!;
  if (shared.key === '' && list.length === 1) return;
  list.splice(list.indexOf(shared), 1);
  if (list.length === 0) streaming.delete(shared.key);
  sharedOf.delete(library);
  library.close();
}
