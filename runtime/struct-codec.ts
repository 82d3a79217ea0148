// A struct parameter's way across: a plain JS object checked field by field (every field
// required, none extra, each typed exactly like a parameter), written into the arena at the
// stamp's offsets; and a struct C filled, read back into a plain object. Both invokers use this
// one codec, so they check and marshal alike; where code generation is allowed, its check and
// read are generated per struct (struct-codegen.ts), and the walk here is the reference the
// closure-only invoker uses. Layouts come from the checked stamp (struct-stamp.ts): every offset
// lies inside the struct's own bytes.
import { structParamName, type ExportSignature, type StructLayout } from './abi.js';
import { argumentError, arrayLength, isString, typedArraySet } from './arguments.js';
import { describeValue } from './describe-value.js';
import { i53Result, u53Result } from './int53.js';
import type { Marshalling } from './marshalling.js';
import { canGenerateCode } from './code-generation.js';
import { generateLower, generateRead, type FieldNode, type LowerRefusals } from './struct-codegen.js';
import { ARRAY_FIELD_ELEMENTS, FIELD_SIZES, isCallbackField, isFieldScalar, nestedStructName, type FieldScalar } from './struct-fields.js';

/** A refused field (path '' : the struct argument itself); `problem` completes "field <path> ...". */
class FieldProblem {
  constructor(readonly path: string, readonly problem: string, readonly value: unknown = undefined) {}
}

function mustBe(path: string, expected: string, value: unknown): FieldProblem {
  return new FieldProblem(path, `must be ${expected}, got ${describeValue(value)}`, value);
}

const EXPECTED_FIELD: Readonly<Record<FieldScalar, string>> = {
  i8: 'an integer from -128 to 127',
  u8: 'an integer from 0 to 255',
  i16: 'an integer from -32768 to 32767',
  u16: 'an integer from 0 to 65535',
  i32: 'an integer from -2147483648 to 2147483647',
  u32: 'an integer from 0 to 4294967295',
  i53: 'a safe integer (Number.isSafeInteger)',
  u53: 'a safe integer from 0 to Number.MAX_SAFE_INTEGER',
  i64: 'a bigint from -(2n**63n) to 2n**63n-1n',
  u64: 'a bigint from 0n to 2n**64n-1n',
  f32: 'a number',
  f64: 'a number',
  bool: 'a boolean',
  string: 'a well-formed string without NUL characters',
};

/** Whether `v` is a valid value of this scalar field (the parameters' rules, per C width). */
function fits(scalar: FieldScalar, v: unknown): boolean {
  // typeof first: bit operators throw a raw TypeError on a bigint.
  switch (scalar) {
    case 'i8': return typeof v === 'number' && (v << 24 >> 24) === v;
    case 'u8': return typeof v === 'number' && (v & 0xff) === v;
    case 'i16': return typeof v === 'number' && (v << 16 >> 16) === v;
    case 'u16': return typeof v === 'number' && (v & 0xffff) === v;
    case 'i32': return typeof v === 'number' && (v | 0) === v;
    case 'u32': return typeof v === 'number' && (v >>> 0) === v;
    case 'i53': return Number.isSafeInteger(v);
    case 'u53': return Number.isSafeInteger(v) && (v as number) >= 0;
    case 'i64': return typeof v === 'bigint' && BigInt.asIntN(64, v) === v;
    case 'u64': return typeof v === 'bigint' && BigInt.asUintN(64, v) === v;
    case 'f32': case 'f64': return typeof v === 'number';
    case 'bool': return typeof v === 'boolean';
    case 'string': return isString(v);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class StructCodec {
  private readonly fields: readonly FieldNode[];
  private readonly template: Readonly<Record<string, null>>;
  /** Every scalar and array field, nested ones included, in the order lower() gives their values. */
  private readonly leaves: readonly FieldNode[];
  private readonly hasStrings: boolean;
  /** The check and read generated for this struct; null where code generation is disallowed (the walk below serves). */
  private readonly generated: {
    readonly lower: (value: unknown) => unknown[];
    readonly read: (arena: Marshalling, pointer: number, fn: string) => Record<string, unknown>;
  } | null;
  readonly size: number;

  /** `layouts`: the stamp's checked structs; `name` one of them; `callbacks`: the sandbox's, where its callback fields bind. */
  constructor(layouts: Readonly<Record<string, StructLayout>>, readonly name: string, private readonly callbacks: StructCallbacks | null = null) {
    const layout = layouts[name]!;
    this.size = layout.size;
    this.fields = StructCodec.flatten(layouts, name, 0, '', callbacks);
    this.template = StructCodec.templateOf(this.fields);
    const leavesOf = (fields: readonly FieldNode[]): FieldNode[] => fields.flatMap((field) => (field.fields === null ? [field] : leavesOf(field.fields)));
    this.leaves = leavesOf(this.fields);
    this.hasStrings = this.leaves.some((leaf) => leaf.scalar === 'string');
    const tools = { arrayLength, isString, i53Result, u53Result };
    this.generated = canGenerateCode
      ? { lower: generateLower(this.fields, this.refusals, tools), read: generateRead(this.fields, this.template, tools) }
      : null;
  }

  private static flatten(layouts: Readonly<Record<string, StructLayout>>, struct: string, base: number, prefix: string, callbacks: StructCallbacks | null): FieldNode[] {
    return layouts[struct]!.fields.map((field) => {
      const path = `${prefix}${field.name}`;
      const offset = base + field.offset;
      if (isFieldScalar(field.type)) return { name: field.name, path, offset, scalar: field.type, count: field.count ?? null, fields: null, template: null, callback: null };
      if (isCallbackField(field.type)) {
        const slot = callbacks?.slotOfField(struct, field.name) ?? -1;
        if (slot < 0) throw new TypeError(`struct ${struct}: the callback field ${field.name} has no slot`);
        return { name: field.name, path, offset, scalar: null, count: null, fields: null, template: null, callback: slot };
      }
      const nested = nestedStructName(field.type)!;
      const fields = StructCodec.flatten(layouts, nested, offset, `${path}.`, callbacks);
      return { name: field.name, path, offset, scalar: null, count: null, fields, template: StructCodec.templateOf(fields), callback: null };
    });
  }

  // Own properties defined (not assigned) from the start: a field named like an
  // Object.prototype member is then set on the object itself. Not frozen (it never leaves the
  // codec): spreading a plain object takes V8's fast path.
  private static templateOf(fields: readonly FieldNode[]): Readonly<Record<string, null>> {
    return Object.fromEntries(fields.map((field) => [field.name, null]));
  }

  /**
   * The checked values of a JS object, in field order (nested structs flattened), read once each:
   * a getter gets no second say. Throws CboxArgumentError naming the field.
   */
  lower(value: unknown, fn: string, signature: ExportSignature, index: number): unknown[] {
    try {
      if (this.generated !== null) return this.generated.lower(value);
      const values: unknown[] = [];
      this.lowerInto(value, this.fields, null, values);
      return values;
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      throw argumentError(fn, signature, index, error.value, error.path === '' ? undefined : { path: error.path, problem: error.problem });
    }
  }

  private lowerInto(value: unknown, fields: readonly FieldNode[], holder: FieldNode | null, values: unknown[]): void {
    const refuse = this.refusals;
    if (!isPlainObject(value)) return refuse.notObject(holder, value);
    for (const field of fields) if (!Object.hasOwn(value, field.name)) refuse.missing(field);
    // Every field is an own property: one more enumerable key is an extra field. Counted with
    // for-in (no array made); only when it counts more are the own keys listed.
    let keys = 0;
    for (const _ in value) keys++;
    if (keys !== fields.length) refuse.extra(fields, holder === null ? '' : `${holder.path}.`, value);
    for (const field of fields) {
      const v = value[field.name];
      if (field.fields !== null) this.lowerInto(v, field.fields, field, values);
      else if (field.callback !== null) {
        if (typeof v !== 'function' && v !== null) refuse.bad(field, v);
        values.push(v);
      } else if (field.count !== null ? arrayLength(v, ARRAY_FIELD_ELEMENTS[field.scalar!]!.kind) !== field.count : !fits(field.scalar!, v)) refuse.bad(field, v);
      else values.push(v);
    }
  }

  /** How a field is refused, the same from the walk and from generated code. */
  private readonly refusals: LowerRefusals = {
    notObject: (holder, value) => {
      throw holder === null ? new FieldProblem('', '', value) : mustBe(holder.path, 'a plain object (a nested struct)', value);
    },
    missing: (field) => { throw new FieldProblem(field.path, `is missing (every field of struct ${this.name} is required)`); },
    extra: (fields, path, value) => {
      const extra = Object.keys(value).find((key) => !fields.some((field) => field.name === key));
      if (extra !== undefined) throw new FieldProblem(`${path}${extra}`, `is not a field of ${path === '' ? `struct ${this.name}` : path.slice(0, -1)}`);
    },
    bad: (field, value) => {
      if (field.callback !== null) throw mustBe(field.path, 'a function, or null', value);
      const expected = field.count === null ? EXPECTED_FIELD[field.scalar!] : `a ${ARRAY_FIELD_ELEMENTS[field.scalar!]!.kind} of ${field.count} elements that is not detached`;
      throw mustBe(field.path, expected, value);
    },
  };

  /** Zeroed bytes for the struct in the arena (padding included): a struct C fills, or one to write. */
  reserve(arena: Marshalling): number {
    return arena.putZeroed(this.size);
  }

  /**
   * Writes lowered values (this call's own array: strings are replaced by their addresses) into a
   * fresh struct in the arena; its address. A callback field binds its slot to the function and
   * gets the function pointer of `instance` (kept: C may store the struct's pointers).
   */
  write(arena: Marshalling, values: unknown[], instance: { readonly callbackPointers: readonly number[] }): number {
    const pointer = this.reserve(arena);
    const leaves = this.leaves;
    // Strings first: their room may be a heap block, which may grow the memory (a new buffer).
    if (this.hasStrings) {
      for (let k = 0; k < leaves.length; k++) if (leaves[k]!.scalar === 'string') values[k] = arena.putString(values[k] as string);
    }
    const data = arena.dataView;
    for (let k = 0; k < leaves.length; k++) {
      const leaf = leaves[k]!;
      const at = pointer + leaf.offset;
      if (leaf.callback !== null) {
        const fn = values[k] as ((...args: unknown[]) => unknown) | null;
        this.callbacks!.bound[leaf.callback] = fn;
        data.setUint32(at, fn === null ? 0 : instance.callbackPointers[leaf.callback]!, true);
      } else if (leaf.count === null) writeScalar(data, at, leaf.scalar!, values[k]);
      else {
        // The engine's own set(), into exactly `count` elements: a subclass's getters are never
        // asked where the bytes are (the offset is aligned to the element: struct-stamp.ts).
        const { view } = ARRAY_FIELD_ELEMENTS[leaf.scalar!]!;
        typedArraySet.call(new (view as new (buffer: ArrayBufferLike, offset: number, length: number) => Uint8Array)(data.buffer, at, leaf.count), values[k]);
      }
    }
    return pointer;
  }

  /** The struct C wrote at `pointer` (a struct this call reserved) as a plain object; refuses what C wrote wrong (bad-result). */
  read(arena: Marshalling, pointer: number, fn: string): Record<string, unknown> {
    if (this.generated !== null) return this.generated.read(arena, pointer, fn);
    return this.readFields(arena, arena.dataView, pointer, this.fields, this.template, fn);
  }

  private readFields(arena: Marshalling, data: DataView, pointer: number, fields: readonly FieldNode[], template: Readonly<Record<string, null>>, fn: string): Record<string, unknown> {
    const object: Record<string, unknown> = { ...template };
    for (const field of fields) {
      const at = pointer + field.offset;
      if (field.fields !== null) object[field.name] = this.readFields(arena, data, pointer, field.fields, field.template!, fn);
      // A function pointer C holds is never handed to JS.
      else if (field.callback !== null) object[field.name] = null;
      else if (field.count !== null) {
        const { view } = ARRAY_FIELD_ELEMENTS[field.scalar!]!;
        const bytes = FIELD_SIZES[field.scalar!] * field.count;
        object[field.name] = new (view as new (buffer: ArrayBufferLike) => unknown)(data.buffer.slice(at, at + bytes));
      } else if (field.scalar === 'string') {
        // Tainted: a pointer C wrote, checked by cstringAt against the memory; NULL reads as null.
        const text = data.getUint32(at, true);
        object[field.name] = text === 0 ? null : arena.cstringAt(text, fn);
      } else object[field.name] = readScalar(data, at, field.scalar!, fn);
    }
    return object;
  }
}

// wasm is little-endian.
function writeScalar(data: DataView, at: number, scalar: FieldScalar, v: unknown): void {
  switch (scalar) {
    case 'i8': case 'u8': data.setUint8(at, v as number); break;
    case 'bool': data.setUint8(at, v === true ? 1 : 0); break;
    case 'i16': case 'u16': data.setUint16(at, v as number, true); break;
    case 'i32': case 'u32': case 'string': data.setUint32(at, (v as number) >>> 0, true); break;
    case 'f32': data.setFloat32(at, v as number, true); break;
    case 'f64': data.setFloat64(at, v as number, true); break;
    case 'i53': case 'u53': data.setBigInt64(at, BigInt(v as number), true); break;
    case 'i64': data.setBigInt64(at, v as bigint, true); break;
    case 'u64': data.setBigUint64(at, v as bigint, true); break;
  }
}

/** A scalar field C wrote (strings are read by the codec: they point elsewhere). */
function readScalar(data: DataView, at: number, scalar: FieldScalar, fn: string): unknown {
  switch (scalar) {
    case 'i8': return data.getInt8(at);
    case 'u8': return data.getUint8(at);
    // C's _Bool holds 0 or 1; any other byte reads as true, as C would test it.
    case 'bool': return data.getUint8(at) !== 0;
    case 'i16': return data.getInt16(at, true);
    case 'u16': return data.getUint16(at, true);
    case 'i32': return data.getInt32(at, true);
    case 'u32': return data.getUint32(at, true);
    case 'f32': return data.getFloat32(at, true);
    case 'f64': return data.getFloat64(at, true);
    case 'i53': return i53Result(data.getBigInt64(at, true), fn);
    case 'u53': return u53Result(data.getBigInt64(at, true), fn);
    case 'i64': return data.getBigInt64(at, true);
    case 'u64': return data.getBigUint64(at, true);
    case 'string': throw new TypeError('a string field is read by the codec');
  }
}

/** What a codec needs of the sandbox's callback table (callbacks.ts) for callback fields. */
export interface StructCallbacks {
  slotOfField(struct: string, field: string): number;
  readonly bound: (((...args: unknown[]) => unknown) | null)[];
}

/** A codec per struct parameter position (null elsewhere), for an export's invoker. */
export function structCodecs(layouts: Readonly<Record<string, StructLayout>> | undefined, signature: ExportSignature, callbacks: StructCallbacks | null = null): (StructCodec | null)[] {
  return signature.params.map((type) => {
    const name = structParamName(type);
    return name === null || layouts === undefined ? null : new StructCodec(layouts, name, callbacks);
  });
}
