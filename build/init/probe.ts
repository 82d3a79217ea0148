// What the header's own AST does not say directly, asked of clang with a generated C file that
// includes the header: the canonical type of each function (typedef __typeof__(f)), and for each
// struct, union or enum a function uses, whether it is complete, its size and alignment, and an
// enum's signedness (sizeof of an incomplete type is an error: that error is the answer).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { streamAst, type AstNode } from './clang-ast.js';
import type { ClangSetup } from './clang-setup.js';
import { readType, type CType } from './c-type.js';
import { InitError } from './init-error.js';

export interface TagFacts {
  readonly complete: boolean;
  /** sizeof and _Alignof on wasm32; null when incomplete. */
  readonly size: number | null;
  readonly align: number | null;
  /** Enums: whether the underlying integer type is signed. */
  readonly signed: boolean | null;
}

export interface TagQuery {
  /** How C names it: `struct point`, `enum color`, or a typedef name. */
  readonly name: string;
  readonly isEnum: boolean;
}

export const PROBE = '__cbox_probe_';

/** Runs clang on `lines` after the header; returns each probe typedef (named PROBE...) by its name. */
export async function probe(setup: ClangSetup, header: string, lines: readonly string[], expectErrors: boolean): Promise<Map<string, AstNode>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbox-init-'));
  const file = path.join(dir, 'probe.c');
  const found = new Map<string, AstNode>();
  try {
    writeFileSync(file, `${lines.join('\n')}\n`);
    const args = [
      ...setup.flags, '-include', header, '-fsyntax-only', '-ferror-limit=0', '-w',
      '-Xclang', '-ast-dump=json', '-Xclang', `-ast-dump-filter=${PROBE}`, file,
    ];
    const run = await streamAst(setup.clang, args, true, (decl) => {
      if (decl.kind === 'TypedefDecl' && typeof decl.name === 'string' && decl.name.startsWith(PROBE)) found.set(decl.name, decl);
    });
    if (run.code !== 0 && !expectErrors) throw new InitError('clang-failed', `cbox init: clang failed on the type probe for ${header}`, run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return found;
}

export function typeOf(decl: AstNode | undefined): AstNode | undefined {
  const inner = Array.isArray(decl?.inner) ? decl.inner as AstNode[] : [];
  return inner.find((node) => typeof node.kind === 'string' && node.kind.endsWith('Type'));
}

/** The canonical type of each named function (absent where clang gave none). */
export async function probeFunctionTypes(setup: ClangSetup, header: string, names: readonly string[]): Promise<Map<string, CType>> {
  // #undef first: an object-like macro of the same name would make typeof read another function.
  const lines = names.flatMap((name, i) => [`#undef ${name}`, `typedef __typeof__(${name}) ${PROBE}fn_${i};`]);
  const found = await probe(setup, header, lines, false);
  const types = new Map<string, CType>();
  names.forEach((name, i) => {
    const node = typeOf(found.get(`${PROBE}fn_${i}`));
    if (node) types.set(name, readType(node));
  });
  return types;
}

/** An array typedef's length: what sizeof, _Alignof or a comparison evaluated to; null when invalid. */
export function arrayLength(decl: AstNode | undefined): number | null {
  const node = typeOf(decl);
  if (!decl || decl.isInvalid === true || node?.kind !== 'ConstantArrayType' || typeof node.size !== 'number') return null;
  return node.size;
}

export async function probeTags(setup: ClangSetup, header: string, tags: readonly TagQuery[]): Promise<Map<string, TagFacts>> {
  const lines = tags.flatMap(({ name, isEnum }, i) => [
    `typedef char ${PROBE}size_${i}[sizeof(${name})];`,
    `typedef char ${PROBE}align_${i}[_Alignof(${name})];`,
    ...(isEnum ? [`typedef char ${PROBE}signed_${i}[((${name})-1 < 0) ? 1 : 2];`] : []),
  ]);
  const found = await probe(setup, header, lines, true);
  const facts = new Map<string, TagFacts>();
  tags.forEach(({ name, isEnum }, i) => {
    const size = arrayLength(found.get(`${PROBE}size_${i}`));
    const sign = isEnum ? arrayLength(found.get(`${PROBE}signed_${i}`)) : null;
    facts.set(name, {
      complete: size !== null,
      size,
      align: arrayLength(found.get(`${PROBE}align_${i}`)),
      signed: sign === null ? null : sign === 1,
    });
  });
  return facts;
}
