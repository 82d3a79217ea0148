// C types as clang's JSON AST describes them, reduced to what decides how a value crosses the
// sandbox boundary: the canonical shape (sugar walked through) plus the typedef names met on
// the way (`size_t`, `uint8_t`), for the wasm32 target. Tag types (struct, union, enum) carry
// only their name here; their completeness, size and signedness come from the probe.
import type { AstNode } from './clang-ast.js';

interface TypeBase {
  /** How clang spells the type where it is used, e.g. `const uint8_t *` or `size_t`. */
  readonly spelling: string;
  /** Typedef names passed through to reach the canonical type, outermost first. */
  readonly typedefs: readonly string[];
  readonly const: boolean;
}

export type CType = TypeBase & (
  | { readonly kind: 'void' }
  | { readonly kind: 'bool' }
  /** `char`: plain char (text), as opposed to signed or unsigned char (bytes). */
  | { readonly kind: 'int'; readonly bits: 8 | 16 | 32 | 64 | 128; readonly signed: boolean; readonly char: boolean }
  | { readonly kind: 'float'; readonly bits: 16 | 32 | 64 | 128 }
  | { readonly kind: 'pointer'; readonly pointee: CType }
  | { readonly kind: 'array'; readonly element: CType; readonly length: number | null }
  | { readonly kind: 'function'; readonly result: CType; readonly params: readonly CType[]; readonly variadic: boolean; readonly prototyped: boolean }
  /** `name`: how C code can name the type (`struct point`, or a typedef of an anonymous one); null if it cannot. */
  | { readonly kind: 'record'; readonly tag: 'struct' | 'union'; readonly name: string | null }
  | { readonly kind: 'enum'; readonly name: string | null }
  | { readonly kind: 'unsupported'; readonly what: string }
);

export type CFunctionType = Extract<CType, { kind: 'function' }>;

/** Builtin types on wasm32: `long` and pointers are 32-bit, `char` is signed, `long double` is a 128-bit float. */
type Builtin = { kind: 'void' } | { kind: 'bool' } | { kind: 'int'; bits: 8 | 16 | 32 | 64 | 128; signed: boolean; char?: boolean } | { kind: 'float'; bits: 16 | 32 | 64 | 128 };
const BUILTINS: ReadonlyMap<string, Builtin> = new Map(Object.entries({
  void: { kind: 'void' },
  _Bool: { kind: 'bool' },
  bool: { kind: 'bool' },
  char: { kind: 'int', bits: 8, signed: true, char: true },
  'signed char': { kind: 'int', bits: 8, signed: true },
  'unsigned char': { kind: 'int', bits: 8, signed: false },
  short: { kind: 'int', bits: 16, signed: true },
  'unsigned short': { kind: 'int', bits: 16, signed: false },
  int: { kind: 'int', bits: 32, signed: true },
  'unsigned int': { kind: 'int', bits: 32, signed: false },
  long: { kind: 'int', bits: 32, signed: true },
  'unsigned long': { kind: 'int', bits: 32, signed: false },
  'long long': { kind: 'int', bits: 64, signed: true },
  'unsigned long long': { kind: 'int', bits: 64, signed: false },
  __int128: { kind: 'int', bits: 128, signed: true },
  'unsigned __int128': { kind: 'int', bits: 128, signed: false },
  _Float16: { kind: 'float', bits: 16 },
  __fp16: { kind: 'float', bits: 16 },
  float: { kind: 'float', bits: 32 },
  double: { kind: 'float', bits: 64 },
  'long double': { kind: 'float', bits: 128 },
} satisfies Record<string, Builtin>));

/** Sugar: nodes that only rename or annotate the type below them. */
const SUGAR = new Set([
  'ElaboratedType', 'TypedefType', 'ParenType', 'AttributedType', 'MacroQualifiedType', 'TypeOfExprType', 'TypeOfType',
  'UsingType', 'BTFTagAttributedType', 'CountAttributedType', 'AdjustedType', 'QualType',
]);

export function spellingOf(node: AstNode): string {
  const type = node.type as { qualType?: unknown } | undefined;
  return typeof type?.qualType === 'string' ? type.qualType : String(node.kind ?? '?');
}

function typeChildren(node: AstNode): AstNode[] {
  const inner = Array.isArray(node.inner) ? node.inner as AstNode[] : [];
  return inner.filter((child) => typeof child?.kind === 'string' && (child.kind as string).endsWith('Type'));
}

function declName(node: AstNode): string {
  const decl = node.decl as { name?: unknown } | undefined;
  return typeof decl?.name === 'string' ? decl.name : '';
}

/** The type a JSON type node stands for. */
export function readType(node: AstNode): CType {
  const spelling = spellingOf(node);
  const typedefs: string[] = [];
  let isConst = false;
  let current = node;
  // Walk the sugar down to the canonical node, noting typedef names and const on the way.
  for (;;) {
    const kind = String(current.kind);
    if (!SUGAR.has(kind)) break;
    if (kind === 'TypedefType' && declName(current)) typedefs.push(declName(current));
    if (kind === 'QualType' && typeof current.qualifiers === 'string' && /\bconst\b/.test(current.qualifiers)) isConst = true;
    const children = typeChildren(current);
    // TypeOfExprType lists its expression first and the type last; the others have one child.
    const next = children[children.length - 1];
    if (!next) return { kind: 'unsupported', what: `${kind} without its underlying type`, spelling, typedefs, const: isConst };
    current = next;
  }
  const base = { spelling, typedefs, const: isConst };
  const kind = String(current.kind);
  const children = typeChildren(current);
  switch (kind) {
    case 'BuiltinType': {
      const builtin = BUILTINS.get(spellingOf(current));
      if (builtin?.kind === 'int') return { ...builtin, char: builtin.char === true, ...base };
      return builtin ? { ...builtin, ...base } : { kind: 'unsupported', what: `the builtin type ${spellingOf(current)}`, ...base };
    }
    case 'PointerType':
      return children[0] ? { kind: 'pointer', pointee: readType(children[0]), ...base } : { kind: 'unsupported', what: 'a pointer to an unknown type', ...base };
    case 'DecayedType': // an array parameter, adjusted to a pointer: report it as the array it was written as
    case 'ConstantArrayType': case 'IncompleteArrayType': case 'VariableArrayType': {
      const array = kind === 'DecayedType' ? children[0] : current;
      const element = array ? typeChildren(array)[0] : undefined;
      if (!array || !element) return { kind: 'unsupported', what: 'an array of an unknown type', ...base };
      return { kind: 'array', element: readType(element), length: typeof array.size === 'number' ? array.size : null, ...base, spelling: spellingOf(array) };
    }
    case 'FunctionProtoType': case 'FunctionNoProtoType': {
      const [result, ...params] = children.map(readType);
      if (!result) return { kind: 'unsupported', what: 'a function type without its result', ...base };
      return { kind: 'function', result, params, variadic: current.variadic === true, prototyped: kind === 'FunctionProtoType', ...base };
    }
    case 'RecordType': {
      const tag = /^union\b/.test(spellingOf(current)) ? 'union' : 'struct';
      return { kind: 'record', tag, name: tagName(tag, declName(current), typedefs), ...base };
    }
    case 'EnumType':
      return { kind: 'enum', name: tagName('enum', declName(current), typedefs), ...base };
    default:
      return { kind: 'unsupported', what: describeUnsupported(kind, spellingOf(current)), ...base };
  }
}

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `struct point`, or for an anonymous struct the innermost typedef that names it. */
function tagName(tag: 'struct' | 'union' | 'enum', name: string, typedefs: readonly string[]): string | null {
  if (C_IDENTIFIER.test(name)) return `${tag} ${name}`;
  const alias = typedefs[typedefs.length - 1];
  return alias && C_IDENTIFIER.test(alias) ? alias : null;
}

function describeUnsupported(kind: string, spelling: string): string {
  switch (kind) {
    case 'ComplexType': return `a complex number (${spelling})`;
    case 'VectorType': case 'ExtVectorType': return `a SIMD vector (${spelling})`;
    case 'AtomicType': return `an _Atomic type (${spelling})`;
    case 'BitIntType': return `a _BitInt (${spelling})`;
    case 'BlockPointerType': return `a block pointer (${spelling})`;
    default: return `${spelling} (${kind})`;
  }
}
