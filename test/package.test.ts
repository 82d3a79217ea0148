// The package as a user gets it: `npm pack` (of what `npm run build`, run by `npm test` first, made),
// the tarball installed into a fresh project, a consumer .ts that imports 'cbox', a shipped binding
// and one it generates with the installed CLI type-checked by tsc, then run: load(), createPool()
// and require('cbox') from CommonJS. The tarball carries only what a user needs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './helpers.js';

interface PackResult { filename: string; size: number; unpackedSize: number; files: { path: string }[] }
interface PackageJson { exports: Record<string, string | Record<string, string>>; types: string; scripts: Record<string, string> }

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
let work: string;
let packed: PackResult;
let project: string;

function run(file: string, args: string[], cwd: string): string {
  return execFileSync(file, args, { cwd, encoding: 'utf8', timeout: 200_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Every file an "exports" target names, with one `*` pattern expanded against the packed files. */
function exportTargets(files: readonly string[]): { pattern: string; matches: string[] }[] {
  const targets = Object.values(pkg.exports).flatMap((target) => typeof target === 'string' ? [target] : Object.values(target));
  return targets.map((target) => {
    const pattern = target.replace(/^\.\//, '');
    const [before, after] = pattern.split('*') as [string, string | undefined];
    const matches = after === undefined ? files.filter((file) => file === pattern)
      : files.filter((file) => file.startsWith(before) && file.endsWith(after) && file.length >= before.length + after.length);
    return { pattern, matches };
  });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'cbox-package-'));
  // --ignore-scripts: prepack (npm run build) already ran as `npm test`'s first step; rebuilding
  // here would rewrite dist/ under the test files running next to this one.
  [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as [PackResult];
  project = path.join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', path.join(work, packed.filename)], project);
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('prepack builds what ships, so packing a clean clone is complete', () => {
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
  });

  it('carries no bench, demo, chaos, source maps, tests or unguarded addons', () => {
    const files = packed.files.map((file) => file.path);
    expect(files.filter((file) => /bench|demo|chaos|\.map$|^test\/|\.test\.|\.node$|\.tmp/.test(file))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/worker.js', 'dist/cli.js', 'dist/types/runtime/index.d.ts', pkg.types.replace(/^\.\//, ''),
      'c-src/include/cbox.h', 'c-src/runtime/cbox_rt.c', 'wasm-modules/zoo.js', 'wasm-modules/zoo.d.ts', 'wasm-modules/zoo.wasm']));
    console.log(`cbox tarball: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${files.length} files`);
  });

  it('exports every shipped entry and ships every exported file', () => {
    const files = packed.files.map((file) => file.path);
    for (const { pattern, matches } of exportTargets(files)) expect(matches, pattern).not.toEqual([]);
    // A dist/*.js that is not the CLI or a worker thread's entry is a public entry: it needs its subpath.
    const entries = files.filter((file) => /^dist\/[^/]+\.js$/.test(file) && file !== 'dist/cli.js' && file !== 'dist/worker.js' && file !== 'dist/startup-worker.js');
    const exported = exportTargets(files).flatMap(({ matches }) => matches);
    for (const entry of entries) expect(exported, entry).toContain(entry);
  });

  it('type-checks a consumer of cbox, cbox/zlib, cbox/sqlite, a shipped binding and a binding it generates, then runs them', () => {
    writeFileSync(path.join(project, 'add.c'), '#include "cbox.h"\nint add(int a, int b) { return a + b; }\n');
    writeFileSync(path.join(project, 'cbox.json'), JSON.stringify({ name: 'adder', sources: ['add.c'], exports: { add: { params: ['a:i32', 'b:i32'], result: 'i32' } } }));
    run(path.join(project, 'node_modules/.bin/cbox'), ['build', 'cbox.json', '--out', 'generated', '--quiet'], project);
    writeFileSync(path.join(project, 'consumer.ts'), `
import { CboxTrap, createPool, load, type Library } from 'cbox';
import { binding as zooBinding, type ZooExports } from 'cbox/wasm-modules/zoo.js';
import { binding as adderBinding } from './generated/adder.js';
import Database from 'cbox/sqlite';
import { gunzipSync, gzipSync } from 'cbox/zlib';

const zoo: Library<ZooExports> = await load(zooBinding, { memoryLimit: '32MiB', logger: null });
const sum: number = zoo.add(2, 3);
let kind = 'none';
try { zoo.crash_abort(); } catch (error) { if (error instanceof CboxTrap) kind = error.kind; }
zoo.close();
const adder = await load(adderBinding, { logger: null });
const generated: number = adder.add(40, 2);
adder.close();
const pool = await createPool(zooBinding, { threads: 1, logger: null });
const pooled: number = await pool.add(4, 5);
await pool.close();
const zlib: string = gunzipSync(gzipSync('zz')).toString();
const db = new Database(':memory:');
const sqlite = (db.prepare('SELECT 1 AS one').get() as { one: number }).one;
db.close();
console.log(JSON.stringify({ sum, kind, generated, pooled, zlib, sqlite }));
`);
    writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false,
        types: ['node'], typeRoots: [path.join(root, 'node_modules/@types')],
      },
      files: ['consumer.ts'],
    }));
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    expect(JSON.parse(run(process.execPath, ['consumer.js'], project))).toEqual({ sum: 5, kind: 'abort', generated: 42, pooled: 9, zlib: 'zz', sqlite: 1 });
  }, 240_000);

  it("require('cbox') works from CommonJS (Node 20 requires ESM)", () => {
    writeFileSync(path.join(project, 'consumer.cjs'), `
const cbox = require('cbox');
const { binding } = require('cbox/wasm-modules/zoo.js');
cbox.load(binding, { logger: null }).then((zoo) => { console.log(JSON.stringify({ load: typeof cbox.load, add: zoo.add(1, 2) })); zoo.close(); });
`);
    expect(JSON.parse(run(process.execPath, ['consumer.cjs'], project))).toEqual({ load: 'function', add: 3 });
  });
});
