// Compute kernels on real inputs, each on four builds of the same C: wasm, wasm with 128-bit SIMD
// (-msimd128), wasm in strict mode (NULL checks), and native (N-API, -O2 for the host's baseline
// ISA). The ratios to native say what the sandbox costs where the work is in C, not in the call.
import { randomBytes } from 'node:crypto';
import { load, type Library } from 'cbox';
import type { KernelsExports } from '../../wasm-modules/kernels.js';
import type { BenchContext } from '../context.js';
import { Suite, type Measurement } from '../measure.js';
import { bindingOf } from '../paths.js';

export const KERNEL_PATHS = { wasm: 'wasm', simd: 'wasm simd', strict: 'wasm strict', native: 'native' } as const;

const MiB = 1024 * 1024;

/** About 1 MiB of valid UTF-8 mixing ASCII with 2-, 3- and 4-byte characters. */
function utf8Text(): Uint8Array {
  const phrase = new TextEncoder().encode('The quick brown fox jumps over the lazy dog; ünïcödé ✓ 日本語 😀. ');
  const text = new Uint8Array(Math.floor(MiB / phrase.length) * phrase.length);
  for (let at = 0; at < text.length; at += phrase.length) text.set(phrase, at);
  return text;
}

function matrix(n: number): Uint8Array {
  return new Uint8Array(Float32Array.from({ length: n * n }, (_, i) => Math.fround(Math.sin(i))).buffer);
}

type Kernel = readonly [name: string, run: (lib: Library<KernelsExports>) => unknown];

export function kernelCases(): Kernel[] {
  const text = utf8Text();
  const random = new Uint8Array(randomBytes(MiB));
  const encoded = Buffer.from(random).toString('base64');
  const image = new Uint8Array(randomBytes(256 * 256 * 4));
  const a = matrix(128);
  const b = matrix(128);
  return [
    ['crc32 1 MiB', (lib) => lib.crc32(random)],
    ['adler32 1 MiB', (lib) => lib.adler32(random)],
    ['fnv1a64 1 MiB', (lib) => lib.fnv1a64(random)],
    ['utf8_valid 1 MiB', (lib) => lib.utf8_valid(text)],
    ['base64_encode 1 MiB', (lib) => lib.base64_encode(random)],
    ['base64_decode 1 MiB', (lib) => lib.base64_decode(encoded)],
    ['blur_rgba 256x256 r=3', (lib) => lib.blur_rgba(image, 256, 256, 3)],
    ['resize_rgba 256x256 to 400x300', (lib) => lib.resize_rgba(image, 256, 256, 400, 300)],
    ['matmul_f32 128x128', (lib) => lib.matmul_f32(a, b, 128)],
  ];
}

export async function computeKernels(context: BenchContext): Promise<Measurement[]> {
  // `cbox build` uses -msimd128 by default: the default build is the SIMD one, and the plain wasm
  // path is the same C built with --no-simd.
  const noSimd = await load(await bindingOf<KernelsExports>('kernels-nosimd'), { logger: null });
  const strict = await load(await bindingOf<KernelsExports>('kernels-strict'), { logger: null });
  const builds: [string, Library<KernelsExports>][] = [
    [KERNEL_PATHS.wasm, noSimd], [KERNEL_PATHS.simd, context.kernels], [KERNEL_PATHS.strict, strict], [KERNEL_PATHS.native, context.kernelsNative],
  ];
  const suite = new Suite('kernel', { time: 300, iterations: 10 });
  for (const [name, run] of kernelCases()) {
    for (const [path, lib] of builds) suite.add({ case: name, path, run: () => run(lib) });
  }
  try {
    return await suite.run();
  } finally {
    noSimd.close();
    strict.close();
  }
}
