// cbox/zlib against node:zlib, byte for byte both ways: what one compresses the other decompresses
// to the same bytes, for every format, input size and option that changes the compressed stream.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as z from 'cbox/zlib';

function text(bytes: number): Buffer {
  const words = ['sandbox', 'trap', 'arena', 'memory', 'wasm', 'crash', 'report', 'C', 'Node', 'recycle', 'é', '✓'];
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += `${words[(i * 7 + (i >> 3)) % words.length]}${i % 11 === 0 ? '.\n' : ' '}`;
  return Buffer.from(out).subarray(0, bytes);
}

const INPUTS: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.of(42)],
  ['text 100 KiB', text(100 * 1024)],
  ['random 1 MiB', randomBytes(1 << 20)],
  ['zeros 3 MiB', Buffer.alloc(3 << 20)],
  ['text 6 MiB', text(6 * 1024 * 1024)],
];

type Sync = (buffer: zlib.InputType, options?: { level?: number }) => Buffer;
const PAIRS: [string, Sync, Sync, Sync, Sync][] = [
  ['deflate/inflate', z.deflateSync, zlib.inflateSync, zlib.deflateSync, z.inflateSync],
  ['gzip/gunzip', z.gzipSync, zlib.gunzipSync, zlib.gzipSync, z.gunzipSync],
  ['deflateRaw/inflateRaw', z.deflateRawSync, zlib.inflateRawSync, zlib.deflateRawSync, z.inflateRawSync],
  ['gzip/unzip', z.gzipSync, zlib.unzipSync, zlib.gzipSync, z.unzipSync],
  ['deflate/unzip', z.deflateSync, zlib.unzipSync, zlib.deflateSync, z.unzipSync],
];

describe('cbox/zlib and node:zlib read each other', () => {
  describe.each(PAIRS)('%s', (_, ourCompress, theirDecompress, theirCompress, ourDecompress) => {
    it.each(INPUTS)('%s, levels 0, 1, 6 and 9', (_name, data) => {
      for (const level of [0, 1, 6, 9]) {
        const ours = ourCompress(data, { level });
        expect(Buffer.isBuffer(ours)).toBe(true);
        expect(theirDecompress(ours).equals(data)).toBe(true);
        expect(ourDecompress(theirCompress(data, { level })).equals(data)).toBe(true);
      }
    });
  });

  it('windowBits, memLevel, strategy and a dictionary give streams node:zlib reads, and the other way round', () => {
    const data = text(300_000);
    const dictionary = text(2000);
    const variants: zlib.ZlibOptions[] = [
      { windowBits: 9 }, { windowBits: 12, memLevel: 1 }, { memLevel: 9 },
      { strategy: zlib.constants.Z_FILTERED }, { strategy: zlib.constants.Z_HUFFMAN_ONLY }, { strategy: zlib.constants.Z_RLE }, { strategy: zlib.constants.Z_FIXED },
      { dictionary }, { dictionary: dictionary.buffer.slice(dictionary.byteOffset, dictionary.byteOffset + dictionary.byteLength) as ArrayBuffer },
    ];
    for (const options of variants) {
      expect(zlib.inflateSync(z.deflateSync(data, options), options).equals(data)).toBe(true);
      expect(z.inflateSync(zlib.deflateSync(data, options), options).equals(data)).toBe(true);
      expect(zlib.inflateRawSync(z.deflateRawSync(data, options), options).equals(data)).toBe(true);
      expect(z.inflateRawSync(zlib.deflateRawSync(data, options), options).equals(data)).toBe(true);
    }
    // windowBits 8 for raw deflate is taken as 9, as node:zlib does (zlib itself refuses it).
    expect(z.deflateRawSync(data, { windowBits: 8 }).equals(z.deflateRawSync(data, { windowBits: 9 }))).toBe(true);
    expect(zlib.inflateRawSync(z.deflateRawSync(data, { windowBits: 8 })).equals(data)).toBe(true);
  });

  it('gzip headers carry the same fields node:zlib writes (flags, mtime 0, XFL by level, OS unix)', () => {
    const data = text(70_000);
    expect(z.gzipSync(data).subarray(0, 10).equals(zlib.gzipSync(data).subarray(0, 10))).toBe(true);
    // One-shot (libdeflate) and streamed (zlib) headers alike, at every level.
    for (const level of [0, 1, 2, 6, 8, 9]) {
      const expected = zlib.gzipSync(data, { level }).subarray(0, 10);
      expect(z.gzipSync(data, { level }).subarray(0, 10).equals(expected), `level ${level}`).toBe(true);
      expect(z.gzipSync(data, { level, strategy: zlib.constants.Z_FILTERED }).subarray(0, 10).equals(zlib.gzipSync(data, { level, strategy: zlib.constants.Z_FILTERED }).subarray(0, 10)), `level ${level}, filtered`).toBe(true);
    }
  });

  it('one-shot compression at every level and in every format (libdeflate) reads back with node:zlib, also under a 2 MiB cap', () => {
    const data = text(300_000);
    for (const level of [-1, 0, 1, 4, 6, 9]) {
      expect(zlib.inflateSync(z.deflateSync(data, { level })).equals(data), `deflate ${level}`).toBe(true);
      expect(zlib.gunzipSync(z.gzipSync(data, { level })).equals(data), `gzip ${level}`).toBe(true);
      expect(zlib.inflateRawSync(z.deflateRawSync(data, { level })).equals(data), `raw ${level}`).toBe(true);
    }
    expect(zlib.inflateSync(z.deflateSync(data, { memoryLimit: '2MiB' })).equals(data)).toBe(true);
    // Past maxOutputLength it fails as node:zlib does.
    expect(() => z.deflateSync(data, { maxOutputLength: 16 })).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }));
  });

  it('takes every input node:zlib takes: string, Buffer, TypedArray, DataView, ArrayBuffer, SharedArrayBuffer', () => {
    const data = text(5000);
    const floats = new Float64Array(data.buffer.slice(data.byteOffset, data.byteOffset + 4096) as ArrayBuffer);
    const sharedBytes = new SharedArrayBuffer(data.byteLength);
    new Uint8Array(sharedBytes).set(data);
    const shared = sharedBytes as unknown as ArrayBuffer;
    const inputs: zlib.InputType[] = [data.toString('latin1'), data, new Uint16Array(floats.buffer), floats, new DataView(floats.buffer, 8, 800), floats.buffer, shared];
    // node:zlib's own round trip says which bytes each input stands for.
    for (const input of inputs) {
      expect(zlib.inflateSync(z.deflateSync(input)).equals(zlib.inflateSync(zlib.deflateSync(input)))).toBe(true);
      expect(zlib.gunzipSync(z.gzipSync(input, { level: 3 })).equals(zlib.gunzipSync(zlib.gzipSync(input)))).toBe(true);
    }
    expect(z.inflateSync(zlib.deflateSync('ünïcödé text')).toString()).toBe('ünïcödé text');
  });

  it('reads gzip members one after another, skips zero padding after them and ignores bytes after a zlib stream, as node:zlib does', () => {
    const members = Buffer.concat([zlib.gzipSync('first '), z.gzipSync('second '), zlib.gzipSync('third')]);
    for (const read of [z.gunzipSync, z.unzipSync]) expect(read(members).toString()).toBe('first second third');
    const padded = Buffer.concat([members, Buffer.alloc(100)]);
    expect(z.gunzipSync(padded).equals(zlib.gunzipSync(padded))).toBe(true);
    const trailing = Buffer.concat([zlib.deflateSync('payload'), Buffer.from('TRAILER')]);
    expect(z.inflateSync(trailing).equals(zlib.inflateSync(trailing))).toBe(true);
    expect(z.unzipSync(trailing).toString()).toBe('payload');
  });

  it('finishFlush Z_SYNC_FLUSH reads a truncated stream as far as it goes, like node:zlib', () => {
    const data = text(200_000);
    const cut = zlib.deflateSync(data).subarray(0, 30_000);
    const options = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    const ours = z.inflateSync(cut, options);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.equals(zlib.inflateSync(cut, options))).toBe(true);
  });

  it('info: true answers { buffer, engine } with the engine that did the work', () => {
    const data = text(50_000);
    const { buffer, engine } = z.deflateSync(data, { info: true });
    expect(engine).toBeInstanceOf(z.Deflate);
    expect(engine.bytesWritten).toBe(data.length);
    expect(zlib.inflateSync(buffer).equals(data)).toBe(true);
    const back = z.gunzipSync(zlib.gzipSync(data), { info: true, chunkSize: 1024 });
    expect(back.buffer.equals(data)).toBe(true);
    expect(back.engine).toBeInstanceOf(z.Gunzip);
  });

  it('one-shot results of tens of MiB, one after another (the sandbox gives back what a large call grew)', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(48 * 1024 * 1024, 1));
    for (let round = 0; round < 3; round++) {
      const out = z.inflateSync(bomb);
      expect(out.length).toBe(48 * 1024 * 1024);
      expect(out.every((byte) => byte === 1)).toBe(true);
    }
    expect(z.gunzipSync(zlib.gzipSync('small after large')).toString()).toBe('small after large');
  });

  it('crc32 agrees with node:zlib for bytes, strings and a running value', () => {
    const data = text(300_000);
    expect(z.crc32(data)).toBe(zlib.crc32(data));
    expect(z.crc32('hello ✓')).toBe(zlib.crc32('hello ✓'));
    expect(z.crc32(new DataView(data.buffer, data.byteOffset + 7, 1000))).toBe(zlib.crc32(new DataView(data.buffer, data.byteOffset + 7, 1000)));
    expect(z.crc32(data.subarray(1000), z.crc32(data.subarray(0, 1000)))).toBe(zlib.crc32(data));
    expect(z.crc32(Buffer.alloc(0), 12345)).toBe(12345);
  });

  it('exports the constants and codes node:zlib exports, and a default export with the functions', () => {
    expect(z.constants).toEqual(zlib.constants);
    expect(z.codes).toEqual((zlib as unknown as { codes: unknown }).codes);
    expect(z.default.gunzipSync(zlib.gzipSync('default')).toString()).toBe('default');
  });
});
