// zlib 1.3.1 (from the zlib-sync package's sources) built by `cbox build` from c-src/zlib: one-shot
// and streaming compression of Uint8Array, in a sandbox, so a hostile stream cannot take the
// process down with it. Corrupt or truncated input is a CboxCallError with zlib's message.
import { load, type Library, type LoadOptions } from '../../runtime/index.js';
import { binding, type ZlibExports } from '../../wasm-modules/zlib.js';
import { DeflateStream, InflateStream } from './zlib-stream.js';

export { DeflateStream, InflateStream } from './zlib-stream.js';

export type Format = 'zlib' | 'gzip' | 'raw';
const FORMATS: Record<Format, number> = { zlib: 0, gzip: 1, raw: 2 };
/** inflate_new's format that detects zlib or gzip from the header. */
const AUTO = 3;
/** zlib's own default (Z_DEFAULT_COMPRESSION is level 6), as node:zlib uses. */
const DEFAULT_LEVEL = 6;

export interface Zlib {
  /** The sandbox (stats(), on('trap'), recycle()). */
  readonly library: Library<ZlibExports>;
  /** level: 0 (store) to 9 (smallest); default 6. */
  deflateSync(data: Uint8Array, level?: number): Uint8Array;
  inflateSync(data: Uint8Array): Uint8Array;
  gzipSync(data: Uint8Array, level?: number): Uint8Array;
  /** Also takes zlib streams and concatenated gzip members. */
  gunzipSync(data: Uint8Array): Uint8Array;
  deflateRawSync(data: Uint8Array, level?: number): Uint8Array;
  inflateRawSync(data: Uint8Array): Uint8Array;
  /** CRC-32 (gzip's), continuing from `value`. */
  crc32(data: Uint8Array, value?: number): number;
  createDeflate(options?: { level?: number; format?: Format }): DeflateStream;
  /** format 'auto' (default) reads zlib or gzip. */
  createInflate(options?: { format?: Format | 'auto' }): InflateStream;
  close(): void;
}

export async function openZlib(options: Pick<LoadOptions, 'memoryLimit'> = {}): Promise<Zlib> {
  const library = await load(binding, { memoryLimit: options.memoryLimit, logger: null });
  return {
    library,
    deflateSync: (data, level = DEFAULT_LEVEL) => library.deflate(data, level),
    inflateSync: (data) => library.inflate(data),
    gzipSync: (data, level = DEFAULT_LEVEL) => library.gzip(data, level),
    gunzipSync: (data) => library.gunzip(data),
    deflateRawSync: (data, level = DEFAULT_LEVEL) => library.deflate_raw(data, level),
    inflateRawSync: (data) => library.inflate_raw(data),
    crc32: (data, value = 0) => library.crc32(data, value),
    createDeflate: ({ level = DEFAULT_LEVEL, format = 'zlib' } = {}) => new DeflateStream(library, level, FORMATS[format]),
    createInflate: ({ format = 'auto' } = {}) => new InflateStream(library, format === 'auto' ? AUTO : FORMATS[format]),
    close: () => library.close(),
  };
}
