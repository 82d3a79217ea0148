// Metered modules (`cbox build --metered`), in one run: what metering costs on the compute
// kernels (the same C built plain and metered, both with the default -msimd128), how close to its
// deadline a runaway call ends on the main thread, and how soon a one-thread pool answers again
// after a deadline when the module stops itself (metered) or the worker is terminated and the
// warm spare takes over (unmetered). Writes bench/results/metering.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CboxTrap, createPool, load, type Library } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import type { MeteredExports } from '../wasm-modules/metered.js';
import type { ZooExports } from '../wasm-modules/zoo.js';
import { describeMachine } from './machine.js';
import { bindingOf, resultsDir } from './paths.js';
import { formatDuration, formatRatio, geomean } from './report/format.js';
import { kernelCases } from './suites/kernels.js';

// Both builds are compiled by TurboFan up front: with V8's default lazy tier-up, when a function's
// optimised code arrives depends on how busy the background threads are, and on a loaded machine
// that (not metering) decided which build ran faster. This measures the steady state.
setFlagsFromString('--no-liftoff');

const DEADLINE_MS = 10;
const PRECISION_RUNS = 100;
const POOL_RUNS = 20;
const KERNEL_WARMUP = 10;
const KERNEL_ROUNDS = 60;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Plain and metered runs alternate call by call (the order flipping every round), rather than one
 * tinybench task after the other: on a shared machine the load changes within seconds, and only
 * interleaving keeps a change of load out of the ratio. Each build's fastest run is compared:
 * the base64 kernels' times are bimodal on both builds alike (the 1.4 MB strings they pass), so
 * medians flip between modes from run to run, while load and that noise only ever add time.
 */
async function kernelOverhead(): Promise<{ kernel: string; plainNs: number; meteredNs: number; ratio: number }[]> {
  const plain = await load(await bindingOf<KernelsExports>('kernels'), { logger: null });
  const metered = await load(await bindingOf<KernelsExports>('kernels-metered'), { logger: null });
  const time = (run: () => unknown): number => {
    const started = process.hrtime.bigint();
    run();
    return Number(process.hrtime.bigint() - started);
  };
  try {
    return kernelCases().map(([kernel, run]) => {
      process.stderr.write(`  metering: ${kernel}\n`);
      for (let warm = 0; warm < KERNEL_WARMUP; warm++) { run(plain); run(metered); }
      const plainNs: number[] = [];
      const meteredNs: number[] = [];
      for (let round = 0; round < KERNEL_ROUNDS; round++) {
        if (round % 2 === 0) { plainNs.push(time(() => run(plain))); meteredNs.push(time(() => run(metered))); }
        else { meteredNs.push(time(() => run(metered))); plainNs.push(time(() => run(plain))); }
      }
      const [p, m] = [Math.min(...plainNs), Math.min(...meteredNs)];
      return { kernel, plainNs: p, meteredNs: m, ratio: m / p };
    });
  } finally {
    plain.close();
    metered.close();
  }
}

/** ms past the deadline at which the CboxTrap reaches the caller (the sandbox has recycled by then). */
function deadlineOvershoot(lib: Library<MeteredExports>): number {
  const spin = lib.with({ timeoutMs: DEADLINE_MS });
  const started = performance.now();
  try {
    spin.spin();
  } catch (error) {
    if (!(error instanceof CboxTrap) || error.kind !== 'timeout') throw error;
    return performance.now() - started - DEADLINE_MS;
  }
  throw new Error('bench: spin returned');
}

/** Overshoots, and the share of a core the process got while spinning (a deadline is wall time:
 * on a loaded machine the thread is off the CPU for part of it, and the meter cannot notice then). */
async function timeoutPrecision(): Promise<{ overshoots: number[]; cpuShare: number }> {
  const lib = await load(await bindingOf<MeteredExports>('metered'), { logger: null });
  const overshoots: number[] = [];
  let cpuMs = 0;
  let wallMs = 0;
  try {
    for (let run = 0; run < PRECISION_RUNS; run++) {
      await sleep(1); // let the sandbox remake its warm spare, as between real calls
      const cpu = process.cpuUsage();
      const overshoot = deadlineOvershoot(lib);
      const used = process.cpuUsage(cpu);
      cpuMs += (used.user + used.system) / 1000;
      wallMs += overshoot + DEADLINE_MS;
      overshoots.push(overshoot);
    }
  } finally {
    lib.close();
  }
  return { overshoots, cpuShare: cpuMs / wallMs };
}

/** ms from the deadline's rejection to the next answer on a one-thread pool. */
interface SpinAndAdd { spin(): Promise<void>; add(a: number, b: number): Promise<number> }

async function poolRecovery(spareReady: () => boolean, fns: SpinAndAdd, waitForSpare: boolean): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < POOL_RUNS; run++) {
    while (waitForSpare && !spareReady()) await sleep(2);
    const stopped = await fns.spin().then(() => false, (error: unknown) => error instanceof CboxTrap && error.kind === 'timeout');
    if (!stopped) throw new Error('bench: spin was not stopped by its deadline');
    const rejected = performance.now();
    if (await fns.add(2, 3) !== 5) throw new Error('bench: the pool answered wrongly');
    times.push(performance.now() - rejected);
  }
  return times;
}

const machine = describeMachine();
const kernels = await kernelOverhead();
const { overshoots, cpuShare } = await timeoutPrecision();
const meteredPool = await createPool(await bindingOf<MeteredExports>('metered'), { threads: 1, logger: null });
const plainPool = await createPool(await bindingOf<ZooExports>('zoo'), { threads: 1, logger: null });
let pool: { path: string; p50Ms: number; p99Ms: number; respawns: number }[];
try {
  await meteredPool.add(1, 1);
  await plainPool.add(1, 1);
  const metered = await poolRecovery(() => meteredPool.stats().spareReady, meteredPool.with({ timeoutMs: DEADLINE_MS }), false);
  const terminated = await poolRecovery(() => plainPool.stats().spareReady, plainPool.with({ timeoutMs: DEADLINE_MS }), true);
  pool = [
    { path: 'metered module: stopped inside the worker', p50Ms: percentile(metered, 50), p99Ms: percentile(metered, 99), respawns: meteredPool.stats().respawns },
    { path: 'unmetered module: worker terminated, warm spare takes over', p50Ms: percentile(terminated, 50), p99Ms: percentile(terminated, 99), respawns: plainPool.stats().respawns },
  ];
} finally {
  await meteredPool.close();
  await plainPool.close();
}

const overheadGeomean = geomean(kernels.map((k) => k.ratio));
const ms = (value: number): string => formatDuration(value * 1e6);
const markdown = [
  `Metering, one run: ${machine.cpu} (${machine.cores} cores, load average ${os.loadavg().map((load) => load.toFixed(1)).join(' ')} at the end), Node ${machine.node}, ${machine.date}`,
  '',
  `| kernel (fastest of ${KERNEL_ROUNDS} interleaved runs each) | plain | metered | metered/plain |`,
  '|---|---:|---:|---:|',
  ...kernels.map((k) => `| ${k.kernel} | ${formatDuration(k.plainNs)} | ${formatDuration(k.meteredNs)} | ${formatRatio(k.ratio)} |`),
  `| **geomean** | | | **${formatRatio(overheadGeomean)}** |`,
  '',
  `| ${DEADLINE_MS} ms deadline on the main thread, ${PRECISION_RUNS} runs | p50 | p99 |`,
  '|---|---:|---:|',
  `| deadline to CboxTrap 'timeout' in the caller | ${ms(percentile(overshoots, 50))} | ${ms(percentile(overshoots, 99))} |`,
  '',
  `(the process ran on a core ${(cpuShare * 100).toFixed(0)}% of the time while spinning)`,
  '',
  `| pool, 1 thread: deadline hit to next answer, ${POOL_RUNS} runs | p50 | p99 | respawns |`,
  '|---|---:|---:|---:|',
  ...pool.map((row) => `| ${row.path} | ${ms(row.p50Ms)} | ${ms(row.p99Ms)} | ${row.respawns} |`),
  '',
].join('\n');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'metering.json'), `${JSON.stringify({ machine, kernels, overheadGeomean, overshootMs: overshoots, cpuShare, pool }, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'metering.md'), markdown);
console.log(markdown);
