// `cbox init --header`, the writing half: the mapped functions as a cbox.json that `cbox build`
// accepts unchanged (checked with the build's own manifest reader before it is written).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../compile.js';
import { parseManifest } from '../manifest.js';
import { InitError } from './init-error.js';
import { mapHeader, requireFile, type HeaderMap, type HeaderMapOptions, type SkippedFunction } from './map-header.js';

export interface InitOptions extends HeaderMapOptions {
  readonly sources: readonly string[];
  /** Where the manifest goes (default cbox.json in the current folder); paths in it are relative to it. */
  readonly out?: string;
  /** The library's name (default: from the header's file name). */
  readonly name?: string;
  /** Replace an existing manifest. */
  readonly force?: boolean;
}

export interface InitResult extends HeaderMap {
  readonly file: string;
  /** The manifest as written. */
  readonly manifest: Readonly<Record<string, unknown>>;
}

const LIBRARY_NAME = /^[a-z][a-z0-9_-]*$/;
const HOST_INCLUDE = new Set(['/usr/include', '/usr/local/include']);

export async function initFromHeader(options: InitOptions): Promise<InitResult> {
  if (options.sources.length === 0) throw new InitError('bad-option', 'cbox init: give the C sources that define the functions (--source x.c, once per file)');
  const sources = options.sources.map((source) => requireFile(source, 'source'));
  for (const source of sources) if (!source.endsWith('.c')) throw new InitError('bad-option', `cbox init: ${source} is not a .c file`);
  const file = path.resolve(options.out ?? 'cbox.json');
  if (existsSync(file) && !options.force) throw new InitError('out-exists', `cbox init: ${path.relative(process.cwd(), file) || file} exists already (pass --force to replace it)`);
  const name = options.name ?? path.basename(options.header).replace(/\.h$/, '').toLowerCase().replace(/[^a-z0-9_-]/g, '-').replace(/^[^a-z]+/, '');
  if (!LIBRARY_NAME.test(name)) throw new InitError('bad-option', `cbox init: the library name must be a lower-case identifier such as "zoo" (got ${JSON.stringify(name)}; pass --name)`);

  const mapped = await mapHeader(options);
  if (mapped.exports.size === 0) {
    throw new InitError('nothing-mapped', `cbox init: no function of ${options.header}${options.prefix ? ` starting with ${options.prefix}` : ''} maps to a manifest type`, describeSkipped(mapped.skipped));
  }
  const dir = path.dirname(file);
  const relative = (target: string) => path.relative(dir, target).split(path.sep).join('/') || '.';
  // The header's folder, for sources elsewhere that include it; never a host system folder,
  // whose libc headers would replace wasi-libc's in the build.
  const headerDir = path.dirname(path.resolve(options.header));
  const include = [
    ...(sources.some((source) => path.dirname(source) === headerDir) || HOST_INCLUDE.has(headerDir) ? [] : [headerDir]),
    ...(options.include ?? []).map((entry) => path.resolve(entry)),
  ];
  const manifest = {
    name,
    sources: sources.map(relative),
    ...(include.length > 0 ? { include: include.map(relative) } : {}),
    ...(mapped.structs.size > 0 ? { headers: [relative(path.resolve(options.header))], structs: Object.fromEntries(mapped.structs) } : {}),
    exports: Object.fromEntries([...mapped.exports].map(([fn, { params, result, free }]) => [fn, { params: params.map((p) => `${p.name}:${p.type}`), result, ...(free === undefined ? {} : { free }) }])),
    skipped: mapped.skipped,
  };
  parseManifest(manifest, dir, file);
  writeFileAtomic(file, formatManifest(manifest));
  return { ...mapped, file, manifest };
}

export function describeSkipped(skipped: readonly SkippedFunction[]): string {
  return skipped.map(({ name, reason }) => `  skipped ${name}: ${reason}`).join('\n');
}

/** One export and one skipped entry per line, like the hand-written manifests. */
function formatManifest(manifest: Record<string, unknown>): string {
  const lines = Object.entries(manifest).map(([key, value]) => {
    if (key === 'exports' || key === 'skipped' || key === 'structs') {
      const entries = key !== 'skipped'
        ? Object.entries(value as Record<string, unknown>).map(([fn, spec]) => `    ${JSON.stringify(fn)}: ${inline(spec)}`)
        : (value as unknown[]).map((entry) => `    ${inline(entry)}`);
      const [open, close] = key !== 'skipped' ? ['{', '}'] : ['[', ']'];
      return entries.length === 0 ? `  ${JSON.stringify(key)}: ${open}${close}` : `  ${JSON.stringify(key)}: ${open}\n${entries.join(',\n')}\n  ${close}`;
    }
    return `  ${JSON.stringify(key)}: ${inline(value)}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** JSON on one line with a space after each colon and comma, as people write it. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  return JSON.stringify(value);
}
