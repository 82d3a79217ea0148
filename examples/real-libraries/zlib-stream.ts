// Streaming compression over the glue's deflate_* / inflate_* handles. A stream's C state is
// freed when it finishes, fails or is closed; using it after that is a CboxClosedError, and
// using it after its sandbox was recycled is the runtime's StaleHandleError.
import { CboxCallError, CboxClosedError, type Handle, type Library } from '../../runtime/index.js';
import type { ZlibExports } from '../../wasm-modules/zlib.js';

const EMPTY = new Uint8Array();

abstract class ZlibStream {
  private handle: Handle | null;

  constructor(protected readonly library: Library<ZlibExports>, handle: Handle | null, private readonly what: string) {
    if (!handle) throw new RangeError(`${what}: bad level or format (or no memory for the stream)`);
    this.handle = handle;
  }

  /** Frees the stream's C state (nothing to do after finish() or a failure). */
  close(): void {
    const handle = this.handle;
    this.handle = null;
    // A handle from a recycled sandbox has nothing left to free.
    if (handle && handle.generation === this.library.generation) this.free(handle);
  }

  protected abstract free(handle: Handle): void;

  /** Runs one glue call on the live stream; a failure leaves the stream dead, so it is freed. */
  protected use<T>(call: (handle: Handle) => T): T {
    if (!this.handle) throw new CboxClosedError(`${this.what}: the stream is finished or closed`);
    try {
      return call(this.handle);
    } catch (error) {
      this.close();
      throw error;
    }
  }
}

/** Compresses chunk by chunk; `finish()` writes the trailer and frees the stream. */
export class DeflateStream extends ZlibStream {
  constructor(library: Library<ZlibExports>, level: number, format: number) {
    super(library, library.deflate_new(level, format), 'createDeflate');
  }

  push(chunk: Uint8Array): Uint8Array {
    return this.use((stream) => this.library.deflate_push(stream, chunk, false));
  }

  /** `chunk`, then everything so far made decodable by the other side (a sync flush). */
  flush(chunk: Uint8Array = EMPTY): Uint8Array {
    return this.use((stream) => this.library.deflate_flush(stream, chunk));
  }

  finish(chunk: Uint8Array = EMPTY): Uint8Array {
    const tail = this.use((stream) => this.library.deflate_push(stream, chunk, true));
    this.close();
    return tail;
  }

  protected free(handle: Handle): void {
    this.library.deflate_end(handle);
  }
}

/** Decompresses chunk by chunk; a corrupt stream throws CboxCallError and is freed. */
export class InflateStream extends ZlibStream {
  private done = false;
  private trailing = 0;

  constructor(library: Library<ZlibExports>, format: number) {
    super(library, library.inflate_new(format), 'createInflate');
  }

  push(chunk: Uint8Array): Uint8Array {
    return this.use((stream) => {
      const out = this.library.inflate_push(stream, chunk);
      this.done = this.library.inflate_ended(stream);
      this.trailing = this.library.inflate_unused(stream);
      return out;
    });
  }

  /** `chunk`, then the check that the compressed stream is complete; frees the stream. */
  finish(chunk: Uint8Array = EMPTY): Uint8Array {
    const out = chunk.length > 0 ? this.push(chunk) : this.use(() => EMPTY);
    this.close();
    if (!this.done) throw new CboxCallError('inflate_push', 'unexpected end of data: the compressed stream is incomplete');
    return out;
  }

  /** The end of the compressed stream has been read. */
  get ended(): boolean {
    return this.done;
  }

  /** Bytes of the last chunk that came after the end of the stream (not part of it). */
  get unused(): number {
    return this.trailing;
  }

  protected free(handle: Handle): void {
    this.library.inflate_end(handle);
  }
}
