// What one call costs on each path, for the cheapest export there is: add_i32(i32, i32) -> i32.
// A bare postMessage round trip to a worker thread is timed alongside as the floor under any
// thread or process path: on an idle VM it includes waking a halted vCPU (tens of µs), on a busy
// one it does not (a few µs), so compare the pool and the child process against it.
import { Worker } from 'node:worker_threads';
import type { BenchContext } from '../context.js';
import { Suite, type Measurement } from '../measure.js';

export const CALL_CASE = 'add_i32(1, 2)';
const IN_FLIGHT = 1000;
export const PATHS = {
  raw: 'wasm raw export',
  typed: 'wasm typed binding',
  native: 'native (N-API)',
  pool: 'pool (worker thread)',
  poolInFlight: `pool, ${IN_FLIGHT} in flight`,
  child: 'child process (IPC)',
  childInFlight: `child process, ${IN_FLIGHT} in flight`,
  postMessage: 'postMessage round trip (reference)',
} as const;

const BATCH = 1000;

const ECHO_WORKER = "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));";

export async function callOverhead(context: BenchContext): Promise<Measurement[]> {
  const { kernels, kernelsNative, raw, child, pool } = context;
  const rawAdd = raw.kernels.exports.add_i32!;
  const echo = new Worker(ECHO_WORKER, { eval: true });
  const suite = new Suite('call', { time: 400 })
    .add({ case: CALL_CASE, path: PATHS.raw, batch: BATCH, run: () => rawAdd(1, 2) })
    .add({ case: CALL_CASE, path: PATHS.typed, batch: BATCH, run: () => kernels.add_i32(1, 2) })
    .add({ case: CALL_CASE, path: PATHS.native, batch: BATCH, run: () => kernelsNative.add_i32(1, 2) })
    .add({ case: CALL_CASE, path: PATHS.postMessage, run: () => new Promise((resolve) => {
      echo.once('message', resolve);
      echo.postMessage(0);
    }) })
    .add({ case: CALL_CASE, path: PATHS.pool, run: () => pool.add_i32(1, 2) })
    .add({ case: CALL_CASE, path: PATHS.poolInFlight, callsPerRun: IN_FLIGHT, run: () => Promise.all(Array.from({ length: IN_FLIGHT }, () => pool.add_i32(1, 2))) })
    .add({ case: CALL_CASE, path: PATHS.child, run: () => child.call('kernels', 'add_i32', 1, 2) })
    .add({ case: CALL_CASE, path: PATHS.childInFlight, callsPerRun: IN_FLIGHT,
      run: () => Promise.all(Array.from({ length: IN_FLIGHT }, () => child.call('kernels', 'add_i32', 1, 2))) });
  try {
    return await suite.run();
  } finally {
    await echo.terminate();
  }
}
