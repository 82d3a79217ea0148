// The native fast path's build: the library's C sources, cbox_native_rt.c and the generated glue,
// compiled by the same clang as the wasm module into one N-API addon (<name>.node). One compiler
// call, no node-gyp project: the addon needs nothing but node_api.h. -fvisibility=hidden keeps
// the library's symbols private: the node binary exports zlib's crc32, adler32, ..., and a
// library function of the same name would otherwise be bound to Node's.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AbiStamp } from '../../runtime/abi.js';
import { CBOX_INCLUDE_DIR, CBOX_OUT_SOURCE, CBOX_RUNTIME_SOURCE, CompileError } from '../compile.js';
import type { Manifest } from '../manifest.js';
import type { Toolchain } from '../toolchain.js';
import { generateNativeGlue } from './glue.js';

const NATIVE_RUNTIME_SOURCE = path.join(path.dirname(CBOX_RUNTIME_SOURCE), 'cbox_native_rt.c');
/** Node-API 8 (Node >= 12.22 / 14.17 / 15.12) has everything the glue uses. */
const NAPI_VERSION = 8;

export interface NativeBuildOptions {
  readonly onProgress?: (line: string) => void;
}

/** Where node_api.h of the Node that runs the build should be: <prefix>/include/node next to <prefix>/bin/node. */
export function nodeIncludeCandidate(): { dir: string; found: boolean } {
  const dir = process.env.CBOX_NODE_INCLUDE ?? path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
  return { dir, found: existsSync(path.join(dir, 'node_api.h')) };
}

export function nodeIncludeDir(): string {
  const { dir, found } = nodeIncludeCandidate();
  if (!found) {
    throw new CompileError('cbox build: cannot build the native addon: node_api.h not found',
      `  looked in ${dir}\n  -> install Node's headers (Debian: they come with the nodejs package), set CBOX_NODE_INCLUDE, or build with --no-native`);
  }
  return dir;
}

function runCompiler(file: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}`.trim() });
    });
  });
}

export async function buildNativeAddon(manifest: Manifest, stamp: AbiStamp, toolchain: Toolchain, addonFile: string, options: NativeBuildOptions = {}): Promise<void> {
  const started = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), `cbox-native-${manifest.name}-`));
  try {
    const glue = path.join(workDir, `${manifest.name}_napi.c`);
    writeFileSync(glue, generateNativeGlue(stamp));
    const temp = `${addonFile}.${process.pid}.tmp`;
    const args = [
      '-shared', '-fPIC', '-O2', '-fvisibility=hidden', '-fno-color-diagnostics',
      `-DNAPI_VERSION=${NAPI_VERSION}`, `-DCBOX_ARENA_SIZE=${manifest.arenaSize}`,
      `-I${nodeIncludeDir()}`, `-I${CBOX_INCLUDE_DIR}`, `-I${path.dirname(NATIVE_RUNTIME_SOURCE)}`,
      ...manifest.include.map((dir) => `-I${dir}`),
      ...Object.entries(manifest.defines).map(([key, value]) => `-D${key}=${value}`),
      ...manifest.cflags,
      ...manifest.sources, NATIVE_RUNTIME_SOURCE, CBOX_OUT_SOURCE, glue,
      '-o', temp,
      // N-API symbols come from the node binary when the addon is loaded.
      ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : ['-lm']),
    ];
    const result = await runCompiler(toolchain.clang, args);
    if (result.code !== 0) {
      rmSync(temp, { force: true });
      throw new CompileError(`cbox build: building the native addon of ${manifest.name} failed (build with --no-native to skip it)`, result.output);
    }
    if (result.output) options.onProgress?.(result.output);
    renameSync(temp, addonFile);
    options.onProgress?.(`native ${path.relative(process.cwd(), addonFile)} (${stamp.native.length} exports, ${Date.now() - started} ms)`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
