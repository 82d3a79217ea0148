// What the cbox host gives a module, in one table: the build's import check, the load-time import
// check and the instantiation all read it, so a module `cbox build` accepts is one `load` links,
// and nothing links that the host does not provide.
import { callbackSlots, type AbiStamp } from './abi.js';
import { CALLBACK_IMPORT_MODULE, lowerCallback } from './callback-type.js';
import { CboxLoadError } from './errors.js';
import { WASM_PAGE } from './sizes.js';
import { METER_IMPORT_MODULE, METER_IMPORT_NAME } from './metering/abi.js';
import type { ExternKind, FunctionType, ImportEntry, MemoryType } from './wasm-inspect.js';
import { WASI_FUNCTIONS, WASI_MODULE, type WasiPreview1Imports } from './wasi/preview1.js';

export interface HostImport { readonly module: string; readonly name: string; readonly kind: ExternKind }

/** The linear memory: imported, so that the host sets its limit. */
export const MEMORY_IMPORT: HostImport = { module: 'env', name: 'memory', kind: 'memory' };

/** What every cbox host provides: the memory and every wasi_snapshot_preview1 function. */
const HOST_IMPORTS: readonly HostImport[] = [
  MEMORY_IMPORT,
  ...[...WASI_FUNCTIONS].map((name): HostImport => ({ module: WASI_MODULE, name, kind: 'function' })),
];

/** Imports the host provides only to modules whose stamp asks for them, keyed on a stamp field. */
interface OptionalImport extends HostImport { readonly when: (stamp: AbiStamp) => boolean }
const OPTIONAL_IMPORTS: readonly OptionalImport[] = [
  // `cbox build --metered`: the meter the module calls when its fuel runs out (runtime/metering/).
  { module: METER_IMPORT_MODULE, name: METER_IMPORT_NAME, kind: 'function', when: (stamp) => stamp.metered === true },
];

function keyOf(entry: HostImport): string {
  return `${entry.module}\0${entry.name}\0${entry.kind}`;
}

const BASE_KEYS: ReadonlySet<string> = new Set(HOST_IMPORTS.map(keyOf));

/** Whether the host provides this import to a module with this stamp. */
function provides(entry: HostImport, stamp: AbiStamp): boolean {
  const key = keyOf(entry);
  return BASE_KEYS.has(key) || OPTIONAL_IMPORTS.some((optional) => keyOf(optional) === key && optional.when(stamp));
}

/**
 * The imports of a module the host would not satisfy (empty: it links): anything not in the host's
 * table for this stamp, and the memory imported more than once.
 */
export function unprovidedImports(imports: readonly ImportEntry[], stamp: AbiStamp): ImportEntry[] {
  const memoryKey = keyOf(MEMORY_IMPORT);
  const memories = imports.filter((entry) => keyOf(entry) === memoryKey).length;
  const callbacks = callbackSlots(stamp).map((slot) => lowerCallback(slot.signature));
  return imports.filter((entry) => !(provides(entry, stamp) || isCallbackImport(entry, callbacks)) || (keyOf(entry) === memoryKey && memories > 1));
}

/** cbox_callback.<n>: slot n of the stamp's callbacks, imported with exactly its wasm type (callbacks.ts). */
function isCallbackImport(entry: ImportEntry, callbacks: readonly FunctionType[]): boolean {
  if (entry.module !== CALLBACK_IMPORT_MODULE || entry.kind !== 'function' || !/^(0|[1-9][0-9]{0,3})$/.test(entry.name)) return false;
  const expected = callbacks[Number(entry.name)];
  return expected !== undefined && entry.type !== undefined
    && entry.type.params.join() === expected.params.join() && entry.type.results.join() === expected.results.join();
}

export function describeImport(entry: HostImport): string {
  return `${entry.module}.${entry.name} (${entry.kind})`;
}

/**
 * The memory descriptor for one instance: the module's declared minimum, growing to the limit, and
 * never above the module's own declared maximum (an import above it would not link; a lower cap
 * is still within what the user allowed). CboxLoadError 'memory-limit' when the module needs more
 * to start than the limit gives.
 */
export function memoryDescriptor(declared: MemoryType, limitBytes: number, name: string): WebAssembly.MemoryDescriptor {
  const limitPages = Math.floor(limitBytes / WASM_PAGE);
  const maximum = declared.maxPages === null ? limitPages : Math.min(limitPages, declared.maxPages);
  if (declared.minPages > maximum) {
    throw new CboxLoadError('memory-limit', `${name}: the module needs ${declared.minPages} pages of memory to start, the limit allows ${maximum}`);
  }
  return { initial: declared.minPages, maximum };
}

/**
 * The import object of one instance: the memory, the instance's WASI host, and the optional
 * imports its stamp asked for (a metered module: its InstanceMeter's imports).
 */
export function linkImports(memory: WebAssembly.Memory, wasi: WasiPreview1Imports, optional: WebAssembly.Imports = {}): WebAssembly.Imports {
  return { ...optional, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory }, [WASI_MODULE]: wasi };
}
