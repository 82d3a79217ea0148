// One stream's zlib state in the sandbox (zlib_glue.c's stream_*): made from resolved options,
// fed a chunk in input pieces of at most 64 KiB and answering at most chunkSize bytes of output
// a call, freed by close() or, for a stream that was dropped without being closed, when it is
// garbage collected.
import { Buffer } from 'node:buffer';
import { constants } from 'node:zlib';
import type { Handle } from 'cbox';
import { engineFailure, memoryLimitError } from './engine-failure.js';
import { InitializationFailedError } from './errors.js';
import type { EngineSettings } from './options.js';
import { acquireStreamSandbox, releaseStreamSandbox, streamsIn, type ZlibLibrary } from './sandboxes.js';

interface Held { readonly library: ZlibLibrary; readonly handle: Handle }

function free({ library, handle }: Held): void {
  // A handle from a sandbox that has since been recycled has nothing left to free.
  if (handle.generation === library.generation) library.stream_end(handle);
  releaseStreamSandbox(library);
}

const dropped = new FinalizationRegistry<Held>(free);
const NOTHING: Uint8Array = new Uint8Array(0);
/** The most input one call hands the engine (zlib_glue.c's STREAM_INPUT: the stream's own copy). */
const INPUT_PIECE = 64 * 1024;

/** A new stream's C state in `library`, or null with the reason in last_error(). */
function streamIn(library: ZlibLibrary, settings: EngineSettings): Handle | null {
  try {
    return library.stream_new(settings.mode, settings.level, settings.windowBits, settings.memLevel, settings.strategy, settings.dictionary);
  } catch (error) {
    releaseStreamSandbox(library);
    throw engineFailure(library, error, settings.maxOutputLength);
  }
}

export class StreamEngine {
  #held: Held | null;

  /** `owner` is the stream object: when it is collected unclosed, its C state is freed. */
  constructor(private readonly settings: EngineSettings, owner: object) {
    let library = acquireStreamSandbox(settings.memoryLimit);
    let handle = streamIn(library, settings);
    if (!handle && library.last_error() === constants.Z_MEM_ERROR && streamsIn(library) > 1) {
      // The sandbox is full of other streams: this one goes into a new sandbox.
      releaseStreamSandbox(library);
      library = acquireStreamSandbox(settings.memoryLimit, true);
      handle = streamIn(library, settings);
    }
    if (!handle) {
      const failure = library.last_error() === constants.Z_MEM_ERROR ? memoryLimitError(library) : new InitializationFailedError();
      releaseStreamSandbox(library);
      throw failure;
    }
    this.#held = { library, handle };
    dropped.register(owner, this.#held, this);
  }

  get closed(): boolean {
    return this.#held === null;
  }

  #live(): Held {
    if (!this.#held) throw new Error('zlib binding closed');
    return this.#held;
  }

  /** Feeds `chunk` with `flush` (see ChunkFeeder). */
  feed(chunk: Uint8Array, flush: number): ChunkFeeder {
    return new ChunkFeeder(this, chunk, flush);
  }

  /** New input (more = false) or the rest of the last one (more = true) with `flush`: at most chunkSize bytes out. */
  write(chunk: Uint8Array, flush: number, more: boolean): Buffer {
    const { library, handle } = this.#live();
    try {
      const out = library.stream_write(handle, more ? NOTHING : chunk, flush, more, this.settings.chunkSize);
      return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    } catch (error) {
      throw engineFailure(library, error, this.settings.maxOutputLength);
    }
  }

  /** Input bytes consumed so far. */
  totalIn(): number {
    const { library, handle } = this.#live();
    return library.stream_total_in(handle);
  }

  /** deflateParams after a sync flush; false when zlib refused. */
  params(level: number, strategy: number): boolean {
    const { library, handle } = this.#live();
    return library.stream_params(handle, level, strategy) === constants.Z_OK;
  }

  reset(): boolean {
    const { library, handle } = this.#live();
    return library.stream_reset(handle) === constants.Z_OK;
  }

  close(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    dropped.unregister(this);
    free(held);
  }
}

/**
 * One chunk through the engine: step() until done. Pieces of INPUT_PIECE bytes go in one after
 * another (only the last with the chunk's flush); a step whose output filled chunkSize is followed
 * by one that goes on with the same piece.
 */
export class ChunkFeeder {
  #offset = 0;
  #pieceEnd = 0;
  #more = false;
  readonly #start: number;
  /** All of the chunk went in, or the compressed stream ended first. */
  done = false;
  /** The compressed stream ended before the chunk did (the rest is not part of it). */
  endedEarly = false;

  constructor(private readonly engine: StreamEngine, private readonly chunk: Uint8Array, private readonly flush: number) {
    this.#start = engine.totalIn();
  }

  /** One call into the engine: its output (empty when it has nothing to hand out yet). */
  step(chunkSize: number): Buffer {
    let piece = NOTHING;
    if (!this.#more) {
      this.#pieceEnd = Math.min(this.#offset + INPUT_PIECE, this.chunk.byteLength);
      piece = this.chunk.subarray(this.#offset, this.#pieceEnd);
    }
    const last = this.#pieceEnd === this.chunk.byteLength;
    const out = this.engine.write(piece, last ? this.flush : constants.Z_NO_FLUSH, this.#more);
    this.#more = out.byteLength === chunkSize;
    if (this.#more) return out;
    // Room was left: zlib took the whole piece, unless the compressed stream ended in it.
    const consumed = this.engine.totalIn() - this.#start;
    if (consumed < this.#pieceEnd) this.endedEarly = this.done = true;
    else if (last) this.done = true;
    this.#offset = this.#pieceEnd;
    return out;
  }
}
