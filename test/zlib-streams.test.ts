// cbox/zlib's streams as Node streams: pipeline in both directions with random chunking, against
// node:zlib's bytes; backpressure (a decompression bomb is paced by its reader and fits a small
// memoryLimit); flush, params, reset, close, bytesWritten; errors emitted, never thrown.
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as z from 'cbox/zlib';

function text(bytes: number): Buffer {
  const words = ['stream', 'chunk', 'flush', 'window', 'deflate', 'pipe', 'drain', 'ü', '→'];
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += `${words[(i * 5 + (i >> 2)) % words.length]}${i % 9 === 0 ? '\n' : ' '}`;
  return Buffer.from(out).subarray(0, bytes);
}

/** A seeded generator, so a failing chunking can be replayed. */
function chunker(seed: number): (data: Buffer) => Buffer[] {
  let state = seed;
  const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return (data) => {
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length;) {
      const size = Math.max(1, Math.floor(next() ** 3 * 70_000));
      chunks.push(data.subarray(at, at + size));
      at += size;
    }
    return chunks;
  };
}

async function through(stream: NodeJS.ReadWriteStream, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), stream, new Writable({ write(chunk: Buffer, _encoding, done) { out.push(chunk); done(); } }));
  return Buffer.concat(out);
}

const FORMATS: [string, () => NodeJS.ReadWriteStream, (data: Buffer) => Buffer, (data: Buffer) => Buffer, () => NodeJS.ReadWriteStream][] = [
  ['deflate', () => z.createDeflate(), zlib.inflateSync, zlib.deflateSync, () => z.createInflate()],
  ['gzip', () => z.createGzip({ level: 9 }), zlib.gunzipSync, zlib.gzipSync, () => z.createGunzip()],
  ['raw', () => z.createDeflateRaw({ level: 1 }), zlib.inflateRawSync, zlib.deflateRawSync, () => z.createInflateRaw()],
  ['gzip read by unzip', () => z.createGzip(), zlib.unzipSync, zlib.gzipSync, () => z.createUnzip()],
];

describe('cbox/zlib streams in pipelines', () => {
  it.each(FORMATS)('%s: randomly chunked input compresses to what node:zlib reads, and node:zlib output decompresses back', async (_, compressor, theirRead, theirWrite, decompressor) => {
    const data = Buffer.concat([text(900_000), randomBytes(300_000), text(500_000)]);
    for (const seed of [1, 2, 3]) {
      const split = chunker(seed);
      expect(theirRead(await through(compressor(), split(data))).equals(data)).toBe(true);
      expect((await through(decompressor(), split(theirWrite(data)))).equals(data)).toBe(true);
    }
    // One chunk of 1.7 MB each way (the engine takes it in 64 KiB pieces).
    expect(theirRead(await through(compressor(), [data])).equals(data)).toBe(true);
    expect((await through(decompressor(), [theirWrite(data)])).equals(data)).toBe(true);
    expect((await through(compressor(), [])).length).toBeGreaterThan(0); // an empty stream still has its header
    expect((await through(decompressor(), [theirWrite(Buffer.alloc(0))])).length).toBe(0);
  });

  it('output comes in pieces of at most chunkSize', async () => {
    const pieces: number[] = [];
    const inflate = z.createInflate({ chunkSize: 4096 });
    inflate.on('data', (piece: Buffer) => pieces.push(piece.length));
    inflate.end(zlib.deflateSync(text(100_000)));
    await new Promise((resolve) => inflate.on('end', resolve));
    expect(Math.max(...pieces)).toBe(4096);
    expect(pieces.reduce((a, b) => a + b, 0)).toBe(100_000);
  });

  it('backpressure: a 64 MiB bomb waits for its reader, and streams through a 16 MiB sandbox whole', async () => {
    const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024));
    const inflate = z.createInflate({ memoryLimit: '16MiB' });
    inflate.write(bomb);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Nobody reads: the engine stopped once the readable side was full.
    expect(inflate.readableLength).toBeLessThanOrEqual(inflate.readableHighWaterMark + 16 * 1024);
    expect(inflate.bytesWritten).toBeLessThan(bomb.length);
    let total = 0;
    let nonZero = 0;
    inflate.on('data', (piece: Buffer) => { total += piece.length; if (piece.some((byte) => byte !== 0)) nonZero++; });
    inflate.end();
    await new Promise((resolve, reject) => { inflate.on('end', resolve); inflate.on('error', reject); });
    expect([total, nonZero]).toEqual([64 * 1024 * 1024, 0]);
    expect(inflate.bytesWritten).toBe(bomb.length);
    // The same bomb in one shot does not fit that sandbox: a clean error instead.
    expect(() => z.inflateSync(bomb, { memoryLimit: '16MiB' })).toThrow(z.ZlibMemoryLimitError);
  });

  it('flush() makes everything written so far decodable, as node:zlib flush() does', async () => {
    for (const make of [() => z.createDeflate(), () => z.createGzip()]) {
      const deflate = make();
      const out: Buffer[] = [];
      deflate.on('data', (piece: Buffer) => out.push(piece));
      deflate.write('hello, ');
      await new Promise<void>((resolve) => deflate.flush(() => resolve()));
      const sofar = Buffer.concat(out);
      expect(zlib.unzipSync(sofar, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString()).toBe('hello, ');
      deflate.write('world');
      await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
      deflate.end();
      await new Promise((resolve) => deflate.on('end', resolve));
      expect(zlib.unzipSync(Buffer.concat(out)).toString()).toBe('hello, world');
    }
  });

  it('params() changes level and strategy mid-stream; the result still reads back', async () => {
    const data = text(300_000);
    const deflate = z.createDeflate({ level: 1 });
    const out: Buffer[] = [];
    deflate.on('data', (piece: Buffer) => out.push(piece));
    deflate.write(data.subarray(0, 150_000));
    await new Promise<void>((resolve) => deflate.params(9, zlib.constants.Z_FILTERED, () => resolve()));
    deflate.end(data.subarray(150_000));
    await new Promise((resolve) => deflate.on('end', resolve));
    expect(zlib.inflateSync(Buffer.concat(out)).equals(data)).toBe(true);
    expect(() => z.createDeflate().params(10, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('reset() starts a fresh stream on the same engine', () => {
    const inflate = z.createInflate();
    const pieces: Buffer[] = [];
    inflate.on('data', (piece: Buffer) => pieces.push(piece));
    inflate.write(zlib.deflateSync('one'));
    inflate.reset();
    inflate.write(zlib.deflateSync('two'));
    return new Promise<void>((resolve) => setImmediate(() => { expect(Buffer.concat(pieces).toString()).toBe('onetwo'); inflate.close(() => resolve()); }));
  });

  it('bytesWritten counts the input the engine took, as node:zlib counts it', async () => {
    const data = text(200_000);
    const trailing = Buffer.concat([zlib.deflateSync(data), Buffer.from('TRAILING')]);
    for (const [ours, theirs, input] of [[z.createDeflate(), zlib.createDeflate(), data], [z.createInflate(), zlib.createInflate(), trailing]] as const) {
      const [a, b] = await Promise.all([through(ours, [input]), through(theirs, [input])]);
      expect(ours.bytesWritten).toBe(theirs.bytesWritten);
      if (ours instanceof z.Inflate) expect(a.equals(b)).toBe(true);
    }
  });

  it('errors are emitted (pipeline rejects), never thrown, with the code and message node:zlib emits', async () => {
    const good = zlib.gzipSync(text(100_000));
    const corrupt = Buffer.from(good);
    corrupt.fill(0x55, 30, 80);
    for (const input of [corrupt, good.subarray(0, good.length - 9), Buffer.from('not gzip at all')]) {
      const theirs = await through(zlib.createGunzip(), [input]).then(() => null, (error: Error & { code: string; errno: number }) => error);
      const ours = await through(z.createGunzip(), [input]).then(() => null, (error: Error & { code: string; errno: number }) => error);
      expect(theirs).not.toBeNull();
      expect(ours && { message: ours.message, code: ours.code, errno: ours.errno }).toEqual({ message: theirs!.message, code: theirs!.code, errno: theirs!.errno });
    }
    const stream = z.createInflate();
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve));
    expect(() => stream.write(Buffer.from('garbage garbage'))).not.toThrow();
    expect(await failed).toMatchObject({ code: 'Z_DATA_ERROR', errno: -3 });
    expect(stream.destroyed).toBe(true);
  });

  it('many streams at once: when a sandbox is full, new streams go into another, each still capped', async () => {
    const data = text(50_000);
    // About 270 KiB of zlib state each: a 4 MiB sandbox holds a handful, 40 need several.
    const streams = Array.from({ length: 40 }, (_, i) => (i % 2 ? z.createGzip({ memoryLimit: '4MiB' }) : z.createDeflate({ memoryLimit: '4MiB' })));
    const outputs = await Promise.all(streams.map((stream) => {
      const pieces: Buffer[] = [];
      stream.on('data', (piece: Buffer) => pieces.push(piece));
      return new Promise<Buffer>((resolve, reject) => { stream.on('end', () => resolve(Buffer.concat(pieces))); stream.on('error', reject); stream.end(data); });
    }));
    for (const output of outputs) expect(zlib.unzipSync(output).equals(data)).toBe(true);
    // One stream that cannot fit even an empty sandbox is a clean error from the constructor.
    expect(() => z.createDeflate({ memoryLimit: '768KiB', memLevel: 9 })).toThrow(z.ZlibMemoryLimitError);
    expect(() => z.createDeflate({ memoryLimit: '768KiB', memLevel: 9 })).toThrow('memoryLimit 768 KiB');
  });

  it('close() frees the engine and calls back; a closed stream refuses reset', async () => {
    const gzip = z.createGzip();
    gzip.write('some data');
    await new Promise<void>((resolve) => gzip.close(() => resolve()));
    expect(gzip.destroyed).toBe(true);
    expect(() => gzip.reset()).toThrow('zlib binding closed');
  });
});

describe('cbox/zlib callback functions', () => {
  it('deflate, gunzip, unzip, ... answer through a callback and promisify', async () => {
    const data = text(150_000);
    const deflated = await promisify(z.deflate)(data);
    expect(zlib.inflateSync(deflated).equals(data)).toBe(true);
    const gz = await new Promise<Buffer>((resolve, reject) => z.gzip(data, { level: 2 }, (error, result) => error ? reject(error) : resolve(result)));
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
    expect((await promisify(z.unzip)(gz)).equals(data)).toBe(true);
    expect((await promisify(z.inflateRaw)(zlib.deflateRawSync(data))).equals(data)).toBe(true);
    expect((await promisify(z.gunzip)(new Uint8Array(gz).buffer)).equals(data)).toBe(true);
  });

  it('errors and maxOutputLength arrive in the callback as node:zlib gives them', async () => {
    const corrupt = await promisify(z.inflate)(Buffer.from('garbage')).catch((error: unknown) => error);
    expect(corrupt).toMatchObject({ code: 'Z_DATA_ERROR', errno: -3, message: 'incorrect header check' });
    const tooLarge = await promisify(z.inflate)(zlib.deflateSync(Buffer.alloc(100_000)), { maxOutputLength: 1000 }).catch((error: unknown) => error);
    const theirs = await promisify(zlib.inflate)(zlib.deflateSync(Buffer.alloc(100_000)), { maxOutputLength: 1000 }).catch((error: unknown) => error);
    expect(tooLarge).toBeInstanceOf(RangeError);
    expect(tooLarge).toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE', message: (theirs as Error).message });
    expect(() => (z.deflate as (buffer: string, options: object) => void)('x', {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
