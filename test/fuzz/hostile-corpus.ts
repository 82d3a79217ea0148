// Hand-made hostile modules: each tries one way past the loader. `expect` is the outcome load()
// must reach: a CboxLoadError code, or 'loaded' (a safe library object).
import { ABI_SECTION, type ExportSignature } from '../../runtime/abi.js';
import { appendCustomSection } from '../../build/custom-section.js';
import { ADD, ADD_WAT, fakeModule, RUNTIME_WAT, stampOf } from '../hand-made-module.js';

export interface HostileModule {
  readonly name: string;
  readonly make: () => Promise<Uint8Array>;
  readonly expect: string;
}

const VOID: ExportSignature = { params: [], paramNames: [], result: 'void' };
const INJECTION = 'a(){}, globalThis.pwned = 1, function b';

/** A module exporting `name` (a no-op) with a stamp that lists it, hash and all. */
function exporting(name: string): () => Promise<Uint8Array> {
  return () => fakeModule(`(func (export ${JSON.stringify(name)}))`, stampOf({ [name]: VOID }));
}

/** A valid stamp whose JSON text is then edited (e.g. an own "__proto__" key, which JSON.parse makes). */
function stampText(edit: (json: string) => string): () => Promise<Uint8Array> {
  return () => fakeModule(ADD_WAT, edit(JSON.stringify(stampOf({ add: ADD }))));
}

const POINT_SUM: ExportSignature = { params: ['struct:point'], paramNames: ['p'], result: 'i32' };
const POINT_WAT = '(func (export "point_sum") (param i32) (result i32) (i32.const 0))';
type Layout = { size: unknown; align: unknown; fields: unknown[] };
const GOOD_POINT: Layout = { size: 16, align: 8, fields: [{ name: 'x', type: 'i32', offset: 0 }, { name: 'y', type: 'f64', offset: 8 }] };

/** A module taking a struct whose stamp lays the structs out as given (hash and all: only the load-time check stands). */
function structLayouts(structs: Record<string, unknown>, signature = POINT_SUM): () => Promise<Uint8Array> {
  return () => fakeModule(POINT_WAT, stampOf({ point_sum: signature }, { structs } as never));
}

function point(edit: Partial<Layout>): () => Promise<Uint8Array> {
  return structLayouts({ point: { ...GOOD_POINT, ...edit } });
}

function withRuntime(replace: string, by: string): string {
  return RUNTIME_WAT.replace(replace, by);
}

export const HOSTILE_MODULES: readonly HostileModule[] = [
  { name: 'an export name that is JS code (defect 1)', make: exporting(INJECTION), expect: 'abi-stamp-corrupt' },
  { name: 'an export named then (the library would be a thenable)', make: exporting('then'), expect: 'abi-stamp-corrupt' },
  { name: 'an export named constructor', make: exporting('constructor'), expect: 'abi-stamp-corrupt' },
  { name: 'an export named toString', make: exporting('toString'), expect: 'abi-stamp-corrupt' },
  { name: 'an export named __defineGetter__', make: exporting('__defineGetter__'), expect: 'abi-stamp-corrupt' },
  { name: 'an export named with a line separator', make: exporting('a\u2028b'), expect: 'abi-stamp-corrupt' },
  { name: 'an export named in unicode', make: exporting('größe'), expect: 'abi-stamp-corrupt' },
  { name: 'an export name of 300 characters', make: exporting('a'.repeat(300)), expect: 'abi-stamp-corrupt' },
  {
    name: 'a stamp with an own "__proto__" export (JSON.parse makes it a key)',
    make: stampText((json) => json.replace('"exports":{', '"exports":{"__proto__":{"params":[],"paramNames":[],"result":"void"},')),
    expect: 'abi-stamp-corrupt',
  },
  { name: 'a stamp with an own "__proto__" field', make: stampText((json) => `{"__proto__":{"then":1},${json.slice(1)}`), expect: 'abi-stamp-corrupt' },
  { name: 'a well-formed struct layout (the cases below differ from it in one thing each)', make: point({}), expect: 'loaded' },
  { name: 'a struct field past the end of its struct', make: point({ fields: [{ name: 'x', type: 'i32', offset: 0 }, { name: 'y', type: 'f64', offset: 16 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct field straddling the end of its struct', make: point({ size: 12, align: 4, fields: [{ name: 'x', type: 'i32', offset: 0 }, { name: 'y', type: 'f32', offset: 12 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'overlapping struct fields', make: point({ fields: [{ name: 'x', type: 'f64', offset: 0 }, { name: 'y', type: 'i32', offset: 4 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'struct fields out of order (a field before the one it follows)', make: point({ fields: [{ name: 'x', type: 'i32', offset: 8 }, { name: 'y', type: 'i32', offset: 0 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a misaligned struct field', make: point({ fields: [{ name: 'x', type: 'i32', offset: 0 }, { name: 'y', type: 'f64', offset: 4 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a negative struct offset', make: point({ fields: [{ name: 'x', type: 'i32', offset: -8 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a fractional struct offset', make: point({ fields: [{ name: 'x', type: 'u8', offset: 0.5 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct of 2**32 bytes', make: point({ size: 2 ** 32 }), expect: 'abi-stamp-corrupt' },
  { name: 'an array field whose count overflows its struct', make: point({ fields: [{ name: 'x', type: 'u8', offset: 0, count: 2 ** 31 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'an array field of strings', make: point({ fields: [{ name: 'x', type: 'string', offset: 0, count: 2 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct size that is not a multiple of its alignment', make: point({ size: 20 }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct alignment of 3', make: point({ align: 3, size: 18 }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct field named __proto__', make: point({ fields: [{ name: '__proto__', type: 'i32', offset: 0 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct field named as JS code', make: point({ fields: [{ name: INJECTION, type: 'i32', offset: 0 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct field named twice', make: point({ fields: [{ name: 'x', type: 'i32', offset: 0 }, { name: 'x', type: 'i32', offset: 4 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct field of an unknown type', make: point({ fields: [{ name: 'x', type: 'pointer', offset: 0 }] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct with no fields', make: point({ fields: [] }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct with 100000 fields', make: point({ fields: Array.from({ length: 100_000 }, (_, i) => ({ name: `f${i}`, type: 'u8', offset: i })) }), expect: 'abi-stamp-corrupt' },
  { name: 'a struct field with an unknown key', make: point({ fields: [{ name: 'x', type: 'i32', offset: 0, getter: 'x' }] }), expect: 'abi-stamp-corrupt' },
  {
    name: 'a struct containing itself (a cycle)',
    make: structLayouts({ point: { size: 16, align: 8, fields: [{ name: 'self', type: 'struct:point', offset: 0 }] } }),
    expect: 'abi-stamp-corrupt',
  },
  {
    name: 'a nested struct bigger than the room its field has',
    make: structLayouts({ inner: GOOD_POINT, point: { size: 8, align: 8, fields: [{ name: 'inner', type: 'struct:inner', offset: 0 }] } }),
    expect: 'abi-stamp-corrupt',
  },
  { name: 'a parameter naming a struct the stamp does not lay out', make: structLayouts({ other: GOOD_POINT }), expect: 'abi-stamp-corrupt' },
  { name: 'struct parameters but no layouts at all', make: () => fakeModule(POINT_WAT, stampOf({ point_sum: POINT_SUM })), expect: 'abi-stamp-corrupt' },
  { name: 'a struct named as JS code', make: structLayouts({ [INJECTION]: GOOD_POINT }), expect: 'abi-stamp-corrupt' },
  {
    name: 'a struct named __proto__ (an own key, as JSON.parse makes it)',
    make: () => fakeModule(POINT_WAT, JSON.stringify(stampOf({ point_sum: POINT_SUM }, { structs: { point: GOOD_POINT } } as never)).replace('"structs":{', '"structs":{"__proto__":{"size":8,"align":4,"fields":[{"name":"x","type":"i32","offset":0}]},')),
    expect: 'abi-stamp-corrupt',
  },
  { name: 'structs that are an array', make: () => fakeModule(POINT_WAT, stampOf({ point_sum: POINT_SUM }, { structs: [GOOD_POINT] } as never)), expect: 'abi-stamp-corrupt' },
  { name: 'a view on a result that is not bytes', make: () => fakeModule(POINT_WAT, stampOf({ point_sum: { ...POINT_SUM, view: true } }, { structs: { point: GOOD_POINT } } as never)), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp that is not JSON', make: stampText((json) => json.slice(0, 40)), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp whose memoryMaximum is a string', make: stampText((json) => json.replace('"memoryMaximum":16777216', '"memoryMaximum":"16MiB"')), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp without memoryMaximum', make: stampText((json) => json.replace('"memoryMaximum":16777216,', '')), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp whose memoryMaximum is not whole pages', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }, { memoryMaximum: 65536 * 4 + 1 })), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp whose memoryMaximum is above 4 GiB', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }, { memoryMaximum: 2 ** 32 + 65536 })), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp with an unknown parameter type', make: stampText((json) => json.replace('"params":["i32","i32"]', '"params":["i32","i128"]')), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp with a null export entry', make: stampText((json) => json.replace(/"add":\{[^}]*\}/, '"add":null')), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp with null exports', make: stampText((json) => json.replace(/"exports":\{[^}]*\}\}/, '"exports":null')), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp with more parameter names than parameters', make: () => fakeModule(ADD_WAT, stampOf({ add: { ...ADD, paramNames: ['a', 'b', 'c'] } })), expect: 'abi-stamp-corrupt' },
  { name: 'a stamp whose native list names a missing export', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }, { native: ['sub'] })), expect: 'abi-stamp-corrupt' },
  {
    name: 'a stamp of 5000 exports',
    make: () => fakeModule(ADD_WAT, stampOf(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, VOID])))),
    expect: 'abi-stamp-corrupt',
  },
  {
    name: 'two stamps',
    make: async () => appendCustomSection(await fakeModule(ADD_WAT, stampOf({ add: ADD })), ABI_SECTION, new TextEncoder().encode(JSON.stringify(stampOf({ add: ADD })))),
    expect: 'abi-stamp-corrupt',
  },
  { name: 'a stamp whose names differ from the wasm exports', make: () => fakeModule(ADD_WAT, stampOf({ sub: ADD })), expect: 'missing-export' },
  {
    name: 'a library export that re-exports a host function',
    make: () => fakeModule('(import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32))) (export "add" (func $yield))', stampOf({ add: { params: [], paramNames: [], result: 'i32' } })),
    expect: 'missing-export',
  },
  {
    name: 'a runtime export with the wrong wasm type',
    make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }), undefined, withRuntime('(func (export "cbox_arena_header") (result i32) (i32.const 1024))', '(func (export "cbox_arena_header") (result i64) (i64.const 1024))')),
    expect: 'signature-mismatch',
  },
  {
    name: 'tens of thousands of wasm exports (the stamp lists one)',
    make: () => fakeModule(`${ADD_WAT} (func $nop) ${Array.from({ length: 20_000 }, (_, i) => `(export "x${i}" (func $nop))`).join(' ')}`, stampOf({ add: ADD })),
    expect: 'loaded',
  },
  { name: 'its own memory', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }), '(memory (export "memory") 2)'), expect: 'memory-not-imported' },
  { name: 'its own memory besides env.memory', make: () => fakeModule(`${ADD_WAT} (memory 1)`, stampOf({ add: ADD })), expect: 'memory-not-imported' },
  { name: 'memory64', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }), '(import "env" "memory" (memory i64 2))'), expect: 'memory64' },
  { name: 'shared memory', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }), '(import "env" "memory" (memory 2 256 shared))'), expect: 'shared-memory' },
  { name: 'an imported table', make: () => fakeModule(`(import "env" "table" (table 1 funcref)) ${ADD_WAT}`, stampOf({ add: ADD })), expect: 'unknown-import' },
  { name: 'a start function that loops', make: () => fakeModule(`${ADD_WAT} (func $spin (loop (br 0))) (start $spin)`, stampOf({ add: ADD })), expect: 'start-function' },
  { name: 'a start function that traps', make: () => fakeModule(`${ADD_WAT} (func $boom unreachable) (start $boom)`, stampOf({ add: ADD })), expect: 'start-function' },
  {
    name: 'a table without a maximum, grown by 10M entries at start-up (defect 10)',
    make: () => fakeModule(`${ADD_WAT} (table $t 1 funcref)`, stampOf({ add: ADD }), undefined, withRuntime('(func (export "_initialize"))', '(func (export "_initialize") (drop (table.grow $t (ref.null func) (i32.const 10000000))))')),
    expect: 'table-limit',
  },
  {
    name: 'a table of up to 10M entries, grown at start-up (defect 10)',
    make: () => fakeModule(`${ADD_WAT} (table $t 1 10000000 funcref)`, stampOf({ add: ADD }), undefined, withRuntime('(func (export "_initialize"))', '(func (export "_initialize") (drop (table.grow $t (ref.null func) (i32.const 10000000))))')),
    expect: 'table-limit',
  },
  { name: 'a table of 100000 entries from the start', make: () => fakeModule(`${ADD_WAT} (table 100000 100000 funcref)`, stampOf({ add: ADD })), expect: 'table-limit' },
  { name: 'start-up code that traps', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }), undefined, withRuntime('(func (export "_initialize"))', '(func (export "_initialize") unreachable)')), expect: 'init-failed' },
  // What only instantiation can see: typed by the instance's start-up (runtime/instance.ts).
  { name: 'a declared memory maximum below the limit (clamped to it)', make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }), '(import "env" "memory" (memory 2 3))'), expect: 'loaded' },
  { name: 'a data segment past the initial memory', make: () => fakeModule(`${ADD_WAT} (data (i32.const 200000) "x")`, stampOf({ add: ADD })), expect: 'init-failed' },
  { name: 'an element segment past its table', make: () => fakeModule(`${ADD_WAT} (table 1 1 funcref) (func $f) (elem (i32.const 5) $f)`, stampOf({ add: ADD })), expect: 'init-failed' },
  {
    name: 'stamped metered, with the meter import and fuel global, but start-up code that never calls the meter (the stamp is its own word)',
    make: () => fakeModule(
      `(import "cbox" "meter" (func $meter)) ${ADD_WAT} (global (export "cbox_fuel") (mut i32) (i32.const 0))`,
      stampOf({ add: ADD }, { metered: true }), undefined,
      withRuntime('(func (export "_initialize"))', '(func (export "_initialize") (loop (br 0)))'),
    ),
    expect: 'init-timeout',
  },
  {
    name: 'start-up code that never returns (defect 4)',
    make: () => fakeModule(ADD_WAT, stampOf({ add: ADD }), undefined, withRuntime('(func (export "_initialize"))', '(func (export "_initialize") (loop (br 0)))')),
    expect: 'init-timeout',
  },
];
