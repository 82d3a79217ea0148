// cbox's ABI: the manifest's value types, how each lowers to wasm, and the stamp that
// ties a built module to its binding. `cbox build` writes the stamp; `load` checks it.
import { createHash } from 'node:crypto';
import { isCallbackType, parseCallbackType, type CallbackSignature, type CallbackType } from './callback-type.js';
import { MAX_NAME_LENGTH, isCIdentifier } from './c-names.js';
import { WASM32_MAX_BYTES, WASM_PAGE } from './sizes.js';
import type { WasmValType } from './wasm-inspect.js';

export { MAX_NAME_LENGTH, isCIdentifier };
export type { WasmValType };

export const ABI_VERSION = 1;
export const ABI_SECTION = 'cbox.abi';

/** Every type a manifest may name: the one list the manifest, the stamp check and the invokers share. */
export const VALUE_TYPES = [
  'i32', 'u32', 'i64', 'u64', 'i53', 'u53', 'f32', 'f64', 'bool', 'handle', 'bytes', 'string', 'text',
  'i8[]', 'u8[]', 'i16[]', 'u16[]', 'i32[]', 'u32[]', 'f32[]', 'f64[]',
  'mut:i8[]', 'mut:u8[]', 'mut:i16[]', 'mut:u16[]', 'mut:i32[]', 'mut:u32[]', 'mut:f32[]', 'mut:f64[]',
  'u8*', 'mut:u8*',
  'out:i32', 'out:u32', 'out:i64', 'out:u64', 'out:i53', 'out:u53', 'out:f32', 'out:f64', 'out:handle',
  'mut:i32', 'mut:u32', 'mut:i64', 'mut:u64', 'mut:i53', 'mut:u53', 'mut:f32', 'mut:f64',
  'cstring',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
/** A typed array: `const T *, size_t count` in C, parameters only. */
export type ArrayType = Exclude<Extract<ValueType, `${string}[]`>, `mut:${string}`>;
/** A writable typed array: `T *, size_t count`; C may write it, and it is copied back into the caller's array. */
export type MutArrayType = `mut:${ArrayType}`;
/** A byte buffer passed as its pointer alone (`const uint8_t *`; `mut:` C may write it, copied back): C learns its length another way. */
export type UnsizedBytesType = 'u8*' | 'mut:u8*';
/** An in/out scalar: `T *` C reads and may change; JS passes the value, the new one comes back like an out-parameter's. */
export type InOutType = Exclude<Extract<ValueType, `mut:${string}`>, MutArrayType | 'mut:u8*'>;
/** A struct parameter (`const struct s *`), by its name in the stamp's structs. */
export type StructParamType = `struct:${string}`;
/** A struct out-parameter (`struct s *` C fills): no JS argument; read back with the result. */
export type OutStructType = `out:struct:${string}`;
/** An out-parameter: `T *` in C, no JS argument; its value comes back with the result. */
export type OutType = Extract<ValueType, `out:${string}`>;
export type ResultType = Exclude<ValueType, ArrayType | MutArrayType | OutType | InOutType | UnsizedBytesType | ParamOnlyType> | 'void';
/** Types only a parameter may have besides arrays and out-parameters: `text` is C's `const char *, size_t`. */
export type ParamOnlyType = 'text';
/** Types only a result may have: `cstring` is C's `const char *` answer (a parameter is `string`). */
export type ResultOnlyType = 'cstring';
export type ParamType = Exclude<ValueType, ResultOnlyType> | CallbackType | 'userdata' | StructParamType | OutStructType;
export type { CallbackType };
/** A parameter passed as one JS value of a fixed kind (not a callback, out-parameter, userdata or struct). */
export type ValueParamType = Exclude<ParamType, OutType | CallbackType | 'userdata' | StructParamType | OutStructType>;
/** The scalar an out-parameter answers with. */
export type OutValueType = OutType extends `out:${infer T}` ? T & ResultType : never;

type TypedArrayClass = Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

/** Each typed array's JS class, its name (as Symbol.toStringTag gives it) and element size. */
export const ARRAY_ELEMENTS: Readonly<Record<ArrayType, { readonly kind: string; readonly bytes: 1 | 2 | 4 | 8; readonly view: TypedArrayClass }>> = {
  'i8[]': { kind: 'Int8Array', bytes: 1, view: Int8Array },
  'u8[]': { kind: 'Uint8Array', bytes: 1, view: Uint8Array },
  'i16[]': { kind: 'Int16Array', bytes: 2, view: Int16Array },
  'u16[]': { kind: 'Uint16Array', bytes: 2, view: Uint16Array },
  'i32[]': { kind: 'Int32Array', bytes: 4, view: Int32Array },
  'u32[]': { kind: 'Uint32Array', bytes: 4, view: Uint32Array },
  'f32[]': { kind: 'Float32Array', bytes: 4, view: Float32Array },
  'f64[]': { kind: 'Float64Array', bytes: 8, view: Float64Array },
};


export interface ExportSignature {
  readonly params: readonly ParamType[];
  readonly paramNames: readonly string[];
  readonly result: ResultType;
  /** A `cstring` result the caller owns: released, after the copy, by this exported C function. */
  readonly free?: string;
  /** A `bytes` result handed over as a view into sandbox memory (valid until the next call), not a copy. */
  readonly view?: true;
}

/** A field of a struct as the stamp lays it out (field types: runtime/struct-fields.ts). */
export interface StructField {
  readonly name: string;
  readonly type: string;
  /** Byte offset in the struct. */
  readonly offset: number;
  /** A fixed-size array field (`u8[16]`): its element count. */
  readonly count?: number;
}

export interface StructLayout {
  readonly size: number;
  readonly align: number;
  readonly fields: readonly StructField[];
}

export interface AbiStamp {
  readonly abi: number;
  readonly name: string;
  /** sha256 over everything that changes behaviour: abiHash (parameter names excluded). */
  readonly hash: string;
  readonly exports: Readonly<Record<string, ExportSignature>>;
  /** The structs struct parameters name, with their wasm32 layouts (checked against the build).
   * Absent when there are none. Nested structs come before the structs that hold them. */
  readonly structs?: Readonly<Record<string, StructLayout>>;
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

/** Names a C export may not take: the control surface of a loaded library, and every name that
 * would make the library object a thenable or reach or shadow Object.prototype. */
export const RESERVED_EXPORT_NAMES: ReadonlySet<string> = new Set([
  'stats', 'recycle', 'reload', 'close', 'on', 'off', 'generation', 'name', 'stamp', 'engine',
  'sandbox', 'with', 'memory', 'then', 'catch', 'finally', 'prototype',
  // Object.prototype's members (listed, not read from the engine, so every Node agrees).
  'constructor', '__proto__', 'toString', 'toLocaleString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);


/** A library name: lower case, digits, '-' and '_', as in "zoo" or "my-lib". */
export function isLibraryName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_NAME_LENGTH && /^[a-z][a-z0-9_-]*$/.test(name);
}

/** Why `name` cannot be a library export (null when it can): shared by `cbox build` and `load`. */
export function exportNameProblem(name: string): string | null {
  const identifier: boolean = isCIdentifier(name);
  if (!identifier) return `${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name)} is not a C function name of at most ${MAX_NAME_LENGTH} characters`;
  if (RESERVED_EXPORT_NAMES.has(name) || name.startsWith('cbox_') || name.startsWith('_')) return `the name "${name}" is reserved by cbox`;
  return null;
}

/** The ranges `cbox build` accepts for the build's sizes (bytes); `load` checks the stamp against them again. */
export const SIZE_LIMITS = {
  stackSize: { min: 16 * 1024, max: 64 * 1024 * 1024, multiple: 16 },
  memoryMaximum: { min: 2 * WASM_PAGE, max: WASM32_MAX_BYTES, multiple: WASM_PAGE },
  arenaSize: { min: 4096, max: 64 * 1024 * 1024, multiple: 16 },
} as const;

/** Most exports a library may have, and most parameters an export may take. */
export const MAX_EXPORTS = 4096;
export const MAX_PARAMS = 64;

export function isValueType(type: unknown): type is ValueType {
  return (VALUE_TYPES as readonly unknown[]).includes(type);
}

export function isArrayType(type: string): type is ArrayType {
  return Object.hasOwn(ARRAY_ELEMENTS, type);
}

export function isOutType(type: string): type is OutType {
  return type.startsWith('out:') && isValueType(type);
}

export function isInOutType(type: string): type is InOutType {
  return type.startsWith('mut:') && !type.endsWith(']') && !type.endsWith('*') && isValueType(type);
}

/** `mut:i32` -> `i32`. */
export function inOutValueType(type: InOutType): OutValueType {
  return type.slice(4) as OutValueType;
}

/** Parameters whose value C may set and the call answers with (`{ result, name }`): out- and in/out scalars. */
export function answeredValueType(type: string): OutValueType | null {
  return isOutType(type) ? outValueType(type) : isInOutType(type) ? inOutValueType(type) : null;
}

export function isUnsizedBytesType(type: string): type is UnsizedBytesType {
  return type === 'u8*' || type === 'mut:u8*';
}

export function isMutArrayType(type: string): type is MutArrayType {
  return type.startsWith('mut:') && isArrayType(type.slice(4));
}

/** The typed array a writable one holds: `mut:i32[]` -> `i32[]`. */
export function mutArrayElement(type: MutArrayType): ArrayType {
  return type.slice(4) as ArrayType;
}

/** The struct a struct parameter or struct out-parameter names; null for any other type. */
export function structParamName(type: string): string | null {
  const name = type.startsWith('struct:') ? type.slice(7) : type.startsWith('out:struct:') ? type.slice(11) : null;
  return name !== null && isCIdentifier(name) ? name : null;
}

export function isOutStructType(type: string): type is OutStructType {
  return type.startsWith('out:struct:') && structParamName(type) !== null;
}

/** `out:i32` -> `i32`. */
export function outValueType(type: OutType): OutValueType {
  return type.slice(4) as OutValueType;
}

/** A parameter type; a callback type only in its canonical spelling (the manifest writes that one);
 * a struct one's name must still be found among the structs. */
export function isParamType(type: string): type is ParamType {
  if (isCallbackType(type)) return !('problem' in parseCallbackType(type, { canonical: true }));
  return type === 'userdata' || (isValueType(type) && type !== 'cstring') || structParamName(type) !== null;
}

export function isResultType(type: string): type is ResultType {
  return type === 'void' || (isValueType(type) && !isArrayType(type) && !isMutArrayType(type) && !isOutType(type) && !isInOutType(type) && !isUnsizedBytesType(type) && type !== 'text');
}

/** The positions of the parameters a JS caller passes (out-parameters take none). */
export function jsParamIndexes(params: readonly ParamType[]): number[] {
  return params.flatMap((type, index) => (isOutType(type) || isOutStructType(type) || type === 'userdata' ? [] : [index]));
}

/**
 * A place C reads a function pointer from that calls JS: a callback parameter of an export, or a
 * callback field of a struct (passed in through a struct parameter).
 */
export type CallbackSlot = { readonly signature: CallbackSignature } & (
  | { readonly kind: 'param'; readonly fn: string; readonly param: number }
  | { readonly kind: 'field'; readonly struct: string; readonly field: string }
);

const slotsByStamp = new WeakMap<object, readonly CallbackSlot[]>();

/**
 * Every callback parameter and callback struct field of the library, in stamp order (parameters
 * first): slot n is the module's import cbox_callback.<n>, and the JS function last passed for
 * that parameter or written into that field is what it calls.
 */
export function callbackSlots(stamp: Pick<AbiStamp, 'exports' | 'structs'>): readonly CallbackSlot[] {
  // Asked at every instance start (instance.ts) and at load: parsed once per stamp object.
  const known = slotsByStamp.get(stamp);
  if (known !== undefined) return known;
  const slots: CallbackSlot[] = [];
  for (const [fn, { params }] of Object.entries(stamp.exports)) {
    params.forEach((type, param) => {
      if (!isCallbackType(type)) return;
      const signature = parseCallbackType(type, { canonical: true });
      if (!('problem' in signature)) slots.push({ kind: 'param', fn, param, signature });
    });
  }
  for (const [struct, { fields }] of Object.entries(stamp.structs ?? {})) {
    for (const { name, type } of fields) {
      if (!isCallbackType(type)) continue;
      const signature = parseCallbackType(type, { canonical: true });
      if (!('problem' in signature)) slots.push({ kind: 'field', struct, field: name, signature });
    }
  }
  slotsByStamp.set(stamp, slots);
  return slots;
}

/** Parameters that take two wasm values, a pointer and a length. */
export function isPointerWithLength(type: ParamType): type is 'bytes' | 'text' | ArrayType | MutArrayType {
  return type === 'bytes' || type === 'text' || isArrayType(type) || isMutArrayType(type);
}

/** The wasm parameter list of a C function with this signature, as cbox.h lays it out. */
export function lowerParams(signature: Pick<ExportSignature, 'params' | 'result'>): WasmValType[] {
  const lowered: WasmValType[] = [];
  for (const type of signature.params) {
    if (isPointerWithLength(type)) lowered.push('i32', 'i32');
    // A function pointer (a table index), a `void *` context passed as NULL, a pointer to a slot,
    // a buffer or a struct.
    else if (isCallbackType(type) || type === 'userdata' || isOutType(type) || isInOutType(type) || isUnsizedBytesType(type) || structParamName(type) !== null) lowered.push('i32');
    else lowered.push(lowerScalar(type as Exclude<ResultType, 'void'>));
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

function lowerScalar(type: Exclude<ResultType, 'void'>): WasmValType {
  switch (type) {
    case 'i64': case 'u64': case 'i53': case 'u53': return 'i64';
    case 'f32': return 'f32';
    case 'f64': return 'f64';
    default: return 'i32';
  }
}

/**
 * The stamp's hash: the ABI version, the library name, the export signatures (parameter names
 * excluded: they only label messages) and every build setting that changes behaviour (memory,
 * stack and arena sizes, strict mode, metering, the native and trusted lists), so that a binding
 * or a reload never accepts a module built differently.
 */
export function abiHash(stamp: Omit<AbiStamp, 'hash'>): string {
  const signatures = Object.keys(stamp.exports).sort().map((name) => {
    const { params, result, free, view } = stamp.exports[name]!;
    return `${name}(${params.join(',')})${result}${free === undefined ? '' : ` free=${free}`}${view === true ? ' view' : ''}`;
  });
  // Layouts in stamp order (it matters: nested structs come first).
  const structs = Object.entries(stamp.structs ?? {}).map(([name, { size, align, fields }]) =>
    `struct ${name} size=${size} align=${align} ${fields.map((f) => `${f.name}:${f.type}${f.count === undefined ? '' : `[${f.count}]`}@${f.offset}`).join(',')}`);
  const settings = [
    `name=${stamp.name}`, `memoryMaximum=${stamp.memoryMaximum}`, `stackSize=${stamp.stackSize}`, `arenaSize=${stamp.arenaSize}`,
    `strict=${stamp.strict}`, `metered=${stamp.metered === true}`, `native=${[...stamp.native].sort().join(',')}`, `trusted=${[...stamp.trusted].sort().join(',')}`,
  ];
  return createHash('sha256').update(`cbox-abi-${stamp.abi}\n${settings.join('\n')}\n${signatures.join('\n')}${structs.map((line) => `\n${line}`).join('')}`).digest('hex');
}

export function describeSignature(name: string, signature: Pick<ExportSignature, 'params' | 'result' | 'free'>): string {
  return `${name}(${signature.params.join(', ')}) -> ${signature.result}${signature.free === undefined ? '' : ` (released by ${signature.free})`}`;
}
