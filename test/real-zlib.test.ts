// zlib 1.3.1 built by cbox, checked byte for byte against node:zlib, and fed corrupt streams.
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CboxCallError } from 'cbox';
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
    expect(Buffer.from(z.library.inflate_raw(zlib.deflateRawSync(data))).equals(Buffer.from(data))).toBe(true);
  });

  it('reads concatenated gzip members, like gunzip does', () => {
    const joined = Buffer.concat([zlib.gzipSync('first '), zlib.gzipSync('second')]);
    expect(new TextDecoder().decode(z.gunzipSync(joined))).toBe('first second');
  });

  it('checksums agree with node:zlib', () => {
    const data = text(300_000);
    expect(z.library.crc32(data, 0)).toBe(zlib.crc32(data));
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
    inflate.end();
    expect(Buffer.concat(parts).equals(Buffer.from(data))).toBe(true);
  });
});

describe('cbox zlib under hostile input', () => {
  it('a corrupt or truncated stream is a clean CboxCallError and the next call works', () => {
    const good = zlib.deflateSync(text(50_000));
    const corrupt = Buffer.from(good);
    corrupt.fill(0x55, 20, 60);
    expect(() => z.inflateSync(corrupt)).toThrow(CboxCallError);
    expect(() => z.inflateSync(good.subarray(0, good.length >> 1))).toThrow(/unexpected end|incomplete|truncated/i);
    expect(() => z.inflateSync(Buffer.from('definitely not zlib'))).toThrow(/incorrect header check|invalid/);
    expect(() => z.gunzipSync(randomBytes(4096))).toThrow(CboxCallError);
    expect(new TextDecoder().decode(z.inflateSync(zlib.deflateSync('still fine')))).toBe('still fine');
    const generation = z.library.generation;
    expect(z.library.generation).toBe(generation); // clean errors never cost a recycle
  });

  it('a decompression bomb stops at the memory limit without hurting the process', async () => {
    const small = await openZlib({ memoryLimit: '16MiB' });
    const bomb = zlib.deflateSync(new Uint8Array(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
    let failure: unknown;
    try {
      small.inflateSync(bomb);
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).toMatch(/memory|insufficient|out-of-memory/i);
    expect(new TextDecoder().decode(small.inflateSync(zlib.deflateSync('after the bomb')))).toBe('after the bomb');
    small.close();
  });
});
