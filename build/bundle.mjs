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
  // Generated bindings locate their .wasm relative to themselves: leave them unbundled.
  build({ ...common, entryPoints: { demo: 'examples/crash-demo.ts' }, outdir: 'dist', external: [...common.external, '../wasm-modules/*'] }),
]);
