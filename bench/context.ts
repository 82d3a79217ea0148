// What every suite measures against, loaded once so all cases run in one process and one run:
// the sandboxed and native libraries, raw instances of the same modules, the child-process
// sandbox and the worker pool.
import { createPool, load, type Library, type Pool } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { ChildSandbox } from './child-sandbox/client.js';
import { bindingOf } from './paths.js';
import { instantiateRaw, type RawInstance } from './raw-wasm.js';

export interface BenchContext {
  readonly kernels: Library<KernelsExports>;
  readonly kernelsNative: Library<KernelsExports>;
  readonly zoo: Library<ZooExports>;
  readonly raw: { readonly kernels: RawInstance; readonly zoo: RawInstance };
  readonly child: ChildSandbox;
  /** Default threads (one per core) plus its warm spare. */
  readonly pool: Pool<KernelsExports>;
  close(): Promise<void>;
}

export async function openContext(): Promise<BenchContext> {
  const kernelsBinding = await bindingOf<KernelsExports>('kernels');
  const kernels = await load(kernelsBinding, { logger: null });
  const kernelsNative = await load(kernelsBinding, { engine: 'native' });
  const zoo = await load(await bindingOf<ZooExports>('zoo'), { logger: null });
  const raw = { kernels: await instantiateRaw('kernels'), zoo: await instantiateRaw('zoo') };
  const child = await ChildSandbox.start();
  const pool = await createPool(kernelsBinding, { logger: null });
  return {
    kernels, kernelsNative, zoo, raw, child, pool,
    async close() {
      child.close();
      await pool.close();
      for (const library of [kernels, kernelsNative, zoo]) library.close();
    },
  };
}
