// Reads what V8's WebAssembly.Module reflection does not tell: the memory import's limits and
// index type (wasm32 vs memory64) and each exported function's signature. Only the type,
// import, function and export sections are decoded; everything else is skipped by size.
import type { WasmValType } from './abi.js';

export interface FunctionType { readonly params: readonly WasmValType[]; readonly results: readonly WasmValType[] }
export interface MemoryType { readonly minPages: number; readonly maxPages: number | null; readonly memory64: boolean; readonly shared: boolean }
export interface ImportEntry { readonly module: string; readonly name: string; readonly kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; readonly memory?: MemoryType }
export interface ExportEntry { readonly name: string; readonly kind: 'function' | 'table' | 'memory' | 'global' | 'tag'; readonly type?: FunctionType }
export interface ModuleShape { readonly imports: readonly ImportEntry[]; readonly exports: readonly ExportEntry[] }

export class WasmFormatError extends Error {}

const VAL_TYPES: Record<number, WasmValType | 'v128' | 'funcref' | 'externref'> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };
const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {}
  byte(): number {
    if (this.at >= this.end) throw new WasmFormatError(`truncated: unexpected end of data at byte ${this.at}`);
    return this.bytes[this.at++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new WasmFormatError(`malformed LEB128 number at byte ${this.at}`);
    }
  }
  name(): string {
    const length = this.u32();
    if (this.at + length > this.end) throw new WasmFormatError(`truncated: a name runs past the end at byte ${this.at}`);
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }
  valType(): WasmValType {
    const code = this.byte();
    const type = VAL_TYPES[code];
    if (!type) throw new WasmFormatError(`unknown value type 0x${code.toString(16)}`);
    return type as WasmValType;
  }
  limits(): { min: number; max: number | null; flags: number } {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : null;
    return { min, max, flags };
  }
}

export function inspectModule(bytes: Uint8Array): ModuleShape {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('not a WebAssembly module (no \\0asm header)');
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1) throw new WasmFormatError(`WebAssembly binary version ${version} is not a core module (a component? cbox loads core wasm32 modules)`);
  const reader = new Reader(bytes);
  reader.at = 8;
  const types: FunctionType[] = [];
  const imports: ImportEntry[] = [];
  const functionTypes: number[] = [];
  const exports: { name: string; kind: ExportEntry['kind']; index: number }[] = [];
  let importedFunctions = 0;
  while (reader.at < bytes.length) {
    const id = reader.byte();
    const size = reader.u32();
    const end = reader.at + size;
    if (end > bytes.length) throw new WasmFormatError(`truncated: section ${id} claims ${size} bytes but the file ends ${end - bytes.length} bytes early`);
    const section = new Reader(bytes, end);
    section.at = reader.at;
    if (id === 1) {
      for (let count = section.u32(); count > 0; count--) {
        if (section.byte() !== 0x60) throw new WasmFormatError('unsupported type form in the type section');
        const params = Array.from({ length: section.u32() }, () => section.valType());
        const results = Array.from({ length: section.u32() }, () => section.valType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let count = section.u32(); count > 0; count--) {
        const module = section.name();
        const name = section.name();
        const kind = KINDS[section.byte()];
        if (!kind) throw new WasmFormatError(`unknown import kind for ${module}.${name}`);
        if (kind === 'function') { section.u32(); importedFunctions++; imports.push({ module, name, kind }); }
        else if (kind === 'memory') {
          const { min, max, flags } = section.limits();
          imports.push({ module, name, kind, memory: { minPages: min, maxPages: max, memory64: (flags & 4) !== 0, shared: (flags & 2) !== 0 } });
        } else if (kind === 'table') { section.byte(); section.limits(); imports.push({ module, name, kind }); }
        else if (kind === 'global') { section.byte(); section.byte(); imports.push({ module, name, kind }); }
        else { section.byte(); section.u32(); imports.push({ module, name, kind }); }
      }
    } else if (id === 3) {
      for (let count = section.u32(); count > 0; count--) functionTypes.push(section.u32());
    } else if (id === 7) {
      for (let count = section.u32(); count > 0; count--) {
        const name = section.name();
        const kind = KINDS[section.byte()];
        if (!kind) throw new WasmFormatError(`unknown export kind for ${name}`);
        exports.push({ name, kind, index: section.u32() });
      }
    }
    reader.at = end;
  }
  return {
    imports,
    exports: exports.map(({ name, kind, index }) => {
      if (kind !== 'function') return { name, kind };
      const typeIndex = index < importedFunctions ? undefined : functionTypes[index - importedFunctions];
      return { name, kind, type: typeIndex === undefined ? undefined : types[typeIndex] };
    }),
  };
}
