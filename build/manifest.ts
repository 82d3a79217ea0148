// The library manifest (cbox.json): read, check every field, resolve paths. Each problem gets
// one message naming the field; all of them are reported together.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  MAX_EXPORTS, MAX_PARAMS, SIZE_LIMITS, VALUE_TYPES, answeredValueType, exportNameProblem, isCIdentifier, isInOutType, isLibraryName, isMutArrayType, isOutStructType, isOutType, isUnsizedBytesType,
  isParamType, isResultType, structParamName, type ExportSignature, type ParamType, type StructLayout,
} from '../runtime/abi.js';
import { formatCallbackType, isCallbackType, parseCallbackType } from '../runtime/callback-type.js';
import { structsWithCallbacks } from '../runtime/struct-fields.js';
import { WASM_PAGE, parseSize } from '../runtime/sizes.js';
import { findDuplicateKeys } from './json-duplicates.js';
import { parseStructs, type ManifestStruct } from './manifest-structs.js';
import { computeLayouts } from './struct-layout.js';

export interface Manifest {
  readonly name: string;
  /** Folder of cbox.json; relative paths in it are resolved from here. */
  readonly dir: string;
  readonly sources: readonly string[];
  readonly include: readonly string[];
  readonly defines: Readonly<Record<string, string>>;
  readonly cflags: readonly string[];
  readonly stackSize: number;
  readonly memoryMaximum: number;
  readonly arenaSize: number;
  readonly strict: boolean;
  /** -msimd128 (default true; "simd": false opts out). */
  readonly simd: boolean;
  /** Instrumented for deadlines and fuel on the main thread (`cbox build --metered`). */
  readonly metered: boolean;
  /** clang's optimization level for every source (default "O2"). */
  readonly optimize: OptimizeLevel;
  /** Link-time optimization: sources compiled to bitcode with -flto, optimized together by wasm-ld. */
  readonly lto: boolean;
  readonly exports: Readonly<Record<string, ExportSignature>>;
  /** The structs struct parameters name, and their wasm32 layouts in stamp order (nested first). */
  readonly structs: Readonly<Record<string, ManifestStruct>>;
  readonly layouts: Readonly<Record<string, StructLayout>>;
  /** The C headers that declare the structs: the build checks the layouts against them. */
  readonly headers: readonly string[];
  readonly native: readonly string[];
  readonly trusted: readonly string[];
}

/** The optimization levels a manifest may ask for ("optimize"): clang's -O flags, no -O0 (cbox modules are never built unoptimized). */
export const OPTIMIZE_LEVELS = ['O1', 'O2', 'O3', 'Os', 'Oz'] as const;
export type OptimizeLevel = (typeof OPTIMIZE_LEVELS)[number];

const isOptimizeLevel = (value: unknown): value is OptimizeLevel => (OPTIMIZE_LEVELS as readonly unknown[]).includes(value);

export class ManifestError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join('\n  - ')}`}`);
    this.name = 'ManifestError';
  }
}

const KNOWN_FIELDS = new Set([
  'name', 'sources', 'include', 'defines', 'cflags', 'stackSize', 'memory', 'arenaSize', 'strict',
  'simd', 'metered', 'optimize', 'lto', 'exports', 'native', 'trusted', 'description', '$schema', 'skipped', 'structs', 'headers',
]);

export function readManifest(file: string): Manifest {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new ManifestError(file, [`cannot read the manifest: ${(error as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseManifest(raw, path.dirname(absolute), file, findDuplicateKeys(text));
}

export function parseManifest(raw: unknown, dir: string, file = 'cbox.json', duplicateKeys: readonly string[] = []): Manifest {
  const problems: string[] = duplicateKeys.map((key) => `"${key}" is given twice`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ManifestError(file, ['the manifest must be a JSON object']);
  const m = raw as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!KNOWN_FIELDS.has(key)) problems.push(`unknown field "${key}"`);

  const name = isLibraryName(m.name) ? m.name : '';
  if (!name) problems.push(`"name" must be a lower-case identifier such as "zoo" (got ${JSON.stringify(m.name)})`);

  const sources = stringList(m.sources, 'sources', problems, { required: true });
  if (m.sources !== undefined && sources.length === 0) problems.push('"sources" must list at least one C file');
  const resolvedSources = resolvePaths(sources, dir, 'sources', problems, 'file');
  for (const source of sources) if (!/\.c$/.test(source)) problems.push(`"sources": ${JSON.stringify(source)} is not a .c file`);
  const include = resolvePaths(stringList(m.include, 'include', problems), dir, 'include', problems, 'dir');
  const cflags = stringList(m.cflags, 'cflags', problems);
  for (const flag of cflags) {
    if (/^-O/.test(flag) || /^-Wl,/.test(flag) || flag === '-o' || flag === '-c' || /^--target/.test(flag) || /^--sysroot/.test(flag)) {
      problems.push(`"cflags": ${JSON.stringify(flag)} is set by cbox build itself and may not be overridden${/^-O/.test(flag) ? ' (ask for another level with "optimize")' : ''}`);
    }
    if (/^-f(no-)?lto\b/.test(flag)) problems.push(`"cflags": ${JSON.stringify(flag)}: ask for link-time optimization with "lto": true`);
  }

  const defines: Record<string, string> = {};
  if (m.defines !== undefined) {
    if (typeof m.defines !== 'object' || m.defines === null || Array.isArray(m.defines)) problems.push('"defines" must be an object of NAME: value');
    else for (const [key, value] of Object.entries(m.defines)) {
      if (!isCIdentifier(key)) problems.push(`"defines": ${JSON.stringify(key)} is not a C macro name`);
      else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') defines[key] = String(value === true ? 1 : value === false ? 0 : value);
      else problems.push(`"defines.${key}" must be a string, number or boolean`);
    }
  }

  const problemsBeforeSizes = problems.length;
  const stackSize = sizeField(m.stackSize, 'stackSize', 256 * 1024, problems, SIZE_LIMITS.stackSize);
  const memory = m.memory;
  let memoryMaximumRaw: unknown;
  if (memory !== undefined) {
    if (typeof memory !== 'object' || memory === null || Array.isArray(memory)) problems.push('"memory" must be an object like { "maximum": "64MiB" }');
    else {
      for (const key of Object.keys(memory)) if (key !== 'maximum') problems.push(`"memory": unknown field "${key}"`);
      memoryMaximumRaw = (memory as Record<string, unknown>).maximum;
    }
  }
  const memoryMaximum = sizeField(memoryMaximumRaw, 'memory.maximum', 64 * 1024 * 1024, problems, SIZE_LIMITS.memoryMaximum);
  const arenaSize = sizeField(m.arenaSize, 'arenaSize', 256 * 1024, problems, SIZE_LIMITS.arenaSize);
  if (problems.length === problemsBeforeSizes && stackSize + arenaSize + WASM_PAGE > memoryMaximum) problems.push(`"memory.maximum" (${memoryMaximum} bytes) leaves no room after the stack and arena`);

  const exports = parseExports(m.exports, problems);
  const structs = parseStructs(m.structs, problems);
  const layouts = computeLayouts(structs, problems);
  const headers = resolvePaths(stringList(m.headers, 'headers', problems), dir, 'headers', problems, 'file');
  if (Object.keys(structs).length > 0 && headers.length === 0) problems.push('"headers" must list the C headers that declare the "structs" (the build checks their layouts against them)');
  const withCallbacks = structsWithCallbacks(layouts);
  for (const [fn, { params }] of Object.entries(exports)) {
    for (const type of params) {
      const struct = structParamName(type);
      if (struct !== null && !Object.hasOwn(structs, struct)) problems.push(`"exports.${fn}": ${type} names a struct that is not in "structs"`);
      // C's function pointers are never read back into JS.
      else if (struct !== null && isOutStructType(type) && withCallbacks.has(struct)) problems.push(`"exports.${fn}": ${type}: struct ${struct} holds callbacks, so it can only be passed in (struct:${struct})`);
    }
  }
  const native = exportList(m.native, 'native', exports, problems);
  for (const fn of native) {
    for (const type of exports[fn]?.params ?? []) {
      const what = isOutType(type) || isOutStructType(type) ? 'an out-parameter' : isInOutType(type) ? 'an in/out parameter'
        : isMutArrayType(type) || isUnsizedBytesType(type) ? 'a writable or unsized buffer' : structParamName(type) !== null ? 'a struct parameter' : null;
      if (what !== null) { problems.push(`"native": ${fn} has ${what} (${type}), which the native glue does not support yet (keep it out of "native")`); break; }
    }
    const unsupported = exports[fn]?.params.find((type) => isCallbackType(type) || type === 'userdata' || type === 'text');
    if (unsupported) problems.push(`"native": ${fn} has a ${isCallbackType(unsupported) ? 'callback' : unsupported} parameter, which the native glue does not support (keep it out of "native")`);
    if (exports[fn]?.view === true) problems.push(`"native": ${fn} has a view result, which the native glue does not support (keep it out of "native")`);
    if (exports[fn]?.result === 'cstring') problems.push(`"native": ${fn} has a cstring result, which the native glue does not support yet (keep it out of "native")`);
  }
  const trusted = exportList(m.trusted, 'trusted', exports, problems);
  for (const fn of trusted) if (!native.includes(fn)) problems.push(`"trusted": ${fn} must also be listed in "native" (trusted means it may run natively)`);

  // Written by `cbox init --header`: what it could not map, for the reader; the build ignores it.
  if (m.skipped !== undefined && (!Array.isArray(m.skipped) || m.skipped.some((entry) => typeof entry?.name !== 'string' || typeof entry?.reason !== 'string'))) {
    problems.push('"skipped" must be a list of { "name": ..., "reason": ... } (as cbox init writes it)');
  }
  if (m.optimize !== undefined && !isOptimizeLevel(m.optimize)) problems.push(`"optimize" must be one of ${OPTIMIZE_LEVELS.map((level) => `"${level}"`).join(', ')} (got ${JSON.stringify(m.optimize)})`);
  for (const flag of ['strict', 'simd', 'metered', 'lto'] as const) {
    if (m[flag] !== undefined && typeof m[flag] !== 'boolean') problems.push(`"${flag}" must be true or false`);
  }
  if (problems.length > 0) throw new ManifestError(file, problems);
  return {
    name, dir, sources: resolvedSources, include, defines, cflags, stackSize, memoryMaximum, arenaSize,
    strict: m.strict === true, simd: m.simd !== false, metered: m.metered === true,
    optimize: isOptimizeLevel(m.optimize) ? m.optimize : 'O2', lto: m.lto === true, exports, structs, layouts, headers, native, trusted,
  };
}

function parseExports(raw: unknown, problems: string[]): Record<string, ExportSignature> {
  const exports: Record<string, ExportSignature> = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.keys(raw).length === 0) {
    problems.push('"exports" must be an object with at least one function, like { "add": { "params": ["a:i32", "b:i32"], "result": "i32" } }');
    return exports;
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_EXPORTS) problems.push(`"exports" lists ${entries.length} functions (at most ${MAX_EXPORTS})`);
  for (const [fn, spec] of entries) {
    const where = `"exports.${fn}"`;
    const nameProblem = exportNameProblem(fn);
    if (nameProblem) { problems.push(`${where}: ${nameProblem} (rename the C function or wrap it)`); continue; }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) { problems.push(`${where} must be an object with "params" and "result"`); continue; }
    const { params: rawParams, result: rawResult, free, view, ...rest } = spec as Record<string, unknown>;
    for (const key of Object.keys(rest)) problems.push(`${where}: unknown field "${key}"`);
    const params: ParamType[] = [];
    const paramNames: string[] = [];
    if (rawParams !== undefined && !Array.isArray(rawParams)) problems.push(`${where}.params must be an array such as ["a:i32", "data:bytes"]`);
    else if (Array.isArray(rawParams) && rawParams.length > MAX_PARAMS) problems.push(`${where}.params: ${rawParams.length} parameters (at most ${MAX_PARAMS})`);
    for (const [index, entry] of (Array.isArray(rawParams) ? rawParams : []).entries()) {
      const text = typeof entry === 'string' ? entry : '';
      // name:type; the type may hold a colon itself (err:out:i32).
      const colon = text.indexOf(':');
      const [paramName, written] = colon >= 0 ? [text.slice(0, colon), text.slice(colon + 1)] : [`arg${index}`, text];
      // A callback may be written with spaces; the stamp holds its one canonical spelling.
      const callback = isCallbackType(written.trim()) ? parseCallbackType(written) : null;
      const type = callback === null || 'problem' in callback ? written : formatCallbackType(callback);
      if (callback !== null && 'problem' in callback) {
        problems.push(`${where}.params[${index}]: ${callback.problem}`);
      } else if (type === 'cstring') {
        problems.push(`${where}.params[${index}]: cstring is a result type (a const char * parameter is "string")`);
      } else if (!isParamType(type)) {
        problems.push(`${where}.params[${index}]: unknown type ${JSON.stringify(type || entry)} (use one of ${VALUE_TYPES.filter((t) => isParamType(t)).join(' ')} userdata, struct:NAME, out:struct:NAME or callback(...))`);
      } else if (!isCIdentifier(paramName)) {
        problems.push(`${where}.params[${index}]: ${JSON.stringify(paramName)} is not a parameter name`);
      } else if (paramNames.includes(paramName)) {
        problems.push(`${where}.params: the parameter name "${paramName}" is used twice`);
      } else {
        params.push(type);
        paramNames.push(paramName);
      }
    }
    const result = rawResult === undefined ? 'void' : rawResult;
    if (typeof result === 'string' && (isParamType(result) && !isResultType(result))) {
      problems.push(`${where}.result: ${result} is a parameter type only (${isOutType(result) || isOutStructType(result) || isInOutType(result) ? 'out-parameters come back with the result' : structParamName(result) !== null ? 'a struct result comes back through an out:struct parameter' : 'a typed array result is not supported; return it through bytes or a mut: array'})`);
      continue;
    }
    if (typeof result !== 'string' || !isResultType(result)) {
      problems.push(`${where}.result: unknown type ${JSON.stringify(result)} (use void or one of ${VALUE_TYPES.filter((type) => isResultType(type)).join(' ')})`);
      continue;
    }
    const outNames = paramNames.filter((_, i) => answeredValueType(params[i]!) !== null || isOutStructType(params[i]!));
    if (result !== 'void' && outNames.includes('result')) {
      problems.push(`${where}.params: an out-parameter may not be named "result" (the call answers { result, ...out-parameters })`);
      continue;
    }
    if (free !== undefined) {
      if (result !== 'cstring') { problems.push(`${where}.free: only a cstring result can be released (the result is ${result})`); continue; }
      if (!isCIdentifier(free) || free.startsWith('cbox_') || free.startsWith('_')) {
        problems.push(`${where}.free must name the C function that releases the string, such as "free" or "x_free" (got ${JSON.stringify(free)})`);
        continue;
      }
    }
    if (view !== undefined && (view !== true || result !== 'bytes')) {
      problems.push(`${where}.view: true asks for a bytes result as a view into sandbox memory (valid until the next call); only a bytes result can be one`);
      continue;
    }
    exports[fn] = free === undefined ? { params, paramNames, result, ...(view === true ? { view } : {}) } : { params, paramNames, result, free };
  }
  return exports;
}

function stringList(raw: unknown, field: string, problems: string[], { required = false } = {}): string[] {
  if (raw === undefined) {
    if (required) problems.push(`"${field}" is missing`);
    return [];
  }
  if (!Array.isArray(raw) || raw.some((item) => typeof item !== 'string' || item === '')) {
    problems.push(`"${field}" must be an array of non-empty strings`);
    return [];
  }
  const seen = new Set<string>();
  for (const item of raw as string[]) {
    if (seen.has(item)) problems.push(`"${field}": ${JSON.stringify(item)} is listed twice`);
    seen.add(item);
  }
  return raw as string[];
}

function exportList(raw: unknown, field: string, exports: Record<string, ExportSignature>, problems: string[]): string[] {
  const names = stringList(raw, field, problems);
  for (const fn of names) if (!(fn in exports)) problems.push(`"${field}": ${JSON.stringify(fn)} is not in "exports"`);
  return names;
}

function sizeField(raw: unknown, field: string, fallback: number, problems: string[], limits: { min: number; max: number; multiple: number }): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' && typeof raw !== 'string') {
    problems.push(`"${field}" must be a size such as "256KiB"`);
    return fallback;
  }
  let bytes: number;
  try {
    bytes = parseSize(raw, `"${field}"`);
  } catch (error) {
    problems.push((error as Error).message);
    return fallback;
  }
  if (bytes < limits.min || bytes > limits.max) problems.push(`"${field}" must be between ${limits.min} and ${limits.max} bytes (got ${bytes})`);
  else if (bytes % limits.multiple !== 0) problems.push(`"${field}" must be a multiple of ${limits.multiple} bytes (got ${bytes})`);
  return bytes;
}

/** Paths relative to the manifest, or `npm:<package>/<path>` inside an installed package. */
function resolvePaths(entries: readonly string[], dir: string, field: string, problems: string[], kind: 'file' | 'dir'): string[] {
  const require = createRequire(path.join(dir, 'cbox.json'));
  return entries.map((entry) => {
    let resolved: string;
    if (entry.startsWith('npm:')) {
      const spec = entry.slice(4);
      const parts = spec.split('/');
      const packageName = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      const rest = parts.slice(spec.startsWith('@') ? 2 : 1).join('/');
      let packageDir: string;
      try {
        packageDir = path.dirname(require.resolve(`${packageName}/package.json`));
      } catch {
        problems.push(`"${field}": ${JSON.stringify(entry)}: package ${packageName} is not installed (npm install it, e.g. as a dev dependency)`);
        return entry;
      }
      resolved = path.join(packageDir, rest);
    } else {
      resolved = path.resolve(dir, entry);
    }
    const isKind = existsSync(resolved) && (kind === 'dir' ? statSync(resolved).isDirectory() : statSync(resolved).isFile());
    if (!isKind) problems.push(`"${field}": ${JSON.stringify(entry)} not found (looked for ${kind === 'dir' ? 'a folder' : 'a file'} at ${resolved})`);
    return resolved;
  });
}
