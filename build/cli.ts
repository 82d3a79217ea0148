// The `cbox` command: `cbox build <cbox.json>... [--out DIR] [--strict] [--no-simd] [--metered]`, `cbox doctor`.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildLibrary } from './build-library.js';
import { doctorReport } from './doctor.js';

const USAGE = `usage:
  cbox build <path/to/cbox.json>... [--out DIR] [--name STEM] [--strict] [--no-simd] [--metered] [--no-native] [--quiet]
      compile C libraries to sandboxed WASI modules with typed bindings (default DIR: wasm-modules/)
      --no-simd: build without -msimd128; --metered: instrument for main-thread deadlines and fuel
  cbox doctor
      check the C -> WASI toolchain and say how to install what is missing`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'doctor') {
    const report = doctorReport();
    console.log(report.text);
    return report.ok ? 0 : 1;
  }
  if (command === 'build') {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: { out: { type: 'string' }, name: { type: 'string' }, strict: { type: 'boolean' }, simd: { type: 'boolean' }, 'no-simd': { type: 'boolean' }, metered: { type: 'boolean' }, 'no-native': { type: 'boolean' }, quiet: { type: 'boolean' } },
    });
    if (positionals.length === 0) { console.error(USAGE); return 2; }
    if (values.name && positionals.length > 1) { console.error('cbox build: --name applies to one manifest at a time'); return 2; }
    for (const manifest of positionals) {
      const started = Date.now();
      const result = await buildLibrary(manifest, {
        outDir: values.out, outName: values.name, strict: values.strict, simd: values['no-simd'] ? false : values.simd, metered: values.metered, native: !values['no-native'],
        onProgress: values.quiet ? undefined : (line) => console.error(`  ${line}`),
      });
      console.log(`built ${result.manifest.name}: ${path.relative(process.cwd(), result.wasmFile)} ` +
        `(${Object.keys(result.stamp.exports).length} exports, abi ${result.stamp.hash.slice(0, 12)}) in ${Date.now() - started} ms`);
    }
    return 0;
  }
  console.error(USAGE);
  return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
