// A pool reload's health probe runs against a worker thread of the new module, never on the main
// thread: the module's start-up code and every probe call may loop forever, and only a worker can
// be stopped. The probe gets the new module's handle-free exports as async functions; the worker
// starts under the start deadline, each probe call runs under a deadline, and the worker is
// terminated afterwards (what the probe did there is dropped).
import type { Refusals } from './main-thread-only.js';
import type { CompiledModule } from '../compiled-module.js';
import { CboxArgumentError } from '../errors.js';
import { errorFromData } from './error-transport.js';
import { CboxWorkerExitError } from './errors.js';
import { settle, type Job } from './job.js';
import { PoolWorker, type WorkerHost, type WorkerSpawn } from './pool-worker.js';
import type { CallStart } from './progress.js';
import { epochMs, isErrorReply, type CallReply } from './protocol.js';
import { timeoutTrap } from './timeout-trap.js';

export type ProbeFunctions = Record<string, (...args: unknown[]) => Promise<unknown>>;

export interface ProbeLimits {
  readonly memoryLimit: number;
  /** Deadline of each probe call (ms from when it starts running). */
  readonly callTimeoutMs: number;
  /** Export indexes that take or return a handle (refused, as in the pool). */
  /** Exports the probe cannot call (main-thread-only.ts). */
  readonly refusals: Refusals;
}

class ProbeHost implements WorkerHost {
  constructor(private readonly compiled: CompiledModule, private readonly names: readonly string[], private readonly memoryLimit: number) {}

  answered(_worker: PoolWorker, job: Job, reply: CallReply): void {
    if (isErrorReply(reply)) settle(job, 'reject', errorFromData(reply));
    else settle(job, 'resolve', reply);
  }

  startSucceeded(): void {}
  startFailed(): void {} // `ready` rejects with the error
  retired(): void {}

  timedOut(_worker: PoolWorker, job: Job, start: CallStart) {
    const trap = timeoutTrap(this.compiled, this.memoryLimit, { fn: this.names[job.fnIndex]!, args: job.args, timeoutMs: job.timeoutMs }, start);
    settle(job, 'reject', trap);
    return trap;
  }

  exited(_worker: PoolWorker, unstarted: Job[], lost: Job[], cause: Error): void {
    for (const job of [...unstarted, ...lost]) {
      settle(job, 'reject', new CboxWorkerExitError(`${this.names[job.fnIndex]}: the probe's worker thread ended before answering: it ${cause.message}`, { cause }));
    }
  }
}

/** Starts a worker from `spawn` (the new module), runs `probe` against it, then ends it. Rejects with the start error or what the probe threw. */
export async function probeInWorker(spawn: WorkerSpawn, limits: ProbeLimits, probe: (candidate: ProbeFunctions) => void | Promise<void>): Promise<void> {
  const { compiled } = spawn.init;
  const names = Object.keys(compiled.stamp.exports);
  const worker = new PoolWorker(new ProbeHost(compiled, names, limits.memoryLimit), spawn);
  try {
    await worker.ready;
    const call = (fnIndex: number, args: unknown[]): Promise<unknown> => {
      const refusal = limits.refusals.get(fnIndex);
      if (refusal) return Promise.reject(refusal());
      return new Promise((resolve, reject) => {
        const job: Job = {
          fnIndex, args, timeoutMs: limits.callTimeoutMs, signal: undefined, transfer: false, enqueuedAt: epochMs(),
          resolve, reject, settled: false, seq: 0, worker: undefined, unlisten: undefined,
        };
        worker.send([job], (failed, error) => {
          settle(failed, 'reject', new CboxArgumentError(`${names[fnIndex]}: an argument cannot be sent to a worker thread (${error.message})`));
        });
      });
    };
    const candidate: ProbeFunctions = Object.create(null) as ProbeFunctions;
    names.forEach((fn, index) => {
      Object.defineProperty(candidate, fn, { value: (...args: unknown[]) => call(index, args), enumerable: true });
    });
    await probe(Object.freeze(candidate));
  } finally {
    await worker.terminate(new Error('was ended after the reload probe'));
  }
}
