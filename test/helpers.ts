// Shared by the tests: the modules `npm run build` made from c-src, by name.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Binding } from 'cbox';

export const root = path.resolve(import.meta.dirname, '..');
export const modulesDir = path.join(root, 'wasm-modules');

export function modulePath(name: string): string {
  return path.join(modulesDir, `${name}.wasm`);
}

/** The generated binding of a built library (as a user would import it). */
export async function bindingOf<T>(name: string): Promise<Binding<T>> {
  const imported = await import(pathToFileURL(path.join(modulesDir, `${name}.js`)).href) as { binding: Binding<T> };
  return imported.binding;
}
