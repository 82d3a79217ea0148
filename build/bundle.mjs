// Bundles with esbuild. `node build/bundle.mjs` makes what the package ships, in dist/ (no source
// maps): the library entry, the pool's worker thread and the CLI. `node build/bundle.mjs dev` makes
// the repository's own programs, in dist-dev/ (never packed): the demo, the pool benchmark and the
// chaos soak, which import 'cbox' (the built package) as a user would. Runtime dependencies
// (comlink, @opentelemetry/api) stay external so users' copies are shared.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const common = {
  bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})],
  absWorkingDir: root,
};

/**
 * The package's entries, dist/<name>.js. createPool starts dist/worker.js, the sibling of
 * dist/index.js. A new public entry (e.g. cbox/sqlite, cbox/zlib from libraries/) goes here AND in
 * package.json "exports": test/package.test.ts fails while a shipped dist/*.js is not exported or
 * an exported file is not shipped. Such an entry should keep 'cbox' external (self-reference), so
 * it shares the one runtime copy in dist/index.js.
 */
const PACKAGE_ENTRIES = [
  { entryPoints: { index: 'runtime/index.ts' } },
  { entryPoints: { worker: 'runtime/pool/worker.ts' } },
  // load()'s start-up trial (runtime/startup-trial.ts) runs dist/startup-worker.js.
  { entryPoints: { 'startup-worker': 'runtime/startup-worker.ts' } },
  { entryPoints: { cli: 'build/cli.ts' }, banner: { js: '#!/usr/bin/env node' } },
];

// Generated bindings locate their .wasm relative to themselves: leave them unbundled.
const devExternal = [...common.external, 'cbox', '../wasm-modules/*'];
const DEV_ENTRIES = [
  { entryPoints: { demo: 'examples/crash-demo.ts' } },
  { entryPoints: { 'bench-pool': 'bench/pool.ts' } },
  { entryPoints: { chaos: 'bench/chaos.ts' } },
];

const dev = process.argv[2] === 'dev';
// dist/ is what ships: start it empty, so nothing an older build left there is packed.
if (!dev) rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await Promise.all(dev
  ? DEV_ENTRIES.map((entry) => build({ ...common, ...entry, outdir: 'dist-dev', sourcemap: true, external: devExternal }))
  : PACKAGE_ENTRIES.map((entry) => build({ ...common, ...entry, outdir: 'dist' })));
