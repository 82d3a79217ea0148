// Bundles the library entry, the CLI and the demo with esbuild. Runtime
// dependencies (comlink, @opentelemetry/api) stay external so users' copies are shared.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const common = {
  bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning',
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})],
  absWorkingDir: root,
};

await Promise.all([
  build({ ...common, entryPoints: { index: 'runtime/index.ts' }, outdir: 'dist' }),
  build({ ...common, entryPoints: { cli: 'build/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  // The pool's worker thread entry: createPool starts dist/worker.js, the sibling of dist/index.js.
  build({ ...common, entryPoints: { worker: 'runtime/pool/worker.ts' }, outdir: 'dist' }),
  // load()'s start-up trial (runtime/startup-trial.ts) runs dist/startup-worker.js.
  build({ ...common, entryPoints: { 'startup-worker': 'runtime/startup-worker.ts' }, outdir: 'dist' }),
  // Generated bindings locate their .wasm relative to themselves: leave them unbundled.
  build({ ...common, entryPoints: { demo: 'examples/crash-demo.ts' }, outdir: 'dist', external: [...common.external, '../wasm-modules/*'] }),
  // The pool benchmark (node dist/bench-pool.js) uses the built package, as a user would.
  build({ ...common, entryPoints: { 'bench-pool': 'bench/pool.ts' }, outdir: 'dist', external: [...common.external, 'cbox', '../wasm-modules/*'] }),
  // The chaos soak (npm run chaos), also on the built package.
  build({ ...common, entryPoints: { chaos: 'bench/chaos.ts' }, outdir: 'dist', external: [...common.external, 'cbox', '../wasm-modules/*'] }),
]);
