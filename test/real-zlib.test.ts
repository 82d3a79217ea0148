// zlib 1.3.1 built by cbox, checked byte for byte against node:zlib, and fed corrupt streams.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CboxCallError, CboxClosedError, StaleHandleError } from 'cbox';
import { openZlib, type Zlib } from '../examples/real-libraries/zlib.js';

let z: Zlib;
beforeAll(async () => {
  z = await openZlib({ memoryLimit: '128MiB' });
});
afterAll(() => z.close());

function text(bytes: number): Uint8Array {
  const words = ['sandbox', 'trap', 'arena', 'memory', 'wasm', 'crash', 'report', 'C', 'Node', 'recycle', 'é', '✓'];
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += `${words[(i * 7 + (i >> 3)) % words.length]}${i % 11 === 0 ? '.\n' : ' '}`;
  return new TextEncoder().encode(out).subarray(0, bytes);
}

const INPUTS: [string, Uint8Array][] = [
  ['empty', new Uint8Array()],
  ['one byte', Uint8Array.of(42)],
  ['text 100 KiB', text(100 * 1024)],
  ['random 1 MiB', new Uint8Array(randomBytes(1 << 20))],
  ['text 6 MiB', text(6 * 1024 * 1024)],
];

describe('cbox zlib against node:zlib', () => {
  it.each(INPUTS)('%s: cbox output inflates with node:zlib and node:zlib output inflates with cbox', (_, data) => {
    for (const level of [1, 6, 9]) {
      expect(Buffer.from(zlib.inflateSync(z.deflateSync(data, level))).equals(Buffer.from(data))).toBe(true);
      expect(Buffer.from(zlib.gunzipSync(z.gzipSync(data, level))).equals(Buffer.from(data))).toBe(true);
    }
    expect(Buffer.from(z.inflateSync(zlib.deflateSync(data))).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(z.gunzipSync(zlib.gzipSync(data))).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(z.inflateRawSync(zlib.deflateRawSync(data))).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(zlib.inflateRawSync(z.deflateRawSync(data))).equals(Buffer.from(data))).toBe(true);
  });

  it('reads concatenated gzip members, like gunzip does', () => {
    const joined = Buffer.concat([zlib.gzipSync('first '), zlib.gzipSync('second')]);
    expect(new TextDecoder().decode(z.gunzipSync(joined))).toBe('first second');
  });

  it('checksums agree with node:zlib', () => {
    const data = text(300_000);
    expect(z.crc32(data)).toBe(zlib.crc32(data));
    expect(z.crc32(data.subarray(1000), z.crc32(data.subarray(0, 1000)))).toBe(zlib.crc32(data));
    expect(z.library.version()).toMatch(/^1\.3\.1/);
  });

  it('streams: small chunks in, the same bytes out, both directions', () => {
    const data = text(200_000);
    const deflate = z.createDeflate({ format: 'gzip', level: 6 });
    const compressed: Uint8Array[] = [];
    for (let at = 0; at < data.length; at += 777) compressed.push(deflate.push(data.subarray(at, at + 777)));
    compressed.push(deflate.finish());
    const whole = Buffer.concat(compressed);
    expect(Buffer.from(zlib.gunzipSync(whole)).equals(Buffer.from(data))).toBe(true);

    const inflate = z.createInflate();
    const parts: Uint8Array[] = [];
    const peer = zlib.deflateSync(data);
    for (let at = 0; at < peer.length; at += 100) parts.push(inflate.push(peer.subarray(at, at + 100)));
    expect(inflate.ended).toBe(true);
    parts.push(inflate.finish());
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
  });

  it('streams: sync flush makes everything so far decodable; bytes after the end are counted, not decoded', () => {
    const deflate = z.createDeflate({ format: 'raw' });
    const first = deflate.flush(new TextEncoder().encode('hello, '));
    expect(zlib.inflateRawSync(first, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString()).toBe('hello, ');
    const whole = Buffer.concat([first, deflate.finish(new TextEncoder().encode('world'))]);
    expect(zlib.inflateRawSync(whole).toString()).toBe('hello, world');
    const inflate = z.createInflate({ format: 'zlib' });
    const out = inflate.push(Buffer.concat([zlib.deflateSync('payload'), Buffer.from('TRAILER')]));
    expect(new TextDecoder().decode(out)).toBe('payload');
    expect([inflate.ended, inflate.unused]).toEqual([true, 7]);
    inflate.close();
  });
});

describe('cbox zlib under hostile input', () => {
  it('a corrupt or truncated stream is a clean CboxCallError and the next call works', () => {
    const recycles = z.library.stats().recycles;
    const good = zlib.deflateSync(text(50_000));
    const corrupt = Buffer.from(good);
    corrupt.fill(0x55, 20, 60);
    expect(() => z.inflateSync(corrupt)).toThrow(CboxCallError);
    expect(() => z.inflateSync(good.subarray(0, good.length >> 1))).toThrow(/unexpected end of data/);
    expect(() => z.inflateSync(Buffer.from('definitely not zlib'))).toThrow(/incorrect header check|invalid/);
    expect(() => z.gunzipSync(randomBytes(4096))).toThrow(CboxCallError);
    expect(new TextDecoder().decode(z.inflateSync(zlib.deflateSync('still fine')))).toBe('still fine');
    expect(z.library.stats().recycles).toBe(recycles); // clean errors never cost a recycle
  });

  it('streams: truncated, corrupt, finished or recycled streams throw clear errors', () => {
    const compressed = zlib.gzipSync(text(100_000));
    const truncated = z.createInflate();
    truncated.push(compressed.subarray(0, compressed.length - 10));
    expect(() => truncated.finish()).toThrow(/unexpected end of data/);
    expect(() => truncated.push(compressed)).toThrow(CboxClosedError);

    const corrupt = z.createInflate();
    const damaged = Buffer.from(compressed);
    damaged.fill(0x55, 30, 80);
    expect(() => corrupt.push(damaged)).toThrow(CboxCallError);
    expect(() => corrupt.push(compressed)).toThrow(/finished or closed/); // dead and freed

    const done = z.createDeflate();
    done.finish(new Uint8Array(10));
    expect(() => done.push(new Uint8Array(1))).toThrow(CboxClosedError);
    expect(() => z.createDeflate({ level: 42 })).toThrow(RangeError);

    const open = z.createDeflate();
    open.push(text(1000));
    z.library.recycle('test');
    expect(() => open.push(text(10))).toThrow(StaleHandleError);
    open.close(); // its C state went with the old sandbox: nothing to free, no error
    expect(new TextDecoder().decode(z.gunzipSync(z.gzipSync(new TextEncoder().encode('fresh sandbox'))))).toBe('fresh sandbox');
  });

  it('a decompression bomb stops at the memory limit without hurting the process', async () => {
    const small = await openZlib({ memoryLimit: '16MiB' });
    const bomb = zlib.deflateSync(new Uint8Array(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
    // zlib's output buffer cannot grow past the limit: malloc answers NULL, zlib says so.
    expect(() => small.inflateSync(bomb)).toThrow(expect.objectContaining({ name: 'CboxCallError', message: 'inflate: out of memory' }));
    expect(() => small.createInflate().push(bomb)).toThrow(/inflate_push: out of memory/);
    expect(small.library.stats()).toMatchObject({ recycles: 0, memory: { limit: 16 * 2 ** 20 } });
    expect(new TextDecoder().decode(small.inflateSync(zlib.deflateSync('after the bomb')))).toBe('after the bomb');
    small.close();
  });
});
