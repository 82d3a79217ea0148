// Bytes in and out (echo) and bytes in, a number out (sum_u8), at 1 KiB, 64 KiB and 1 MiB, on each
// path: what moving data into the sandbox, into a worker thread or into a child process costs.
import { randomBytes } from 'node:crypto';
import type { BenchContext } from '../context.js';
import { Suite, type Measurement } from '../measure.js';
import { PATHS } from './call-overhead.js';

export const BULK_SIZES = [['1 KiB', 1024], ['64 KiB', 64 * 1024], ['1 MiB', 1024 * 1024]] as const;

export function bulkData(context: BenchContext): Promise<Measurement[]> {
  const { kernels, kernelsNative, child, pool } = context;
  const suite = new Suite('bulk', { time: 300 });
  for (const [label, size] of BULK_SIZES) {
    const data = new Uint8Array(randomBytes(size));
    // Keep each sample well above the clock's resolution without slowing the big sizes.
    const batch = Math.max(1, Math.floor(64 * 1024 / size));
    for (const fn of ['echo', 'sum_u8'] as const) {
      const name = `${fn} ${label}`;
      suite
        .add({ case: name, path: PATHS.typed, batch, run: () => kernels[fn](data) })
        .add({ case: name, path: PATHS.native, batch, run: () => kernelsNative[fn](data) })
        .add({ case: name, path: PATHS.pool, run: () => pool[fn](data) })
        .add({ case: name, path: PATHS.child, run: () => child.call('kernels', fn, data) });
    }
  }
  return suite.run();
}
