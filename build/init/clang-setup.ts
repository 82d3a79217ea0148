// The clang command line `cbox init` reads headers with: the target, sysroot and include folders
// of `cbox build`, so types and layouts are the ones the sandbox will have.
import { CBOX_INCLUDE_DIR } from '../compile.js';
import type { Toolchain } from '../toolchain.js';

export interface ClangSetup {
  readonly clang: string;
  readonly flags: readonly string[];
}

export function clangSetup(toolchain: Toolchain, include: readonly string[]): ClangSetup {
  return {
    clang: toolchain.clang,
    flags: [
      '-x', 'c', '--target=wasm32-wasi', `--sysroot=${toolchain.sysroot}`, '-fno-color-diagnostics',
      `-I${CBOX_INCLUDE_DIR}`, ...include.map((dir) => `-I${dir}`),
    ],
  };
}
