// The struct codec's generated fast path (struct-codec.ts holds the reference walk, which the
// closure-only invoker uses): per struct, one function that checks a JS object field by field
// and one that reads a struct C filled, as straight-line code. As with the invokers, only cbox's
// own snippets, chosen by field type, and numbers (offsets, counts, indexes) from the checked
// stamp shape the text; field names reach the code through the closure (N[k]), and every
// refusal is made by the codec's own helpers, so both paths answer with the same errors.
import { ARRAY_FIELD_ELEMENTS, FIELD_SIZES, type FieldScalar } from './struct-fields.js';

/** One field of the flattened tree both paths walk: nested structs' fields carry absolute offsets. */
export interface FieldNode {
  readonly name: string;
  /** Where a message points: `inner.x`. */
  readonly path: string;
  readonly offset: number;
  readonly scalar: FieldScalar | null;
  /** A fixed-size array field's element count. */
  readonly count: number | null;
  /** A nested struct's fields. */
  readonly fields: readonly FieldNode[] | null;
  /** An object with every field of a nested struct as an own property: reads copy it (one shape per struct). */
  readonly template: Readonly<Record<string, null>> | null;
  /** A callback field: its slot (callbacks.ts). Written from a JS function or null; read back as null. */
  readonly callback: number | null;
}

/** The codec's refusals, each thrown as the reference walk throws it. */
export interface LowerRefusals {
  /** The argument (node null) or a nested struct's value is not a plain object. */
  notObject(node: FieldNode | null, value: unknown): never;
  missing(node: FieldNode): never;
  /** Throws when `value` has an own key that is not one of `fields`. */
  extra(fields: readonly FieldNode[], path: string, value: object): void;
  bad(node: FieldNode, value: unknown): never;
}

/** `x` is a field's value: the condition under which it is refused (the reference: fits() in struct-codec.ts). */
function refusal(scalar: FieldScalar, x: string): string {
  // typeof first: bit operators throw a raw TypeError on a bigint.
  switch (scalar) {
    case 'i8': return `typeof ${x} !== 'number' || (${x} << 24 >> 24) !== ${x}`;
    case 'u8': return `typeof ${x} !== 'number' || (${x} & 255) !== ${x}`;
    case 'i16': return `typeof ${x} !== 'number' || (${x} << 16 >> 16) !== ${x}`;
    case 'u16': return `typeof ${x} !== 'number' || (${x} & 65535) !== ${x}`;
    case 'i32': return `typeof ${x} !== 'number' || (${x} | 0) !== ${x}`;
    case 'u32': return `typeof ${x} !== 'number' || (${x} >>> 0) !== ${x}`;
    case 'i53': return `!Number.isSafeInteger(${x})`;
    case 'u53': return `!Number.isSafeInteger(${x}) || ${x} < 0`;
    case 'i64': return `typeof ${x} !== 'bigint' || BigInt.asIntN(64, ${x}) !== ${x}`;
    case 'u64': return `typeof ${x} !== 'bigint' || BigInt.asUintN(64, ${x}) !== ${x}`;
    case 'f32': case 'f64': return `typeof ${x} !== 'number'`;
    case 'bool': return `typeof ${x} !== 'boolean'`;
    case 'string': return `!isString(${x})`;
  }
}

/** The value of a scalar field at byte `at` of DataView `d` (the reference: readScalar() in struct-codec.ts). */
function reader(scalar: Exclude<FieldScalar, 'string'>, at: string): string {
  switch (scalar) {
    case 'i8': return `d.getInt8(${at})`;
    case 'u8': return `d.getUint8(${at})`;
    case 'bool': return `d.getUint8(${at}) !== 0`;
    case 'i16': return `d.getInt16(${at}, true)`;
    case 'u16': return `d.getUint16(${at}, true)`;
    case 'i32': return `d.getInt32(${at}, true)`;
    case 'u32': return `d.getUint32(${at}, true)`;
    case 'f32': return `d.getFloat32(${at}, true)`;
    case 'f64': return `d.getFloat64(${at}, true)`;
    case 'i53': return `i53Result(d.getBigInt64(${at}, true), fn)`;
    case 'u53': return `u53Result(d.getBigInt64(${at}, true), fn)`;
    case 'i64': return `d.getBigInt64(${at}, true)`;
    case 'u64': return `d.getBigUint64(${at}, true)`;
  }
}

/** Every node, depth first: node k's name is N[k] in the generated code. */
function numbered(fields: readonly FieldNode[]): FieldNode[] {
  return fields.flatMap((field) => [field, ...(field.fields === null ? [] : numbered(field.fields))]);
}

interface Tools {
  readonly arrayLength: (value: unknown, kind: string) => number;
  readonly isString: (value: unknown) => boolean;
  readonly i53Result: (value: bigint, fn: string) => number;
  readonly u53Result: (value: bigint, fn: string) => number;
}

/** A struct's check: the lowered values in leaf order, or the codec's refusal. */
export function generateLower(fields: readonly FieldNode[], refusals: LowerRefusals, tools: Tools): (value: unknown) => unknown[] {
  const nodes = numbered(fields);
  const index = new Map(nodes.map((node, k) => [node, k]));
  const lines: string[] = [];
  const leaves: string[] = [];
  const objects: { fields: readonly FieldNode[]; path: string }[] = [];
  const object = (o: string, members: readonly FieldNode[], holder: FieldNode | null): void => {
    const g = objects.push({ fields: members, path: holder === null ? '' : `${holder.path}.` }) - 1;
    lines.push(`if (typeof ${o} !== 'object' || ${o} === null || Array.isArray(${o})) R.notObject(${holder === null ? 'null' : `F[${index.get(holder)}]`}, ${o});`);
    for (const member of members) lines.push(`if (!hasOwn(${o}, N[${index.get(member)}])) R.missing(F[${index.get(member)}]);`);
    // One more enumerable key than fields: an extra one (the reference walk counts alike).
    lines.push(`{ let c = 0; for (const _ in ${o}) c++; if (c !== ${members.length}) R.extra(G[${g}].fields, G[${g}].path, ${o}); }`);
    for (const member of members) {
      const k = index.get(member)!;
      lines.push(`const x${k} = ${o}[N[${k}]];`);
      if (member.fields !== null) object(`x${k}`, member.fields, member);
      else if (member.callback !== null) {
        lines.push(`if (typeof x${k} !== 'function' && x${k} !== null) R.bad(F[${k}], x${k});`);
        leaves.push(`x${k}`);
      } else {
        // The class name and count come from cbox's own table and the checked stamp.
        const check = member.count === null ? refusal(member.scalar!, `x${k}`) : `A(x${k}, '${ARRAY_FIELD_ELEMENTS[member.scalar!]!.kind}') !== ${member.count}`;
        lines.push(`if (${check}) R.bad(F[${k}], x${k});`);
        leaves.push(`x${k}`);
      }
    }
  };
  object('v', fields, null);
  const source = `return function lower(v) {\n  ${lines.join('\n  ')}\n  return [${leaves.join(', ')}];\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from constant snippets and numbers (see above)
  return new Function('N', 'F', 'G', 'R', 'A', 'isString', 'hasOwn', source)(
    nodes.map((node) => node.name), nodes, objects, refusals, tools.arrayLength, tools.isString, Object.hasOwn,
  ) as (value: unknown) => unknown[];
}

/** A struct's read: a plain object of what C wrote at `p` (strings checked by the arena's cstringAt). */
export function generateRead(fields: readonly FieldNode[], template: Readonly<Record<string, null>>, tools: Tools):
  (arena: { readonly dataView: DataView; cstringAt(pointer: number, fn: string): string }, pointer: number, fn: string) => Record<string, unknown> {
  const nodes = numbered(fields);
  const index = new Map(nodes.map((node, k) => [node, k]));
  const templates: Readonly<Record<string, null>>[] = [];
  const views: unknown[] = [];
  const lines: string[] = ['const d = a.dataView;'];
  const object = (members: readonly FieldNode[], shape: Readonly<Record<string, null>>): string => {
    const g = templates.push(shape) - 1;
    const o = `o${g}`;
    lines.push(`const ${o} = { ...T[${g}] };`);
    for (const member of members) {
      const k = index.get(member)!;
      const at = `p + ${member.offset}`;
      if (member.fields !== null) lines.push(`${o}[N[${k}]] = ${object(member.fields, member.template!)};`);
      // A function pointer C holds is never handed to JS.
      else if (member.callback !== null) lines.push(`${o}[N[${k}]] = null;`);
      else if (member.count !== null) {
        const end = `p + ${member.offset + FIELD_SIZES[member.scalar!] * member.count}`;
        lines.push(`${o}[N[${k}]] = new V[${views.push(ARRAY_FIELD_ELEMENTS[member.scalar!]!.view) - 1}](d.buffer.slice(${at}, ${end}));`);
      } else if (member.scalar === 'string') {
        // Tainted: a pointer C wrote, checked by cstringAt against the memory; NULL reads as null.
        lines.push(`{ const t = d.getUint32(${at}, true); ${o}[N[${k}]] = t === 0 ? null : a.cstringAt(t, fn); }`);
      } else lines.push(`${o}[N[${k}]] = ${reader(member.scalar!, at)};`);
    }
    return o;
  };
  const top = object(fields, template);
  const source = `return function read(a, p, fn) {\n  ${lines.join('\n  ')}\n  return ${top};\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from constant snippets and numbers (see above)
  return new Function('N', 'T', 'V', 'i53Result', 'u53Result', source)(nodes.map((node) => node.name), templates, views, tools.i53Result, tools.u53Result) as never;
}
