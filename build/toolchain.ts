// Finds the C -> WASI toolchain: clang with the wasm32 target, wasm-ld, wasi-libc and the
// wasm32 compiler-rt builtins. Debian ships them as separate packages and lays wasi-libc out
// under /usr/{include,lib}/wasm32-wasi, so cbox makes a private sysroot of two links:
// passing --sysroot=/usr would let host glibc headers leak into wasm builds.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, symlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const APT_INSTALL = 'apt-get install -y clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc';

export interface Toolchain {
  readonly clang: string;
  readonly clangVersion: string;
  /** What an object depends on besides its inputs: clang's full --version and the sysroot (cache key). */
  readonly identity: string;
  readonly wasmLd: string;
  readonly sysroot: string;
}

export interface ToolchainCheck {
  readonly what: string;
  readonly found: string | null;
  readonly hint: string;
}

export class ToolchainError extends Error {
  constructor(readonly checks: readonly ToolchainCheck[]) {
    super(`the C -> WASI toolchain is incomplete:\n${checks.filter((c) => !c.found).map((c) => `  - ${c.what}: ${c.hint}`).join('\n')}\n` +
      `Install it (Debian 12, as root): apt-get update && ${APT_INSTALL}\nor run \`cbox doctor\` for details.`);
    this.name = 'ToolchainError';
  }
}

const CLANG_CANDIDATES = ['clang-19', 'clang-20', 'clang-18', 'clang'];
const WASM_LD_CANDIDATES = ['wasm-ld-19', 'wasm-ld-20', 'wasm-ld-18', 'wasm-ld'];

function run(file: string, args: string[]): string | null {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
}

function findProgram(envVar: string, candidates: readonly string[], probe: string[]): { path: string | null; output: string } {
  const override = process.env[envVar];
  for (const candidate of override ? [override] : candidates) {
    const output = run(candidate, probe);
    if (output !== null) return { path: candidate, output };
  }
  return { path: null, output: '' };
}

function sysrootCandidates(): string[] {
  const override = process.env.CBOX_WASI_SYSROOT;
  return override ? [override] : ['/usr/share/wasi-sysroot', '/opt/wasi-sdk/share/wasi-sysroot'];
}

/**
 * Where wasi-libc is, without touching the disk: a real sysroot, or Debian's layout, which
 * `privateSysroot` links into a private sysroot only when a build needs it (never while diagnosing).
 */
interface SysrootLocation {
  readonly sysroot: string;
  /** Debian's wasi-libc folders, linked as <sysroot>/{include,lib}/wasm32-wasi before a build. */
  readonly links: readonly (readonly [sub: 'include' | 'lib', target: string])[];
}

function locateSysroot(): SysrootLocation | null {
  for (const candidate of sysrootCandidates()) {
    if (existsSync(path.join(candidate, 'include/wasm32-wasi/stdlib.h')) || existsSync(path.join(candidate, 'include/stdlib.h'))) return { sysroot: candidate, links: [] };
  }
  if (process.env.CBOX_WASI_SYSROOT) return null;
  const debianInclude = '/usr/include/wasm32-wasi';
  const debianLib = '/usr/lib/wasm32-wasi';
  if (!existsSync(path.join(debianInclude, 'stdlib.h')) || !existsSync(path.join(debianLib, 'libc.a'))) return null;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return { sysroot: path.join(os.tmpdir(), `cbox-wasi-sysroot-${uid}`), links: [['include', debianInclude], ['lib', debianLib]] };
}

/** Makes the private sysroot's links (idempotent), for a build that is about to use it. */
function privateSysroot(location: SysrootLocation): string {
  for (const [sub, target] of location.links) {
    const dir = path.join(location.sysroot, sub);
    const link = path.join(dir, 'wasm32-wasi');
    mkdirSync(dir, { recursive: true });
    let current: string | null = null;
    try { current = readlinkSync(link); } catch { /* not there yet */ }
    if (current !== target) {
      rmSync(link, { force: true, recursive: true });
      symlinkSync(target, link);
    }
  }
  return location.sysroot;
}

export interface ToolchainInspection {
  readonly checks: readonly ToolchainCheck[];
  /** Null when anything is missing. Its sysroot may still be to be linked (findToolchain does that). */
  readonly toolchain: Toolchain | null;
  readonly sysrootLocation: SysrootLocation | null;
}

export function inspectToolchain(): ToolchainInspection {
  const clang = findProgram('CBOX_CLANG', CLANG_CANDIDATES, ['--version']);
  const targets = clang.path ? run(clang.path, ['--print-targets']) ?? '' : '';
  const wasmLd = findProgram('CBOX_WASM_LD', WASM_LD_CANDIDATES, ['--version']);
  const sysrootLocation = locateSysroot();
  const sysroot = sysrootLocation && (sysrootLocation.links.length === 0 ? sysrootLocation.sysroot
    : `${sysrootLocation.links.map(([, target]) => target).join(' + ')} (cbox build links them under ${sysrootLocation.sysroot})`);
  const builtins = clang.path ? run(clang.path, ['--target=wasm32-wasi', '-print-libgcc-file-name'])?.trim() ?? '' : '';
  const clangVersion = clang.output.split('\n')[0]!.trim();
  const checks: ToolchainCheck[] = [
    { what: 'clang (C compiler)', found: clang.path ? `${clang.path}: ${clangVersion}` : null,
      hint: process.env.CBOX_CLANG ? `CBOX_CLANG=${process.env.CBOX_CLANG} does not run` : 'install clang-19' },
    { what: 'clang wasm32 target', found: /wasm32/.test(targets) ? 'wasm32' : null, hint: 'this clang has no WebAssembly backend; install clang-19' },
    { what: 'wasm-ld (linker)', found: wasmLd.path ? `${wasmLd.path}: ${wasmLd.output.split('\n')[0]}` : null,
      hint: process.env.CBOX_WASM_LD ? `CBOX_WASM_LD=${process.env.CBOX_WASM_LD} does not run` : 'install lld-19' },
    { what: 'wasi-libc sysroot', found: sysroot,
      hint: process.env.CBOX_WASI_SYSROOT ? `CBOX_WASI_SYSROOT=${process.env.CBOX_WASI_SYSROOT} has no wasi-libc` : 'install wasi-libc' },
    { what: 'compiler-rt builtins for wasm32', found: builtins && existsSync(builtins) ? builtins : null, hint: 'install libclang-rt-19-dev-wasm32' },
  ];
  const complete = checks.every((check) => check.found);
  return {
    checks,
    toolchain: complete ? { clang: clang.path!, clangVersion, identity: `${clang.output}\0${sysrootLocation!.sysroot}`, wasmLd: wasmLd.path!, sysroot: sysrootLocation!.sysroot } : null,
    sysrootLocation,
  };
}

export function findToolchain(): Toolchain {
  const { checks, toolchain, sysrootLocation } = inspectToolchain();
  if (!toolchain) throw new ToolchainError(checks);
  privateSysroot(sysrootLocation!);
  return toolchain;
}
