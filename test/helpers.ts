// Shared by the tests: the modules `npm run build` made from c-src, by name.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CboxTrap, type Binding } from 'cbox';

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

/** What `fn` throws; a test failure when it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The CboxTrap `fn` throws; any other outcome fails the test. */
export function trapOf(fn: () => unknown): CboxTrap {
  const error = thrownBy(fn);
  if (error instanceof CboxTrap) return error;
  throw error;
}
