// node:zlib's stream classes as real Transform streams over the sandboxed engine, following Node's
// lib/zlib.js (ZlibBase, Zlib): the same flush rules, output in chunkSize pieces with backpressure
// (a full readable side pauses the engine until it is read), flush(), params(), reset(), close(),
// bytesWritten, errors emitted (the stream is destroyed with them), never thrown from a write.
import { Buffer } from 'node:buffer';
import { Transform, finished, type TransformCallback, type TransformOptions } from 'node:stream';
import { constants } from 'node:zlib';
import { BufferTooLargeError } from './errors.js';
import { rangeOrDefault, resolveOptions, type ZlibOptions } from './options.js';
import { StreamEngine, type ChunkFeeder } from './stream-engine.js';

const { Z_NO_FLUSH, Z_BLOCK, Z_PARTIAL_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_FINISH } = constants;

/** Zero-length chunks that carry a flush kind from flush() to _transform, as Node's kFlushBuffers. */
const kFlushFlag = Symbol('kFlushFlag');
const FLUSH_ORDER = [Z_NO_FLUSH, Z_BLOCK, Z_PARTIAL_FLUSH, Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_FINISH];
const flushBuffers = new Map(FLUSH_ORDER.map((kind) => [kind, Object.assign(Buffer.alloc(0), { [kFlushFlag]: kind })]));

function maxFlush(a: number, b: number): number {
  return FLUSH_ORDER.indexOf(a) > FLUSH_ORDER.indexOf(b) ? a : b;
}

export abstract class ZlibBase extends Transform {
  /** Input bytes the engine has taken in. */
  bytesWritten = 0;
  readonly _chunkSize: number;
  readonly _defaultFlushFlag: number;
  readonly _finishFlushFlag: number;
  readonly _defaultFullFlushFlag: number;
  readonly _maxOutputLength: number;
  readonly _info: boolean;
  #engine: StreamEngine | null;
  #level: number;
  #strategy: number;

  constructor(options: ZlibOptions | undefined, mode: number) {
    const settings = resolveOptions(options, mode);
    const streamOptions: TransformOptions | undefined = options && ((options as TransformOptions).encoding || (options as TransformOptions).objectMode || (options as TransformOptions).writableObjectMode)
      ? { ...options as TransformOptions, encoding: undefined, objectMode: false, writableObjectMode: false }
      : options as TransformOptions | undefined;
    super({ autoDestroy: true, ...streamOptions });
    this._chunkSize = settings.chunkSize;
    this._defaultFlushFlag = settings.flush;
    this._finishFlushFlag = settings.finishFlush;
    this._defaultFullFlushFlag = settings.fullFlush;
    this._maxOutputLength = settings.maxOutputLength;
    this._info = settings.info;
    this.#level = settings.level;
    this.#strategy = settings.strategy;
    this.#engine = new StreamEngine(settings, this);
    this.once('end', () => this.close());
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let flushFlag = this._defaultFlushFlag;
    const tagged = (chunk as { [kFlushFlag]?: unknown })[kFlushFlag];
    if (typeof tagged === 'number') flushFlag = tagged;
    // The last chunk also gets the finish flush.
    if (this.writableEnded && this.writableLength === chunk.byteLength) flushFlag = maxFlush(flushFlag, this._finishFlushFlag);
    this.#process(chunk, flushFlag, callback);
  }

  override _flush(callback: TransformCallback): void {
    this._transform(Buffer.alloc(0), '' as BufferEncoding, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#closeEngine();
    callback(error);
  }

  /** Node's legacy entry: with a callback like a write, without one synchronously (the sync functions' `info` engine). */
  _processChunk(chunk: Uint8Array, flushFlag: number, callback?: TransformCallback): Buffer | undefined {
    if (callback) {
      this.#process(chunk, flushFlag, callback);
      return undefined;
    }
    return this.#processSync(chunk, flushFlag);
  }

  /**
   * Makes everything written so far readable on the other side; `kind` defaults to Z_FULL_FLUSH.
   * The callback runs once the flush has gone through.
   */
  flush(kind?: number | (() => void), callback?: () => void): void {
    if (typeof kind === 'function' || (kind === undefined && !callback)) {
      callback = kind as (() => void) | undefined;
      kind = this._defaultFullFlushFlag;
    }
    if (this.writableFinished) {
      if (callback) process.nextTick(callback);
    } else if (this.writableEnded) {
      if (callback) this.once('end', callback);
    } else {
      const chunk = flushBuffers.get(kind as number) ?? flushBuffers.get(this._defaultFullFlushFlag)!;
      this.write(chunk, callback);
    }
  }

  /** Frees the engine and destroys the stream; `callback` runs when it has finished or failed. */
  close(callback?: (error?: Error | null) => void): void {
    if (callback) finished(this, callback);
    this.destroy();
  }

  /** Resets the engine to a fresh stream with the same options (input and output so far are dropped). */
  reset(): void {
    if (!this.#engine) throw new Error('zlib binding closed');
    this.#engine.reset();
  }

  /** Changes the compression level and strategy (after a sync flush of what was written before). */
  protected changeParams(level: number, strategy: number, callback?: () => void): void {
    rangeOrDefault(level, 'level', constants.Z_MIN_LEVEL, constants.Z_MAX_LEVEL, level);
    rangeOrDefault(strategy, 'strategy', constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, strategy);
    if (this.#level === level && this.#strategy === strategy) {
      if (callback) process.nextTick(callback);
      return;
    }
    this.flush(Z_SYNC_FLUSH, () => {
      if (!this.#engine) return;
      this.#engine.params(level, strategy);
      if (this.destroyed) return;
      this.#level = level;
      this.#strategy = strategy;
      callback?.();
    });
  }

  #closeEngine(): void {
    this.#engine?.close();
    this.#engine = null;
  }

  #process(chunk: Uint8Array, flushFlag: number, callback: TransformCallback): void {
    const engine = this.#engine;
    if (!engine) { process.nextTick(callback); return; }
    let feeder: ChunkFeeder;
    try {
      feeder = engine.feed(chunk, flushFlag);
    } catch (error) {
      this.destroy(error as Error);
      return;
    }
    const run = (): void => {
      while (!feeder.done) {
        if (!this.#engine) { callback(); return; }
        let out: Buffer;
        try {
          out = feeder.step(this._chunkSize);
        } catch (error) {
          // As Node: the stream dies with the error; the write's callback is not called.
          this.destroy(error as Error);
          return;
        }
        const full = out.byteLength > 0 && !this.push(out);
        if (this.destroyed) { callback(); return; }
        if (full && !feeder.done) {
          // More is waiting but the reader is behind: go on when it reads.
          const read = this._read;
          this._read = (size: number): void => {
            this._read = read;
            run();
            read.call(this, size);
          };
          return;
        }
      }
      this.bytesWritten = engine.totalIn();
      // The compressed stream ended before the input did: nothing more will come out.
      if (feeder.endedEarly) this.push(null);
      callback();
    };
    run();
  }

  #processSync(chunk: Uint8Array, flushFlag: number): Buffer {
    const engine = this.#engine;
    if (!engine) throw new Error('zlib binding closed');
    const buffers: Buffer[] = [];
    let nread = 0;
    try {
      const feeder = engine.feed(chunk, flushFlag);
      while (!feeder.done) {
        const out = feeder.step(this._chunkSize);
        if (out.byteLength === 0) continue;
        buffers.push(out);
        nread += out.byteLength;
        if (nread > this._maxOutputLength) throw new BufferTooLargeError(this._maxOutputLength);
      }
      this.bytesWritten = engine.totalIn();
    } finally {
      this.#closeEngine();
    }
    if (nread === 0) return Buffer.alloc(0);
    return buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers, nread);
  }
}

/** Deflate, Gzip and DeflateRaw also change level and strategy mid-stream. */
abstract class Compressor extends ZlibBase {
  params(level: number, strategy: number, callback?: () => void): void {
    this.changeParams(level, strategy, callback);
  }
}

/** zlib format (RFC 1950) out. */
export class Deflate extends Compressor {
  constructor(options?: ZlibOptions) { super(options, constants.DEFLATE); }
}
/** zlib format in. */
export class Inflate extends ZlibBase {
  constructor(options?: ZlibOptions) { super(options, constants.INFLATE); }
}
/** gzip (RFC 1952) out. */
export class Gzip extends Compressor {
  constructor(options?: ZlibOptions) { super(options, constants.GZIP); }
}
/** gzip in; members one after another are read as one stream. */
export class Gunzip extends ZlibBase {
  constructor(options?: ZlibOptions) { super(options, constants.GUNZIP); }
}
/** Raw deflate (RFC 1951) out. */
export class DeflateRaw extends Compressor {
  constructor(options?: ZlibOptions) { super(options, constants.DEFLATERAW); }
}
/** Raw deflate in. */
export class InflateRaw extends ZlibBase {
  constructor(options?: ZlibOptions) { super(options, constants.INFLATERAW); }
}
/** zlib or gzip in, told apart by the header. */
export class Unzip extends ZlibBase {
  constructor(options?: ZlibOptions) { super(options, constants.UNZIP); }
}

export const createDeflate = (options?: ZlibOptions): Deflate => new Deflate(options);
export const createInflate = (options?: ZlibOptions): Inflate => new Inflate(options);
export const createGzip = (options?: ZlibOptions): Gzip => new Gzip(options);
export const createGunzip = (options?: ZlibOptions): Gunzip => new Gunzip(options);
export const createDeflateRaw = (options?: ZlibOptions): DeflateRaw => new DeflateRaw(options);
export const createInflateRaw = (options?: ZlibOptions): InflateRaw => new InflateRaw(options);
export const createUnzip = (options?: ZlibOptions): Unzip => new Unzip(options);
