// The functions a header declares itself: clang's JSON AST of the header, streamed, keeping the
// FunctionDecls located in the header (not in what it includes), merged over redeclarations.
import type { AstNode } from './clang-ast.js';
import { streamAst } from './clang-ast.js';
import type { ClangSetup } from './clang-setup.js';
import { InitError } from './init-error.js';

export interface HeaderFunction {
  readonly name: string;
  /** Parameter names as the prototype gives them ('' where it gives none). */
  readonly paramNames: readonly string[];
  readonly isStatic: boolean;
  readonly isInline: boolean;
}

export interface IncludedFunction {
  readonly name: string;
  /** The included header that declares it. */
  readonly file: string;
}

export interface HeaderDeclarations {
  readonly functions: readonly HeaderFunction[];
  /** Functions matching the prefix that only an included header declares (listed only with a prefix). */
  readonly included: readonly IncludedFunction[];
  readonly warnings: string;
}

/**
 * clang writes a location's file only when it differs from the previous location it wrote, so the
 * file of a declaration is known only by following every location in the order they are printed.
 */
class LocationTracker {
  #file = '';

  reset(): void { this.#file = ''; }

  /** The file of `loc` (the expansion site for a macro), after noting every location inside it. */
  fileOf(loc: unknown): string {
    const record = loc as Record<string, unknown> | undefined;
    if (record && typeof record.expansionLoc === 'object') {
      this.visit(record.spellingLoc);
      return this.fileOf(record.expansionLoc);
    }
    this.visit(loc);
    return this.#file;
  }

  /** Follows every location in a subtree, in print order (JSON.parse keeps key order); a stack,
   * not recursion, so a deeply nested expression in an inline function cannot exhaust the JS stack. */
  visit(root: unknown): void {
    const pending: unknown[] = [root];
    while (pending.length > 0) {
      const value = pending.pop();
      if (typeof value !== 'object' || value === null) continue;
      const children: unknown[] = Array.isArray(value) ? value : [];
      if (!Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        if (typeof record.offset === 'number' && typeof record.file === 'string') this.#file = record.file;
        for (const [key, child] of Object.entries(record)) if (key !== 'includedFrom') children.push(child);
      }
      for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
    }
  }
}

function isInHeader(loc: unknown): boolean {
  const record = loc as Record<string, unknown> | undefined;
  const at = record && typeof record.expansionLoc === 'object' ? record.expansionLoc as Record<string, unknown> : record;
  // Locations in included files always carry includedFrom; the header is clang's main file.
  return typeof at?.offset === 'number' && at.includedFrom === undefined;
}

export async function readHeaderFunctions(setup: ClangSetup, header: string, prefix: string): Promise<HeaderDeclarations> {
  const byName = new Map<string, { name: string; paramNames: string[]; isStatic: boolean; isInline: boolean }>();
  const included = new Map<string, string>();
  const tracker = new LocationTracker();
  const args = [
    ...setup.flags, '-fsyntax-only', '-Xclang', '-ast-dump=json',
    ...(prefix ? ['-Xclang', `-ast-dump-filter=${prefix}`] : []), header,
  ];
  const run = await streamAst(setup.clang, args, prefix !== '', (decl, separate) => {
    if (separate) tracker.reset();
    if (decl.kind !== 'FunctionDecl' || typeof decl.name !== 'string' || decl.isImplicit === true || !decl.name.startsWith(prefix)) {
      tracker.visit(decl);
      return;
    }
    const file = tracker.fileOf(decl.loc);
    tracker.visit(decl);
    if (!isInHeader(decl.loc)) {
      if (prefix && file) included.set(decl.name, file);
      return;
    }
    const params = (Array.isArray(decl.inner) ? decl.inner as AstNode[] : []).filter((node) => node.kind === 'ParmVarDecl');
    const paramNames = params.map((node) => (typeof node.name === 'string' ? node.name : ''));
    const seen = byName.get(decl.name);
    if (!seen) {
      byName.set(decl.name, { name: decl.name, paramNames, isStatic: decl.storageClass === 'static', isInline: decl.inline === true });
      return;
    }
    // A redeclaration: static or inline anywhere decides; names fill gaps left by an earlier prototype.
    seen.isStatic ||= decl.storageClass === 'static';
    seen.isInline ||= decl.inline === true;
    if (seen.paramNames.length === paramNames.length) seen.paramNames = seen.paramNames.map((name, i) => name || paramNames[i]!);
  });
  if (run.code !== 0) throw new InitError('header-error', `cbox init: clang cannot parse ${header}`, run.stderr);
  for (const name of byName.keys()) included.delete(name);
  return {
    functions: [...byName.values()],
    included: [...included].map(([name, file]) => ({ name, file })),
    warnings: run.stderr,
  };
}
