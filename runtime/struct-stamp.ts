// The stamp's struct layouts, as a module carries them: hostile. Every number is ranged, every
// field must lie inside its struct, after the one before it (no overlap) and at its alignment,
// a nested struct must be one declared before it (so no cycle) and fit exactly; what comes out
// is new frozen objects of checked values on a null-prototype record. The marshalling then
// trusts these layouts: a write through them never leaves the struct's own bytes.
import { isCIdentifier, type StructField, type StructLayout } from './abi.js';
import {
  ARRAY_FIELD_ELEMENTS, CALLBACK_FIELD_SIZE, FIELD_SIZES, MAX_ARRAY_FIELD, MAX_FIELDS, MAX_STRUCTS, MAX_STRUCT_SIZE, fieldNameProblem, isCallbackField,
  isFieldScalar, nestedStructName,
} from './struct-fields.js';

type Fail = (field: string, problem: string) => never;
type PlainObject = Record<string, unknown>;

const ALIGNMENTS = new Set([1, 2, 4, 8, 16]);

function record(value: unknown, field: string, fields: readonly string[], optional: readonly string[], fail: Fail): PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object');
  const keys = Object.keys(value);
  const unknown = keys.find((key) => !fields.includes(key) && !optional.includes(key));
  if (unknown !== undefined) fail(field, `has an unknown field ${JSON.stringify(unknown.slice(0, 60))}`);
  const missing = fields.find((key) => !keys.includes(key));
  if (missing !== undefined) fail(field, `lacks the field "${missing}"`);
  return value as PlainObject;
}

function whole(value: unknown, field: string, min: number, max: number, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(field, `must be a whole number from ${min} to ${max}`);
  return value;
}

/** The checked layouts of a stamp's "structs" (undefined when the stamp has none). */
export function checkStructLayouts(raw: unknown, fail: Fail): Readonly<Record<string, StructLayout>> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('structs', 'must be an object');
  const names = Object.keys(raw);
  if (names.length > MAX_STRUCTS) fail('structs', `has ${names.length} entries (at most ${MAX_STRUCTS})`);
  const layouts = Object.create(null) as Record<string, StructLayout>;
  for (const name of names) {
    if (!isCIdentifier(name) || name === '__proto__') fail('structs', 'names a struct that is not a C identifier cbox can name a struct by');
    layouts[name] = checkLayout((raw as PlainObject)[name], `structs.${name}`, layouts, fail);
  }
  return Object.freeze(layouts);
}

function checkLayout(value: unknown, where: string, earlier: Readonly<Record<string, StructLayout>>, fail: Fail): StructLayout {
  const raw = record(value, where, ['size', 'align', 'fields'], [], fail);
  const align = whole(raw.align, `${where}.align`, 1, 16, fail);
  if (!ALIGNMENTS.has(align)) fail(`${where}.align`, 'must be 1, 2, 4, 8 or 16');
  const size = whole(raw.size, `${where}.size`, 1, MAX_STRUCT_SIZE, fail);
  if (size % align !== 0) fail(`${where}.size`, `must be a multiple of the alignment (${align})`);
  if (!Array.isArray(raw.fields) || raw.fields.length === 0 || raw.fields.length > MAX_FIELDS) fail(`${where}.fields`, `must be an array of 1 to ${MAX_FIELDS} fields`);
  const seen = new Set<string>();
  let end = 0;
  const fields = (raw.fields as unknown[]).map((entry, index): StructField => {
    const at = `${where}.fields[${index}]`;
    const field = record(entry, at, ['name', 'type', 'offset'], ['count'], fail);
    const problem = fieldNameProblem(field.name);
    if (problem !== null) fail(`${at}.name`, problem);
    const name = field.name as string;
    if (seen.has(name)) fail(`${at}.name`, 'names a field twice');
    seen.add(name);
    const type = field.type;
    let elementSize: number;
    let elementAlign: number;
    if (isFieldScalar(type)) {
      elementSize = elementAlign = FIELD_SIZES[type];
    } else if (isCallbackField(type)) {
      elementSize = elementAlign = CALLBACK_FIELD_SIZE;
    } else {
      const nested = typeof type === 'string' ? nestedStructName(type) : null;
      // Only a struct declared before this one: a cycle could never be read or written.
      const layout = nested === null || !Object.hasOwn(earlier, nested) ? undefined : earlier[nested];
      if (layout === undefined) fail(`${at}.type`, 'is neither a field type, a callback in canonical form nor a struct declared before this one');
      elementSize = layout.size;
      elementAlign = layout.align;
    }
    let count: number | undefined;
    if (field.count !== undefined) {
      if (!isFieldScalar(type) || ARRAY_FIELD_ELEMENTS[type] === undefined) fail(`${at}.count`, 'is only allowed on numeric fields');
      count = whole(field.count, `${at}.count`, 1, MAX_ARRAY_FIELD, fail);
    }
    const offset = whole(field.offset, `${at}.offset`, 0, MAX_STRUCT_SIZE, fail);
    if (offset % elementAlign !== 0) fail(`${at}.offset`, `is not a multiple of the field's alignment (${elementAlign})`);
    if (elementAlign > align) fail(`${at}`, `is aligned to ${elementAlign}, more than its struct (${align})`);
    if (offset < end) fail(`${at}.offset`, 'overlaps the field before it');
    end = offset + elementSize * (count ?? 1);
    if (end > size) fail(`${at}.offset`, `puts the field past the end of its ${size}-byte struct`);
    return Object.freeze({ name, type: type as string, offset, ...(count === undefined ? {} : { count }) });
  });
  return Object.freeze({ size, align, fields: Object.freeze(fields) });
}
