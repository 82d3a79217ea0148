// One fuzz case, as the host meets it: load(bytes) must end in a CboxLoadError with a code or in
// a library object that is safe to hold (not a thenable, prototypes untouched, awaitable).
import { CboxLoadError, load } from 'cbox';

/** load()'s start-up deadline for the cases: start-up code that never returns ends in 'init-timeout'. */
const START_TIMEOUT_MS = 2000;

export type Outcome =
  | { readonly kind: 'refused'; readonly code: string }
  | { readonly kind: 'loaded' }
  /** Anything else thrown: a raw TypeError/RuntimeError/LinkError, or a typed error of another class. */
  | { readonly kind: 'raw'; readonly error: string }
  /** It loaded, but the library object or the global state is not what it must be. */
  | { readonly kind: 'unsafe'; readonly detail: string };

const prototypeNames = (): string => Object.getOwnPropertyNames(Object.prototype).sort().join();
const PROTOTYPE_NAMES = prototypeNames();
const { toString, hasOwnProperty } = Object.prototype;

function tampering(): string | null {
  const global = globalThis as { pwned?: unknown };
  if (global.pwned !== undefined) {
    delete global.pwned; // report it once, for the case that did it
    return 'globalThis.pwned was set: a name became code';
  }
  if (prototypeNames() !== PROTOTYPE_NAMES || Object.prototype.toString !== toString || Object.prototype.hasOwnProperty !== hasOwnProperty) {
    return 'Object.prototype changed';
  }
  return null;
}

async function inspectLibrary(library: object): Promise<string | null> {
  if ('then' in library) return 'the library object is a thenable';
  const odd = Reflect.ownKeys(library).find((key) => typeof key !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key));
  if (odd !== undefined) return `the library object has a property ${String(odd)} that is not a C identifier`;
  const proto = Object.getPrototypeOf(library) as unknown;
  if (proto !== Object.prototype && proto !== null) return 'the library object has a foreign prototype';
  // Not a thenable, so this settles at once; a module-made then() would have run here.
  if (await library !== library) return 'awaiting the library gave something else';
  return null;
}

export async function loadCase(bytes: Uint8Array): Promise<Outcome> {
  let library: { close(): void };
  try {
    library = await load(bytes, { spare: false, logger: null, startTimeoutMs: START_TIMEOUT_MS });
  } catch (error) {
    const unsafe = tampering();
    if (unsafe) return { kind: 'unsafe', detail: unsafe };
    if (error instanceof CboxLoadError && typeof error.code === 'string' && error.code !== '') return { kind: 'refused', code: error.code };
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'raw', error: text.slice(0, 500) };
  }
  try {
    const unsafe = tampering() ?? await inspectLibrary(library);
    return unsafe ? { kind: 'unsafe', detail: unsafe } : { kind: 'loaded' };
  } finally {
    library.close();
  }
}
