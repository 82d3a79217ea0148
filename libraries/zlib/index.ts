// cbox/zlib: node:zlib's API (zlib formats; no Brotli) on zlib 1.3.1 running in a cbox sandbox with
// a memory cap. `import * as zlib from 'cbox/zlib'` (or the default export) where node:zlib was.
import { constants } from 'node:zlib';
import { crc32 } from './crc32.js';
import { deflate, deflateRaw, gunzip, gzip, inflate, inflateRaw, unzip } from './convenience.js';
import {
  BufferTooLargeError, codes, InitializationFailedError, InvalidArgTypeError, OutOfRangeError, ZlibError, ZlibMemoryLimitError,
} from './errors.js';
import {
  createDeflate, createDeflateRaw, createGunzip, createGzip, createInflate, createInflateRaw, createUnzip,
  Deflate, DeflateRaw, Gunzip, Gzip, Inflate, InflateRaw, Unzip,
} from './streams.js';
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync, unzipSync } from './sync.js';

export type { ZlibOptions } from './options.js';
export type { InputType, SyncFunction } from './sync.js';
export type { CallbackFunction, CompressCallback } from './convenience.js';
export type { ZlibBase } from './streams.js';
export { DEFAULT_MEMORY_LIMIT } from './sandboxes.js';
export {
  codes, constants, crc32,
  deflateSync, inflateSync, gzipSync, gunzipSync, deflateRawSync, inflateRawSync, unzipSync,
  deflate, inflate, gzip, gunzip, deflateRaw, inflateRaw, unzip,
  createDeflate, createInflate, createGzip, createGunzip, createDeflateRaw, createInflateRaw, createUnzip,
  Deflate, Inflate, Gzip, Gunzip, DeflateRaw, InflateRaw, Unzip,
  ZlibError, ZlibMemoryLimitError, InvalidArgTypeError, OutOfRangeError, BufferTooLargeError, InitializationFailedError,
};

/** `import zlib from 'cbox/zlib'`, as `import zlib from 'node:zlib'`. */
export default {
  codes, constants, crc32,
  deflateSync, inflateSync, gzipSync, gunzipSync, deflateRawSync, inflateRawSync, unzipSync,
  deflate, inflate, gzip, gunzip, deflateRaw, inflateRaw, unzip,
  createDeflate, createInflate, createGzip, createGunzip, createDeflateRaw, createInflateRaw, createUnzip,
  Deflate, Inflate, Gzip, Gunzip, DeflateRaw, InflateRaw, Unzip,
};
