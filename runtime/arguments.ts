// What a C export accepts from JS, per manifest type: the checks every invoker makes before C
// runs, and the message a refused argument gets.
import { ARRAY_ELEMENTS, jsParamIndexes, type ExportSignature, type OutType, type ParamType } from './abi.js';
import { describeValue } from './describe-value.js';
import { CboxArgumentError } from './errors.js';

export const EXPECTED: Readonly<Record<Exclude<ParamType, OutType>, string>> = {
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
  handle: 'a Handle',
  ...Object.fromEntries(Object.entries(ARRAY_ELEMENTS).map(([type, { kind }]) => [type, `${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} that is not detached`])) as Record<keyof typeof ARRAY_ELEMENTS, string>,
};

export function argumentError(fn: string, signature: ExportSignature, index: number, value: unknown): CboxArgumentError {
  const type = signature.params[index] as Exclude<ParamType, OutType>;
  // Counted as the caller counts: out-parameters take no argument.
  const position = jsParamIndexes(signature.params).indexOf(index) + 1;
  return new CboxArgumentError(`${fn}: argument ${position} (${signature.paramNames[index]}: ${type}) must be ${EXPECTED[type]}, got ${describeValue(value)}`);
}

// The engine's own accessors, called on the argument: a Proxy or a subclass that lies about its
// length or kind cannot fool them (a lying byteLength would have C read stale memory).
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedArrayKind = Object.getOwnPropertyDescriptor(typedArrayPrototype, Symbol.toStringTag)!.get!;
const typedArrayByteLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteLength')!.get!;
const typedArrayBuffer = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'buffer')!.get!;
const typedArrayByteOffset = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteOffset')!.get!;
const typedArrayLength = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'length')!.get!;

/**
 * The byte length of a genuine, attached Uint8Array (Buffer included); -1 for anything else,
 * including a subclass whose byteLength says something other than the engine does.
 */
export function bytesLength(value: unknown): number {
  if (typedArrayKind.call(value) !== 'Uint8Array') return -1;
  const length = typedArrayByteLength.call(value) as number;
  if ((value as Uint8Array).byteLength !== length) return -1;
  if (length === 0) {
    // A detached buffer reads as empty; only a view constructed on it tells.
    try {
      new Uint8Array(typedArrayBuffer.call(value) as ArrayBuffer, 0, 0);
    } catch {
      return -1;
    }
  }
  return length;
}

export function isString(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\0') && value.isWellFormed();
}


/**
 * The bytes of a genuine, attached typed array of class `kind` (e.g. 'Int32Array'), as a view
 * cbox made itself; null for anything else, including a subclass whose length says something
 * other than the engine does. A view over a detached buffer cannot be made: that is refused too.
 */
export function arrayBytes(value: unknown, kind: string): Uint8Array | null {
  if (typedArrayKind.call(value) !== kind) return null;
  const length = typedArrayLength.call(value) as number;
  if ((value as Int32Array).length !== length) return null;
  try {
    return new Uint8Array(typedArrayBuffer.call(value) as ArrayBuffer, typedArrayByteOffset.call(value) as number, typedArrayByteLength.call(value) as number);
  } catch {
    return null;
  }
}
