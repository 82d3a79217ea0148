// node:zlib's callback functions (deflate(buffer, [options], callback), ...): the input goes
// through a stream engine as in Node's zlibBuffer, so a large input is worked on in chunkSize
// pieces between which the event loop runs. The pieces run on the main thread (Node's run in
// its thread pool); for work off the main thread use cbox's pool.
import { Buffer } from 'node:buffer';
import { promisify, types } from 'node:util';
import { BufferTooLargeError, InvalidArgTypeError } from './errors.js';
import type { ZlibOptions } from './options.js';
import { Deflate, DeflateRaw, Gunzip, Gzip, Inflate, InflateRaw, Unzip, type ZlibBase } from './streams.js';
import type { InputType } from './sync.js';

export type CompressCallback = (error: Error | null, result: Buffer) => void;

export interface CallbackFunction {
  (buffer: InputType, callback: CompressCallback): void;
  (buffer: InputType, options: ZlibOptions, callback: CompressCallback): void;
  /** util.promisify(fn) answers this: (buffer, options?) => Promise<Buffer>. */
  [promisify.custom]: (buffer: InputType, options?: ZlibOptions) => Promise<Buffer>;
}

function collect(engine: ZlibBase, buffer: InputType, callback: unknown): void {
  if (typeof callback !== 'function') throw new InvalidArgTypeError('callback', 'of type function', callback);
  const done = callback as (error: Error | null, result?: unknown) => void;
  // Streams take Uint8Array chunks: other views and array buffers become Buffers over the same bytes.
  let chunk: unknown = buffer;
  if (ArrayBuffer.isView(buffer) && !(buffer instanceof Uint8Array)) chunk = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  else if (types.isAnyArrayBuffer(buffer)) chunk = Buffer.from(buffer);
  const buffers: Buffer[] = [];
  let nread = 0;
  engine.on('data', (piece: Buffer) => {
    buffers.push(piece);
    nread += piece.byteLength;
    if (nread > engine._maxOutputLength) {
      engine.close();
      engine.removeAllListeners('end');
      done(new BufferTooLargeError(engine._maxOutputLength));
    }
  });
  engine.on('error', (error: Error) => {
    engine.removeAllListeners('end');
    done(error);
  });
  engine.on('end', () => {
    const result = nread === 0 ? Buffer.alloc(0) : buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers, nread);
    engine.close();
    done(null, engine._info ? { buffer: result, engine } : result);
  });
  engine.end(chunk);
}

function callbackFunction(Engine: new (options?: ZlibOptions) => ZlibBase): CallbackFunction {
  function run(buffer: InputType, options: ZlibOptions | CompressCallback, callback?: CompressCallback): void {
    if (typeof options === 'function') {
      callback = options;
      options = {};
    }
    collect(new Engine(options), buffer, callback);
  }
  const promised = (buffer: InputType, options: ZlibOptions = {}): Promise<Buffer> =>
    new Promise((resolve, reject) => run(buffer, options, (error, result) => (error ? reject(error) : resolve(result))));
  return Object.assign(run, { [promisify.custom]: promised }) as CallbackFunction;
}

export const deflate = callbackFunction(Deflate);
export const inflate = callbackFunction(Inflate);
export const gzip = callbackFunction(Gzip);
export const gunzip = callbackFunction(Gunzip);
export const deflateRaw = callbackFunction(DeflateRaw);
export const inflateRaw = callbackFunction(InflateRaw);
export const unzip = callbackFunction(Unzip);
