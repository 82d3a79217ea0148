// `cbox init --header`, the mapping half: every function the header declares, mapped to a
// manifest signature or listed as skipped with its reason. Three clang runs on the header
// (declarations, canonical types, struct/enum facts) and one of the preprocessor (macros).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { structParamName, type ResultType } from '../../runtime/abi.js';
import { findToolchain } from '../toolchain.js';
import type { CFunctionType, CType } from './c-type.js';
import { clangSetup } from './clang-setup.js';
import { readHeaderFunctions } from './header-functions.js';
import { readHeaderMacros } from './header-macros.js';
import { InitError } from './init-error.js';
import { mapFunction, type MappedParam } from './map-function.js';
import { mapStructs } from './map-struct.js';
import { probeFunctionTypes, probeTags, type TagFacts, type TagQuery } from './probe.js';

export interface HeaderMapOptions {
  readonly header: string;
  /** Only functions (and macros) whose names start with it. */
  readonly prefix?: string;
  /** More include folders for clang. The header's own folder is searched for its "quoted" includes
   * only: as -I it could be /usr/include, and the host's libc headers must not replace wasi-libc's. */
  readonly include?: readonly string[];
  /** int64_t/uint64_t as i64/u64 (bigint); by default i53/u53 (a number that must be a safe integer). */
  readonly bigint?: boolean;
}

export interface MappedFunction {
  readonly params: readonly MappedParam[];
  readonly result: ResultType;
  /** An owned cstring result's release function. */
  readonly free?: string;
}

export interface SkippedFunction {
  readonly name: string;
  readonly reason: string;
}

export interface HeaderMap {
  /** In the header's order. */
  readonly exports: ReadonlyMap<string, MappedFunction>;
  readonly skipped: readonly SkippedFunction[];
  /** The structs the mapped functions take, by manifest name, nested ones first. */
  readonly structs: ReadonlyMap<string, { readonly c: string; readonly fields: readonly string[] }>;
  /** Every function's canonical C type, mapped or not (for the richer types to come). */
  readonly types: ReadonlyMap<string, CType>;
  readonly tags: ReadonlyMap<string, TagFacts>;
  /** clang's warnings on the header, if any. */
  readonly warnings: string;
}

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function requireFile(file: string, what: string): string {
  const absolute = path.resolve(file);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) throw new InitError('missing-file', `cbox init: ${what} not found: ${file} (looked at ${absolute})`);
  return absolute;
}

export async function mapHeader(options: HeaderMapOptions): Promise<HeaderMap> {
  const header = requireFile(options.header, 'header');
  const prefix = options.prefix ?? '';
  if (prefix && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new InitError('bad-option', `cbox init: --prefix must be the start of a C name (got ${JSON.stringify(prefix)})`);
  const setup = clangSetup(findToolchain(), (options.include ?? []).map((dir) => path.resolve(dir)));

  const declarations = await readHeaderFunctions(setup, header, prefix);
  const macros = await readHeaderMacros(setup, header, prefix);
  const functions = declarations.functions.filter((fn) => C_IDENTIFIER.test(fn.name));
  const types = await probeFunctionTypes(setup, header, functions.map((fn) => fn.name));
  const queries = tagQueries([...types.values()]);
  const tags = queries.length > 0 ? await probeTags(setup, header, queries) : new Map<string, TagFacts>();

  // Structs a function takes by pointer: their fields are read only for those.
  const roots = [...tags].flatMap(([name, facts]) => (facts.complete && !name.startsWith('union ') && queries.some((q) => q.name === name && !q.isEnum) ? [name] : []));
  const structs = await mapStructs(setup, header, roots, { bigint: options.bigint === true });

  const exports = new Map<string, MappedFunction>();
  const skipped: SkippedFunction[] = [];
  for (const fn of functions) {
    const type = types.get(fn.name);
    const mapping = mapFunction(fn, type?.kind === 'function' ? type as CFunctionType : undefined, (name) => tags.get(name), { bigint: options.bigint === true, structs: structs.lookup });
    if (mapping.ok) exports.set(fn.name, mapping.free === undefined ? { params: mapping.params, result: mapping.result } : { params: mapping.params, result: mapping.result, free: mapping.free });
    else skipped.push({ name: fn.name, reason: mapping.reason });
  }
  for (const { name, file } of declarations.included) {
    skipped.push({ name, reason: `declared in ${path.basename(file)}, which ${path.basename(header)} includes, not in ${path.basename(header)} itself (run cbox init on that header too)` });
  }
  const known = new Set(functions.map((fn) => fn.name));
  for (const name of macros) {
    if (!known.has(name)) skipped.push({ name, reason: 'a function-like macro: no symbol to export (call the function it expands to, or wrap it in a C function)' });
  }
  // Only the structs a mapped function uses (and the structs they hold) go into the manifest.
  const used = new Set([...exports.values()].flatMap(({ params }) => params.flatMap(({ type }) => { const name = structParamName(type); return name === null ? [] : [name]; })));
  const needed = new Set<string>();
  const need = (key: string): void => {
    if (needed.has(key)) return;
    needed.add(key);
    for (const field of structs.structs.get(key)?.fields ?? []) { const nested = /:struct:(\w+)$/.exec(field); if (nested) need(nested[1]!); }
  };
  for (const key of used) need(key);
  const mappedStructs = new Map([...structs.structs].filter(([key]) => needed.has(key)));
  return { exports, skipped, structs: mappedStructs, types, tags, warnings: declarations.warnings };
}

/** The structs, unions and enums the functions use directly or through one pointer. */
function tagQueries(types: readonly CType[]): TagQuery[] {
  const queries = new Map<string, TagQuery>();
  const note = (type: CType): void => {
    if ((type.kind === 'record' || type.kind === 'enum') && type.name !== null) queries.set(type.name, { name: type.name, isEnum: type.kind === 'enum' });
  };
  for (const type of types) {
    if (type.kind !== 'function') continue;
    for (const part of [type.result, ...type.params]) {
      note(part);
      if (part.kind === 'pointer') note(part.pointee);
      // A callback's own arguments and result (an enum it passes: MD_BLOCKTYPE).
      if (part.kind === 'pointer' && part.pointee.kind === 'function') for (const inner of [part.pointee.result, ...part.pointee.params]) note(inner);
      // struct x **: an opaque object C hands back through an out-pointer.
      if (part.kind === 'pointer' && part.pointee.kind === 'pointer') note(part.pointee.pointee);
    }
  }
  return [...queries.values()];
}
