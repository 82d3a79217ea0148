// The manifest's "structs": each struct's C name and its fields ("x:i32", "key:u8[16]",
// "inner:struct:point"), checked, plus the "headers" that declare them (the build checks the
// layouts cbox computes against what clang makes of those headers).
import { isCIdentifier } from '../runtime/abi.js';
import { formatCallbackType, isCallbackType, parseCallbackType } from '../runtime/callback-type.js';
import {
  ARRAY_FIELD_ELEMENTS, FIELD_SCALARS, MAX_ARRAY_FIELD, MAX_FIELDS, MAX_STRUCTS, fieldNameProblem, isFieldScalar, nestedStructName, type FieldType,
} from '../runtime/struct-fields.js';

export interface ManifestField {
  readonly name: string;
  readonly type: FieldType;
  /** A fixed-size array field's element count. */
  readonly count?: number;
}

export interface ManifestStruct {
  /** How C names the type: `struct point`, or a typedef name such as `LZ4F_preferences_t`. */
  readonly c: string;
  readonly fields: readonly ManifestField[];
}

/** `struct point` or a typedef name: the only spellings that reach the generated layout check. */
const C_TYPE_NAME = /^(struct [A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*)$/;
const FIELD = /^([^:]*):(.*?)(?:\[(\d+)\])?$/;

export function parseStructs(raw: unknown, problems: string[]): Record<string, ManifestStruct> {
  const structs: Record<string, ManifestStruct> = {};
  if (raw === undefined) return structs;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('"structs" must be an object like { "point": { "c": "struct point", "fields": ["x:i32", "y:f64"] } }');
    return structs;
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_STRUCTS) problems.push(`"structs" lists ${entries.length} structs (at most ${MAX_STRUCTS})`);
  const names = new Set(entries.map(([name]) => name));
  for (const [name, spec] of entries) {
    const where = `"structs.${name}"`;
    if (!isCIdentifier(name) || name === '__proto__') { problems.push(`"structs": ${JSON.stringify(name)} is not a C identifier cbox can name a struct by`); continue; }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) { problems.push(`${where} must be an object with "c" and "fields"`); continue; }
    const { c, fields: rawFields, ...rest } = spec as Record<string, unknown>;
    for (const key of Object.keys(rest)) problems.push(`${where}: unknown field "${key}"`);
    if (typeof c !== 'string' || !C_TYPE_NAME.test(c)) { problems.push(`${where}.c must name the C type, as "struct ${name}" or a typedef name (got ${JSON.stringify(c)})`); continue; }
    if (!Array.isArray(rawFields) || rawFields.length === 0 || rawFields.length > MAX_FIELDS) {
      problems.push(`${where}.fields must be an array of 1 to ${MAX_FIELDS} fields such as "x:i32"`);
      continue;
    }
    const fields: ManifestField[] = [];
    for (const [index, entry] of rawFields.entries()) {
      const field = parseField(entry, names, `${where}.fields[${index}]`, problems);
      if (field === null) continue;
      if (fields.some((other) => other.name === field.name)) problems.push(`${where}.fields: the field name "${field.name}" is used twice`);
      else fields.push(field);
    }
    structs[name] = { c, fields };
  }
  return structs;
}

function parseField(entry: unknown, structs: ReadonlySet<string>, where: string, problems: string[]): ManifestField | null {
  const match = typeof entry === 'string' ? FIELD.exec(entry) : null;
  if (match === null) { problems.push(`${where} must be "name:type" such as "x:i32" or "key:u8[16]" (got ${JSON.stringify(entry)})`); return null; }
  const [, name = '', written = '', countText] = match;
  const nameProblem = fieldNameProblem(name);
  if (nameProblem !== null) { problems.push(`${where}: the field name ${JSON.stringify(name)} ${nameProblem}`); return null; }
  // A function-pointer field, in the stamp's canonical spelling.
  if (isCallbackType(written.trim())) {
    const callback = parseCallbackType(written);
    if ('problem' in callback) { problems.push(`${where}: ${callback.problem}`); return null; }
    if (countText !== undefined) { problems.push(`${where}: an array of callbacks is not supported`); return null; }
    return { name, type: formatCallbackType(callback) };
  }
  const type = written;
  const nested = nestedStructName(type);
  if (!isFieldScalar(type) && nested === null) {
    problems.push(`${where}: unknown field type ${JSON.stringify(type)} (use one of ${FIELD_SCALARS.join(' ')}, a fixed array such as u8[16], struct:NAME or callback(...))`);
    return null;
  }
  if (nested !== null && !structs.has(nested)) { problems.push(`${where}: struct:${nested} is not in "structs"`); return null; }
  if (countText === undefined) return { name, type: type as FieldType };
  const count = Number(countText);
  if (!isFieldScalar(type) || ARRAY_FIELD_ELEMENTS[type] === undefined) {
    problems.push(`${where}: a fixed array of ${type} is not supported (arrays of ${Object.keys(ARRAY_FIELD_ELEMENTS).join(' ')} are)`);
    return null;
  }
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_ARRAY_FIELD) { problems.push(`${where}: an array field holds 1 to ${MAX_ARRAY_FIELD} elements (got ${countText})`); return null; }
  return { name, type, count };
}
