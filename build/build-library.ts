// `cbox build`: manifest -> <name>.wasm (stamped) + typed binding (<name>.js, <name>.d.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ABI_SECTION, ABI_VERSION, abiHash, type AbiStamp } from '../runtime/abi.js';
import { readAbiStamp } from '../runtime/abi-stamp.js';
import { describeImport, unprovidedImports } from '../runtime/linker.js';
import { inspectModule } from '../runtime/wasm-inspect.js';
import { generateBindingDts, generateBindingJs } from './binding.js';
import { compileAndLink, CompileError, manifestFlags, writeFileAtomic, type CompileOptions } from './compile.js';
import { appendCustomSection } from './custom-section.js';
import { readManifest, type Manifest } from './manifest.js';
import { findToolchain } from './toolchain.js';
import { buildNativeAddon } from './native/build-addon.js';
import { buildComponent, type ComponentFiles } from './component/build-component.js';
import { generateWit } from './component/wit.js';
import { meterModule } from './metering.js';
import { checkLayouts } from './struct-layout.js';

export interface BuildOptions extends CompileOptions {
  /** Instrument for main-thread deadlines and fuel (default: the manifest's "metered"). */
  readonly metered?: boolean;
  /** Where the module and binding go; default wasm-modules/ under the current folder. */
  readonly outDir?: string;
  /** File name stem of the outputs; default the manifest's name (e.g. zoo-strict for a variant). */
  readonly outName?: string;
  /** Build the N-API addon (<stem>.node) when the manifest lists native exports (default true). */
  readonly native?: boolean;
  /** Also write <stem>.wit and <stem>.component.wasm, a WASI 0.2 component (build/component/). */
  readonly component?: boolean;
}

export interface BuildResult {
  readonly manifest: Manifest;
  readonly wasmFile: string;
  readonly bindingFile: string;
  readonly typesFile: string;
  readonly stamp: AbiStamp;
  readonly component?: ComponentFiles;
}

/** The cbox.abi stamp of a build; every name in it was checked by readManifest. */
export function stampFor(manifest: Manifest, strict: boolean, metered = false): AbiStamp {
  const unhashed = {
    abi: ABI_VERSION,
    name: manifest.name,
    exports: manifest.exports,
    ...(Object.keys(manifest.layouts).length > 0 ? { structs: manifest.layouts } : {}),
    memoryMaximum: manifest.memoryMaximum,
    stackSize: manifest.stackSize,
    arenaSize: manifest.arenaSize,
    strict,
    metered,
    native: manifest.native,
    trusted: manifest.trusted,
  };
  return { ...unhashed, hash: abiHash(unhashed) };
}

export async function buildLibrary(manifestFile: string, options: BuildOptions = {}): Promise<BuildResult> {
  const manifest = readManifest(manifestFile);
  // A manifest the component cannot express is refused before anything is compiled.
  if (options.component) generateWit(manifest);
  const toolchain = findToolchain();
  // A manifest whose struct layouts differ from its headers is refused before anything is compiled.
  await checkLayouts({ toolchain, flags: manifestFlags(manifest), headers: manifest.headers, structs: manifest.structs, layouts: manifest.layouts, library: manifest.name });
  const outDir = path.resolve(options.outDir ?? 'wasm-modules');
  const stem = options.outName ?? manifest.name;
  const wasmFile = path.join(outDir, `${stem}.wasm`);
  const strict = options.strict ?? manifest.strict;
  const metered = options.metered ?? manifest.metered;
  // Linked under its final file name (in a private folder): wasm-ld records that name in the
  // name section, and V8 shows it in every C stack frame.
  const linkDir = mkdtempSync(path.join(os.tmpdir(), 'cbox-link-'));
  const unstamped = path.join(linkDir, `${stem}.wasm`);
  let linked: Uint8Array;
  try {
    await compileAndLink(manifest, toolchain, unstamped, options);
    linked = new Uint8Array(readFileSync(unstamped));
  } finally {
    rmSync(linkDir, { force: true, recursive: true });
  }
  if (metered) {
    options.onProgress?.(`meter ${path.relative(process.cwd(), wasmFile)}`);
    linked = meterModule(linked).wasm;
  }
  // The stamp passes load's own check before it is written or a binding is generated from it.
  const payload = new TextEncoder().encode(JSON.stringify(stampFor(manifest, strict, metered)));
  const stamp = readAbiStamp(payload, manifestFile);
  checkImports(linked, stamp);
  const stamped = appendCustomSection(linked, ABI_SECTION, payload);
  writeFileAtomic(wasmFile, stamped);
  const bindingFile = path.join(outDir, `${stem}.js`);
  const typesFile = path.join(outDir, `${stem}.d.ts`);
  writeFileAtomic(bindingFile, generateBindingJs(stamp, `${stem}.wasm`, manifest.native.length > 0 ? `${stem}.node` : null));
  writeFileAtomic(typesFile, generateBindingDts(stamp));
  if (manifest.native.length > 0 && options.native !== false) await buildNativeAddon(manifest, stamp, toolchain, path.join(outDir, `${stem}.node`), options);
  const component = options.component ? await buildComponent(manifest, toolchain, outDir, stem, options) : undefined;
  return { manifest, wasmFile, bindingFile, typesFile, stamp, component };
}

/** A cbox module may import only what the host provides (runtime/linker.ts), as load checks again. */
function checkImports(wasm: Uint8Array, stamp: AbiStamp): void {
  const foreign = unprovidedImports(inspectModule(wasm).imports, stamp);
  if (foreign.length > 0) {
    throw new CompileError(`cbox build: ${stamp.name} imports what no cbox host provides`, foreign.map((entry) => `  ${describeImport(entry)}`).join('\n'));
  }
}
