// node:zlib's crc32 (Node 20.15+): CRC-32 of bytes or of a string's UTF-8, going on from `value`.
import { Buffer } from 'node:buffer';
import { InvalidArgTypeError, OutOfRangeError } from './errors.js';
import { oneShotSandbox } from './sandboxes.js';

export function crc32(data: string | NodeJS.ArrayBufferView, value = 0): number {
  let bytes: Uint8Array;
  if (typeof data === 'string') bytes = Buffer.from(data);
  else if (ArrayBuffer.isView(data)) bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw new InvalidArgTypeError('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  if (typeof value !== 'number') throw new InvalidArgTypeError('value', 'of type number', value);
  if (!Number.isInteger(value)) throw new OutOfRangeError('value', 'an integer', value);
  if (value < 0 || value > 0xffff_ffff) throw new OutOfRangeError('value', '>= 0 && <= 4294967295', value);
  return oneShotSandbox(undefined).crc32(bytes, value);
}
