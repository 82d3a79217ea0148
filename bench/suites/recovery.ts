// What a crash costs before the next good answer, each way: a wasm trap (with and without the warm
// spare instance), a pool call stopped at its deadline (its worker is terminated and the warm
// spare worker takes over), and a native crash inside a child-process sandbox (the child dies
// and a new one must start). A native crash in the calling process itself has no recovery time
// to measure: the process is gone.
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { CboxTrap, createPool, load, type Library, type Pool } from 'cbox';
import type { ZooExports } from '../../wasm-modules/zoo.js';
import type { BenchContext } from '../context.js';
import { Suite, type Measurement } from '../measure.js';
import { bindingOf } from '../paths.js';

export const RECOVERY_CASES = {
  trap: 'trap, then next good call',
  deadline: 'deadline hit, then next answer (capacity restored)',
  childCrash: 'native crash, restart, first answer',
} as const;
export const RECOVERY_PATHS = {
  spare: 'wasm, warm spare', noSpare: 'wasm, no spare',
  poolSpare: 'pool, 1 thread, warm spare', poolBurst: 'pool, 1 thread, back to back', child: 'child process (IPC)',
} as const;

const DEADLINE_MS = 5;

function trapThenCall(zoo: Library<ZooExports>): void {
  try {
    zoo.crash_trap();
  } catch (error) {
    if (!(error instanceof CboxTrap)) throw error;
  }
  if (zoo.add(2, 3) !== 5) throw new Error('bench: the recycled sandbox answered wrongly');
}

async function spareReady(pool: Pool<ZooExports>): Promise<void> {
  while (!pool.stats().spareReady) await sleep(2);
}

/** ms from the deadline's rejection to the next answer, on a one-thread pool (so the call must wait for a worker). */
async function deadlineThenCall(pool: Pool<ZooExports>, now: () => number): Promise<number> {
  const stopped = await pool.call('spin', [], { timeoutMs: DEADLINE_MS }).then(() => false, (error: unknown) => error instanceof CboxTrap && error.kind === 'timeout');
  if (!stopped) throw new Error('bench: spin was not stopped by its deadline');
  const rejected = now();
  if (await pool.add(2, 3) !== 5) throw new Error('bench: the pool answered wrongly');
  return now() - rejected;
}

export async function recovery(context: BenchContext): Promise<Measurement[]> {
  const binding = await bindingOf<ZooExports>('zoo');
  const withSpare = await load(binding, { logger: null });
  const withoutSpare = await load(binding, { logger: null, spare: false });
  const pool = await createPool(binding, { threads: 1, logger: null });
  const suite = new Suite('recovery', { time: 1000, iterations: 200 });
  for (const [path, zoo] of [[RECOVERY_PATHS.spare, withSpare], [RECOVERY_PATHS.noSpare, withoutSpare]] as const) {
    suite.add({
      case: RECOVERY_CASES.trap, path,
      run: async () => {
        // Traps arrive now and then, not back to back: let the sandbox refill its spare first
        // (it does so on the next event-loop turn), and time only the trap and the next call.
        await nextTurn();
        await nextTurn();
        const start = suite.now();
        trapThenCall(zoo);
        return { overriddenDuration: suite.now() - start };
      },
    });
  }
  const slowSuite = new Suite('recovery', { time: 1000, iterations: 12, warmupTime: 0 });
  slowSuite.add({
    case: RECOVERY_CASES.deadline, path: RECOVERY_PATHS.poolSpare,
    run: async () => {
      await spareReady(pool);
      return { overriddenDuration: await deadlineThenCall(pool, slowSuite.now) };
    },
  });
  // Deadlines in a burst: the replacement has to start while the next call waits.
  slowSuite.add({
    case: RECOVERY_CASES.deadline, path: RECOVERY_PATHS.poolBurst,
    run: async () => ({ overriddenDuration: await deadlineThenCall(pool, slowSuite.now) }),
  });
  slowSuite.add({
    case: RECOVERY_CASES.childCrash, path: RECOVERY_PATHS.child,
    run: async () => {
      await context.child.crashAndRestart();
      if (await context.child.call('zoo', 'add', 2, 3) !== 5) throw new Error('bench: the restarted child answered wrongly');
    },
  });
  try {
    return [...await suite.run(), ...await slowSuite.run()];
  } finally {
    withSpare.close();
    withoutSpare.close();
    await pool.close();
  }
}
