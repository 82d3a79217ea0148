// README.md cannot drift from the code: every ```ts and ```js block in it is type-checked and run
// as written (imports of 'cbox' resolve to this checkout, './x' to the repository root, where the
// README stands). Blocks that are not meant to run (shell lines, output, a manifest) carry another
// language tag; an untagged block fails, so a new section cannot skip this by accident.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './helpers.js';

const RUNNABLE = new Set(['ts', 'js']);
const NOT_RUNNABLE = new Set(['sh', 'bash', 'text', 'json']);

interface Block { readonly line: number; readonly lang: string; readonly code: string }

/** The fenced blocks of a markdown text, with the line each starts on. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    blocks.push({ line: start + 1, lang: open[1]!, code: body.join('\n') });
  }
  return blocks;
}

const blocks = fencedBlocks(readFileSync(path.join(root, 'README.md'), 'utf8'));
const runnable = blocks.filter((block) => RUNNABLE.has(block.lang));
const dir = path.join(root, '.readme-blocks');
const fileOf = (block: Block): string => path.join(dir, `readme-line-${block.line}.${block.lang === 'ts' ? 'ts' : 'mjs'}`);

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  // The blocks live one folder below the README: their './' imports move up one.
  for (const block of runnable) writeFileSync(fileOf(block), `${block.code.replace(/(from\s+|import\s*\()(['"])\.\//g, '$1$2../')}\nexport {};\n`);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('README.md', () => {
  it('tags every code block: ts/js run as tests, sh/bash/text/json are not meant to run', () => {
    expect(runnable.length).toBeGreaterThan(0);
    expect(blocks.filter((block) => !RUNNABLE.has(block.lang) && !NOT_RUNNABLE.has(block.lang)).map((block) => `line ${block.line}: "${block.lang}"`)).toEqual([]);
  });

  it('every ts block type-checks against the public API', () => {
    const ts = runnable.filter((block) => block.lang === 'ts').map(fileOf);
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: { noEmit: true, rootDir: '..', noUnusedLocals: false },
      include: [...ts.map((file) => path.basename(file)), '../wasm-modules/*.d.ts', '../runtime/pool/comlink-node-adapter.d.ts'],
    }));
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      throw new Error(`README blocks do not type-check:\n${(error as { stdout: string }).stdout}`);
    }
  }, 120_000);

  it.each(runnable.map((block) => [`line ${block.line} (${block.lang})`, block] as const))('the block at %s runs', async (_, block) => {
    await import(pathToFileURL(fileOf(block)).href);
  }, 120_000);
});
