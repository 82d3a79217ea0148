// `cbox build` on real C: every shipped library, the ABI stamp, and each way a build can fail.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABI_SECTION, callbackSlots, lowerParams, lowerResult, type AbiStamp } from '../runtime/abi.js';
import { inspectModule } from '../runtime/wasm-inspect.js';
import { buildLibrary, stampFor } from '../build/build-library.js';
import { parseDepfile } from '../build/compile.js';
import { load } from 'cbox';
import { parseManifest, readManifest } from '../build/manifest.js';
import { doctorReport } from '../build/doctor.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'dist/cli.js');
const libraries = readdirSync(path.join(root, 'c-src')).filter((dir) => existsSync(path.join(root, 'c-src', dir, 'cbox.json')));

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-build-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const addC = '#include "cbox.h"\n#include <string.h>\nint add(int a, int b) { return a + b; }\nvoid shout(const char *s, cbox_out *out) { cbox_return_string(out, s); }\n';
const addManifest = (extra: object = {}) => JSON.stringify({
  name: 'adder', sources: ['add.c'], exports: { add: { params: ['a:i32', 'b:i32'], result: 'i32' }, shout: { params: ['s:string'], result: 'string' } }, ...extra,
});

describe('cbox build: shipped libraries', () => {
  it.each(libraries)('%s: built module imports only WASI preview1 functions and env.memory (and cbox.meter when metered), and carries its stamp', (name) => {
    const manifest = readManifest(path.join(root, 'c-src', name, 'cbox.json'));
    const bytes = readFileSync(path.join(root, 'wasm-modules', `${manifest.name}.wasm`));
    const shape = inspectModule(bytes);
    for (const entry of shape.imports) {
      const allowed = (entry.module === 'wasi_snapshot_preview1' && entry.kind === 'function') || (entry.module === 'env' && entry.name === 'memory' && entry.kind === 'memory')
        || (manifest.metered && entry.module === 'cbox' && entry.name === 'meter' && entry.kind === 'function')
        // One import per callback parameter (the stamp's own check, linker.ts, covers their types).
        || (entry.module === 'cbox_callback' && entry.kind === 'function' && Number(entry.name) < callbackSlots({ exports: manifest.exports, structs: manifest.layouts }).length);
      expect(allowed, `${entry.module}.${entry.name}`).toBe(true);
    }
    const module = new WebAssembly.Module(bytes);
    const stamp = JSON.parse(new TextDecoder().decode(WebAssembly.Module.customSections(module, ABI_SECTION)[0])) as AbiStamp;
    expect(stamp.name).toBe(manifest.name);
    expect(stamp.exports).toEqual(manifest.exports);
    expect(stamp.hash).toBe(stampFor(manifest, manifest.strict, manifest.metered).hash);
    expect(stamp.stackSize).toBe(manifest.stackSize);
    expect(stamp.memoryMaximum).toBe(manifest.memoryMaximum);
    expect(stamp.native).toEqual(manifest.native);
    expect(stamp.metered).toBe(manifest.metered);
    // Every manifest export has exactly the wasm type cbox.h's convention gives it.
    for (const [fn, signature] of Object.entries(manifest.exports)) {
      const entry = shape.exports.find((e) => e.name === fn);
      expect(entry?.type, fn).toEqual({ params: lowerParams(signature), results: lowerResult(signature.result) });
    }
    // The name section survives (C names in traps), the memory is imported, the stack comes first.
    expect(WebAssembly.Module.customSections(module, 'name').length).toBe(1);
    expect(shape.imports.find((e) => e.kind === 'memory')?.memory?.memory64).toBe(false);
    const binding = readFileSync(path.join(root, 'wasm-modules', `${manifest.name}.js`), 'utf8');
    expect(binding).toContain(stamp.hash);
    expect(readFileSync(path.join(root, 'wasm-modules', `${manifest.name}.d.ts`), 'utf8')).toMatch(/export declare const binding: Binding</);
  });
});

describe('cbox build: one library end to end', () => {
  it('writes the module, the binding and typed declarations', async () => {
    const dir = scratch({ 'add.c': addC, 'cbox.json': addManifest({ stackSize: '64KiB', memory: { maximum: '4MiB' } }) });
    const out = path.join(dir, 'out');
    const result = await buildLibrary(path.join(dir, 'cbox.json'), { outDir: out });
    expect(result.wasmFile).toBe(path.join(out, 'adder.wasm'));
    const dts = readFileSync(result.typesFile, 'utf8');
    expect(dts).toContain('export interface AdderExports {\n  add(a: number, b: number): number;\n  shout(s: string): string;\n}');
    const js = readFileSync(result.bindingFile, 'utf8');
    expect(js).toContain('new URL("./adder.wasm", import.meta.url)');
    const stamp = JSON.parse(new TextDecoder().decode(WebAssembly.Module.customSections(new WebAssembly.Module(readFileSync(result.wasmFile)), ABI_SECTION)[0]));
    expect(stamp).toMatchObject({ abi: 1, name: 'adder', stackSize: 65536, memoryMaximum: 4 * 1024 * 1024, strict: false });
    // The stack comes first: __stack_pointer starts at the top of a stack-sized region at address 0.
    const wat = execFileSync(path.join(root, 'node_modules/.bin/jco'), ['print', result.wasmFile], { encoding: 'utf8' });
    expect(wat).toMatch(/\(global \$__stack_pointer \(;0;\) \(mut i32\) i32\.const 65536\)/);
  });

  it('reports a C compile error with file:line', async () => {
    const dir = scratch({ 'add.c': 'int add(int a, int b) {\n  return a + ;\n}\n', 'cbox.json': addManifest({ exports: { add: { params: ['a:i32', 'b:i32'], result: 'i32' } } }) });
    await expect(buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out') })).rejects.toThrow(/add\.c:2:14: error: expected expression/);
  });

  it('says which export the C code does not define', async () => {
    const dir = scratch({ 'add.c': addC, 'cbox.json': addManifest({ exports: { add: { params: ['a:i32', 'b:i32'], result: 'i32' }, sub: { params: ['a:i32'], result: 'i32' } } }) });
    await expect(buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out') }))
      .rejects.toThrow(/"exports" lists sub, but no C source defines a function of that name/);
  });

  it('refuses C that calls something no cbox host provides', async () => {
    const dir = scratch({ 'add.c': 'int helper(int);\nint add(int a, int b) { return helper(a) + b; }\n', 'cbox.json': addManifest({ exports: { add: { params: ['a:i32', 'b:i32'], result: 'i32' } } }) });
    await expect(buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out') })).rejects.toThrow(/undefined symbol: helper/);
  });
});

describe('cbox build: the object cache', () => {
  it('rebuilds when a header the .c includes changes: the module returns the new #define', async () => {
    const dir = scratch({
      'value.h': '#define VALUE 1\n',
      'value.c': '#include "value.h"\nint value(void) { return VALUE; }\n',
      'cbox.json': JSON.stringify({ name: 'valued', sources: ['value.c'], exports: { value: { params: [], result: 'i32' } } }),
    });
    const cacheDir = path.join(dir, 'cache');
    const build = async () => {
      const lines: string[] = [];
      const result = await buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out'), cacheDir, onProgress: (line) => lines.push(line) });
      const library = await load<{ value(): number }>(result.wasmFile, { logger: null });
      try { return { value: library.value(), lines }; } finally { library.close(); }
    };
    const first = await build();
    expect(first.value).toBe(1);
    expect((await build()).lines.some((line) => /value\.c \(cached\)$/.test(line))).toBe(true);
    writeFileSync(path.join(dir, 'value.h'), '#define VALUE 2\n');
    const changed = await build();
    expect(changed.value).toBe(2);
    expect(changed.lines.some((line) => /value\.c \(\d+ ms\)$/.test(line))).toBe(true);
  });

  it('"optimize" and "lto" are part of the cache key: O3 with LTO compiles again and links a working module with its C names', async () => {
    const dir = scratch({ 'add.c': addC, 'cbox.json': addManifest() });
    const cacheDir = path.join(dir, 'cache');
    const build = async (extra: object) => {
      writeFileSync(path.join(dir, 'cbox.json'), addManifest(extra));
      const lines: string[] = [];
      const result = await buildLibrary(path.join(dir, 'cbox.json'), { outDir: path.join(dir, 'out'), cacheDir, onProgress: (line) => lines.push(line) });
      const library = await load<{ add(a: number, b: number): number }>(result.wasmFile, { logger: null });
      try {
        return { sum: library.add(2, 3), lines, names: WebAssembly.Module.customSections(new WebAssembly.Module(readFileSync(result.wasmFile)), 'name').length };
      } finally {
        library.close();
      }
    };
    const compiledAgain = (lines: readonly string[]): boolean => lines.some((line) => /add\.c \(\d+ ms\)$/.test(line));
    expect(compiledAgain((await build({})).lines)).toBe(true);
    expect(compiledAgain((await build({})).lines)).toBe(false);
    const optimized = await build({ optimize: 'O3', lto: true });
    expect(optimized).toMatchObject({ sum: 5, names: 1 });
    expect(compiledAgain(optimized.lines)).toBe(true);
    expect(compiledAgain((await build({ optimize: 'O3' })).lines)).toBe(true);
  });

  it('reads clang dependency files: continuations and escaped spaces', () => {
    expect(parseDepfile('out.o: a.c /usr/include/x.h \\\n  my\\ dir/y.h \\\n  z.h\n')).toEqual(['a.c', '/usr/include/x.h', 'my dir/y.h', 'z.h']);
  });
});

describe('cbox CLI', () => {
  it('cbox doctor reports a missing compiler with the install line and exits 1', () => {
    const run = spawnSync(process.execPath, [cli, 'doctor'], { env: { ...process.env, CBOX_CLANG: '/nonexistent/clang' }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/MISSING clang \(C compiler\) \(CBOX_CLANG=\/nonexistent\/clang does not run\)/);
    expect(run.stdout).toContain('apt-get update && apt-get install -y clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc');
  });

  it('cbox doctor says ready on this machine', () => {
    const run = spawnSync(process.execPath, [cli, 'doctor'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Ready: cbox build uses/);
  });

  it('cbox doctor fails for Node older than 20', () => {
    const report = doctorReport({ nodeVersion: '18.20.4' });
    expect(report.ok).toBe(false);
    expect(report.text).toContain('TOO OLD node v18.20.4 (cbox needs Node 20 or newer)');
    expect(report.text).not.toMatch(/Ready:/);
  });

  it('cbox doctor checks node_api.h, which "native" exports need', () => {
    const missing = spawnSync(process.execPath, [cli, 'doctor'], { env: { ...process.env, CBOX_NODE_INCLUDE: '/nonexistent/include/node' }, encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('MISSING node_api.h (for "native" exports): not in /nonexistent/include/node');
    const present = spawnSync(process.execPath, [cli, 'doctor'], { encoding: 'utf8' });
    expect(present.stdout).toMatch(/ok {6}node_api\.h \(for "native" exports\): /);
  });

  it('cbox doctor only looks: it does not create the private sysroot links', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cbox-doctor-'));
    const run = spawnSync(process.execPath, [cli, 'doctor'], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('cbox build refuses a bad manifest with one line per problem and exit code 1', () => {
    const dir = scratch({ 'cbox.json': JSON.stringify({ name: 'x', sources: ['x.c'], exports: { f: { params: ['i128'], result: 'void' } } }) });
    const run = spawnSync(process.execPath, [cli, 'build', path.join(dir, 'cbox.json')], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('"sources": "x.c" not found');
    expect(run.stderr).toContain('"exports.f".params[0]: unknown type "i128"');
  });

  it('cbox build --quiet prints nothing when the build succeeds', () => {
    const dir = scratch({ 'add.c': addC, 'cbox.json': addManifest() });
    const run = spawnSync(process.execPath, [cli, 'build', path.join(dir, 'cbox.json'), '--out', path.join(dir, 'out'), '--quiet'], { encoding: 'utf8', cwd: dir });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    expect(existsSync(path.join(dir, 'out', 'adder.wasm'))).toBe(true);
  });

  it('cbox build shows progress and a summary', () => {
    const dir = scratch({ 'add.c': addC, 'cbox.json': addManifest() });
    const run = spawnSync(process.execPath, [cli, 'build', path.join(dir, 'cbox.json'), '--out', path.join(dir, 'out')], { encoding: 'utf8', cwd: dir });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/\[[123]\/3\] cc add\.c \(\d+ ms\)/); // sources compile in parallel: any order
    expect(run.stdout).toMatch(/built adder: out\/adder\.wasm \(2 exports, abi [0-9a-f]{12}\)/);
  });
});

describe('generated .d.ts', () => {
  it('turns C parameter names that JavaScript reserves into valid parameter names (in -> in_), callbacks\' too', async () => {
    const { generateBindingDts } = await import('../build/binding.js');
    const ts = (await import('typescript')).default;
    const stamp = stampFor(parseManifest({
      name: 'reserved', sources: ['zoo.c'],
      exports: { pick: { params: ['in:i32', 'new:string', 'each:callback(default:i32, userdata)->i32', 'ud:userdata'], result: 'i32' } },
    }, path.join(root, 'c-src', 'zoo'), 'cbox.json', []), false);
    const dts = generateBindingDts(stamp);
    expect(dts).toContain('pick(in_: number, new_: string, each: ((default_: number) => number) | null): number;');
    expect(ts.transpileModule(dts, { reportDiagnostics: true, compilerOptions: { declaration: false } }).diagnostics).toEqual([]);
  });
});
