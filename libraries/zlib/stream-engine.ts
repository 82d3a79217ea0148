// One stream's zlib state in the sandbox (zlib_glue.c's stream_*): made from resolved options,
// written in pieces of at most chunkSize bytes of output, freed by close() or, for a stream that
// was dropped without being closed, when it is garbage collected.
import { Buffer } from 'node:buffer';
import { constants } from 'node:zlib';
import type { Handle } from 'cbox';
import { engineFailure, memoryLimitError } from './engine-failure.js';
import { InitializationFailedError } from './errors.js';
import type { EngineSettings } from './options.js';
import { acquireStreamSandbox, releaseStreamSandbox, type ZlibLibrary } from './sandboxes.js';

interface Held { readonly library: ZlibLibrary; readonly handle: Handle; readonly memoryLimit: EngineSettings['memoryLimit'] }

function free({ library, handle, memoryLimit }: Held): void {
  // A handle from a sandbox that has since been recycled has nothing left to free.
  if (handle.generation === library.generation) library.stream_end(handle);
  releaseStreamSandbox(memoryLimit);
}

const dropped = new FinalizationRegistry<Held>(free);
const NOTHING = new Uint8Array(0);

export class StreamEngine {
  #held: Held | null;

  /** `owner` is the stream object: when it is collected unclosed, its C state is freed. */
  constructor(private readonly settings: EngineSettings, owner: object) {
    const library = acquireStreamSandbox(settings.memoryLimit);
    let handle: Handle | null;
    try {
      handle = library.stream_new(settings.mode, settings.level, settings.windowBits, settings.memLevel, settings.strategy, settings.dictionary);
    } catch (error) {
      releaseStreamSandbox(settings.memoryLimit);
      throw engineFailure(library, error, settings.maxOutputLength);
    }
    if (!handle) {
      const code = library.last_error();
      releaseStreamSandbox(settings.memoryLimit);
      if (code === constants.Z_MEM_ERROR) throw memoryLimitError(library);
      throw new InitializationFailedError();
    }
    this.#held = { library, handle, memoryLimit: settings.memoryLimit };
    dropped.register(owner, this.#held, this);
  }

  get closed(): boolean {
    return this.#held === null;
  }

  #live(): Held {
    if (!this.#held) throw new Error('zlib binding closed');
    return this.#held;
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
