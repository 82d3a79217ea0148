// What a C export accepts from JS, per manifest type: the checks every invoker makes before C
// runs, and the message a refused argument gets.
import { ARRAY_ELEMENTS, jsParamIndexes, type ExportSignature, type ValueParamType } from './abi.js';
import { isCallbackType } from './callback-type.js';
import { describeValue } from './describe-value.js';
import { CboxArgumentError } from './errors.js';

export const EXPECTED: Readonly<Record<ValueParamType, string>> = {
  i32: 'an integer from -2147483648 to 2147483647',
  u32: 'an integer from 0 to 4294967295',
  f32: 'a number',
  f64: 'a number',
  i64: 'a bigint from -(2n**63n) to 2n**63n-1n',
  u64: 'a bigint from 0n to 2n**64n-1n',
  i53: 'a safe integer (Number.isSafeInteger)',
  u53: 'a safe integer from 0 to Number.MAX_SAFE_INTEGER',
  bool: 'a boolean',
  bytes: 'a Uint8Array (or Buffer) that is not detached',
  string: 'a well-formed string without NUL characters',
  text: 'a well-formed string',
  handle: 'a Handle',
  ...Object.fromEntries(Object.entries(ARRAY_ELEMENTS).map(([type, { kind }]) => [type, `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} that is not detached`])) as Record<keyof typeof ARRAY_ELEMENTS, string>,
};

export function argumentError(fn: string, signature: ExportSignature, index: number, value: unknown): CboxArgumentError {
  const type = signature.params[index]!;
  // Counted as the caller counts: out-parameters take no argument.
  const position = jsParamIndexes(signature.params).indexOf(index) + 1;
  return new CboxArgumentError(`${fn}: argument ${position} (${signature.paramNames[index]}: ${type}) must be ${isCallbackType(type) ? 'a function, or null' : EXPECTED[type as ValueParamType]}, got ${describeValue(value)}`);
}

// The engine's own accessors, called on the argument: a Proxy or a subclass that lies about its
// length or kind cannot fool them (a lying byteLength would have C read stale memory).
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayKind = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get!;
const typedArrayByteLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteLength')!.get!;
const typedArrayBuffer = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'buffer')!.get!;
const typedArrayLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'length')!.get!;

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
