// Loading a library's N-API addon (<name>.node, built by `cbox build` next to the .wasm) and
// checking it against the binding: same library, same ABI hash, every native export present.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Binding } from '../binding.js';
import { CboxLoadError } from '../errors.js';

export type NativeFunction = (...args: unknown[]) => unknown;

export interface NativeAddon {
  readonly file: string;
  /** The addon's functions, one per export the manifest lists in "native". */
  readonly functions: Readonly<Record<string, NativeFunction>>;
}

/** What the generated glue exports besides the functions (build/native/glue.ts). */
interface AddonExports {
  readonly cbox_library?: unknown;
  readonly cbox_abi_hash?: unknown;
  readonly [fn: string]: unknown;
}

const requireAddon = createRequire(import.meta.url);

export function loadAddon(binding: Binding<unknown>): NativeAddon {
  const { stamp } = binding;
  if (binding.native === null) {
    throw new CboxLoadError('no-native', `${stamp.name}: the binding has no native addon: the manifest lists no "native" exports (list them in cbox.json's "native" and rebuild), so only engine 'wasm' can load it`);
  }
  const file = binding.native instanceof URL || binding.native.startsWith('file:') ? fileURLToPath(binding.native) : binding.native;
  if (!existsSync(file)) {
    throw new CboxLoadError('not-found', `${stamp.name}: the native addon ${file} is missing: rebuild with \`cbox build\` (without --no-native)`);
  }
  let exports: AddonExports;
  try {
    exports = requireAddon(file) as AddonExports;
  } catch (error) {
    throw new CboxLoadError('native-load-failed', `${stamp.name}: cannot load the native addon ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (exports.cbox_library !== stamp.name || exports.cbox_abi_hash !== stamp.hash) {
    throw new CboxLoadError('abi-mismatch', `${file}: the addon was built for ${String(exports.cbox_library)} ABI ${String(exports.cbox_abi_hash).slice(0, 12)}, the binding is ${stamp.name} ABI ${stamp.hash.slice(0, 12)}: rebuild the module, addon and binding together with \`cbox build\``);
  }
  const functions: Record<string, NativeFunction> = {};
  for (const fn of stamp.native) {
    const candidate = exports[fn];
    if (typeof candidate !== 'function') throw new CboxLoadError('missing-export', `${file}: the binding lists ${fn} as native, but the addon has no such function: rebuild with \`cbox build\``);
    functions[fn] = candidate as NativeFunction;
  }
  return { file, functions };
}
