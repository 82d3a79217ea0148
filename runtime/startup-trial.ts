// A first run of a module's C start-up code (constructors, _initialize) in a throwaway worker
// thread, under a deadline. V8 cannot interrupt wasm on the main thread, so start-up code that
// never returns would freeze load() and the whole process; in a worker it only costs the worker,
// which is terminated at the deadline. The trial proves that this module's start-up finishes
// with these grants; it cannot bound a later start-up that depends on what the C code changed
// since (a file it wrote): that needs a metered build or the worker pool.
import { Worker } from 'node:worker_threads';
import type { CompiledModule } from './compiled-module.js';
import { CboxLoadError, reviveError } from './errors.js';
import type { WasiOptions } from './wasi/host.js';
import { workerScript } from './worker-script.js';

export interface StartupTrial {
  readonly compiled: CompiledModule;
  readonly memoryLimit: number;
  readonly wasi: Omit<WasiOptions, 'stdout' | 'stderr'>;
}

/** The worker's answer: null when the start-up finished, else the error's toJSON() form. */
export type StartupTrialReply = Record<string, unknown> | null;

/** Settled trials per module, by grant set: start-up without grants is deterministic enough to run once. */
const passed = new WeakMap<WebAssembly.Module, Set<string>>();

export async function trialStartup(trial: StartupTrial, timeoutMs: number): Promise<void> {
  const { compiled, memoryLimit, wasi } = trial;
  // With preopens the start-up may read files that change: run it every time.
  const key = wasi.preopens && Object.keys(wasi.preopens).length > 0 ? null : JSON.stringify([memoryLimit, wasi]);
  if (key !== null && passed.get(compiled.module)?.has(key)) return;
  const reply = await runInWorker(trial, timeoutMs);
  if (reply !== null) {
    const error = reviveError(reply);
    throw error instanceof CboxLoadError ? error : new CboxLoadError('init-failed', `${compiled.stamp.name}: the module could not start: ${error.message}`);
  }
  if (key !== null) {
    const keys = passed.get(compiled.module) ?? new Set<string>();
    keys.add(key);
    passed.set(compiled.module, keys);
  }
}

function runInWorker(trial: StartupTrial, timeoutMs: number): Promise<StartupTrialReply> {
  const name = trial.compiled.stamp.name;
  return new Promise((resolve, reject) => {
    let settled = false;
    // No inherited execArgv: flags such as --input-type (node -e) make a worker refuse to start.
    const worker = new Worker(workerScript('startup-worker.js'), { workerData: trial, execArgv: [] });
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timer = Number.isFinite(timeoutMs)
      ? setTimeout(() => finish(() => reject(new CboxLoadError('init-timeout', `${name}: the module's C start-up code did not finish within ${timeoutMs} ms (startTimeoutMs); the trial worker was stopped`))), timeoutMs)
      : undefined;
    worker.once('message', (reply: StartupTrialReply) => finish(() => resolve(reply)));
    worker.once('error', (error) => finish(() => reject(new CboxLoadError('init-failed', `${name}: the start-up trial worker failed: ${error.message}`, { cause: error }))));
    worker.once('exit', (code) => finish(() => reject(new CboxLoadError('init-failed', `${name}: the start-up trial worker exited (code ${code}) before answering`))));
  });
}
