// The FFI bench's native peers, built from c-src/ffi-bench by the host's clang on each run (cached
// by content in the temp dir, never committed): ffi_bench.c as a shared library with default
// visibility for koffi to open, and the hand-written N-API peer (napi_peer.c) linked with the same
// C into an addon. Both -O2, like cbox's own native build.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeIncludeDir } from '../build/native/build-addon.js';
import { findToolchain } from '../build/toolchain.js';
import { root } from './paths.js';

export const FIXTURE_DIR = path.join(root, 'c-src', 'ffi-bench');
const LIBRARY_SOURCE = path.join(FIXTURE_DIR, 'ffi_bench.c');
const PEER_SOURCE = path.join(FIXTURE_DIR, 'napi_peer.c');
const HEADER = path.join(FIXTURE_DIR, 'ffi_bench.h');

export interface NativePeers {
  /** ffi_bench.c as a shared library (for koffi). */
  readonly sharedLibrary: string;
  /** napi_peer.c + ffi_bench.c as an N-API addon. */
  readonly napiAddon: string;
}

/** Compiles to a temporary name and renames, so an interrupted build never leaves a broken file. */
function compile(clang: string, args: readonly string[], output: string): void {
  if (existsSync(output)) return;
  const temp = `${output}.${process.pid}.tmp`;
  execFileSync(clang, [...args, '-o', temp], { stdio: ['ignore', 'inherit', 'inherit'] });
  renameSync(temp, output);
}

export function buildNativePeers(): NativePeers {
  const { clang, identity } = findToolchain();
  const include = nodeIncludeDir();
  const key = createHash('sha256');
  for (const part of [identity, include, ...[LIBRARY_SOURCE, PEER_SOURCE, HEADER].map((file) => readFileSync(file))]) key.update(part).update('\0');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(os.tmpdir(), `cbox-ffi-bench-${uid}`, key.digest('hex').slice(0, 16));
  mkdirSync(dir, { recursive: true });
  const common = ['-O2', '-shared', '-fPIC', '-fno-color-diagnostics', `-I${FIXTURE_DIR}`];
  const peers = { sharedLibrary: path.join(dir, 'libffi_bench.so'), napiAddon: path.join(dir, 'ffi_bench_peer.node') };
  compile(clang, [...common, '-fvisibility=default', LIBRARY_SOURCE], peers.sharedLibrary);
  // Hidden visibility, as cbox's addon: the node binary's own symbols must not bind to ours.
  compile(clang, [...common, '-fvisibility=hidden', '-DNAPI_VERSION=8', `-I${include}`, PEER_SOURCE, LIBRARY_SOURCE], peers.napiAddon);
  return peers;
}
