// `cbox build --component`: the library as a WASI 0.2 component, <stem>.wit + <stem>.component.wasm.
// The same C, linked with generated canonical-ABI adapters (adapter.ts) and an exported, capped
// memory; the WIT (wit.ts) embedded; wrapped by wit-component (through jco's JS API) with the
// WASI preview1 reactor adapter jco ships.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompileError, compileAndLink, writeFileAtomic, type CompileOptions } from '../compile.js';
import type { Manifest } from '../manifest.js';
import type { Toolchain } from '../toolchain.js';
import { generateAdapterC } from './adapter.js';
import { generateWit, type WitLibrary } from './wit.js';

/** jco is the user's dev dependency, loaded only by --component: the CLI starts without it. */
async function loadJco(): Promise<typeof import('@bytecodealliance/jco')> {
  try {
    return await import('@bytecodealliance/jco');
  } catch (error) {
    throw new CompileError('cbox build --component needs @bytecodealliance/jco (npm install -D @bytecodealliance/jco@1.35.0)', (error as Error).message);
  }
}

export interface ComponentFiles {
  readonly witFile: string;
  readonly componentFile: string;
  readonly wit: WitLibrary;
}

export async function buildComponent(manifest: Manifest, toolchain: Toolchain, outDir: string, stem: string, options: CompileOptions = {}): Promise<ComponentFiles> {
  // Refused before any compiling: a manifest entry without a WIT mapping names itself here.
  const wit = generateWit(manifest);
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'cbox-component-'));
  let core: Uint8Array;
  try {
    const adapterSource = path.join(workDir, `${stem}_component_adapters.c`);
    writeFileSync(adapterSource, generateAdapterC(manifest, wit));
    const coreFile = path.join(workDir, `${stem}.core.wasm`);
    await compileAndLink(manifest, toolchain, coreFile, options, { adapterSource });
    core = new Uint8Array(readFileSync(coreFile));
  } finally {
    rmSync(workDir, { force: true, recursive: true });
  }
  options.onProgress?.(`component ${stem}.component.wasm`);
  const { componentEmbed, componentNew, preview1AdapterReactorPath } = await loadJco();
  let component: Uint8Array;
  try {
    const embedded = await componentEmbed({ binary: core, witSource: wit.text, world: wit.world });
    const reactorAdapter = new Uint8Array(readFileSync(preview1AdapterReactorPath()));
    component = await componentNew(embedded, [['wasi_snapshot_preview1', reactorAdapter]]);
  } catch (error) {
    throw new CompileError(`cbox build --component: wit-component refused ${stem}`, error instanceof Error ? error.message : String(error));
  }
  const witFile = path.join(outDir, `${stem}.wit`);
  const componentFile = path.join(outDir, `${stem}.component.wasm`);
  writeFileAtomic(witFile, wit.text);
  writeFileAtomic(componentFile, component);
  return { witFile, componentFile, wit };
}
