// The `cbox` command: `cbox build <cbox.json>... [--out DIR] [--strict] [--no-simd] [--metered] [--component]`, `cbox init --header`, `cbox doctor`.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildLibrary } from './build-library.js';
import { doctorReport } from './doctor.js';
import { describeSkipped, initFromHeader } from './init/write-manifest.js';

const USAGE = `usage:
  cbox build <path/to/cbox.json>... [--out DIR] [--name STEM] [--strict] [--no-simd] [--metered] [--no-native] [--component] [--quiet]
      compile C libraries to sandboxed WASI modules with typed bindings (default DIR: wasm-modules/);
      --no-simd: build without -msimd128; --metered: instrument for main-thread deadlines and fuel;
      --component also writes STEM.wit and STEM.component.wasm, a WASI 0.2 component for any component host
  cbox init --header path/x.h --source path/x.c [--source ...] [--prefix x_] [--include DIR ...] [--out cbox.json] [--name lib] [--force] [--bigint]
      write a manifest from a C header: every function it can map, and the others under "skipped" with the reason;
      64-bit integers become i53/u53 (JS numbers, safe integers only), or i64/u64 (bigint) with --bigint
  cbox doctor
      check the C -> WASI toolchain and say how to install what is missing`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'doctor') {
    const report = doctorReport();
    console.log(report.text);
    return report.ok ? 0 : 1;
  }
  if (command === 'init') {
    const { values } = parseArgs({
      args: rest,
      options: {
        header: { type: 'string' }, source: { type: 'string', multiple: true }, prefix: { type: 'string' },
        out: { type: 'string' }, name: { type: 'string' }, force: { type: 'boolean' }, include: { type: 'string', multiple: true },
        bigint: { type: 'boolean' },
      },
    });
    if (!values.header) { console.error(`cbox init: --header is required\n${USAGE}`); return 2; }
    const result = await initFromHeader({
      header: values.header, sources: values.source ?? [], prefix: values.prefix, out: values.out, name: values.name, force: values.force,
      include: values.include, bigint: values.bigint,
    });
    if (result.warnings) console.error(result.warnings);
    if (result.skipped.length > 0) console.error(describeSkipped(result.skipped));
    console.log(`wrote ${path.relative(process.cwd(), result.file)}: ${result.exports.size} function${result.exports.size === 1 ? '' : 's'} mapped, ${result.skipped.length} skipped`);
    return 0;
  }
  if (command === 'build') {
    const { values, positionals } = parseArgs({
      args: rest, allowPositionals: true,
      options: { out: { type: 'string' }, name: { type: 'string' }, strict: { type: 'boolean' }, simd: { type: 'boolean' }, 'no-simd': { type: 'boolean' }, metered: { type: 'boolean' }, 'no-native': { type: 'boolean' }, component: { type: 'boolean' }, quiet: { type: 'boolean' } },
    });
    if (positionals.length === 0) { console.error(USAGE); return 2; }
    if (values.name && positionals.length > 1) { console.error('cbox build: --name applies to one manifest at a time'); return 2; }
    for (const manifest of positionals) {
      const started = Date.now();
      const result = await buildLibrary(manifest, {
        outDir: values.out, outName: values.name, strict: values.strict, simd: values['no-simd'] ? false : values.simd, metered: values.metered, native: !values['no-native'], component: values.component,
        onProgress: values.quiet ? undefined : (line) => console.error(`  ${line}`),
      });
      if (!values.quiet) console.log(`built ${result.manifest.name}: ${path.relative(process.cwd(), result.wasmFile)} ` +
        `(${Object.keys(result.stamp.exports).length} exports, abi ${result.stamp.hash.slice(0, 12)})` +
        `${result.component ? ` + ${path.relative(process.cwd(), result.component.componentFile)}` : ''} in ${Date.now() - started} ms`);
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
