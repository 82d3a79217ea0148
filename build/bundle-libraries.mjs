// Bundles the ready-made libraries (cbox/zlib, cbox/sqlite) after `cbox build` has made their modules and
// bindings (npm run build runs it last). Each library is shipped twice:
// - dist/<name>.js (ESM): 'cbox' stays external, so it shares the runtime in dist/index.js, and the
//   generated binding is imported from the package's wasm-modules/ at run time;
// - dist/<name>.cjs (CommonJS, for require() on every Node 20): self-contained (runtime and binding
//   inlined); the binding's .wasm is still found in the package's wasm-modules/, next to dist/.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const LIBRARIES = { zlib: 'libraries/zlib/index.ts', sqlite: 'libraries/sqlite/index.ts' };
/** require() of these answers their default export itself, the named exports set on it
 * (`const Database = require('cbox/sqlite')`, as better-sqlite3 is required). */
const DEFAULT_IS_MODULE = new Set(['sqlite']);
const BINDING = /[\\/]wasm-modules[\\/]([\w-]+)\.js$/;

const common = {
  bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', absWorkingDir: root,
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})],
};

/** ESM: the binding stays a module of its own, imported from dist/ as ../wasm-modules/<name>.js. */
const bindingExternal = {
  name: 'binding-external',
  setup(esbuild) {
    esbuild.onResolve({ filter: /wasm-modules[\\/][\w-]+\.js$/ }, ({ path }) => ({ path: `../wasm-modules/${path.match(BINDING)[1]}.js`, external: true }));
  },
};

/** CJS: the binding is inlined, and its .wasm URL made relative to dist/ instead of wasm-modules/. */
const bindingInlined = {
  name: 'binding-inlined',
  setup(esbuild) {
    esbuild.onLoad({ filter: BINDING }, async ({ path }) => ({
      contents: (await readFile(path, 'utf8')).replaceAll('new URL("./', 'new URL("../wasm-modules/'),
      loader: 'js',
    }));
  },
};

await Promise.all(Object.entries(LIBRARIES).flatMap(([name, entry]) => [
  build({ ...common, entryPoints: { [name]: entry }, outdir: 'dist', format: 'esm', external: [...common.external, 'cbox'], plugins: [bindingExternal] }),
  build({
    ...common, entryPoints: { [name]: entry }, outdir: 'dist', outExtension: { '.js': '.cjs' }, format: 'cjs', plugins: [bindingInlined],
    // import.meta.url has no CommonJS meaning: give it the bundle file's URL.
    define: { 'import.meta.url': '__cbox_bundle_url' },
    banner: { js: 'const __cbox_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
    ...(DEFAULT_IS_MODULE.has(name) ? { footer: { js: 'module.exports = Object.assign(module.exports.default, module.exports);' } } : {}),
  }),
]));

// The libraries' declarations (tsc, after this) import their bindings' types as
// ../../wasm-modules/<name>.js from dist/types/libraries/<name>/: put those types there too.
mkdirSync(`${root}dist/types/wasm-modules`, { recursive: true });
for (const name of Object.keys(LIBRARIES)) copyFileSync(`${root}wasm-modules/${name}.d.ts`, `${root}dist/types/wasm-modules/${name}.d.ts`);
