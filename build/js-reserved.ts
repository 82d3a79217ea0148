// Words JavaScript reserves (strict mode and modules included): C may name a parameter `in` or
// `new`, but a JS or .d.ts parameter list may not.
const JS_RESERVED: ReadonlySet<string> = new Set([
  'arguments', 'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'enum', 'eval', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'implements', 'import', 'in',
  'instanceof', 'interface', 'let', 'new', 'null', 'package', 'private', 'protected', 'public', 'return', 'static',
  'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield',
]);

export function isJsReserved(name: string): boolean {
  return JS_RESERVED.has(name);
}

/** A C name as a JS parameter name: a reserved word gets a trailing underscore (`in` -> `in_`). */
export function parameterLabel(name: string): string {
  return JS_RESERVED.has(name) ? `${name}_` : name;
}
