// Issue 3's questions about the sandbox itself: what the typed binding adds over calling the raw
// export (argument checks, call counting, trap handling), and what marshalling 1 KiB through the
// arena costs over copying it in and out by hand.
import { randomBytes } from 'node:crypto';
import type { BenchContext } from '../context.js';
import { Suite, type Measurement } from '../measure.js';
import { rawEcho } from '../raw-wasm.js';
import { PATHS } from './call-overhead.js';

export const SANDBOX_CASES = { add: 'zoo add(1, 2)', echo: 'zoo echo 1 KiB' } as const;
export const RAW_COPY = 'wasm raw export, copied by hand';

export function sandboxCosts(context: BenchContext): Promise<Measurement[]> {
  const { zoo, raw } = context;
  const rawAdd = raw.zoo.exports.add!;
  const echoByHand = rawEcho(raw.zoo);
  const data = new Uint8Array(randomBytes(1024));
  const suite = new Suite('sandbox', { time: 400 })
    .add({ case: SANDBOX_CASES.add, path: PATHS.raw, batch: 1000, run: () => rawAdd(1, 2) })
    .add({ case: SANDBOX_CASES.add, path: PATHS.typed, batch: 1000, run: () => zoo.add(1, 2) })
    .add({ case: SANDBOX_CASES.echo, path: RAW_COPY, batch: 100, run: () => echoByHand(data) })
    .add({ case: SANDBOX_CASES.echo, path: PATHS.typed, batch: 100, run: () => zoo.echo(data) });
  return suite.run();
}
