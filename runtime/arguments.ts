// What a C export accepts from JS, per manifest type: the checks every invoker makes before C
// runs, and the message a refused argument gets.
import { ARRAY_ELEMENTS, jsParamIndexes, structParamName, type ExportSignature, type ValueParamType } from './abi.js';
import { isCallbackType } from './callback-type.js';
import { describeValue } from './describe-value.js';
import { CboxArgumentError } from './errors.js';

const SCALARS = {
  i32: 'an integer from -2147483648 to 2147483647',
  u32: 'an integer from 0 to 4294967295',
  f32: 'a number',
  f64: 'a number',
  i64: 'a bigint from -(2n**63n) to 2n**63n-1n',
  u64: 'a bigint from 0n to 2n**64n-1n',
  i53: 'a safe integer (Number.isSafeInteger)',
  u53: 'a safe integer from 0 to Number.MAX_SAFE_INTEGER',
} as const;
const BYTES = 'a Uint8Array (or Buffer) that is not detached';

export const EXPECTED: Readonly<Record<ValueParamType, string>> = {
  ...SCALARS,
  // An in/out scalar takes what the scalar takes.
  ...Object.fromEntries(Object.entries(SCALARS).map(([type, expected]) => [`mut:${type}`, expected])) as Record<`mut:${keyof typeof SCALARS}`, string>,
  bool: 'a boolean',
  bytes: BYTES,
  'u8*': BYTES,
  'mut:u8*': BYTES,
  string: 'a well-formed string without NUL characters',
  text: 'a well-formed string',
  handle: 'a Handle',
  ...Object.fromEntries(Object.entries(ARRAY_ELEMENTS).flatMap(([type, { kind }]) => {
    const expected = `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} that is not detached`;
    return [[type, expected], [`mut:${type}`, expected]];
  })) as Record<Extract<ValueParamType, `${string}[]`>, string>,
};

/** A struct argument's field that was refused: its path (`inner.x`) and what is wrong with it. */
export interface FieldRefusal {
  readonly path: string;
  /** e.g. `is missing`, `must be a number, got "x"`. */
  readonly problem: string;
}

export function argumentError(fn: string, signature: ExportSignature, index: number, value: unknown, field?: FieldRefusal): CboxArgumentError {
  const type = signature.params[index]!;
  // Counted as the caller counts: out-parameters take no argument.
  const position = jsParamIndexes(signature.params).indexOf(index) + 1;
  const where = `${fn}: argument ${position} (${signature.paramNames[index]}: ${type})`;
  if (field !== undefined) return new CboxArgumentError(`${where} field ${field.path} ${field.problem}`);
  const struct = structParamName(type);
  const expected = struct !== null ? `a plain object with the fields of struct ${struct}` : isCallbackType(type) ? 'a function, or null' : EXPECTED[type as ValueParamType];
  return new CboxArgumentError(`${where} must be ${expected}, got ${describeValue(value)}`);
}

/** A writable array the caller detached or resized while C ran (from a callback): C's writes were not copied back. */
export function arrayChanged(fn: string, signature: ExportSignature, index: number): CboxArgumentError {
  const position = jsParamIndexes(signature.params).indexOf(index) + 1;
  return new CboxArgumentError(`${fn}: argument ${position} (${signature.paramNames[index]}: ${signature.params[index]}) was detached or resized while the C function ran: what C wrote into it was not copied back`);
}

// The engine's own accessors, called on the argument: a Proxy or a subclass that lies about its
// length or kind cannot fool them (a lying byteLength would have C read stale memory).
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayKind = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get!;
const typedArrayByteLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteLength')!.get!;
const typedArrayBuffer = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'buffer')!.get!;
const typedArrayLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'length')!.get!;
/** The engine's own TypedArray.prototype.set, called on arrays cbox copies into or back into. */
export const typedArraySet = (typedArrayPrototype as { set: (this: unknown, source: unknown) => void }).set;

/** Whether a typed array's buffer is detached: it then reads as empty, and only a view constructed on it tells. */
function isDetached(value: unknown): boolean {
  try {
    new Uint8Array(typedArrayBuffer.call(value) as ArrayBuffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * The byte length of a genuine, attached Uint8Array (Buffer included); -1 for anything else,
 * including a subclass whose byteLength says something other than the engine does.
 */
export function bytesLength(value: unknown): number {
  if (typedArrayKind.call(value) !== 'Uint8Array') return -1;
  // The value's own getter first: once the engine has answered, no user code runs before the copy.
  const claimed = (value as Uint8Array).byteLength;
  const length = typedArrayByteLength.call(value) as number;
  if (claimed !== length || (length === 0 && isDetached(value))) return -1;
  return length;
}

export function isString(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\0') && value.isWellFormed();
}

/**
 * The element count of a genuine, attached typed array of class `kind` (e.g. 'Int32Array'); -1
 * for anything else, including a subclass whose length says something other than the engine does.
 */
export function arrayLength(value: unknown, kind: string): number {
  if (typedArrayKind.call(value) !== kind) return -1;
  const claimed = (value as Int32Array).length;
  const length = typedArrayLength.call(value) as number;
  if (claimed !== length || (length === 0 && isDetached(value))) return -1;
  return length;
}
