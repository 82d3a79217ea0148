// The .d.ts side of structs: one interface per struct of the stamp, named after the struct
// (`point` -> `Point`), its fields typed as the marshalling reads and checks them.
import type { AbiStamp } from '../runtime/abi.js';
import { callbackTs } from './binding-callbacks.js';
import { ARRAY_FIELD_ELEMENTS, isFieldScalar, nestedStructName, type FieldScalar } from '../runtime/struct-fields.js';

const FIELD_TS: Readonly<Record<FieldScalar, string>> = {
  i8: 'number', u8: 'number', i16: 'number', u16: 'number', i32: 'number', u32: 'number', i53: 'number', u53: 'number', f32: 'number', f64: 'number',
  i64: 'bigint', u64: 'bigint', bool: 'boolean',
  // NULL reads as null; a struct passed in must give a string.
  string: 'string | null',
};

/**
 * Each struct's interface name: its own with a capital first letter, `Struct` added where that
 * would collide with a name the declaration file uses already, or with another struct's.
 */
export function structTypeNames(stamp: AbiStamp, taken: readonly string[]): ReadonlyMap<string, string> {
  const used = new Set(taken);
  const names = new Map<string, string>();
  for (const name of Object.keys(stamp.structs ?? {})) {
    let typeName = `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
    while (used.has(typeName)) typeName = `${typeName}Struct`;
    used.add(typeName);
    names.set(name, typeName);
  }
  return names;
}

export function structDeclarations(stamp: AbiStamp, names: ReadonlyMap<string, string>): string[] {
  return Object.entries(stamp.structs ?? {}).map(([name, layout]) => {
    const fields = layout.fields.map((field) => {
      const nested = nestedStructName(field.type);
      const type = isFieldScalar(field.type)
        ? (field.count === undefined ? FIELD_TS[field.type] : ARRAY_FIELD_ELEMENTS[field.type]!.kind)
        : nested === null ? callbackTs(field.type) : names.get(nested)!;
      return `  ${field.name}: ${type};`;
    });
    return `/** struct ${name} (${layout.size} bytes). */\nexport interface ${names.get(name)!} {\n${fields.join('\n')}\n}\n`;
  });
}
