// A struct in and a struct out against a plain numeric call, on the same engine in one run:
// the ratio README quotes ("Structs"). point_scale checks and writes a 3-field struct, calls C,
// and reads the 3-field struct C filled; kernels' add_i32 passes two numbers.
import { load } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { StructsExports } from '../wasm-modules/structs.js';
import { Suite } from './measure.js';
import { bindingOf } from './paths.js';

const BATCH = 1000;
const kernels = await load(await bindingOf<KernelsExports>('kernels'), { logger: null });
const structs = await load(await bindingOf<StructsExports>('structs'), { logger: null });
const point = { x: 3, y: 0.25, tag: 9 };
if (structs.point_scale(point, 2).scaled.x !== 6 || kernels.add_i32(1, 2) !== 3) throw new Error('bench: a library answered wrongly');
const [numeric, struct] = await new Suite('call', { time: 1000 })
  .add({ case: 'add_i32(1, 2)', path: 'wasm', batch: BATCH, run: () => kernels.add_i32(1, 2) })
  .add({ case: 'point_scale({ x, y, tag }, 2) -> { result, scaled: { x, y, tag } }', path: 'wasm', batch: BATCH, run: () => structs.point_scale(point, 2) })
  .run();
for (const m of [numeric!, struct!]) console.log(`${m.case}: ${m.medianNs.toFixed(1)} ns median (p99 ${m.p99Ns.toFixed(1)} ns)`);
console.log(`struct in + struct out / numeric call: ${(struct!.medianNs / numeric!.medianNs).toFixed(1)}x`);
kernels.close();
structs.close();
