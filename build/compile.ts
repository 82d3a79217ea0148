// C -> wasm32-wasi reactor: compile each source (in parallel, cached by content), link with
// the rules that make a cbox module: imported memory (the host sets its maximum), the shadow
// stack first (an overflow traps instead of corrupting data), the name section kept (C names
// in traps), libc's DWARF stripped, malloc's sbrk wrapped (out-of-memory is told apart).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { callbackImportsSource } from './callback-imports.js';
import type { Manifest } from './manifest.js';
import type { Toolchain } from './toolchain.js';

const CBOX_C_DIR = fileURLToPath(new URL('../c-src/', import.meta.url));
export const CBOX_INCLUDE_DIR = path.join(CBOX_C_DIR, 'include');
export const CBOX_RUNTIME_SOURCE = path.join(CBOX_C_DIR, 'runtime', 'cbox_rt.c');
/** cbox.h's cbox_return_* answers, linked into the wasm module and the native addon alike. */
export const CBOX_OUT_SOURCE = path.join(CBOX_C_DIR, 'runtime', 'cbox_out.c');

export interface CompileOptions {
  /** Strict mode: NULL and near-NULL accesses trap (library sources built with UBSan checks). */
  readonly strict?: boolean;
  readonly simd?: boolean;
  readonly cacheDir?: string;
  readonly onProgress?: (line: string) => void;
}

/** The component build links the same library differently (build/component/). */
export interface ComponentLink {
  /** The generated canonical-ABI adapters, compiled with the library's flags. */
  readonly adapterSource: string;
}

export class CompileError extends Error {
  constructor(message: string, readonly diagnostics: string) {
    super(diagnostics ? `${message}\n${diagnostics}` : message);
    this.name = 'CompileError';
  }
}

interface ToolResult { code: number; output: string }

function runTool(file: string, args: string[]): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Diagnostics with paths made relative to where the user stands, so file:line reads at once. */
export function readable(output: string): string {
  const cwd = process.cwd() + path.sep;
  return output.split('\n').map((line) => line.split(cwd).join('')).join('\n');
}

function defaultCacheDir(): string {
  return path.join(process.cwd(), 'node_modules', '.cache', 'cbox', 'objects');
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * The object cache. An entry is named by the toolchain, the flags and the source's bytes; it lists
 * every file clang read for it (its dependency file), and the object is named by the hash of all
 * of those files' bytes. A changed header, a changed sysroot or another clang is a miss.
 */
function cachedObject(cacheDir: string, toolchain: Toolchain, source: string, args: readonly string[]): { stem: string; entry: string; object: string | null } {
  const key = createHash('sha256').update(toolchain.identity).update('\0').update(args.join('\0')).update('\0')
    .update(readFileSync(source)).digest('hex').slice(0, 32);
  const stem = `${path.basename(source, '.c')}-${key}`;
  const entry = path.join(cacheDir, `${stem}.json`);
  let inputs: string[];
  try {
    inputs = (JSON.parse(readFileSync(entry, 'utf8')) as { inputs: string[] }).inputs;
  } catch {
    return { stem, entry, object: null };
  }
  const inputsHash = hashInputs(inputs);
  const object = inputsHash === null ? null : path.join(cacheDir, `${stem}-${inputsHash}.o`);
  return { stem, entry, object: object && existsSync(object) ? object : null };
}

/** sha256 over each input's path and bytes; null when one of them is gone (a miss, not an error). */
function hashInputs(inputs: readonly string[]): string | null {
  const hash = createHash('sha256');
  for (const input of inputs) {
    let bytes: Buffer;
    try { bytes = readFileSync(input); } catch { return null; }
    hash.update(input).update('\0').update(bytes).update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/** The prerequisites of a Make rule as clang -MD writes it (backslash continuations, escaped spaces). */
export function parseDepfile(text: string): string[] {
  const body = text.replace(/\\\r?\n/g, ' ');
  const colon = body.search(/:(\s|$)/);
  const files: string[] = [];
  for (const match of body.slice(colon + 1).matchAll(/(?:\\.|[^\s\\])+/g)) {
    files.push(match[0].replace(/\\(.)/g, '$1').replace(/\$\$/g, '$'));
  }
  return files;
}

/** What the module exports by name: the manifest's functions and the ones releasing owned cstring results. */
function exportedNames(manifest: Manifest): string[] {
  const releases = Object.values(manifest.exports).flatMap((signature) => (signature.free === undefined ? [] : [signature.free]));
  return [...new Set([...Object.keys(manifest.exports), ...releases])];
}

/** C that `cbox build` writes for the manifest (callback imports), kept by content in the cache folder. */
function generatedSources(manifest: Manifest, cacheDir: string): string[] {
  const source = callbackImportsSource(manifest.name, { exports: manifest.exports, structs: manifest.layouts });
  if (source === null) return [];
  const file = path.join(cacheDir, 'generated', `${manifest.name}-callbacks-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.c`);
  if (!existsSync(file)) writeFileAtomic(file, source);
  return [file];
}

/** The manifest's own compiler flags (include folders, defines, cflags), as its sources get them. */
export function manifestFlags(manifest: Manifest): string[] {
  return [
    ...manifest.include.map((dir) => `-I${dir}`),
    ...Object.entries(manifest.defines).map(([key, value]) => `-D${key}=${value}`),
    ...manifest.cflags,
  ];
}

export async function compileAndLink(manifest: Manifest, toolchain: Toolchain, outFile: string, options: CompileOptions = {}, component?: ComponentLink): Promise<void> {
  const strict = options.strict ?? manifest.strict;
  const simd = options.simd ?? manifest.simd;
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const progress = options.onProgress ?? (() => {});
  const common = [
    '--target=wasm32-wasi', `--sysroot=${toolchain.sysroot}`, `-${manifest.optimize}`, '-fno-color-diagnostics',
    `-I${CBOX_INCLUDE_DIR}`, ...manifest.include.map((dir) => `-I${dir}`),
    ...Object.entries(manifest.defines).map(([key, value]) => `-D${key}=${value}`),
    ...(simd ? ['-msimd128'] : []),
  ];
  // LTO: the library's sources and the cbox_return_* answers they call are bitcode, optimized
  // together at link time; cbox_rt.c (the sbrk wrapper, the arena) stays an ordinary object.
  const lto = manifest.lto ? ['-flto'] : [];
  const jobs = [
    ...manifest.sources.map((source) => ({
      source, args: [...common, ...lto, ...(strict ? ['-fsanitize=null,pointer-overflow'] : []), ...manifest.cflags],
    })),
    { source: CBOX_OUT_SOURCE, args: [...common, ...lto] },
    {
      source: CBOX_RUNTIME_SOURCE,
      args: [...common, `-DCBOX_ARENA_SIZE=${manifest.arenaSize}`, ...(strict ? ['-DCBOX_STRICT=1'] : [])],
    },
    ...(component ? [{ source: component.adapterSource, args: common }] : []),
    ...generatedSources(manifest, cacheDir).map((source) => ({ source, args: common })),
  ];
  let done = 0;
  const objects = await mapLimit(jobs, Math.max(1, os.availableParallelism()), async ({ source, args }) => {
    const label = path.relative(process.cwd(), source);
    const cached = cachedObject(cacheDir, toolchain, source, args);
    if (cached.object) {
      progress(`[${++done}/${jobs.length}] cc ${label} (cached)`);
      return cached.object;
    }
    const started = Date.now();
    const temp = path.join(cacheDir, `${cached.stem}.${process.pid}.tmp`);
    const depfile = `${temp}.d`;
    // Big sources (an SQLite amalgamation takes ~15 s) say they are under way.
    const slow = setTimeout(() => progress(`... cc ${label} (still compiling)`), 2000);
    // -MD: clang lists every file it read (headers included, system ones too), the object's real inputs.
    const result = await runTool(toolchain.clang, [...args, '-MD', '-MF', depfile, '-c', source, '-o', temp]).finally(() => clearTimeout(slow));
    if (result.code !== 0) {
      rmSync(depfile, { force: true });
      throw new CompileError(`cbox build: compiling ${label} failed`, readable(result.output));
    }
    if (result.output) progress(readable(result.output));
    const inputs = parseDepfile(readFileSync(depfile, 'utf8'));
    rmSync(depfile, { force: true });
    const inputsHash = hashInputs(inputs);
    const object = path.join(cacheDir, `${cached.stem}-${inputsHash ?? `uncached-${process.pid}`}.o`);
    renameSync(temp, object);
    // An input that vanished mid-build leaves no entry: the next build compiles again.
    if (inputsHash !== null) writeFileAtomic(cached.entry, JSON.stringify({ inputs }));
    progress(`[${++done}/${jobs.length}] cc ${label} (${Date.now() - started} ms)`);
    return object;
  });

  const linkArgs = [
    '--target=wasm32-wasi', `--sysroot=${toolchain.sysroot}`, `-fuse-ld=${resolveWasmLd(toolchain.wasmLd)}`,
    '-mexec-model=reactor', ...objects, '-o', outFile,
    // No -O here: clang would run any wasm-opt on PATH, which strips the name section. LTO's own
    // optimization level is wasm-ld's (-O3 for "O3", else -O2; optsize attributes stay in the bitcode).
    ...(manifest.lto ? ['-flto', `-Wl,--lto-O${manifest.optimize === 'O3' ? 3 : manifest.optimize === 'O1' ? 1 : 2}`] : []),
    '-Wl,--stack-first', `-Wl,-z,stack-size=${manifest.stackSize}`, '-Wl,--strip-debug', '-Wl,--wrap=sbrk',
    ...(component
      // A component host sets no memory limit of its own: the module exports its memory with the
      // manifest's maximum in it, and only the adapters (named by export_name) are exported.
      ? [`-Wl,--max-memory=${manifest.memoryMaximum}`]
      : ['-Wl,--import-memory', '-Wl,--export=__stack_pointer', ...exportedNames(manifest).map((fn) => `-Wl,--export=${fn}`)]),
  ];
  mkdirSync(path.dirname(outFile), { recursive: true });
  progress(`link ${path.relative(process.cwd(), outFile)}`);
  const result = await runTool(toolchain.clang, linkArgs);
  if (result.code !== 0) throw new CompileError(`cbox build: linking ${manifest.name} failed`, explainLinkErrors(readable(result.output)));
}

function resolveWasmLd(wasmLd: string): string {
  if (path.isAbsolute(wasmLd)) return wasmLd;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, wasmLd);
    if (existsSync(candidate)) return candidate;
  }
  return wasmLd;
}

/** wasm-ld's wording, translated into what the manifest author has to fix. */
function explainLinkErrors(output: string): string {
  return output.split('\n').map((line) => {
    const missingExport = /symbol exported via --export not found: (\S+)/.exec(line);
    if (missingExport) return `${line}\n  -> "exports" lists ${missingExport[1]}, but no C source defines a function of that name`;
    const undefinedSymbol = /undefined symbol: (\S+)/.exec(line);
    if (undefinedSymbol) return `${line}\n  -> ${undefinedSymbol[1]} is called but not defined (a missing source file, or a function WASI does not provide)`;
    return line;
  }).join('\n');
}

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, file);
}
