// Function-like macros the header defines itself (e.g. zlib's deflateInit): they look like
// functions to a reader but have no symbol to export. Read from the preprocessor's output with
// its #define lines kept (-dD); line markers say which file each line comes from.
import { streamLines } from './clang-ast.js';
import type { ClangSetup } from './clang-setup.js';
import { InitError } from './init-error.js';

const LINE_MARKER = /^# \d+ "((?:[^"\\]|\\.)*)"/;
const FUNCTION_MACRO = /^#define ([A-Za-z_][A-Za-z0-9_]*)\(/;

export async function readHeaderMacros(setup: ClangSetup, header: string, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  let inHeader = false;
  const run = await streamLines(setup.clang, [...setup.flags, '-E', '-dD', header], (line) => {
    const marker = LINE_MARKER.exec(line);
    if (marker) { inHeader = marker[1]!.replace(/\\(.)/g, '$1') === header; return; }
    const macro = inHeader ? FUNCTION_MACRO.exec(line) : null;
    if (macro && macro[1]!.startsWith(prefix)) names.add(macro[1]!);
  });
  if (run.code !== 0) throw new InitError('header-error', `cbox init: clang cannot preprocess ${header}`, run.stderr);
  return [...names];
}
