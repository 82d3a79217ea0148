// Struct layouts: computed by cbox from the manifest's field lists with the wasm32 C rules
// (each field at the next multiple of its alignment, the struct's alignment the largest of its
// fields', its size rounded up to that), written into the stamp, and checked against the real
// build: a generated C file includes the manifest's headers and _Static_asserts every size,
// offset, alignment and field kind, so a manifest that says anything else than the header is
// refused at build with the struct, field, expected and actual value.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StructField, StructLayout } from '../runtime/abi.js';
import { CALLBACK_FIELD_SIZE, FIELD_SIZES, MAX_STRUCT_SIZE, isCallbackField, isFieldScalar, nestedStructName, type FieldScalar } from '../runtime/struct-fields.js';
import { CBOX_INCLUDE_DIR, CompileError, readable } from './compile.js';
import type { ManifestStruct } from './manifest-structs.js';
import type { Toolchain } from './toolchain.js';

const alignUp = (value: number, align: number): number => Math.ceil(value / align) * align;

/**
 * The layouts of the manifest's structs, nested ones before the structs that hold them (the
 * stamp's order); a cycle or an oversized struct is a problem.
 */
export function computeLayouts(structs: Readonly<Record<string, ManifestStruct>>, problems: string[]): Record<string, StructLayout> {
  const layouts: Record<string, StructLayout> = {};
  const visiting = new Set<string>();
  const visit = (name: string): StructLayout | null => {
    if (Object.hasOwn(layouts, name)) return layouts[name]!;
    if (visiting.has(name)) { problems.push(`"structs.${name}" contains itself (through ${[...visiting].join(' -> ')})`); return null; }
    visiting.add(name);
    let end = 0;
    let align = 1;
    const fields: StructField[] = [];
    for (const field of structs[name]!.fields) {
      const nested = nestedStructName(field.type);
      const inner = nested === null ? null : visit(nested);
      if (nested !== null && inner === null) { visiting.delete(name); return null; }
      const size = inner?.size ?? (isCallbackField(field.type) ? CALLBACK_FIELD_SIZE : FIELD_SIZES[field.type as FieldScalar]);
      const fieldAlign = inner?.align ?? size;
      const offset = alignUp(end, fieldAlign);
      end = offset + size * (field.count ?? 1);
      align = Math.max(align, fieldAlign);
      fields.push({ name: field.name, type: field.type, offset, ...(field.count === undefined ? {} : { count: field.count }) });
    }
    visiting.delete(name);
    const size = alignUp(end, align);
    if (size > MAX_STRUCT_SIZE) { problems.push(`"structs.${name}" is ${size} bytes (at most ${MAX_STRUCT_SIZE})`); return null; }
    layouts[name] = { size, align, fields };
    return layouts[name];
  };
  for (const name of Object.keys(structs)) visit(name);
  return layouts;
}

interface LayoutCheck {
  /** What is checked, for the message: `struct point field y: offset`. */
  readonly what: string;
  readonly expected: string;
  /** A C expression that must be true. */
  readonly condition: string;
  /** When the condition compares a number: the C expression of the actual value (clang shows it when it fails). */
  readonly actual: string | null;
}

/** How a field of this kind is told apart in C, beyond its size (an int and a float of 4 bytes). */
function kindCondition(scalar: FieldScalar, value: string): { condition: string; expected: string } {
  switch (scalar) {
    case 'f32': return { condition: `_Generic((${value}), float: 1, default: 0)`, expected: 'a float' };
    case 'f64': return { condition: `_Generic((${value}), double: 1, default: 0)`, expected: 'a double' };
    case 'bool': return { condition: `_Generic((${value}), _Bool: 1, default: 0)`, expected: 'a _Bool' };
    case 'string': return { condition: `_Generic((${value}), const char *: 1, char *: 1, default: 0)`, expected: 'a const char *' };
    case 'i8': case 'i16': case 'i32': case 'i53': case 'i64':
      return { condition: `((__typeof__(${value}))-1 < 0 && _Generic((${value}), float: 0, double: 0, long double: 0, default: 1))`, expected: 'a signed integer' };
    default:
      return { condition: `((__typeof__(${value}))-1 > 0 && _Generic((${value}), _Bool: 0, default: 1))`, expected: 'an unsigned integer' };
  }
}

function layoutChecks(structs: Readonly<Record<string, ManifestStruct>>, layouts: Readonly<Record<string, StructLayout>>): LayoutCheck[] {
  const checks: LayoutCheck[] = [];
  for (const [name, layout] of Object.entries(layouts)) {
    const c = structs[name]!.c;
    const numeric = (what: string, actual: string, expected: number): void => {
      checks.push({ what: `struct ${name} (${c})${what}`, expected: String(expected), condition: `${actual} == ${expected}`, actual });
    };
    numeric(': size', `sizeof(${c})`, layout.size);
    numeric(': alignment', `_Alignof(${c})`, layout.align);
    for (const field of layout.fields) {
      const value = `((${c} *)0)->${field.name}`;
      numeric(` field ${field.name}: offset`, `__builtin_offsetof(${c}, ${field.name})`, field.offset);
      const nested = nestedStructName(field.type);
      const callback = isCallbackField(field.type);
      const size = nested !== null ? layouts[nested]!.size : callback ? CALLBACK_FIELD_SIZE : FIELD_SIZES[field.type as FieldScalar] * (field.count ?? 1);
      numeric(` field ${field.name}: size`, `sizeof(${value})`, size);
      if (callback) {
        // C cannot tell a function pointer from another pointer in a constant expression; a call
        // through one of the wrong type traps (indirect-call) inside the sandbox.
        checks.push({ what: `struct ${name} field ${field.name}: kind`, expected: 'a pointer (to a function)', condition: `__builtin_classify_type(${value}) == 5`, actual: null });
      } else if (nested !== null) {
        const inner = structs[nested]!.c;
        checks.push({ what: `struct ${name} field ${field.name}: type`, expected: inner, condition: `_Generic((${value}), ${inner}: 1, default: 0)`, actual: null });
      } else if (isFieldScalar(field.type)) {
        const element = field.count === undefined ? value : `(${value})[0]`;
        if (field.count !== undefined) numeric(` field ${field.name}: element size`, `sizeof(${element})`, FIELD_SIZES[field.type]);
        const kind = kindCondition(field.type, element);
        checks.push({ what: `struct ${name} field ${field.name}${field.count === undefined ? '' : ' elements'}: kind`, expected: kind.expected, condition: kind.condition, actual: null });
      }
    }
  }
  return checks;
}

/** The C file of the check: the headers, then one _Static_assert per line (line n+3 is check n). */
export function layoutCheckSource(headers: readonly string[], checks: readonly LayoutCheck[]): string {
  return [
    '/* Generated by cbox build: the manifest\'s struct layouts, checked against the headers. */',
    ...headers.map((header) => `#include ${JSON.stringify(header)}`),
    ...checks.map((check, index) => `_Static_assert(${check.condition}, "cbox layout check ${index}");`),
  ].join('\n');
}

function run(file: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Compiles the check with the library's own flags; throws CompileError listing every mismatch
 * (struct, field, expected, actual), or clang's diagnostics when the headers do not compile.
 */
export async function checkLayouts(options: {
  readonly toolchain: Toolchain;
  readonly flags: readonly string[];
  readonly headers: readonly string[];
  readonly structs: Readonly<Record<string, ManifestStruct>>;
  readonly layouts: Readonly<Record<string, StructLayout>>;
  readonly library: string;
}): Promise<void> {
  const checks = layoutChecks(options.structs, options.layouts);
  if (checks.length === 0) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-layout-'));
  const file = path.join(dir, 'cbox_layout_check.c');
  try {
    writeFileSync(file, layoutCheckSource(options.headers, checks));
    const result = await run(options.toolchain.clang, [
      '--target=wasm32-wasi', `--sysroot=${options.toolchain.sysroot}`, '-fsyntax-only', '-fno-color-diagnostics', '-ferror-limit=0',
      `-I${CBOX_INCLUDE_DIR}`, ...options.flags, file,
    ]);
    if (result.code === 0) return;
    const mismatches = mismatchesIn(result.output, file, checks);
    if (mismatches.length === 0) throw new CompileError(`cbox build: the struct layout check of ${options.library} does not compile (the "headers" must declare every struct and field of "structs")`, readable(result.output));
    throw new CompileError(`cbox build: ${options.library}: the manifest's struct layouts differ from the C headers`, mismatches.map((line) => `  ${line}`).join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each failed assertion, with the actual value clang's note gives ("expression evaluates to '8 == 4'"). */
function mismatchesIn(output: string, file: string, checks: readonly LayoutCheck[]): string[] {
  const lines = output.split('\n');
  const mismatches: string[] = [];
  const base = path.basename(file);
  lines.forEach((line, at) => {
    const failed = /static assertion failed.*"?cbox layout check (\d+)"?/.exec(line) ?? /static assertion failed.*: cbox layout check (\d+)/.exec(line);
    if (!failed || !line.includes(base)) return;
    const check = checks[Number(failed[1])];
    if (check === undefined) return;
    let actual = 'not';
    if (check.actual !== null) {
      for (const next of lines.slice(at + 1, at + 8)) {
        const note = /expression evaluates to '(-?\d+) == -?\d+'/.exec(next);
        if (note) { actual = note[1]!; break; }
      }
      mismatches.push(`${check.what}: the manifest gives ${check.expected}, the C header ${actual}`);
    } else {
      mismatches.push(`${check.what}: the manifest gives ${check.expected}, the C header's field is not`);
    }
  });
  return mismatches;
}
