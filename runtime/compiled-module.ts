// Loading a module: bytes from a path, URL, binding or buffer; compiled once and cached; then
// checked against everything the host and the binding expect, so a mismatch is refused at load
// (the 32-bit-DLL-in-a-64-bit-process lesson) instead of failing inside a call.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  ABI_SECTION, ABI_VERSION, abiHash, describeSignature, lowerParams, lowerResult, type AbiStamp,
} from './abi.js';
import type { Binding } from './binding.js';
import { CboxLoadError } from './errors.js';
import { inspectModule, WasmFormatError, type FunctionType, type MemoryType } from './wasm-inspect.js';
import { WASI_FUNCTIONS } from './wasi/host.js';

export interface CompiledModule {
  readonly module: WebAssembly.Module;
  readonly stamp: AbiStamp;
  readonly memory: MemoryType;
  readonly sha256: string;
  /** Where it came from, for messages. */
  readonly origin: string;
}

export type ModuleSource = string | URL | Uint8Array | ArrayBuffer | Binding<any>;

const RUNTIME_EXPORTS: Record<string, string> = {
  _initialize: 'function', cbox_arena_header: 'function', cbox_arena_release: 'function', cbox_alloc: 'function', __stack_pointer: 'global',
};

const cache = new Map<string, Promise<CompiledModule>>();

function pathOf(source: string | URL): string {
  return source instanceof URL || source.startsWith('file:') ? fileURLToPath(source) : source;
}

async function readSource(source: ModuleSource): Promise<{ bytes: Uint8Array; origin: string; key: string | null }> {
  if (source instanceof Uint8Array) return { bytes: source, origin: `<${source.byteLength} bytes>`, key: null };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), origin: `<${source.byteLength} bytes>`, key: null };
  const file = pathOf(typeof source === 'string' || source instanceof URL ? source : source.wasm);
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw new CboxLoadError('not-found', `cannot read module ${file}: ${(error as Error).message}`, { cause: error });
  }
  const key = `${file}\0${info.size}\0${info.mtimeMs}`;
  return { bytes: new Uint8Array(await readFile(file)), origin: file, key };
}

/** Compiles (once per file version / byte content) and checks a module; binding optional. */
export async function compileModule(source: ModuleSource, binding?: Binding<any>): Promise<CompiledModule> {
  const { bytes, origin, key } = await readSource(source);
  const cacheKey = key ?? createHash('sha256').update(bytes).digest('hex');
  let compiled = cache.get(cacheKey);
  if (!compiled) {
    compiled = compileChecked(bytes, origin);
    cache.set(cacheKey, compiled);
    compiled.catch(() => cache.delete(cacheKey));
  }
  const result = await compiled;
  if (binding) checkBinding(result, binding.stamp);
  return result;
}

async function compileChecked(bytes: Uint8Array, origin: string): Promise<CompiledModule> {
  let shape;
  try {
    shape = inspectModule(bytes);
  } catch (error) {
    const code = /truncated/.test((error as Error).message) ? 'truncated' : 'not-wasm';
    throw new CboxLoadError(code, `${origin}: ${(error as WasmFormatError).message}`, { cause: error });
  }
  const memories = shape.imports.filter((entry) => entry.kind === 'memory');
  const memory = memories[0]?.memory;
  if (!memory) {
    const exportsMemory = shape.exports.some((entry) => entry.kind === 'memory');
    throw new CboxLoadError('memory-not-imported', `${origin}: the module ${exportsMemory ? 'defines its own memory' : 'has no memory'}; cbox modules import env.memory so the host can set the limit (rebuild with \`cbox build\`)`);
  }
  if (memory.memory64) throw new CboxLoadError('memory64', `${origin}: the module uses 64-bit memory (memory64); cbox runs wasm32 modules only`);
  if (memory.shared) throw new CboxLoadError('shared-memory', `${origin}: the module imports a shared memory; cbox sandboxes are single-threaded wasm32`);
  const foreign = shape.imports.filter((entry) => !(
    (entry.kind === 'memory' && entry.module === 'env' && entry.name === 'memory' && memories.length === 1)
    || (entry.kind === 'function' && entry.module === 'wasi_snapshot_preview1' && WASI_FUNCTIONS.has(entry.name))));
  if (foreign.length > 0) {
    throw new CboxLoadError('unknown-import', `${origin}: imports what the cbox host does not provide: ${foreign.map((entry) => `${entry.module}.${entry.name} (${entry.kind})`).join(', ')}`);
  }

  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new CboxLoadError('invalid-wasm', `${origin}: not a valid WebAssembly module: ${(error as Error).message}`, { cause: error });
  }

  const sections = WebAssembly.Module.customSections(module, ABI_SECTION);
  if (sections.length !== 1) throw new CboxLoadError('no-abi-stamp', `${origin}: no ${ABI_SECTION} section: the module was not built by \`cbox build\` (or the stamp was stripped)`);
  let stamp: AbiStamp;
  try {
    stamp = JSON.parse(new TextDecoder().decode(sections[0])) as AbiStamp;
  } catch (error) {
    throw new CboxLoadError('abi-stamp-corrupt', `${origin}: the ABI stamp is not readable JSON`, { cause: error });
  }
  if (stamp.abi !== ABI_VERSION) throw new CboxLoadError('abi-version', `${origin}: built for cbox ABI ${stamp.abi}, this runtime speaks ABI ${ABI_VERSION}: rebuild it with this cbox`);
  if (typeof stamp.exports !== 'object' || abiHash(stamp.exports) !== stamp.hash) {
    throw new CboxLoadError('abi-stamp-corrupt', `${origin}: the ABI stamp's hash does not match its export list (edited or corrupt)`);
  }

  const exports = new Map(shape.exports.map((entry) => [entry.name, entry]));
  for (const [name, kind] of Object.entries(RUNTIME_EXPORTS)) {
    if (exports.get(name)?.kind !== kind) throw new CboxLoadError('missing-export', `${origin}: lacks the cbox runtime export ${name}: rebuild with \`cbox build\``);
  }
  for (const [name, signature] of Object.entries(stamp.exports)) {
    const entry = exports.get(name);
    if (!entry || entry.kind !== 'function') throw new CboxLoadError('missing-export', `${origin}: the binding expects an export ${describeSignature(name, signature)} that the module does not have`);
    const expected: FunctionType = { params: lowerParams(signature), results: lowerResult(signature.result) };
    if (!entry.type || !sameType(entry.type, expected)) {
      throw new CboxLoadError('signature-mismatch', `${origin}: ${name} has wasm type ${formatType(entry.type)} but ${describeSignature(name, signature)} needs ${formatType(expected)}`);
    }
  }
  return { module, stamp, memory, sha256: createHash('sha256').update(bytes).digest('hex'), origin };
}

function sameType(a: FunctionType, b: FunctionType): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}

function formatType(type: FunctionType | undefined): string {
  return type ? `(${type.params.join(', ')}) -> (${type.results.join(', ')})` : '(unknown)';
}

/** The binding a user holds must describe exactly the module being loaded. */
export function checkBinding(compiled: CompiledModule, expected: AbiStamp): void {
  const actual = compiled.stamp;
  if (actual.hash === expected.hash && actual.name === expected.name) return;
  const differences: string[] = [];
  if (actual.name !== expected.name) differences.push(`library name: binding says ${expected.name}, module says ${actual.name}`);
  for (const name of new Set([...Object.keys(expected.exports), ...Object.keys(actual.exports)])) {
    const want = expected.exports[name];
    const have = actual.exports[name];
    if (!have) differences.push(`${name}: in the binding, not in the module`);
    else if (!want) differences.push(`${name}: in the module, not in the binding`);
    else if (describeSignature(name, want) !== describeSignature(name, have)) differences.push(`${name}: binding ${describeSignature(name, want)}, module ${describeSignature(name, have)}`);
  }
  throw new CboxLoadError('abi-mismatch', `${compiled.origin}: the module's ABI (${actual.hash.slice(0, 12)}) differs from its binding's (${expected.hash.slice(0, 12)}):\n  ${differences.join('\n  ')}\nRebuild the module and its binding together with \`cbox build\`.`);
}
