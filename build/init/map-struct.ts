// `cbox init --header`, structs: the definition of each struct a function takes by pointer, read
// from clang's JSON AST (field names, bit-fields) and from probes (each field's canonical type,
// offset, size and signedness on wasm32), mapped to a manifest "structs" entry, or refused with
// the reason. cbox's own layout of the mapped fields must equal clang's, offset by offset:
// a packed or over-aligned struct is refused, never mapped wrongly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARRAY_FIELD_ELEMENTS, fieldNameProblem } from '../../runtime/struct-fields.js';
import { parseStructs } from '../manifest-structs.js';
import { computeLayouts } from '../struct-layout.js';
import { streamAst, type AstNode } from './clang-ast.js';
import type { ClangSetup } from './clang-setup.js';
import { readType, type CType } from './c-type.js';
import { InitError } from './init-error.js';
import { mapCallback } from './map-callback.js';
import type { TagLookup } from './map-scalar.js';
import { PROBE, arrayLength, probe, probeTags, typeOf, type TagFacts } from './probe.js';

/** `callbacks`: the struct holds function pointers (itself or in a nested struct): it can only be passed in. */
export type StructMapping = { readonly ok: true; readonly key: string; readonly callbacks: boolean } | { readonly ok: false; readonly reason: string };

export interface StructMap {
  /** A struct by how C names it (`struct point`, or a typedef name). */
  readonly lookup: (cName: string) => StructMapping;
  /** The mapped structs by manifest name, nested ones first. */
  readonly structs: ReadonlyMap<string, { readonly c: string; readonly fields: readonly string[] }>;
}

interface RecordDefinition {
  readonly union: boolean;
  readonly fields: readonly { readonly name: string; readonly bitfield: boolean }[];
}

/** Nesting deeper than this is not followed (a struct of a struct of ... 8 levels down). */
const MAX_DEPTH = 8;

/** Every complete struct or union the header makes nameable, by C name: from one unfiltered AST of it. */
async function readDefinitions(setup: ClangSetup, header: string): Promise<Map<string, RecordDefinition>> {
  const byId = new Map<string, RecordDefinition>();
  const names = new Map<string, string>();
  const note = (decl: AstNode): void => {
    const inner = Array.isArray(decl.inner) ? decl.inner as AstNode[] : [];
    if (decl.kind === 'RecordDecl' && decl.completeDefinition === true && typeof decl.id === 'string') {
      const fields = inner.filter((node) => node.kind === 'FieldDecl').map((node) => ({ name: typeof node.name === 'string' ? node.name : '', bitfield: node.isBitfield === true }));
      byId.set(decl.id, { union: decl.tagUsed === 'union', fields });
      if (typeof decl.name === 'string' && decl.name !== '') names.set(`${decl.tagUsed === 'union' ? 'union' : 'struct'} ${decl.name}`, decl.id);
      for (const node of inner) if (node.kind === 'RecordDecl') note(node);
    } else if (decl.kind === 'TypedefDecl' && typeof decl.name === 'string') {
      const id = recordIdOf(decl);
      if (id !== null) names.set(decl.name, id);
    }
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-init-'));
  try {
    const file = path.join(dir, 'structs.c');
    writeFileSync(file, '\n');
    const run = await streamAst(setup.clang, [...setup.flags, '-include', header, '-fsyntax-only', '-w', '-Xclang', '-ast-dump=json', file], false, note);
    if (run.code !== 0) throw new InitError('clang-failed', `cbox init: clang failed reading the struct definitions of ${header}`, run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const definitions = new Map<string, RecordDefinition>();
  for (const [name, id] of names) {
    const definition = byId.get(id);
    if (definition) definitions.set(name, definition);
  }
  return definitions;
}

/** The record a typedef names, through its sugar (the first RecordType below it). */
function recordIdOf(node: AstNode): string | null {
  const pending: AstNode[] = [node];
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (current.kind === 'RecordType') {
      const decl = current.decl as { id?: unknown } | undefined;
      return typeof decl?.id === 'string' ? decl.id : null;
    }
    if (current.kind === 'PointerType' || current.kind === 'ConstantArrayType' || current.kind === 'FunctionProtoType') continue;
    if (Array.isArray(current.inner)) for (const child of current.inner as AstNode[]) if (typeof child?.kind === 'string' && child.kind.endsWith('Type')) pending.push(child);
  }
  return null;
}

interface FieldFacts {
  readonly type: CType | undefined;
  readonly offset: number | null;
  readonly size: number | null;
  /** The field's (or an array field's element's) integer signedness. */
  readonly signed: boolean | null;
}

interface StructFacts {
  readonly size: number | null;
  readonly align: number | null;
  readonly fields: ReadonlyMap<string, FieldFacts>;
}

/** Each field's canonical type, offset, size and signedness, and each struct's size and alignment, in one probe run. */
async function probeStructs(setup: ClangSetup, header: string, structs: readonly { c: string; fields: readonly string[] }[]): Promise<StructFacts[]> {
  const lines = structs.flatMap(({ c, fields }, i) => [
    `typedef char ${PROBE}ss_${i}[sizeof(${c})];`,
    `typedef char ${PROBE}sa_${i}[_Alignof(${c})];`,
    ...fields.flatMap((field, j) => {
      const value = `((${c} *)0)->${field}`;
      return [
        `typedef __typeof__(${value}) ${PROBE}ft_${i}_${j};`,
        `typedef char ${PROBE}fo_${i}_${j}[__builtin_offsetof(${c}, ${field}) + 1];`,
        `typedef char ${PROBE}fz_${i}_${j}[sizeof(${value})];`,
        `typedef char ${PROBE}fs_${i}_${j}[((__typeof__(${value}))-1 < 0) ? 1 : 2];`,
        `typedef char ${PROBE}fe_${i}_${j}[((__typeof__((${value})[0]))-1 < 0) ? 1 : 2];`,
      ];
    }),
  ]);
  const found = await probe(setup, header, lines, true);
  return structs.map(({ fields }, i) => {
    const facts = new Map<string, FieldFacts>();
    fields.forEach((field, j) => {
      const node = typeOf(found.get(`${PROBE}ft_${i}_${j}`));
      const offset = arrayLength(found.get(`${PROBE}fo_${i}_${j}`));
      const sign = arrayLength(found.get(`${PROBE}fs_${i}_${j}`)) ?? arrayLength(found.get(`${PROBE}fe_${i}_${j}`));
      facts.set(field, {
        type: node ? readType(node) : undefined,
        offset: offset === null ? null : offset - 1,
        size: arrayLength(found.get(`${PROBE}fz_${i}_${j}`)),
        signed: sign === null ? null : sign === 1,
      });
    });
    return { size: arrayLength(found.get(`${PROBE}ss_${i}`)), align: arrayLength(found.get(`${PROBE}sa_${i}`)), fields: facts };
  });
}

type FieldMapping = { type: string; nested: string | null } | { reason: string };

/** A field's manifest type (`i32`, `u8[16]`, `struct:NAME` with the nested C name, `callback(...)`), or why it has none. */
function mapField(type: CType, facts: FieldFacts, bigint: boolean, tags: TagLookup): FieldMapping {
  const scalar = (t: CType, size: number | null): string | { reason: string } => {
    if (t.kind === 'bool') return 'bool';
    if (t.kind === 'float') return t.bits === 32 ? 'f32' : t.bits === 64 ? 'f64' : { reason: `a ${t.bits}-bit float: not supported` };
    const int = t.kind === 'int' ? { bits: t.bits as number, signed: t.signed } : t.kind === 'enum' && size !== null && facts.signed !== null ? { bits: size * 8, signed: facts.signed } : null;
    if (int === null) return { reason: t.kind === 'enum' ? 'an enum whose integer type clang could not tell' : `a ${t.kind === 'unsupported' ? t.what : t.kind} field: not supported` };
    if (int.bits === 64) return bigint ? (int.signed ? 'i64' : 'u64') : (int.signed ? 'i53' : 'u53');
    if (int.bits > 64) return { reason: `a ${int.bits}-bit integer: not supported` };
    return `${int.signed ? 'i' : 'u'}${int.bits}`;
  };
  switch (type.kind) {
    case 'pointer': {
      if (type.pointee.kind === 'int' && type.pointee.char && type.pointee.const) return { type: 'string', nested: null };
      if (type.pointee.kind === 'function') {
        const callback = mapCallback(type.pointee, tags, { bigint });
        return typeof callback === 'string' ? { type: callback, nested: null } : callback;
      }
      return { reason: `a pointer to ${type.pointee.spelling}: only const char * and function pointer fields are supported` };
    }
    case 'array': {
      if (type.length === null) return { reason: `a flexible array member (${type.spelling}): not supported` };
      if (type.length === 0) return { reason: `a zero-length array (${type.spelling}): not supported` };
      const elementSize = facts.size === null ? null : facts.size / type.length;
      const element = scalar(type.element, elementSize);
      if (typeof element !== 'string') return { reason: `an array of ${type.element.spelling}: ${element.reason}` };
      if (!(element in ARRAY_FIELD_ELEMENTS)) return { reason: `an array of ${type.element.spelling} (${element}): fixed arrays of this type not supported` };
      return { type: `${element}[${type.length}]`, nested: null };
    }
    case 'record':
      if (type.tag === 'union') return { reason: `a union${type.name === null ? '' : ` (${type.name})`}: unions not supported` };
      if (type.name === null) return { reason: 'an anonymous struct: give it a name or a typedef' };
      return { type: '', nested: type.name };
    default: {
      const mapped = scalar(type, facts.size);
      return typeof mapped === 'string' ? { type: mapped, nested: null } : mapped;
    }
  }
}

/** The manifest name of a struct: `struct point` -> `point`, a typedef name as it is. */
function keyOf(cName: string): string {
  return cName.startsWith('struct ') ? cName.slice(7) : cName;
}

/** Maps the structs named by `roots` (C names) and every struct they contain. */
export async function mapStructs(setup: ClangSetup, header: string, roots: readonly string[], options: { readonly bigint?: boolean } = {}): Promise<StructMap> {
  const results = new Map<string, StructMapping>();
  const structs = new Map<string, { c: string; fields: string[] }>();
  if (roots.length === 0) return { lookup: (name) => results.get(name) ?? { ok: false, reason: 'not read' }, structs };
  const definitions = await readDefinitions(setup, header);
  // Probed a level at a time: a nested struct is known only once its holder's field types are.
  const facts = new Map<string, StructFacts>();
  let level = [...new Set(roots)];
  for (let depth = 0; level.length > 0 && depth < MAX_DEPTH; depth++) {
    const probed = level.filter((name) => !facts.has(name) && definitions.get(name)?.union === false && definitions.get(name)!.fields.every((f) => f.name !== '' && !f.bitfield));
    const answers = probed.length === 0 ? [] : await probeStructs(setup, header, probed.map((c) => ({ c, fields: definitions.get(c)!.fields.map((f) => f.name) })));
    probed.forEach((name, i) => facts.set(name, answers[i]!));
    level = answers.flatMap((answer) => [...answer.fields.values()].flatMap(({ type }) => {
      const record = type?.kind === 'array' ? type.element : type;
      return record?.kind === 'record' && record.name !== null && !facts.has(record.name) ? [record.name] : [];
    }));
  }
  // The enums callback fields pass (MD_BLOCKTYPE): their size and signedness decide their type.
  const enums = new Map<string, { name: string; isEnum: boolean }>();
  for (const struct of facts.values()) {
    for (const { type } of struct.fields.values()) {
      if (type?.kind !== 'pointer' || type.pointee.kind !== 'function') continue;
      for (const part of [type.pointee.result, ...type.pointee.params]) if (part.kind === 'enum' && part.name !== null) enums.set(part.name, { name: part.name, isEnum: true });
    }
  }
  const tagFacts = enums.size > 0 ? await probeTags(setup, header, [...enums.values()]) : new Map<string, TagFacts>();
  const tags: TagLookup = (name) => tagFacts.get(name);
  const keys = new Map<string, string>();
  const visiting = new Set<string>();
  const map = (cName: string): StructMapping => {
    const known = results.get(cName);
    if (known) return known;
    if (visiting.has(cName)) return { ok: false, reason: `${cName} contains itself` };
    visiting.add(cName);
    const result = mapOne(cName);
    visiting.delete(cName);
    results.set(cName, result);
    return result;
  };
  const mapOne = (cName: string): StructMapping => {
    const refuse = (reason: string): StructMapping => ({ ok: false, reason: `${cName}: ${reason}` });
    const definition = definitions.get(cName);
    if (!definition) return refuse('clang shows no definition of it');
    if (definition.union) return refuse('a union: unions not supported');
    const odd = definition.fields.find((field) => field.name === '' || field.bitfield);
    if (odd) return refuse(odd.bitfield ? `field ${odd.name}: a bit-field: not supported` : 'an anonymous struct or union member: not supported');
    const struct = facts.get(cName);
    if (!struct || struct.size === null || struct.align === null) return refuse(`nested more than ${MAX_DEPTH} levels deep, or clang could not lay it out`);
    const fields: string[] = [];
    let callbacks = false;
    for (const { name } of definition.fields) {
      const field = struct.fields.get(name)!;
      if (fieldNameProblem(name) !== null) return refuse(`field ${name}: a name cbox cannot give a JS object`);
      if (!field.type || field.offset === null) return refuse(`field ${name}: clang gave no type or offset for it`);
      const mapped = mapField(field.type, field, options.bigint === true, tags);
      if ('reason' in mapped) return refuse(`field ${name}: ${mapped.reason}`);
      if (mapped.nested !== null) {
        const nested = map(mapped.nested);
        if (!nested.ok) return refuse(`field ${name}: ${nested.reason}`);
        callbacks ||= nested.callbacks;
        fields.push(`${name}:struct:${nested.key}`);
      } else {
        callbacks ||= mapped.type.startsWith('callback(');
        fields.push(`${name}:${mapped.type}`);
      }
    }
    let key = keyOf(cName);
    while ([...keys].some(([other, taken]) => taken === key && other !== cName)) key = `${key}_`;
    keys.set(cName, key);
    // cbox's layout of these fields, against clang's: offsets, size and alignment must all agree.
    const problems: string[] = [];
    const candidates = parseStructs(Object.fromEntries([...structs, [key, { c: cName, fields }]]), problems);
    const layout = computeLayouts(candidates, problems)[key];
    if (problems.length > 0 || layout === undefined) return refuse(problems.join('; '));
    const differs = layout.fields.find((field) => field.offset !== struct.fields.get(field.name)!.offset);
    if (differs) return refuse(`field ${differs.name} is at offset ${struct.fields.get(differs.name)!.offset}, where the C rules cbox follows put it at ${differs.offset} (a packed or aligned struct?): not supported`);
    if (layout.size !== struct.size || layout.align !== struct.align) {
      return refuse(`${struct.size} bytes aligned to ${struct.align}, where the C rules cbox follows give ${layout.size} and ${layout.align} (a packed or aligned struct?): not supported`);
    }
    structs.set(key, { c: cName, fields });
    return { ok: true, key, callbacks };
  };
  for (const root of roots) map(root);
  return { lookup: (name) => results.get(name) ?? map(name), structs };
}
