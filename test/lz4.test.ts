// lz4's frame API wrapped with no glue C (c-src/lz4/cbox.json, from `cbox init --header
// lz4frame.h`): a preferences struct with a nested frame-info struct, enums and a 64-bit content
// size goes in, a frame-info struct comes out, and every frame is checked against a reference
// cbox did not write: the lz4 command-line tool, both ways, checksums included. Corrupt and
// truncated frames give lz4 error codes, never a crash of the host.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, type Library } from 'cbox';
import type { LZ4F_frameInfo_t, LZ4F_preferences_t, Lz4Exports } from '../wasm-modules/lz4.js';
import { bindingOf } from './helpers.js';

const LZ4F_VERSION = 100;
// LZ4F_blockSizeID_t, LZ4F_blockMode_t, LZ4F_contentChecksum_t, LZ4F_frameType_t, LZ4F_blockChecksum_t (lz4frame.h)
const MAX_64KB = 4;
const MAX_4MB = 7;
const LINKED = 0;
const INDEPENDENT = 1;

let lib: Library<Lz4Exports>;
beforeAll(async () => { lib = await load(await bindingOf<Lz4Exports>('lz4'), { logger: null }); });
afterAll(() => lib?.close());

/** Text with repeats (compressible) and a pseudo-random tail, `size` bytes. */
function sample(size: number): Uint8Array {
  const data = new Uint8Array(size);
  let seed = 12345;
  for (let i = 0; i < size; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    data[i] = i % 1000 < 700 ? 'the quick brown fox '.charCodeAt(i % 20) : seed >>> 24;
  }
  return data;
}

function preferences(contentSize: number, frame: Partial<LZ4F_frameInfo_t> = {}): LZ4F_preferences_t {
  return {
    frameInfo: { blockSizeID: MAX_64KB, blockMode: LINKED, contentChecksumFlag: 1, frameType: 0, contentSize, dictID: 0, blockChecksumFlag: 1, ...frame },
    compressionLevel: 9, autoFlush: 0, favorDecSpeed: 0, reserved: new Uint32Array(3),
  };
}

function check(code: number): number {
  if (lib.LZ4F_isError(code)) throw new Error(`lz4: ${lib.LZ4F_getErrorName(code)}`);
  return code;
}

function compressFrame(data: Uint8Array, prefs: LZ4F_preferences_t): Uint8Array {
  const dst = new Uint8Array(check(lib.LZ4F_compressFrameBound(data.length, prefs)));
  return dst.subarray(0, check(lib.LZ4F_compressFrame(dst, data, prefs)));
}

const NO_OPTIONS = { stableDst: 0, skipChecksums: 0, reserved1: 0, reserved0: 0 };

/** A whole frame decoded with a decompression context: the frame info, the content, or lz4's error name. */
function decompressFrame(frame: Uint8Array): { info: LZ4F_frameInfo_t; content: Uint8Array } | { error: string } {
  const { result, dctxPtr: dctx } = lib.LZ4F_createDecompressionContext(LZ4F_VERSION);
  check(result);
  try {
    const header = lib.LZ4F_getFrameInfo(dctx!, frame, frame.length);
    if (lib.LZ4F_isError(header.result)) return { error: lib.LZ4F_getErrorName(header.result)! };
    const info = header.frameInfoPtr;
    const chunks: Uint8Array[] = [];
    let src = header.srcSizePtr;
    for (;;) {
      const dst = new Uint8Array(64 * 1024);
      const step = lib.LZ4F_decompress(dctx!, dst, dst.length, frame.subarray(src), frame.length - src, NO_OPTIONS);
      if (lib.LZ4F_isError(step.result)) return { error: lib.LZ4F_getErrorName(step.result)! };
      chunks.push(dst.slice(0, step.dstSizePtr));
      src += step.srcSizePtr;
      if (step.result === 0) break;
      if (step.srcSizePtr === 0 && step.dstSizePtr === 0) return { error: 'truncated: lz4 wants more input' };
    }
    return { info, content: Buffer.concat(chunks) };
  } finally {
    lib.LZ4F_freeDecompressionContext(dctx!);
  }
}

function lz4Cli(args: string[], input: Uint8Array): { status: number | null; stdout: Buffer; stderr: string } {
  const run = spawnSync('lz4', args, { input, maxBuffer: 64 * 1024 * 1024 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.toString() };
}

describe('lz4 frames through cbox (no glue C)', () => {
  it('LZ4F_getVersion and the compression level bound answer as lz4frame.h says', () => {
    expect(lib.LZ4F_getVersion()).toBe(LZ4F_VERSION);
    expect(lib.LZ4F_compressionLevel_max()).toBe(12);
  });

  it('a frame cbox made (preferences struct: nested frame info, enums, 64-bit content size, checksums) decompresses with the lz4 CLI', () => {
    for (const [size, frame] of [[0, {}], [1, {}], [300_000, {}], [300_000, { blockMode: INDEPENDENT, blockSizeID: MAX_4MB }], [100_000, { contentChecksumFlag: 0, blockChecksumFlag: 0 }]] as const) {
      const data = sample(size);
      const compressed = compressFrame(data, preferences(size, frame));
      const run = lz4Cli(['-d', '-c'], compressed);
      expect(run.status, run.stderr).toBe(0);
      expect(Buffer.compare(run.stdout, data), `${size} ${JSON.stringify(frame)}`).toBe(0);
    }
  });

  it('the frame info C reads back (an out struct) is what the preferences struct put in, and lz4 --list agrees on the content size', () => {
    const data = sample(123_456);
    const compressed = compressFrame(data, preferences(data.length, { blockSizeID: MAX_4MB }));
    const decoded = decompressFrame(compressed);
    if ('error' in decoded) throw new Error(decoded.error);
    // LZ4F_compressFrame shrinks the block size to fit the input (256 KB, id 5), which makes it one
    // block, so independent (lz4frame.c, LZ4F_compressFrame): the rest is the preferences as given.
    expect(decoded.info).toEqual({ blockSizeID: 5, blockMode: INDEPENDENT, contentChecksumFlag: 1, frameType: 0, contentSize: data.length, dictID: 0, blockChecksumFlag: 1 });
    expect(Buffer.compare(decoded.content, data)).toBe(0);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cbox-lz4-')), 'frame.lz4');
    writeFileSync(file, compressed);
    const listed = spawnSync('lz4', ['-v', '--list', file], { encoding: 'utf8' });
    // "Frame Type Block Checksum Compressed Uncompressed Ratio": one line for the one frame.
    expect(`${listed.stdout}${listed.stderr}`).toMatch(new RegExp(`^\\s+1\\s+LZ4Frame\\s+B5I\\s+XXH32\\s+${compressed.length}\\s+${data.length}\\s`, 'm'));
  });

  it('a frame the lz4 CLI made (content size, content and block checksums, -9) decompresses with cbox', () => {
    const data = sample(500_000);
    // From a file: the CLI writes the content size only when it knows it in advance.
    const input = path.join(mkdtempSync(path.join(os.tmpdir(), 'cbox-lz4-')), 'data.bin');
    writeFileSync(input, data);
    for (const args of [['-c', '-9', '--content-size', '-BX'], ['-c', '-1', '-BD'], ['-c', '--no-frame-crc', '-B4']]) {
      const run = spawnSync('lz4', [...args, input], { maxBuffer: 64 * 1024 * 1024 });
      expect(run.status, run.stderr.toString()).toBe(0);
      const decoded = decompressFrame(new Uint8Array(run.stdout));
      if ('error' in decoded) throw new Error(`${args.join(' ')}: ${decoded.error}`);
      expect(Buffer.compare(decoded.content, data), args.join(' ')).toBe(0);
      expect(decoded.info.contentSize).toBe(args.includes('--content-size') ? data.length : 0);
      expect(decoded.info.contentChecksumFlag).toBe(args.includes('--no-frame-crc') ? 0 : 1);
      expect(decoded.info.blockChecksumFlag).toBe(args.includes('-BX') ? 1 : 0);
    }
  });

  it('corrupt and truncated frames give lz4 error codes (checksums caught), never a crash of the host', () => {
    const data = sample(200_000);
    const frame = new Uint8Array(lz4Cli(['-c', '-9', '-BX'], data).stdout);
    const flipped = frame.slice();
    flipped[frame.length - 4] = flipped[frame.length - 4]! ^ 0xff;
    expect(decompressFrame(flipped)).toEqual({ error: 'ERROR_contentChecksum_invalid' });
    const body = frame.slice();
    body[100] = body[100]! ^ 0x01;
    expect(decompressFrame(body)).toEqual({ error: 'ERROR_blockChecksum_invalid' });
    expect(decompressFrame(frame.subarray(0, 5))).toEqual({ error: 'ERROR_frameHeader_incomplete' });
    expect(decompressFrame(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))).toEqual({ error: 'ERROR_frameType_unknown' });
    expect(decompressFrame(frame.subarray(0, frame.length - 1000))).toEqual({ error: 'truncated: lz4 wants more input' });
    // Random damage everywhere: each frame decodes or is refused by lz4, and the library lives on.
    let seed = 7;
    const outcomes = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const damaged = frame.slice(0, 4000);
      for (let k = 0; k < 3; k++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        damaged[seed % damaged.length] = seed >>> 24;
      }
      const decoded = decompressFrame(damaged);
      outcomes.add('error' in decoded ? decoded.error.split(':')[0]! : 'decoded');
    }
    expect(outcomes.size).toBeGreaterThan(1);
    expect(lib.generation).toBe(1);
    expect(lib.LZ4F_getVersion()).toBe(LZ4F_VERSION);
  });

  it('a preferences struct missing a field or with an enum out of range is refused before C runs', () => {
    const prefs = preferences(10) as unknown as Record<string, unknown>;
    const { favorDecSpeed: _dropped, ...missing } = prefs;
    const bound = lib.LZ4F_compressFrameBound as (size: number, prefs: unknown) => number;
    expect(() => bound(10, missing)).toThrow('LZ4F_compressFrameBound: argument 2 (preferencesPtr: struct:LZ4F_preferences_t) field favorDecSpeed is missing');
    expect(() => bound(10, { ...prefs, frameInfo: { ...(prefs.frameInfo as object), blockSizeID: -1 } })).toThrow('field frameInfo.blockSizeID must be an integer from 0 to 4294967295, got -1');
    expect(() => bound(10, { ...prefs, reserved: new Int32Array(3) })).toThrow('field reserved must be a Uint32Array of 3 elements');
  });
});
