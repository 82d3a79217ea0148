// zlib 1.3.1 (from the zlib-sync package's sources) built by `cbox build` from c-src/zlib: one-shot
// and streaming compression of Uint8Array, in a sandbox, so a hostile stream cannot take the
// process down with it.
import { load, type Handle, type Library, type LoadOptions } from '../../runtime/index.js';
import { binding, type ZlibExports } from '../../wasm-modules/zlib.js';

export type Format = 'zlib' | 'gzip' | 'raw';
const FORMATS: Record<Format, number> = { zlib: 0, gzip: 1, raw: 2 };
/** inflate_new's format that detects zlib or gzip from the header. */
const AUTO = 3;
const DEFAULT_LEVEL = 6;

export interface Zlib {
  readonly library: Library<ZlibExports>;
  deflateSync(data: Uint8Array, level?: number): Uint8Array;
  inflateSync(data: Uint8Array): Uint8Array;
  gzipSync(data: Uint8Array, level?: number): Uint8Array;
  /** Also takes zlib streams and concatenated gzip members. */
  gunzipSync(data: Uint8Array): Uint8Array;
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
    createDeflate: ({ level = DEFAULT_LEVEL, format = 'zlib' } = {}) => new DeflateStream(library, level, FORMATS[format]),
    createInflate: ({ format = 'auto' } = {}) => new InflateStream(library, format === 'auto' ? AUTO : FORMATS[format]),
    close: () => library.close(),
  };
}

function opened(stream: Handle | null, what: string): Handle {
  if (!stream) throw new RangeError(`${what}: bad level or format`);
  return stream;
}

/** Compresses chunk by chunk; `finish()` ends the stream and frees it. */
export class DeflateStream {
  private readonly stream: Handle;
  constructor(private readonly library: Library<ZlibExports>, level: number, format: number) {
    this.stream = opened(library.deflate_new(level, format), 'createDeflate');
  }
  push(chunk: Uint8Array): Uint8Array {
    return this.library.deflate_push(this.stream, chunk, false);
  }
  /** Everything so far, decodable by the other side now (a sync flush). */
  flush(chunk: Uint8Array = new Uint8Array()): Uint8Array {
    return this.library.deflate_flush(this.stream, chunk);
  }
  finish(chunk: Uint8Array = new Uint8Array()): Uint8Array {
    try {
      return this.library.deflate_push(this.stream, chunk, true);
    } finally {
      this.library.deflate_end(this.stream);
    }
  }
}

/** Decompresses chunk by chunk; a corrupt stream throws (CboxCallError) and is dead after. */
export class InflateStream {
  private readonly stream: Handle;
  constructor(private readonly library: Library<ZlibExports>, format: number) {
    this.stream = opened(library.inflate_new(format), 'createInflate');
  }
  push(chunk: Uint8Array): Uint8Array {
    return this.library.inflate_push(this.stream, chunk);
  }
  /** The compressed stream has ended (later bytes are not part of it: see `unused`). */
  get ended(): boolean {
    return this.library.inflate_ended(this.stream);
  }
  /** Bytes of the last chunk that came after the end of the stream. */
  get unused(): number {
    return this.library.inflate_unused(this.stream);
  }
  end(): void {
    this.library.inflate_end(this.stream);
  }
}
