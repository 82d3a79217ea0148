// Seeded mutations of a built module: of its bytes, and of its cbox.abi stamp as a structure (wrong
// types, nulls, huge numbers, hostile names, missing and unknown fields) re-encoded with or
// without a recomputed hash. fast-check draws them; the same seed gives the same cases.
import fc from 'fast-check';
import { ABI_SECTION, abiHash, type AbiStamp } from '../../runtime/abi.js';
import { appendCustomSection } from '../../build/custom-section.js';

/** What a hostile name tries, each set on globalThis.pwned if it ever became code. */
export const HOSTILE_NAMES = [
  'a(){}, globalThis.pwned = 1, function b', 'x; globalThis.pwned = 1', '`${globalThis.pwned = 1}`', 'a\u2028globalThis.pwned=1',
  'then', 'catch', '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__',
  'stats', 'close', 'memory', 'cbox_alloc', '_initialize', '_x',
  'ñ', '𝓍', 'ｆｕｌｌ', '', ' ', '0abc', 'a-b', 'a.b', 'a b', 'a\0b', 'add\n', 'a'.repeat(256), 'add',
];

const HOSTILE_VALUES: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null, true, false, 0, -1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, 1e308, -1e308, '', 'i32', 'void', 'bytes', 'string', 'i128',
    [], {}, [null], ['i32'], ['i32', 'i32'], { params: [], paramNames: [], result: 'void' }, 65536, 4294967296, 4294967295 * 65536,
    // Callback and text types: canonical, not canonical, malformed, hostile names inside.
    'userdata', 'text', 'callback()', 'callback(a:i32)->i32', 'callback(a:text,userdata:userdata)', 'callback( a:i32 )', 'callback(i32)',
    'callback(a:i32)->text', 'callback(__proto__:i32)', 'callback(a:i32,a:i32)', `callback(${Array.from({ length: 17 }, (_, i) => `a${i}:i32`).join(',')})`,
    'callback(a:callback(b:i32))', ['callback(a:handle)->bool', 'userdata'],
    // Struct, writable-array and pointer types, and struct layouts that overlap, overflow or nest in a cycle.
    'struct:point', 'out:struct:point', 'struct:__proto__', 'mut:u8[]', 'u8*', 'mut:u8*', 'out:handle', 'mut:i53', 'mut:handle',
    { point: { size: 8, align: 4, fields: [{ name: 'x', type: 'i32', offset: 0 }, { name: 'y', type: 'i32', offset: 4 }] } },
    { point: { size: 8, align: 4, fields: [{ name: 'x', type: 'i32', offset: 6 }] } },
    { point: { size: 8, align: 8, fields: [{ name: 'x', type: 'f64', offset: 0 }, { name: 'y', type: 'i32', offset: 4 }] } },
    { point: { size: 8, align: 8, fields: [{ name: 'self', type: 'struct:point', offset: 0 }] } },
    { point: { size: 2 ** 40, align: 8, fields: [{ name: 'x', type: 'u8', offset: 0, count: 2 ** 40 }] } },
  ),
  fc.constantFrom(...HOSTILE_NAMES),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true }),
);

/** Fields of the stamp a mutation may aim at; `*` is any export, `#` any index. */
const PATHS = [
  'abi', 'name', 'hash', 'exports', 'memoryMaximum', 'stackSize', 'arenaSize', 'strict', 'native', 'trusted',
  'native.#', 'exports.*', 'exports.*.params', 'exports.*.params.#', 'exports.*.paramNames', 'exports.*.paramNames.#', 'exports.*.result',
  'unknownField', 'exports.*.unknownField', 'structs', 'exports.*.view',
];

export type StampEdit =
  | { readonly op: 'set'; readonly path: string; readonly pick: number; readonly value: unknown }
  | { readonly op: 'delete'; readonly path: string; readonly pick: number }
  | { readonly op: 'rename'; readonly pick: number; readonly name: string }
  | { readonly op: 'add'; readonly name: string; readonly params: number }
  | { readonly op: 'many'; readonly what: 'exports' | 'params'; readonly count: number }
  | { readonly op: 'nest'; readonly path: string; readonly depth: number };

export interface StampMutation {
  readonly edits: readonly StampEdit[];
  /** Recompute the hash after the edits (an attacker can), or leave the old one. */
  readonly rehash: boolean;
  /** A last text-level edit of the JSON: cut it short, or add a raw "__proto__" key. */
  readonly text: 'none' | 'truncate' | 'proto' | 'duplicate-key' | 'not-utf8';
}

const edit: fc.Arbitrary<StampEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...PATHS), pick: fc.nat(), value: HOSTILE_VALUES }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...PATHS), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rename' as const), pick: fc.nat(), name: fc.constantFrom(...HOSTILE_NAMES) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('add' as const), name: fc.constantFrom(...HOSTILE_NAMES), params: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('many' as const), what: fc.constantFrom('exports' as const, 'params' as const), count: fc.constantFrom(65, 4097, 20_000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('nest' as const), path: fc.constantFrom(...PATHS), depth: fc.constantFrom(50, 5000) }) },
);

export const stampMutation: fc.Arbitrary<StampMutation> = fc.record({
  edits: fc.array(edit, { minLength: 1, maxLength: 3 }),
  rehash: fc.boolean(),
  text: fc.constantFrom('none', 'none', 'none', 'none', 'truncate', 'proto', 'duplicate-key', 'not-utf8'),
});

type Json = Record<string, unknown>;

/** Own data property, even for "__proto__" (plain assignment would set the prototype). */
function put(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The objects a path names in the stamp, and the key in each (resolving `*` and `#` with pick). */
function locate(stamp: Json, path: string, pick: number): [Json, string] | null {
  const parts = path.split('.');
  let target: unknown = stamp;
  for (const [index, part] of parts.entries()) {
    if (typeof target !== 'object' || target === null) return null;
    const keys = Object.keys(target);
    const key = part === '*' ? keys[pick % Math.max(keys.length, 1)] : part === '#' ? String(pick % Math.max(keys.length, 1)) : part;
    if (key === undefined) return null;
    if (index === parts.length - 1) return [target as Json, key];
    target = (target as Json)[key];
  }
  return null;
}

function applyEdit(stamp: Json, change: StampEdit): void {
  const exports = (typeof stamp.exports === 'object' && stamp.exports !== null ? stamp.exports : {}) as Json;
  switch (change.op) {
    case 'set': case 'delete': {
      const place = locate(stamp, change.path, change.pick);
      if (!place) return;
      if (change.op === 'set') put(place[0], place[1], change.value);
      else delete place[0][place[1]];
      return;
    }
    case 'rename': {
      const names = Object.keys(exports);
      const old = names[change.pick % Math.max(names.length, 1)];
      if (old === undefined) return;
      const signature = exports[old];
      delete exports[old];
      put(exports, change.name, signature);
      return;
    }
    case 'add':
      put(exports, change.name, { params: Array(change.params).fill('i32'), paramNames: Array.from({ length: change.params }, (_, i) => `p${i}`), result: 'i32' });
      return;
    case 'many':
      if (change.what === 'exports') for (let i = 0; i < change.count; i++) put(exports, `f${i}`, { params: [], paramNames: [], result: 'void' });
      else put(exports, 'wide', { params: Array(change.count).fill('i32'), paramNames: Array.from({ length: change.count }, (_, i) => `p${i}`), result: 'void' });
      return;
    case 'nest': {
      const place = locate(stamp, change.path, 0);
      if (!place) return;
      let value: unknown = 1;
      for (let i = 0; i < change.depth; i++) value = [value];
      put(place[0], place[1], value);
    }
  }
}

/** The text of a mutated stamp (not necessarily JSON, not necessarily UTF-8). */
export function mutateStamp(original: AbiStamp, mutation: StampMutation): Uint8Array {
  const stamp = JSON.parse(JSON.stringify(original)) as Json;
  for (const change of mutation.edits) applyEdit(stamp, change);
  if (mutation.rehash) {
    try {
      put(stamp, 'hash', abiHash(stamp as unknown as AbiStamp));
    } catch {
      // A stamp too broken to hash keeps its old hash.
    }
  }
  let text: string;
  try {
    text = JSON.stringify(stamp);
  } catch {
    text = JSON.stringify(original); // a nest too deep to stringify: the hash-less variant is covered elsewhere
  }
  switch (mutation.text) {
    case 'truncate': text = text.slice(0, text.length >> 1); break;
    case 'proto': text = `{"__proto__":{"then":1},${text.slice(1)}`; break;
    case 'duplicate-key': text = `{"exports":{},${text.slice(1)}`; break;
    case 'not-utf8': return Uint8Array.from([0xff, 0xfe, ...new TextEncoder().encode(text)]);
  }
  return new TextEncoder().encode(text);
}

export type ByteEdit =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly op: 'truncate'; readonly at: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x0b), fc.nat(255)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
);

export const byteMutation: fc.Arbitrary<readonly ByteEdit[]> = fc.array(byteEdit, { minLength: 1, maxLength: 4 });

export function mutateBytes(original: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let bytes = Array.from(original);
  for (const change of edits) {
    const at = change.at % Math.max(bytes.length, 1);
    switch (change.op) {
      case 'flip': bytes[at] = (bytes[at] ?? 0) ^ (1 << change.bit); break;
      case 'set': bytes[at] = change.value; break;
      case 'delete': bytes.splice(at, change.length); break;
      case 'insert': bytes.splice(at, 0, ...change.bytes); break;
      case 'truncate': bytes = bytes.slice(0, at); break;
    }
  }
  return Uint8Array.from(bytes);
}

function leb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

/** The module's top-level sections as [start, end, custom section name or null]. */
function sections(wasm: Uint8Array): [start: number, end: number, name: string | null][] {
  const found: [number, number, string | null][] = [];
  for (let at = 8; at < wasm.length;) {
    const start = at;
    const id = wasm[at]!;
    const [size, body] = leb(wasm, at + 1);
    let name: string | null = null;
    if (id === 0) {
      const [length, text] = leb(wasm, body);
      name = new TextDecoder().decode(wasm.subarray(text, text + length));
    }
    at = body + size;
    found.push([start, at, name]);
  }
  return found;
}

/** The stamp of a (well-formed) built module. */
export function stampOfModule(wasm: Uint8Array): AbiStamp {
  const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  return JSON.parse(new TextDecoder().decode(WebAssembly.Module.customSections(module, ABI_SECTION)[0])) as AbiStamp;
}

/** The module with its cbox.abi section(s) replaced by one carrying `payload`. */
export function withStamp(wasm: Uint8Array, payload: Uint8Array): Uint8Array {
  const kept = sections(wasm).filter(([, , name]) => name !== ABI_SECTION);
  const parts = [wasm.subarray(0, 8), ...kept.map(([start, end]) => wasm.subarray(start, end))];
  const stripped = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    stripped.set(part, at);
    at += part.length;
  }
  return appendCustomSection(stripped, ABI_SECTION, payload);
}
