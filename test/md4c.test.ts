// md4c (the Markdown parser of Debian's source package md4c 0.4.8, fetched by build/setup.sh) in a
// sandbox with no glue C, two ways, each manifest what `cbox init` writes, unedited:
// c-src/md4c (md4c-html.h: md_html, whose output callback is a JS function), checked byte for byte
// against md4c's own md2html tool built natively from the same sources; and c-src/md4c-parse
// (md4c.h: md_parse, driven by the enter/leave/text callbacks of a struct MD_PARSER given as a JS
// object), checked event for event against the same parser built natively. Over every example of
// the CommonMark spec and of md4c's extension tests, md4c's pathological inputs, and a memory cap.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, type Library } from 'cbox';
import type { Md4cExports } from '../wasm-modules/md4c.js';
import type { Md4cParseExports } from '../wasm-modules/md4c-parse.js';
import { bindingOf, root } from './helpers.js';

const md4c = path.join(root, 'third-party', 'md4c');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'cbox-md4c-'));
const md2html = path.join(scratch, 'md2html');
const eventsTool = path.join(scratch, 'md4c-events');

// md4c.h's flags (MD_FLAG_*), with the md2html option that sets each.
const FLAGS = {
  tables: { option: '--ftables', flag: 0x0100 },
  strikethrough: { option: '--fstrikethrough', flag: 0x0200 },
  tasklists: { option: '--ftasklists', flag: 0x0800 },
  'permissive-email-autolinks': { option: '--fpermissive-email-autolinks', flag: 0x0008 },
  'permissive-url-autolinks': { option: '--fpermissive-url-autolinks', flag: 0x0004 },
  'permissive-www-autolinks': { option: '--fpermissive-www-autolinks', flag: 0x0400 },
  'latex-math': { option: '--flatex-math', flag: 0x1000 },
  'wiki-links': { option: '--fwiki-links', flag: 0x2000 },
  underline: { option: '--funderline', flag: 0x4000 },
} as const;
const GITHUB = { option: '--github', flag: 0x0004 | 0x0008 | 0x0400 | 0x0100 | 0x0200 | 0x0800 };

/** The Markdown of each example in one of md4c's spec-format test files (`→` stands for a tab). */
function examples(file: string): string[] {
  const text = readFileSync(path.join(md4c, 'test', file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^`{32} example\n([\s\S]*?)^\.\n/gm)) found.push(match[1]!.replaceAll('→', '\t'));
  return found;
}

/** md2html's output for `markdown`: the reference. */
function reference(markdown: string, options: readonly string[] = []): string {
  const run = spawnSync(md2html, [...options], { input: markdown, maxBuffer: 256 * 1024 * 1024 });
  expect(run.status, run.stderr.toString()).toBe(0);
  return run.stdout.toString('utf8');
}

let lib: Library<Md4cExports>;
let parser: Library<Md4cParseExports>;

/** md_parse natively: the events as test/fixtures/md4c/md4c-events.c prints them. */
function referenceEvents(markdown: string, flags: number): string {
  const run = spawnSync(eventsTool, [String(flags)], { input: markdown, maxBuffer: 256 * 1024 * 1024 });
  expect(run.status, run.stderr.toString()).toBe(0);
  return run.stdout.toString('utf8');
}

/** md_parse in the sandbox, its callbacks printing the same events. */
function events(markdown: string, flags = 0): string {
  let out = '';
  const status = parser.md_parse(markdown, {
    abi_version: 0, flags,
    enter_block: (type) => { out += `[block ${type}]`; return 0; },
    leave_block: (type) => { out += `[/block ${type}]`; return 0; },
    enter_span: (type) => { out += `[span ${type}]`; return 0; },
    leave_span: (type) => { out += `[/span ${type}]`; return 0; },
    text: (type, text) => { out += `[text ${type} ${Buffer.byteLength(text)}:${text}]`; return 0; },
    debug_log: null, syntax: null,
  });
  return `${out}[status ${status}]`;
}

/** md_html in the sandbox, its output chunks joined. */
function render(markdown: string, parserFlags = 0): string {
  let html = '';
  const status = lib.md_html(markdown, (chunk) => { html += chunk; }, parserFlags, 0);
  expect(status).toBe(0);
  return html;
}

beforeAll(async () => {
  const src = path.join(md4c, 'src');
  // md2html's CMake build defines its version; the test never asks md2html for it.
  execFileSync('clang-19', ['-O2', '-w', '-DMD_VERSION_MAJOR=0', '-DMD_VERSION_MINOR=4', '-DMD_VERSION_RELEASE=8', `-I${src}`, path.join(md4c, 'md2html', 'md2html.c'), path.join(md4c, 'md2html', 'cmdline.c'),
    path.join(src, 'md4c.c'), path.join(src, 'md4c-html.c'), path.join(src, 'entity.c'), '-o', md2html]);
  execFileSync('clang-19', ['-O2', '-w', `-I${src}`, path.join(root, 'test', 'fixtures', 'md4c', 'md4c-events.c'), path.join(src, 'md4c.c'), path.join(src, 'entity.c'), '-o', eventsTool]);
  lib = await load(await bindingOf<Md4cExports>('md4c'), { logger: null });
  parser = await load(await bindingOf<Md4cParseExports>('md4c-parse'), { logger: null });
});
afterAll(() => { lib?.close(); parser?.close(); });

describe('md4c wrapped with no glue C', () => {
  it('the manifest is what cbox init writes from md4c-html.h, unedited', () => {
    const dir = mkdtempSync(path.join(scratch, 'init-'));
    const sources = ['md4c-html.c', 'md4c.c', 'entity.c'].flatMap((file) => ['--source', path.join(md4c, 'src', file)]);
    execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'init', '--header', path.join(md4c, 'src', 'md4c-html.h'), ...sources, '--name', 'md4c', '--out', path.join(dir, 'cbox.json')], { stdio: 'pipe' });
    const written = JSON.parse(readFileSync(path.join(dir, 'cbox.json'), 'utf8')) as { exports: unknown; skipped: unknown };
    const committed = JSON.parse(readFileSync(path.join(root, 'c-src', 'md4c', 'cbox.json'), 'utf8')) as { exports: unknown; skipped: unknown };
    expect(written.exports).toEqual(committed.exports);
    expect(committed.exports).toEqual({
      md_html: { params: ['input:text', 'process_output:callback(arg0:text,userdata:userdata)', 'userdata:userdata', 'parser_flags:u32', 'renderer_flags:u32'], result: 'i32' },
    });
  });

  it('renders every CommonMark spec example exactly as md2html does', () => {
    const all = [...examples('spec.txt'), ...examples('coverage.txt')];
    expect(all.length).toBeGreaterThan(650);
    const differing = all.filter((markdown) => render(markdown) !== reference(markdown));
    expect(differing).toEqual([]);
  });

  it.each(Object.entries(FLAGS))('renders md4c\'s %s examples with that extension exactly as md2html does', (name, { option, flag }) => {
    const all = examples(`${name}.txt`);
    expect(all.length).toBeGreaterThan(2);
    for (const markdown of all) expect(render(markdown, flag), markdown).toBe(reference(markdown, [option]));
  });

  it('renders the GitHub dialect, non-ASCII text and NUL characters as md2html does', () => {
    const inputs = [
      '| a | b |\n|---|---|\n| ~~x~~ | [ ] y |\n\n- [x] done\n- [ ] www.example.com\n',
      'Grüße, 世界 ✓ — “quotes” &amp; &#x1F600; &#0; &bogus;\n\n# Ü\n',
      'abc\0de\0\n\n`a\0b`\n',
      '\ufefffoo\n',
    ];
    for (const markdown of inputs) {
      expect(render(markdown, GITHUB.flag)).toBe(reference(markdown, [GITHUB.option]));
      expect(render(markdown)).toBe(reference(markdown));
    }
  });
});

describe('md4c\'s parser driven by a struct of JS callbacks (md_parse), with no glue C', () => {
  it('the manifest is what cbox init writes from md4c.h, unedited: MD_PARSER as a struct of callbacks', () => {
    const dir = mkdtempSync(path.join(scratch, 'init-parse-'));
    const sources = ['md4c.c', 'entity.c'].flatMap((file) => ['--source', path.join(md4c, 'src', file)]);
    execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'init', '--header', path.join(md4c, 'src', 'md4c.h'), ...sources, '--name', 'md4c-parse', '--out', path.join(dir, 'cbox.json')], { stdio: 'pipe' });
    const written = JSON.parse(readFileSync(path.join(dir, 'cbox.json'), 'utf8')) as { exports: unknown; structs: unknown };
    const committed = JSON.parse(readFileSync(path.join(root, 'c-src', 'md4c-parse', 'cbox.json'), 'utf8')) as { exports: unknown; structs: { MD_PARSER: { fields: string[] } } };
    expect(written.exports).toEqual(committed.exports);
    expect(written.structs).toEqual(committed.structs);
    expect(committed.structs.MD_PARSER.fields).toContain('text:callback(arg0:u32,arg1:text,userdata:userdata)->i32');
  });

  it('gives the events of every CommonMark spec example and of the GitHub dialect as the native parser does', () => {
    const all = [...examples('spec.txt'), ...examples('coverage.txt')];
    expect(all.filter((markdown) => events(markdown) !== referenceEvents(markdown, 0))).toEqual([]);
    for (const name of ['tables', 'strikethrough', 'tasklists'] as const) {
      for (const markdown of examples(`${name}.txt`)) expect(events(markdown, GITHUB.flag), markdown).toBe(referenceEvents(markdown, GITHUB.flag));
    }
    expect(parser.stats().recycles).toBe(0);
  });

  it('a callback that throws ends the parse with that exception; a field that is not a function is refused before C runs; the parser goes on', () => {
    const quiet = { abi_version: 0, flags: 0, enter_block: () => 0, leave_block: () => 0, enter_span: () => 0, leave_span: () => 0, debug_log: null, syntax: null };
    const boom = new Error('stop here');
    let thrown: unknown;
    try { parser.md_parse('# x', { ...quiet, text: () => { throw boom; } }); } catch (error) { thrown = error; }
    expect(thrown).toBe(boom);
    expect(() => parser.md_parse('# x', { ...quiet, text: 'not a function' as unknown as null })).toThrow(/field text must be a function, or null/);
    expect(events('*ok*')).toBe(referenceEvents('*ok*', 0));
  });
});

describe('md4c under hostile input', () => {
  // Inputs from md4c's own test/pathological_tests.py, which make naive parsers quadratic or deep.
  const PATHOLOGICAL: Record<string, string> = {
    'nested strong emph': `${'*a **a '.repeat(65000)}b${' a** a*'.repeat(65000)}`,
    'many emph closers with no openers': 'a_ '.repeat(65000),
    'many 3-emph openers with no closers': 'a***'.repeat(65000),
    'many link openers with no closers': '[a'.repeat(65000),
    'nested brackets': `${'['.repeat(50000)}a${']'.repeat(50000)}`,
    'nested block quotes': `${'> '.repeat(50000)}a`,
    'deep list nesting': Array.from({ length: 2000 }, (_, i) => `${'  '.repeat(i)}- x`).join('\n'),
    'many references': Array.from({ length: 20000 }, (_, i) => `[${i}]: /u${i}`).join('\n') + '\n' + Array.from({ length: 20000 }, (_, i) => `[${i}]`).join(' '),
  };

  it.each(Object.entries(PATHOLOGICAL))('%s: the same HTML as md2html and the same events as the native parser, and the sandbox lives on', (_name, markdown) => {
    expect(render(markdown)).toBe(reference(markdown));
    expect(events(markdown)).toBe(referenceEvents(markdown, 0));
    expect(lib.stats().recycles).toBe(0);
  });

  it('a memory cap turns an input too big to parse into md4c\'s own error, not a host crash, and the library goes on', async () => {
    const small = await load(await bindingOf<Md4cExports>('md4c'), { logger: null, memoryLimit: 4 * 1024 * 1024 });
    try {
      // 1.4 MB of nested emphasis fits under the 4 MiB cap as input, but md4c's working memory does
      // not: its malloc fails inside the cap, and md4c answers -1 (its error) with nothing torn down.
      const big = `${'*a **a '.repeat(200000)}b`;
      expect(small.md_html(big, () => {}, 0, 0)).toBe(-1);
      expect(small.stats().recycles).toBe(0);
      let html = '';
      expect(small.md_html('*ok*', (chunk) => { html += chunk; }, 0, 0)).toBe(0);
      expect(html).toBe('<p><em>ok</em></p>\n');
    } finally {
      small.close();
    }
  });
});
