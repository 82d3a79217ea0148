// A component built by `cbox build --component`, run the way any jco user runs one: transpiled
// to JS + core modules (`jco transpile --instantiation async`) and instantiated on
// @bytecodealliance/preview2-shim. The tests and the bench use it; cbox's runtime does not.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { transpile } from '@bytecodealliance/jco';
import { cli } from '@bytecodealliance/preview2-shim';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';

/** C called exit(): preview2-shim's own exit would end the whole Node process. */
export class ComponentExitError extends Error {
  constructor(readonly status: unknown) {
    super(`the component called exit (${JSON.stringify(status)})`);
    this.name = 'ComponentExitError';
  }
}

export interface TranspiledComponent {
  /** A fresh instance (a trap poisons the old one for good): its exports by interface name. */
  instantiate(): Promise<Record<string, Record<string, (...args: any[]) => any>>>;
}

export async function transpileComponentFile(componentFile: string, outDir: string): Promise<TranspiledComponent> {
  const name = path.basename(componentFile, '.wasm');
  const { files } = await transpile(new Uint8Array(readFileSync(componentFile)), { name, instantiation: 'async', outDir, quiet: true });
  for (const [file, data] of Object.entries(files)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  const generated = await import(pathToFileURL(path.join(outDir, `${name}.js`)).href) as {
    instantiate(getCoreModule: (file: string) => Promise<WebAssembly.Module>, imports: object): Promise<any>;
  };
  const modules = new Map<string, Promise<WebAssembly.Module>>();
  const getCoreModule = (file: string): Promise<WebAssembly.Module> => {
    let module = modules.get(file);
    if (!module) modules.set(file, module = WebAssembly.compile(readFileSync(path.join(outDir, file))));
    return module;
  };
  const shim = new WASIShim({
    cli: {
      ...cli,
      exit: {
        exit(status: unknown) { throw new ComponentExitError(status); },
        exitWithCode(code: number) { throw new ComponentExitError(code); },
      },
    },
  });
  return { instantiate: () => generated.instantiate(getCoreModule, shim.getImportObject()) };
}
