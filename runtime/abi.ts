// cbox's ABI: the manifest's value types, how each lowers to wasm, and the stamp that
// ties a built module to its binding. `cbox build` writes the stamp; `load` checks it.
import { createHash } from 'node:crypto';

export const ABI_VERSION = 1;
export const ABI_SECTION = 'cbox.abi';

export const VALUE_TYPES = ['i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'bool', 'handle', 'bytes', 'string'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
export type ResultType = ValueType | 'void';

export type WasmValType = 'i32' | 'i64' | 'f32' | 'f64';

export interface ExportSignature {
  readonly params: readonly ValueType[];
  readonly paramNames: readonly string[];
  readonly result: ResultType;
}

export interface AbiStamp {
  readonly abi: number;
  readonly name: string;
  /** sha256 over the ABI version and the export signatures (names of parameters excluded). */
  readonly hash: string;
  readonly exports: Readonly<Record<string, ExportSignature>>;
  /** Default memory limit in bytes when the caller gives none. */
  readonly memoryMaximum: number;
  readonly stackSize: number;
  readonly arenaSize: number;
  /** Built with strict mode: NULL and near-NULL accesses trap. */
  readonly strict: boolean;
  /** Built with `cbox build --metered`: imports cbox.meter, so deadlines and fuel work on the
   * main thread. Absent in stamps written before metering existed (= false). */
  readonly metered?: boolean;
  /** Exports also built into the native (N-API) addon. */
  readonly native: readonly string[];
  /** Exports the manifest allows to leave the sandbox when the native path is faster. */
  readonly trusted: readonly string[];
}

/** Names a C export may not take: they are the control surface of a loaded library. */
export const RESERVED_EXPORT_NAMES: ReadonlySet<string> = new Set([
  'stats', 'recycle', 'reload', 'close', 'on', 'off', 'generation', 'name', 'stamp', 'engine',
  'sandbox', 'with', 'then', 'constructor', 'prototype', '__proto__', 'toString', 'valueOf', 'memory',
]);

export function isValueType(type: string): type is ValueType {
  return (VALUE_TYPES as readonly string[]).includes(type);
}

/** The wasm parameter list of a C function with this signature, as cbox.h lays it out. */
export function lowerParams(signature: Pick<ExportSignature, 'params' | 'result'>): WasmValType[] {
  const lowered: WasmValType[] = [];
  for (const type of signature.params) {
    if (type === 'bytes') lowered.push('i32', 'i32');
    else lowered.push(lowerScalar(type));
  }
  if (returnsBuffer(signature.result)) lowered.push('i32');
  return lowered;
}

export function lowerResult(result: ResultType): WasmValType[] {
  if (result === 'void' || returnsBuffer(result)) return [];
  return [lowerScalar(result)];
}

export function returnsBuffer(result: ResultType): result is 'bytes' | 'string' {
  return result === 'bytes' || result === 'string';
}

function lowerScalar(type: Exclude<ValueType, 'bytes'>): WasmValType {
  switch (type) {
    case 'i64': case 'u64': return 'i64';
    case 'f32': return 'f32';
    case 'f64': return 'f64';
    default: return 'i32';
  }
}

export function abiHash(exports: Readonly<Record<string, ExportSignature>>): string {
  const canonical = Object.keys(exports).sort().map((name) => {
    const { params, result } = exports[name]!;
    return `${name}(${params.join(',')})${result}`;
  });
  return createHash('sha256').update(`cbox-abi-${ABI_VERSION}\n${canonical.join('\n')}`).digest('hex');
}

export function describeSignature(name: string, signature: Pick<ExportSignature, 'params' | 'result'>): string {
  return `${name}(${signature.params.join(', ')}) -> ${signature.result}`;
}
