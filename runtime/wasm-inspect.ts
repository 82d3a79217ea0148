// Reads what V8's WebAssembly.Module reflection does not tell, before anything is compiled: the
// limits and index type of memories and tables, whether a start function exists, each function's
// signature, and the custom sections (the cbox.abi stamp). Only the sections that say so are
// decoded; everything else is skipped by size. The bytes are hostile: every count and length is
// checked against the bytes that are there, and every problem is a WasmFormatError.
/** A wasm value type cbox modules use (no v128 or references at the boundary). */
export type WasmValType = 'i32' | 'i64' | 'f32' | 'f64';

export interface FunctionType { readonly params: readonly WasmValType[]; readonly results: readonly WasmValType[] }
export interface MemoryType { readonly minPages: number; readonly maxPages: number | null; readonly memory64: boolean; readonly shared: boolean }
export interface TableType { readonly minEntries: number; readonly maxEntries: number | null; readonly table64: boolean }
export type ExternKind = 'function' | 'table' | 'memory' | 'global' | 'tag';
export interface ImportEntry {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternKind;
  readonly memory?: MemoryType;
  readonly table?: TableType;
  /** A function import's type (undefined when its type index is out of range). */
  readonly type?: FunctionType;
}
export interface ExportEntry {
  readonly name: string;
  readonly kind: ExternKind;
  /** Functions: the signature, when the type index is valid. */
  readonly type?: FunctionType;
  /** Functions: true when the export re-exports an imported (host) function. */
  readonly imported?: boolean;
}
export interface CustomSection { readonly name: string; readonly data: Uint8Array }
export interface ModuleShape {
  readonly imports: readonly ImportEntry[];
  readonly exports: readonly ExportEntry[];
  /** Memories and tables the module defines itself (imported ones are in `imports`). */
  readonly memories: readonly MemoryType[];
  readonly tables: readonly TableType[];
  /** The module names a start function: it would run inside `new WebAssembly.Instance`. */
  readonly hasStart: boolean;
  readonly customSections: readonly CustomSection[];
}

export type WasmFormatProblem = 'not-wasm' | 'truncated' | 'invalid-wasm';

export class WasmFormatError extends Error {
  constructor(readonly problem: WasmFormatProblem, message: string) {
    super(message);
    this.name = 'WasmFormatError';
  }
}

const VAL_TYPES: Record<number, WasmValType | 'v128' | 'funcref' | 'externref'> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;
const SECTION = { custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, export: 7, start: 8 } as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  at: number;
  constructor(readonly bytes: Uint8Array, start: number, readonly end: number) {
    this.at = start;
  }
  byte(): number {
    if (this.at >= this.end) throw new WasmFormatError('truncated', `truncated: unexpected end of data at byte ${this.at}`);
    return this.bytes[this.at++]!;
  }
  /** An unsigned LEB128 number of up to 64 bits (memory64 limits), as a JS number. */
  leb(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift > 63) throw new WasmFormatError('invalid-wasm', `malformed LEB128 number at byte ${this.at}`);
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  }
  u32(): number {
    const value = this.leb();
    if (value > 0xffffffff) throw new WasmFormatError('invalid-wasm', `number ${value} out of u32 range at byte ${this.at}`);
    return value;
  }
  bytesOf(length: number): Uint8Array {
    if (this.at + length > this.end) throw new WasmFormatError('truncated', `truncated: ${length} bytes run past the end at byte ${this.at}`);
    const data = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return data;
  }
  name(): string {
    const data = this.bytesOf(this.u32());
    try {
      return utf8.decode(data);
    } catch {
      throw new WasmFormatError('invalid-wasm', `a name that is not UTF-8 at byte ${this.at - data.length}`);
    }
  }
  valType(): WasmValType {
    const code = this.byte();
    const type = VAL_TYPES[code];
    if (!type) throw new WasmFormatError('invalid-wasm', `unknown value type 0x${code.toString(16)}`);
    return type as WasmValType;
  }
  limits(): { min: number; max: number | null; flags: number } {
    const flags = this.byte();
    if (flags > 7) throw new WasmFormatError('invalid-wasm', `unknown limits flags 0x${flags.toString(16)} at byte ${this.at - 1}`);
    const min = this.leb();
    const max = flags & 1 ? this.leb() : null;
    return { min, max, flags };
  }
  memoryType(): MemoryType {
    const { min, max, flags } = this.limits();
    return { minPages: min, maxPages: max, memory64: (flags & 4) !== 0, shared: (flags & 2) !== 0 };
  }
  tableType(): TableType {
    const element = this.byte();
    if (element !== 0x70 && element !== 0x6f) throw new WasmFormatError('invalid-wasm', `unsupported table element type 0x${element.toString(16)}`);
    const { min, max, flags } = this.limits();
    return { minEntries: min, maxEntries: max, table64: (flags & 4) !== 0 };
  }
}

export function inspectModule(bytes: Uint8Array): ModuleShape {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('not-wasm', 'not a WebAssembly module (no \\0asm header)');
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1) throw new WasmFormatError('not-wasm', `WebAssembly binary version ${version} is not a core module (a component? cbox loads core wasm32 modules)`);
  const reader = new Reader(bytes, 8, bytes.length);
  const types: FunctionType[] = [];
  const imports: (ImportEntry & { typeIndex?: number })[] = [];
  const functionTypes: number[] = [];
  const importedFunctionTypes: number[] = [];
  const memories: MemoryType[] = [];
  const tables: TableType[] = [];
  const customSections: CustomSection[] = [];
  const exports: { name: string; kind: ExternKind; index: number }[] = [];
  let hasStart = false;
  while (reader.at < bytes.length) {
    const id = reader.byte();
    const size = reader.u32();
    const end = reader.at + size;
    if (end > bytes.length) throw new WasmFormatError('truncated', `truncated: section ${id} claims ${size} bytes but the file ends ${end - bytes.length} bytes early`);
    const section = new Reader(bytes, reader.at, end);
    // Each loop below consumes at least one byte per entry, so a hostile count ends at the section's end.
    switch (id) {
      case SECTION.custom: {
        const name = section.name();
        customSections.push({ name, data: bytes.subarray(section.at, end) });
        break;
      }
      case SECTION.type:
        for (let count = section.u32(); count > 0; count--) {
          const form = section.byte();
          if (form !== 0x60) throw new WasmFormatError('invalid-wasm', `unsupported type form 0x${form.toString(16)} in the type section`);
          const params: WasmValType[] = [];
          for (let n = section.u32(); n > 0; n--) params.push(section.valType());
          const results: WasmValType[] = [];
          for (let n = section.u32(); n > 0; n--) results.push(section.valType());
          types.push({ params, results });
        }
        break;
      case SECTION.import:
        for (let count = section.u32(); count > 0; count--) {
          const module = section.name();
          const name = section.name();
          const kind = KINDS[section.byte()];
          if (!kind) throw new WasmFormatError('invalid-wasm', `unknown import kind for ${module}.${name}`);
          if (kind === 'function') { importedFunctionTypes.push(section.u32()); imports.push({ module, name, kind, typeIndex: importedFunctionTypes.at(-1)! }); }
          else if (kind === 'memory') imports.push({ module, name, kind, memory: section.memoryType() });
          else if (kind === 'table') imports.push({ module, name, kind, table: section.tableType() });
          else if (kind === 'global') { section.byte(); section.byte(); imports.push({ module, name, kind }); }
          else { section.byte(); section.u32(); imports.push({ module, name, kind }); }
        }
        break;
      case SECTION.function:
        for (let count = section.u32(); count > 0; count--) functionTypes.push(section.u32());
        break;
      case SECTION.table:
        for (let count = section.u32(); count > 0; count--) tables.push(section.tableType());
        break;
      case SECTION.memory:
        for (let count = section.u32(); count > 0; count--) memories.push(section.memoryType());
        break;
      case SECTION.start:
        hasStart = true;
        break;
      case SECTION.export:
        for (let count = section.u32(); count > 0; count--) {
          const name = section.name();
          const kind = KINDS[section.byte()];
          if (!kind) throw new WasmFormatError('invalid-wasm', `unknown export kind for ${name}`);
          exports.push({ name, kind, index: section.u32() });
        }
        break;
    }
    reader.at = end;
  }
  return {
    imports: imports.map(({ typeIndex, ...entry }) => (typeIndex === undefined ? entry : { ...entry, type: types[typeIndex] })),
    memories,
    tables,
    hasStart,
    customSections,
    exports: exports.map(({ name, kind, index }): ExportEntry => {
      if (kind !== 'function') return { name, kind };
      const imported = index < importedFunctionTypes.length;
      const typeIndex = imported ? importedFunctionTypes[index] : functionTypes[index - importedFunctionTypes.length];
      return { name, kind, imported, type: typeIndex === undefined ? undefined : types[typeIndex] };
    }),
  };
}
