import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifest, readManifest } from '../build/manifest.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-manifest-'));
writeFileSync(path.join(dir, 'lib.c'), 'int add(int a, int b) { return a + b; }\n');

const base = {
  name: 'lib', sources: ['lib.c'],
  exports: { add: { params: ['a:i32', 'b:i32'], result: 'i32' } },
};

function problemsOf(raw: unknown): readonly string[] {
  try {
    parseManifest(raw, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).problems;
  }
  throw new Error('the manifest was accepted');
}

describe('manifest', () => {
  it('reads a full manifest with defaults and named parameters', () => {
    const manifest = parseManifest({
      ...base, include: [], defines: { FAST: 1, MODE: 'x', ON: true }, cflags: ['-std=c11'], stackSize: '128KiB',
      memory: { maximum: '32MiB' }, native: ['add'], trusted: ['add'],
      exports: { ...base.exports, spin: { params: [], result: 'void' }, blob: { params: ['bytes', 'n:u64'], result: 'bytes' } },
    }, dir);
    expect(manifest.stackSize).toBe(128 * 1024);
    expect(manifest.memoryMaximum).toBe(32 * 1024 * 1024);
    expect(manifest.arenaSize).toBe(256 * 1024);
    expect(manifest.defines).toEqual({ FAST: '1', MODE: 'x', ON: '1' });
    expect(manifest.sources).toEqual([path.join(dir, 'lib.c')]);
    expect(manifest.exports.add).toEqual({ params: ['i32', 'i32'], paramNames: ['a', 'b'], result: 'i32' });
    expect(manifest.exports.blob).toEqual({ params: ['bytes', 'u64'], paramNames: ['arg0', 'n'], result: 'bytes' });
    expect(manifest.exports.spin!.result).toBe('void');
  });

  it('refuses an unknown type, naming the export and parameter', () => {
    expect(problemsOf({ ...base, exports: { add: { params: ['a:int', 'b:i32'], result: 'i32' } } }))
      .toEqual(['"exports.add".params[0]: unknown type "int" (use one of i32 u32 i64 u64 i53 u53 f32 f64 bool handle bytes string text i8[] u8[] i16[] u16[] i32[] u32[] f32[] f64[] mut:i8[] mut:u8[] mut:i16[] mut:u16[] mut:i32[] mut:u32[] mut:f32[] mut:f64[] u8* mut:u8* out:i32 out:u32 out:i64 out:u64 out:i53 out:u53 out:f32 out:f64 out:handle mut:i32 mut:u32 mut:i64 mut:u64 mut:i53 mut:u53 mut:f32 mut:f64 userdata, struct:NAME, out:struct:NAME or callback(...))']);
  });

  it('reads a callback type written with spaces into its canonical spelling, and refuses a malformed one', () => {
    const manifest = parseManifest({ ...base, exports: { each: { params: ['fn: callback( value : i32 , userdata ) -> i32', 'ud:userdata'], result: 'void' } } }, dir);
    expect(manifest.exports.each!.params).toEqual(['callback(value:i32,userdata:userdata)->i32', 'userdata']);
    expect(problemsOf({ ...base, exports: { each: { params: ['fn:callback(value:int)'] } } }))
      .toEqual(['"exports.each".params[0]: callback argument 0: unknown type "int" (use one of i32 u32 i53 u53 i64 u64 f32 f64 bool handle string text bytes userdata)']);
    expect(problemsOf({ ...base, exports: { each: { params: ['fn:callback(i32)->text'] } } }))
      .toEqual(['"exports.each".params[0]: a callback\'s result must be one of void i32 u32 i53 u53 i64 u64 f32 f64 bool (got "text")']);
    expect(problemsOf({ ...base, exports: { each: { params: ['fn:callback(a:i32,a:i32)'] } } })).toEqual(['"exports.each".params[0]: callback argument name "a" is used twice']);
    expect(problemsOf({ ...base, exports: { each: { params: ['fn:callback(i32'] } } })[0]).toMatch(/is not a callback type such as/);
    expect(problemsOf({ ...base, exports: { each: { params: ['fn:callback(i32)'] } }, native: ['each'] }))
      .toEqual(['"native": each has a callback parameter, which the native glue does not support (keep it out of "native")']);
    expect(problemsOf({ ...base, exports: { add: { params: [], result: 'float' } } })[0]).toMatch(/"exports.add".result: unknown type "float"/);
  });

  it('refuses a missing source file, saying where it looked', () => {
    expect(problemsOf({ ...base, sources: ['nope.c'] })).toEqual([`"sources": "nope.c" not found (looked for a file at ${path.join(dir, 'nope.c')})`]);
  });

  it('refuses an npm: source from a package that is not installed', () => {
    expect(problemsOf({ ...base, sources: ['npm:no-such-package-cbox/x.c'] })[0]).toMatch(/package no-such-package-cbox is not installed/);
  });

  it('refuses duplicate names: export keys, parameters, sources, list entries', () => {
    const file = path.join(dir, 'dup.json');
    writeFileSync(file, '{ "name": "lib", "sources": ["lib.c"], "exports": { "add": {"params": [], "result": "i32"}, "add": {"params": [], "result": "void"} } }');
    expect(() => readManifest(file)).toThrow(/"exports.add" is given twice/);
    expect(problemsOf({ ...base, exports: { add: { params: ['a:i32', 'a:i32'], result: 'i32' } } })).toEqual(['"exports.add".params: the parameter name "a" is used twice']);
    expect(problemsOf({ ...base, sources: ['lib.c', 'lib.c'] })).toEqual(['"sources": "lib.c" is listed twice']);
    expect(problemsOf({ ...base, native: ['add', 'add'] })).toEqual(['"native": "add" is listed twice']);
  });

  it('refuses bad sizes with the field and the rule', () => {
    expect(problemsOf({ ...base, stackSize: '12 parsecs' })).toEqual(['"stackSize": cannot read size "12 parsecs" (write e.g. 65536, "64KiB", "32MiB")']);
    expect(problemsOf({ ...base, stackSize: 1000 })[0]).toMatch(/"stackSize" must be between 16384 and/);
    expect(problemsOf({ ...base, memory: { maximum: '5GiB' } })[0]).toMatch(/"memory.maximum" must be between/);
    expect(problemsOf({ ...base, memory: { maximum: 10000000 } })).toEqual(['"memory.maximum" must be a multiple of 65536 bytes (got 10000000)']);
    expect(problemsOf({ ...base, stackSize: '1MiB', memory: { maximum: '1MiB' } })[0]).toMatch(/leaves no room after the stack and arena/);
  });

  it('refuses reserved and malformed export names, and native/trusted outside exports', () => {
    expect(problemsOf({ ...base, exports: { stats: { params: [], result: 'void' } } })[0]).toMatch(/the name "stats" is reserved by cbox/);
    expect(problemsOf({ ...base, exports: { 'not-c': { params: [], result: 'void' } } })[0]).toMatch(/is not a C function name/);
    // The names load refuses in a stamp (runtime/abi.ts): thenables, prototype members, JS syntax, overlong.
    for (const name of ['then', 'constructor', 'toString', '__defineGetter__']) {
      expect(problemsOf({ ...base, exports: { [name]: { params: [], result: 'void' } } })[0]).toMatch(new RegExp(`the name "${name}" is reserved by cbox`));
    }
    expect(problemsOf(JSON.parse('{"name":"lib","sources":["lib.c"],"exports":{"__proto__":{"params":[],"result":"void"}}}'))[0]).toMatch(/"__proto__" is reserved by cbox/);
    expect(problemsOf({ ...base, exports: { 'a(){}, globalThis.pwned = 1, function b': { params: [], result: 'void' } } })[0]).toMatch(/is not a C function name/);
    expect(problemsOf({ ...base, exports: { ['f'.repeat(256)]: { params: [], result: 'void' } } })[0]).toMatch(/is not a C function name of at most 255 characters/);
    expect(problemsOf({ ...base, native: ['sub'] })).toEqual(['"native": "sub" is not in "exports"']);
    expect(problemsOf({ ...base, native: [], trusted: ['add'] })).toEqual(['"trusted": add must also be listed in "native" (trusted means it may run natively)']);
  });

  it('refuses unknown fields, flags cbox sets itself, and a bad name; reports all problems at once', () => {
    const problems = problemsOf({ ...base, name: 'Bad Name', colour: 'red', cflags: ['-O0', '-Wl,--export-all'] });
    expect(problems).toEqual([
      'unknown field "colour"',
      '"name" must be a lower-case identifier such as "zoo" (got "Bad Name")',
      '"cflags": "-O0" is set by cbox build itself and may not be overridden (ask for another level with "optimize")',
      '"cflags": "-Wl,--export-all" is set by cbox build itself and may not be overridden',
    ]);
  });

  it('optimize and lto: O2 without LTO by default; a level and LTO when asked; anything else refused', () => {
    expect(parseManifest(base, dir)).toMatchObject({ optimize: 'O2', lto: false });
    expect(parseManifest({ ...base, optimize: 'O3', lto: true }, dir)).toMatchObject({ optimize: 'O3', lto: true });
    expect(parseManifest({ ...base, optimize: 'Oz' }, dir)).toMatchObject({ optimize: 'Oz', lto: false });
    expect(problemsOf({ ...base, optimize: 'O0', lto: 'yes', cflags: ['-flto=thin', '-fno-lto'] })).toEqual([
      '"cflags": "-flto=thin": ask for link-time optimization with "lto": true',
      '"cflags": "-fno-lto": ask for link-time optimization with "lto": true',
      '"optimize" must be one of "O1", "O2", "O3", "Os", "Oz" (got "O0")',
      '"lto" must be true or false',
    ]);
    expect(problemsOf({ ...base, optimize: 3 })).toEqual(['"optimize" must be one of "O1", "O2", "O3", "Os", "Oz" (got 3)']);
  });

  it('says so when the file is not JSON or not there', () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ "name": ');
    expect(() => readManifest(file)).toThrow(/not valid JSON/);
    expect(() => readManifest(path.join(dir, 'absent.json'))).toThrow(/cannot read the manifest/);
  });
});
