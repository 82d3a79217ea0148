// The cbox.abi stamp as a module carries it: hostile JSON. It is checked field by field against a
// strict schema before anything reads it, and what comes out is a new frozen object made only of
// checked values (exports on a null-prototype object), so no name from a module can reach a
// prototype, become source text or collide with the library's control surface. The checks are
// cbox's own rules (C identifiers, reserved names, page multiples, the stamp's cross-references),
// written here rather than in a schema library: JSON-schema validators compile schemas with
// `new Function`, which cbox keeps out of its runtime.
import {
  ABI_VERSION, MAX_EXPORTS, MAX_PARAMS, SIZE_LIMITS, abiHash, exportNameProblem, isCIdentifier, isLibraryName, isOutStructType, isParamType, answeredValueType,
  isResultType, structParamName, type AbiStamp, type StructLayout, type ExportSignature, type ParamType, type ResultType,
} from './abi.js';
import { CboxLoadError } from './errors.js';
import { checkStructLayouts } from './struct-stamp.js';

/** Far above any real stamp (SQLite's is 6 KiB), far below what would make parsing costly. */
export const MAX_STAMP_BYTES = 1024 * 1024;

const STAMP_FIELDS = ['abi', 'name', 'hash', 'exports', 'memoryMaximum', 'stackSize', 'arenaSize', 'strict', 'native', 'trusted'] as const;
/** Fields a stamp may leave out: written only by newer builds (metered: false when absent). */
const OPTIONAL_STAMP_FIELDS = ['metered', 'structs'] as const;
const SIGNATURE_FIELDS = ['params', 'paramNames', 'result'] as const;
/** `free`: only on a cstring result the caller owns; `view`: only on a bytes result. */
const OPTIONAL_SIGNATURE_FIELDS = ['free', 'view'] as const;

type PlainObject = Record<string, unknown>;

class StampProblem extends Error {}

function fail(field: string, problem: string): never {
  throw new StampProblem(`${field} ${problem}`);
}

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/** A JSON object with exactly these fields, all present, and perhaps the optional ones. */
function object(value: unknown, field: string, fields: readonly string[], optional: readonly string[] = []): PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, `must be an object, not ${show(value)}`);
  const keys = Object.keys(value);
  const unknown = keys.find((key) => !fields.includes(key) && !optional.includes(key));
  if (unknown !== undefined) fail(field, `has an unknown field ${show(unknown)}`);
  const missing = fields.find((key) => !keys.includes(key));
  if (missing !== undefined) fail(field, `lacks the field "${missing}"`);
  return value as PlainObject;
}

function array(value: unknown, field: string, maxLength: number): readonly unknown[] {
  if (!Array.isArray(value)) fail(field, `must be an array, not ${show(value)}`);
  if (value.length > maxLength) fail(field, `has ${value.length} entries (at most ${maxLength})`);
  return value;
}

function size(value: unknown, field: keyof typeof SIZE_LIMITS): number {
  const { min, max, multiple } = SIZE_LIMITS[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max || value % multiple !== 0) {
    fail(field, `must be a whole number of bytes from ${min} to ${max}, a multiple of ${multiple} (got ${show(value)})`);
  }
  return value;
}

function signature(value: unknown, field: string, structs: Readonly<Record<string, StructLayout>> | undefined): ExportSignature {
  const raw = object(value, field, SIGNATURE_FIELDS, OPTIONAL_SIGNATURE_FIELDS);
  const params = array(raw.params, `${field}.params`, MAX_PARAMS).map((type, index) => {
    if (typeof type !== 'string' || !isParamType(type)) fail(`${field}.params[${index}]`, `is not a cbox parameter type (got ${show(type)})`);
    return type;
  });
  const paramNames = array(raw.paramNames, `${field}.paramNames`, MAX_PARAMS).map((name, index) => {
    if (!isCIdentifier(name)) fail(`${field}.paramNames[${index}]`, `is not a C identifier (got ${show(name)})`);
    return name;
  });
  if (paramNames.length !== params.length) fail(`${field}.paramNames`, `has ${paramNames.length} names for ${params.length} parameters`);
  if (new Set(paramNames).size !== paramNames.length) fail(`${field}.paramNames`, 'names a parameter twice');
  if (typeof raw.result !== 'string' || !isResultType(raw.result)) fail(`${field}.result`, `is not void or a cbox result type (got ${show(raw.result)})`);
  const result = raw.result as ResultType;
  if (result !== 'void' && paramNames.some((name, index) => name === 'result' && (answeredValueType(params[index] as ParamType) !== null || isOutStructType(params[index] as ParamType)))) {
    fail(`${field}.paramNames`, 'names an out-parameter "result" beside a result');
  }
  const missing = params.find((type) => { const struct = structParamName(type); return struct !== null && (structs === undefined || !Object.hasOwn(structs, struct)); });
  if (missing !== undefined) fail(`${field}.params`, `names a struct the stamp does not lay out (${show(missing)})`);
  const checked = { params: Object.freeze(params as ParamType[]), paramNames: Object.freeze(paramNames as string[]), result };
  if (raw.view !== undefined) {
    if (raw.view !== true || result !== 'bytes' || raw.free !== undefined) fail(`${field}.view`, `must be true, and only on a bytes result (the result is ${show(result)})`);
    return Object.freeze({ ...checked, view: true as const });
  }
  if (raw.free === undefined) return Object.freeze(checked);
  if (result !== 'cstring') fail(`${field}.free`, `is only allowed with a cstring result (the result is ${show(result)})`);
  if (!isCIdentifier(raw.free) || raw.free.startsWith('cbox_') || raw.free.startsWith('_')) fail(`${field}.free`, `is not the name of a C function that may release the result (got ${show(raw.free)})`);
  return Object.freeze({ ...checked, free: raw.free });
}

function exportList(value: unknown, field: string, exports: Readonly<Record<string, ExportSignature>>): readonly string[] {
  const names = array(value, field, MAX_EXPORTS).map((name, index) => {
    if (typeof name !== 'string' || !Object.hasOwn(exports, name)) fail(`${field}[${index}]`, `is not one of the exports (got ${show(name)})`);
    return name;
  });
  if (new Set(names).size !== names.length) fail(field, 'lists an export twice');
  return Object.freeze(names);
}

function checkStamp(raw: unknown): AbiStamp {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('stamp', `must be a JSON object, not ${show(raw)}`);
  // The version first: a stamp of another ABI may have another shape, and deserves the clearer error.
  const version = (raw as PlainObject).abi;
  if (typeof version === 'number' && Number.isSafeInteger(version) && version !== ABI_VERSION) {
    throw new CboxLoadError('abi-version', `built for cbox ABI ${version}, this runtime speaks ABI ${ABI_VERSION}: rebuild it with this cbox`);
  }
  const stamp = object(raw, 'stamp', STAMP_FIELDS, OPTIONAL_STAMP_FIELDS);
  if (stamp.abi !== ABI_VERSION) fail('abi', `must be ${ABI_VERSION} (got ${show(stamp.abi)})`);
  if (!isLibraryName(stamp.name)) fail('name', `is not a library name (got ${show(stamp.name)})`);
  if (typeof stamp.hash !== 'string' || !/^[0-9a-f]{64}$/.test(stamp.hash)) fail('hash', `is not a sha256 in hex (got ${show(stamp.hash)})`);
  if (typeof stamp.exports !== 'object' || stamp.exports === null || Array.isArray(stamp.exports)) fail('exports', `must be an object, not ${show(stamp.exports)}`);
  const names = Object.keys(stamp.exports);
  if (names.length > MAX_EXPORTS) fail('exports', `has ${names.length} entries (at most ${MAX_EXPORTS})`);
  const structs = checkStructLayouts(stamp.structs, fail);
  const exports = Object.create(null) as Record<string, ExportSignature>;
  for (const name of names) {
    const problem = exportNameProblem(name);
    if (problem) fail('exports', `names an export that cannot be one: ${problem}`);
    exports[name] = signature((stamp.exports as PlainObject)[name], `exports.${name}`, structs);
  }
  if (typeof stamp.strict !== 'boolean') fail('strict', `must be true or false (got ${show(stamp.strict)})`);
  if (stamp.metered !== undefined && typeof stamp.metered !== 'boolean') fail('metered', `must be true or false (got ${show(stamp.metered)})`);
  const native = exportList(stamp.native, 'native', exports);
  const trusted = exportList(stamp.trusted, 'trusted', exports);
  const untrusted = trusted.find((name) => !native.includes(name));
  if (untrusted !== undefined) fail('trusted', `lists ${untrusted}, which is not in native`);
  const checked: AbiStamp = {
    abi: ABI_VERSION,
    name: stamp.name,
    hash: stamp.hash,
    exports: Object.freeze(exports),
    ...(structs === undefined ? {} : { structs }),
    memoryMaximum: size(stamp.memoryMaximum, 'memoryMaximum'),
    stackSize: size(stamp.stackSize, 'stackSize'),
    arenaSize: size(stamp.arenaSize, 'arenaSize'),
    strict: stamp.strict,
    ...(stamp.metered === undefined ? {} : { metered: stamp.metered }),
    native,
    trusted,
  };
  if (abiHash(checked) !== checked.hash) fail('hash', 'does not match the stamp (edited or corrupt)');
  return Object.freeze(checked);
}

/**
 * The checked stamp from the payload of a module's cbox.abi section. CboxLoadError
 * 'abi-stamp-corrupt' naming the field for anything but a well-formed stamp of this ABI,
 * 'abi-version' for a stamp of another ABI.
 */
export function readAbiStamp(payload: Uint8Array, origin: string): AbiStamp {
  const corrupt = (detail: string, cause?: unknown): CboxLoadError =>
    new CboxLoadError('abi-stamp-corrupt', `${origin}: the ABI stamp ${detail}`, cause === undefined ? undefined : { cause });
  if (payload.byteLength > MAX_STAMP_BYTES) throw corrupt(`is ${payload.byteLength} bytes (at most ${MAX_STAMP_BYTES})`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (error) {
    throw corrupt(`is not readable JSON: ${(error as Error).message}`, error);
  }
  try {
    return checkStamp(raw);
  } catch (error) {
    if (error instanceof StampProblem) throw corrupt(`field ${error.message}`);
    if (error instanceof CboxLoadError) throw new CboxLoadError(error.code, `${origin}: ${error.message}`);
    throw corrupt(`cannot be read: ${(error as Error).message}`, error);
  }
}
