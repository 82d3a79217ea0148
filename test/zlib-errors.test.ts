// cbox/zlib fails as node:zlib fails (same class, code, errno and message) for bad options, bad
// inputs, corrupt, truncated or dictionary-less data and maxOutputLength, and adds one failure of
// its own: the sandbox's memoryLimit turns a decompression bomb into ZlibMemoryLimitError.
import { inspect } from 'node:util';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CboxLoadError } from 'cbox';
import * as z from 'cbox/zlib';

interface Shape { readonly kind: string; readonly name: string; readonly message: string; readonly code: unknown; readonly errno: unknown }

function failure(fn: () => unknown): Shape | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    const e = error as Error & { code?: unknown; errno?: unknown };
    const kind = e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : 'Error';
    return { kind, name: e.name, message: e.message, code: e.code, errno: e.errno };
  }
}

const nodeZlib = zlib as unknown as Record<string, (...args: unknown[]) => unknown>;
const cboxZlib = z as unknown as Record<string, (...args: unknown[]) => unknown>;

/** The same call on both; node:zlib must fail for the comparison to mean something. */
function expectSameFailure(name: string, ...args: unknown[]): void {
  const theirs = failure(() => nodeZlib[name]!(...args));
  expect(theirs).not.toBe('no error');
  expect(failure(() => cboxZlib[name]!(...args))).toEqual(theirs);
}

const BAD_OPTIONS: object[] = [
  { level: 10 }, { level: -2 }, { level: '3' }, { level: null }, { level: Infinity }, { level: 1n },
  { windowBits: 7 }, { windowBits: 16 }, { memLevel: 0 }, { memLevel: 10 }, { strategy: 5 }, { strategy: -1 },
  { chunkSize: 10 }, { chunkSize: 'big' }, { flush: 6 }, { finishFlush: -1 }, { maxOutputLength: 0 }, { maxOutputLength: 2 ** 40 },
  { dictionary: 'words' }, { dictionary: 42 }, { level: 3, memLevel: 99 },
];

describe('cbox/zlib errors, as node:zlib gives them', () => {
  it.each(BAD_OPTIONS.map((options) => [inspect(options), options]))('bad options %s', (_, options) => {
    for (const name of ['deflateSync', 'gzipSync', 'inflateRawSync', 'createDeflate', 'createGunzip']) {
      expectSameFailure(name, ...(name.startsWith('create') ? [options] : [Buffer.from('data'), options]));
    }
  });

  it('windowBits 8 is refused for gzip only, and 0 means "from the header" for inflaters only', () => {
    expectSameFailure('gzipSync', 'data', { windowBits: 8 });
    expectSameFailure('deflateSync', 'data', { windowBits: 0 });
    expectSameFailure('inflateRawSync', zlib.deflateRawSync('data'), { windowBits: 0 });
    expect(z.inflateSync(zlib.deflateSync('data', { windowBits: 10 }), { windowBits: 0 }).toString()).toBe('data');
  });

  it('inputs node:zlib refuses are refused the same way', () => {
    for (const input of [undefined, null, 42, true, {}, [1, 2], () => 1, Symbol('s'), 'x'.repeat(40)]) {
      if (typeof input === 'string') continue;
      expectSameFailure('deflateSync', input);
      expectSameFailure('unzipSync', input);
    }
    expectSameFailure('crc32', 42);
    expectSameFailure('crc32', new ArrayBuffer(4));
    expectSameFailure('crc32', 'x', -1);
    expectSameFailure('crc32', 'x', 2 ** 32);
    expectSameFailure('crc32', 'x', 1.5);
    expectSameFailure('crc32', 'x', '1');
  });

  it('corrupt, truncated, empty, wrong-format and dictionary-less data: Error with zlib code, errno and message', () => {
    const data = Buffer.from('payload '.repeat(5000));
    const good = zlib.deflateSync(data);
    const corrupt = Buffer.from(good);
    corrupt.fill(0x55, 20, 60);
    const dictionary = Buffer.from('payload payload');
    const withDictionary = zlib.deflateSync(data, { dictionary });
    const gz = zlib.gzipSync(data);
    const cases: [string, unknown[]][] = [
      ['inflateSync', [corrupt]], ['inflateSync', [good.subarray(0, good.length >> 1)]], ['inflateSync', [Buffer.alloc(0)]],
      ['inflateSync', [Buffer.from('definitely not zlib')]], ['gunzipSync', [good]], ['inflateSync', [gz]],
      ['gunzipSync', [Buffer.concat([gz, Buffer.from('garbage after the member')])]], ['gunzipSync', [Buffer.concat([gz, Buffer.of(0x1f)])]],
      ['inflateRawSync', [Buffer.of(0xff, 0xff, 0xff)]], ['unzipSync', [Buffer.of(0x78)]],
      ['inflateSync', [withDictionary]], ['inflateSync', [withDictionary, { dictionary: Buffer.from('wrong words') }]],
    ];
    for (const [name, args] of cases) {
      expectSameFailure(name, ...args);
      expect(failure(() => cboxZlib[name]!(...args))).toMatchObject({ kind: 'Error' });
    }
    expect(z.inflateSync(withDictionary, { dictionary }).equals(data)).toBe(true);
    const error = failure(() => z.inflateSync(corrupt));
    expect(error).toMatchObject({ code: 'Z_DATA_ERROR', errno: -3 });
    expect(() => z.inflateSync(corrupt)).toThrow(z.ZlibError);
  });

  it('maxOutputLength: past it RangeError ERR_BUFFER_TOO_LARGE as node:zlib throws it, up to it the result', () => {
    const data = Buffer.alloc(100_000, 7);
    const deflated = zlib.deflateSync(data);
    for (const name of ['inflateSync', 'unzipSync']) expectSameFailure(name, deflated, { maxOutputLength: 99_999 });
    expectSameFailure('deflateSync', data, { maxOutputLength: 10 });
    expect(z.inflateSync(deflated, { maxOutputLength: 100_000 }).equals(data)).toBe(true);
    expect(failure(() => z.inflateSync(deflated, { maxOutputLength: 5000, info: true }))).toEqual(failure(() => zlib.inflateSync(deflated, { maxOutputLength: 5000, info: true } as never)));
  });

  it('a decompression bomb under a small memoryLimit: ZlibMemoryLimitError (Z_MEM_ERROR, errno -4), and the next call works', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
    const rssBefore = process.memoryUsage().rss;
    for (const read of [z.inflateSync, z.unzipSync]) {
      const error = failure(() => read(bomb, { memoryLimit: '8MiB' }));
      expect(error).toMatchObject({ kind: 'Error', code: 'Z_MEM_ERROR', errno: -4 });
      expect((error as Shape).message).toMatch(/memoryLimit 8 MiB/);
      expect(() => read(bomb, { memoryLimit: '8MiB' })).toThrow(z.ZlibMemoryLimitError);
    }
    // The bomb never reached the process: its 64 MiB were refused inside the 8 MiB sandbox.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * 1024 * 1024);
    expect(z.inflateSync(zlib.deflateSync('after the bomb'), { memoryLimit: '8MiB' }).toString()).toBe('after the bomb');
    // Input larger than the sandbox: the same error, not a crash.
    expect(() => z.deflateSync(Buffer.alloc(12 * 1024 * 1024), { memoryLimit: '8MiB' })).toThrow(z.ZlibMemoryLimitError);
    // maxOutputLength stops it before the memory limit does.
    expect(() => z.inflateSync(bomb, { maxOutputLength: 1 << 20 })).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }));
  });

  it('a memoryLimit cbox cannot use is a CboxLoadError (bad-option)', () => {
    expect(() => z.deflateSync('x', { memoryLimit: 'plenty' })).toThrow(CboxLoadError);
    expect(() => z.createGzip({ memoryLimit: '1KiB' })).toThrow(expect.objectContaining({ code: 'bad-option' }));
  });
});
