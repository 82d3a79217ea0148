// The field types a struct may have, and how each is laid out on wasm32: the one table the
// manifest, the layout computation, the build-time layout check, the stamp check and the
// marshalling share.
import { isCIdentifier } from './c-names.js';
import { isCallbackType, parseCallbackType, type CallbackType } from './callback-type.js';

export type { StructField, StructLayout } from './abi.js';

/** A field of one scalar: numbers, bool, or `string` (a `const char *`). */
export const FIELD_SCALARS = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i53', 'u53', 'i64', 'u64', 'f32', 'f64', 'bool', 'string'] as const;
export type FieldScalar = (typeof FIELD_SCALARS)[number];
/** A nested struct, by its name in the manifest's "structs". */
export type NestedStructType = `struct:${string}`;
/** A callback field (`callback(...)`, a function pointer): written from a JS function, never read back. */
export type FieldType = FieldScalar | NestedStructType | CallbackType;

/** A function pointer's size and alignment on wasm32. */
export const CALLBACK_FIELD_SIZE = 4;

/** A callback field type in its canonical spelling (the only one a stamp may carry). */
export function isCallbackField(type: unknown): type is CallbackType {
  return typeof type === 'string' && isCallbackType(type) && !('problem' in parseCallbackType(type, { canonical: true }));
}

/** Bytes a scalar field takes on wasm32 (its alignment is the same: natural alignment). */
export const FIELD_SIZES: Readonly<Record<FieldScalar, 1 | 2 | 4 | 8>> = {
  i8: 1, u8: 1, bool: 1, i16: 2, u16: 2, i32: 4, u32: 4, f32: 4, string: 4, i53: 8, u53: 8, i64: 8, u64: 8, f64: 8,
};

type TypedArrayClass = Int8ArrayConstructor | Uint8ArrayConstructor | Int16ArrayConstructor | Uint16ArrayConstructor
  | Int32ArrayConstructor | Uint32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor
  | BigInt64ArrayConstructor | BigUint64ArrayConstructor;

/** The scalars a fixed-size array field (`u8[16]`) may hold, and the typed array that carries it in JS. */
export const ARRAY_FIELD_ELEMENTS: Readonly<Partial<Record<FieldScalar, { readonly kind: string; readonly view: TypedArrayClass }>>> = {
  i8: { kind: 'Int8Array', view: Int8Array },
  u8: { kind: 'Uint8Array', view: Uint8Array },
  i16: { kind: 'Int16Array', view: Int16Array },
  u16: { kind: 'Uint16Array', view: Uint16Array },
  i32: { kind: 'Int32Array', view: Int32Array },
  u32: { kind: 'Uint32Array', view: Uint32Array },
  f32: { kind: 'Float32Array', view: Float32Array },
  f64: { kind: 'Float64Array', view: Float64Array },
  i64: { kind: 'BigInt64Array', view: BigInt64Array },
  u64: { kind: 'BigUint64Array', view: BigUint64Array },
};

/** Most structs a library may declare, most fields a struct may have, its largest size and longest array field. */
export const MAX_STRUCTS = 256;
export const MAX_FIELDS = 256;
export const MAX_STRUCT_SIZE = 64 * 1024;
export const MAX_ARRAY_FIELD = 64 * 1024;

export function isFieldScalar(type: unknown): type is FieldScalar {
  return (FIELD_SCALARS as readonly unknown[]).includes(type);
}

/** `struct:point` -> `point`; null for any other text. */
export function nestedStructName(type: string): string | null {
  if (!type.startsWith('struct:')) return null;
  const name = type.slice(7);
  return isCIdentifier(name) ? name : null;
}

/**
 * Names a field may not take: `__proto__` would reach the prototype of the object C's struct is
 * read into (every other name becomes an own property of it).
 */
export function fieldNameProblem(name: unknown): string | null {
  if (!isCIdentifier(name)) return 'is not a C identifier';
  if (name === '__proto__') return 'is reserved (it would reach the object\'s prototype)';
  return null;
}

/**
 * The structs that hold a callback field, themselves or in a nested struct: only passed in (C's
 * pointers are never read back), and only on the main thread. Layouts list nested structs first.
 */
export function structsWithCallbacks(layouts: Readonly<Record<string, { readonly fields: readonly { readonly type: string }[] }>>): Set<string> {
  const found = new Set<string>();
  for (const [name, { fields }] of Object.entries(layouts)) {
    if (fields.some(({ type }) => isCallbackField(type) || found.has(nestedStructName(type) ?? ''))) found.add(name);
  }
  return found;
}
