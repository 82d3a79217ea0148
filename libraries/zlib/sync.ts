// node:zlib's synchronous one-shot functions: the whole input in one call into the sandbox and
// the whole result back (no stream object, no per-chunk crossings), with node's options, inputs
// and errors. `info: true` goes through a stream engine as Node does, to hand that engine back.
import { Buffer } from 'node:buffer';
import { constants } from 'node:zlib';
import { engineFailure } from './engine-failure.js';
import { inputBytes, resolveOptions, type ZlibOptions } from './options.js';
import { afterOneShot, oneShotSandbox } from './sandboxes.js';
import { Deflate, DeflateRaw, Gunzip, Gzip, Inflate, InflateRaw, Unzip, type ZlibBase } from './streams.js';

/** What node:zlib takes as input. */
export type InputType = string | ArrayBuffer | NodeJS.ArrayBufferView;

/** Answers the result; with `info: true`, { buffer, engine } (typed as @types/node types node:zlib's). */
export interface SyncFunction<Engine extends ZlibBase> {
  (buffer: InputType, options: ZlibOptions & { info: true }): { buffer: Buffer; engine: Engine };
  (buffer: InputType, options?: ZlibOptions): Buffer;
}

function oneShot<Engine extends ZlibBase>(mode: number, Engine: new (options?: ZlibOptions) => Engine): SyncFunction<Engine> {
  function run(buffer: InputType, options?: ZlibOptions): Buffer | { buffer: Buffer; engine: Engine } {
    const settings = resolveOptions(options, mode);
    if (settings.info) {
      const engine = new Engine(options);
      return { buffer: engine._processChunk(inputBytes(buffer), settings.finishFlush)!, engine };
    }
    const data = inputBytes(buffer);
    const library = oneShotSandbox(settings.memoryLimit);
    let out: Uint8Array;
    try {
      out = library.process(mode, settings.level, settings.windowBits, settings.memLevel, settings.strategy, settings.dictionary,
        data, settings.finishFlush, Math.min(settings.maxOutputLength, 0xffff_ffff));
    } catch (error) {
      throw engineFailure(library, error, settings.maxOutputLength);
    }
    afterOneShot(library, data.byteLength + out.byteLength);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }
  return run as SyncFunction<Engine>;
}

export const deflateSync = oneShot(constants.DEFLATE, Deflate);
export const inflateSync = oneShot(constants.INFLATE, Inflate);
export const gzipSync = oneShot(constants.GZIP, Gzip);
export const gunzipSync = oneShot(constants.GUNZIP, Gunzip);
export const deflateRawSync = oneShot(constants.DEFLATERAW, DeflateRaw);
export const inflateRawSync = oneShot(constants.INFLATERAW, InflateRaw);
export const unzipSync = oneShot(constants.UNZIP, Unzip);
