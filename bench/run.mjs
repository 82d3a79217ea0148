// `npm run bench` after `npm run build`: builds the kernels variants the suites compare (no
// SIMD, strict, metered), bundles the bench with esbuild into dist-dev/ (cbox itself stays
// external: the bench uses the built package, dist/index.js, as a user would), runs it, then the
// pool's comparison, the real libraries against their native peers and cbox against the FFI peers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const run = (args) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

run(['build/bundle.mjs', 'dev']);
run(['dist/cli.js', 'build', 'c-src/kernels/cbox.json', '--no-simd', '--name', 'kernels-nosimd', '--quiet']);
run(['dist/cli.js', 'build', 'c-src/kernels/cbox.json', '--strict', '--name', 'kernels-strict', '--quiet']);
run(['dist/cli.js', 'build', 'c-src/kernels/cbox.json', '--metered', '--name', 'kernels-metered', '--no-native', '--quiet']);
await build({
  entryPoints: { bench: 'bench/main.ts', 'child-sandbox': 'bench/child-sandbox/child.ts', 'real-libraries': 'bench/real-libraries.ts', metering: 'bench/metering.ts', 'ffi-peers': 'bench/ffi-peers.ts' },
  outdir: 'dist-dev/bench', bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning',
  external: ['cbox', '../../wasm-modules/*', ...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})],
  absWorkingDir: root,
});
run(['dist-dev/bench/bench.js']);
// The pool against a bare postMessage and piscina (bench/results/pool.json).
run(['dist-dev/bench-pool.js']);
// SQLite and zlib built by cbox against better-sqlite3 and node:zlib (bench/results/real-libraries.*).
run(['dist-dev/bench/real-libraries.js']);
// Metered kernels against plain ones, main-thread deadline precision, pool recovery (bench/results/metering.*).
run(['dist-dev/bench/metering.js']);
// cbox against koffi and N-API on an array, a struct and a callback call (bench/results/ffi-peers.*).
run(['--no-concurrent-recompilation', '--no-liftoff', 'dist-dev/bench/ffi-peers.js']);
