// Where the benchmark finds what `npm run build` made. The bench runs bundled from dist-dev/bench/
// (bench/run.mjs), so the repository root is two folders up from the running file.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Binding } from 'cbox';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const modulesDir = path.join(root, 'wasm-modules');
export const resultsDir = path.join(root, 'bench', 'results');

/** A generated binding of a built library, imported as a user would. */
export async function bindingOf<T>(name: string): Promise<Binding<T>> {
  const imported = await import(pathToFileURL(path.join(modulesDir, `${name}.js`)).href) as { binding: Binding<T> };
  return imported.binding;
}
