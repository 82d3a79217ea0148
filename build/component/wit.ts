// The WIT world of a cbox library, generated from its manifest: one interface named after the
// library with every export, exported by the world `library`. Handles become one resource type.
import type { ExportSignature, ResultType } from '../../runtime/abi.js';
import type { Manifest } from '../manifest.js';

/** A manifest entry that has no WIT spelling (yet): `cbox build --component` refuses it. */
export class ComponentMappingError extends Error {
  constructor(readonly library: string, readonly problems: readonly string[]) {
    super(`cbox build --component: ${library} cannot be made a component:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ComponentMappingError';
  }
}

export const WIT_WORLD = 'library';
/** The one resource type every `handle` maps to: the manifest does not say which C type it is. */
export const WIT_HANDLE_RESOURCE = 'handle';

export interface WitLibrary {
  /** `cbox:<name>`. */
  readonly packageName: string;
  /** The interface holding every export (the library's name in kebab case). */
  readonly interfaceName: string;
  readonly world: string;
  readonly text: string;
  /** C export name -> WIT function name. */
  readonly functionNames: Readonly<Record<string, string>>;
  readonly usesHandles: boolean;
}

// The scalar types; bytes/string/handle depend on where they stand (parameter or result).
const SCALAR_WIT: Readonly<Record<string, string>> = {
  i32: 's32', u32: 'u32', i64: 's64', u64: 'u64', f32: 'f32', f64: 'f64', bool: 'bool',
};
const PARAM_WIT: Readonly<Record<string, string>> = {
  ...SCALAR_WIT, bytes: 'list<u8>', string: 'string', handle: `borrow<${WIT_HANDLE_RESOURCE}>`,
};
// A bytes/string answer may be a cbox_return_error: the WIT says so. cbox's load() turns a NULL
// handle into null; the component answers none.
const RESULT_WIT: Readonly<Record<string, string>> = {
  ...SCALAR_WIT, bytes: 'result<list<u8>, string>', string: 'result<string, string>', handle: `option<${WIT_HANDLE_RESOURCE}>`,
};

// wit-parser's keywords: a name spelled like one is written %name.
const WIT_KEYWORDS = new Set([
  'use', 'type', 'func', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64', 'float32', 'float64',
  'char', 'resource', 'own', 'borrow', 'record', 'flags', 'variant', 'enum', 'bool', 'string', 'option', 'result',
  'future', 'stream', 'error-context', 'list', 'as', 'from', 'static', 'interface', 'tuple', 'import', 'export',
  'world', 'package', 'constructor', 'include', 'with', 'async',
]);
// A WIT label: kebab-case words, each all lower-case or all upper-case, the first starting with a letter.
const WIT_LABEL = /^(?:[a-z][0-9a-z]*|[A-Z][0-9A-Z]*)(?:-(?:[0-9a-z]+|[0-9A-Z]+))*$/;

/** The WIT label for a C identifier (`sum_u64` -> `sum-u64`), or null when it has none. */
export function witLabel(identifier: string): string | null {
  const label = identifier.replace(/_/g, '-');
  return WIT_LABEL.test(label) ? label : null;
}

function spell(label: string): string {
  return WIT_KEYWORDS.has(label) ? `%${label}` : label;
}

function witParamType(type: string): string | undefined {
  return Object.hasOwn(PARAM_WIT, type) ? PARAM_WIT[type] : undefined;
}

function witResultType(type: ResultType): string | undefined {
  if (type === 'void') return undefined;
  return Object.hasOwn(RESULT_WIT, type) ? RESULT_WIT[type] : undefined;
}

const MAX_FLAT_PARAMS = 16;
const NO_LABEL = 'WIT names are kebab-case words of one case each (rename the C identifier, e.g. get_value, not getValue or get__value)';

export function generateWit(manifest: Pick<Manifest, 'name' | 'exports'>): WitLibrary {
  const problems: string[] = [];
  const interfaceName = witLabel(manifest.name.replace(/-/g, '_'));
  if (!interfaceName) problems.push(`the library name "${manifest.name}" has no WIT name: ${NO_LABEL}`);
  const functionNames: Record<string, string> = {};
  const seen = new Map<string, string>();
  const lines: string[] = [];
  let usesHandles = false;
  for (const [fn, signature] of Object.entries(manifest.exports)) {
    const where = `"exports.${fn}"`;
    const label = witLabel(fn);
    if (!label) { problems.push(`${where}: the name has no WIT name: ${NO_LABEL}`); continue; }
    if (fn.startsWith('cabi_')) { problems.push(`${where}: names starting with cabi_ belong to the canonical ABI`); continue; }
    // The component model compares names without case.
    const other = seen.get(label.toLowerCase());
    if (other !== undefined) { problems.push(`${where}: its WIT name "${label}" is also the name of "exports.${other}"`); continue; }
    seen.set(label.toLowerCase(), fn);
    const line = witFunction(fn, label, signature, problems);
    if (line === null) continue;
    functionNames[fn] = label;
    lines.push(`  ${line}`);
    if (signature.params.includes('handle') || signature.result === 'handle') usesHandles = true;
  }
  if (problems.length > 0) throw new ComponentMappingError(manifest.name, problems);
  const packageName = `cbox:${interfaceName}`;
  const handleLines = usesHandles ? [
    `  /// A C object the library keeps in its memory. It has no destructor: call the library's own free`,
    `  /// function, then drop the resource.`,
    `  resource ${WIT_HANDLE_RESOURCE};`,
    '',
  ] : [];
  const text = [
    `// Generated by cbox build --component from the manifest of ${manifest.name}.`,
    `package ${packageName};`,
    '',
    `interface ${spell(interfaceName!)} {`,
    ...handleLines,
    ...lines,
    '}',
    '',
    `world ${WIT_WORLD} {`,
    `  export ${spell(interfaceName!)};`,
    '}',
    '',
  ].join('\n');
  return { packageName, interfaceName: interfaceName!, world: WIT_WORLD, text, functionNames, usesHandles };
}

function witFunction(fn: string, label: string, signature: ExportSignature, problems: string[]): string | null {
  const params: string[] = [];
  const before = problems.length;
  for (const [index, type] of signature.params.entries()) {
    const name = signature.paramNames[index] ?? `arg${index}`;
    const witType = witParamType(type);
    const paramLabel = witLabel(name);
    if (witType === undefined) problems.push(`"exports.${fn}.params[${index}]": the type "${type}" has no WIT mapping yet`);
    else if (!paramLabel) problems.push(`"exports.${fn}.params[${index}]": the parameter name "${name}" has no WIT name: ${NO_LABEL}`);
    else params.push(`${spell(paramLabel)}: ${witType}`);
  }
  // More flat parameters than this go through memory in the canonical ABI: not generated yet.
  const flat = signature.params.reduce((count, type) => count + (type === 'bytes' || type === 'string' ? 2 : 1), 0);
  if (flat > MAX_FLAT_PARAMS) problems.push(`"exports.${fn}": ${flat} canonical-ABI parameters (over ${MAX_FLAT_PARAMS}) have no WIT mapping yet`);
  const result = witResultType(signature.result);
  if (signature.result !== 'void' && result === undefined) problems.push(`"exports.${fn}.result": the type "${signature.result}" has no WIT mapping yet`);
  if (problems.length > before) return null;
  return `${spell(label)}: func(${params.join(', ')})${result === undefined ? '' : ` -> ${result}`};`;
}
