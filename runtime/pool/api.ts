// The pool's public types: the same typed exports as a loaded library, each returning a
// Promise, plus a small control surface.
import type { GenericExports } from '../binding.js';
import type { CboxLoadError } from '../errors.js';
import type { Handle } from '../handles.js';
import type { LoadOptions } from '../load.js';
import type { ModuleSource } from '../compiled-module.js';
import type { TrapEvent } from '../events.js';
import type { PoolStats } from './stats.js';

export interface PoolOptions extends Pick<LoadOptions, 'memoryLimit' | 'tableLimit' | 'wasi' | 'crashReports'> {
  /** Worker threads serving calls (default: os.availableParallelism()). One more is kept warm as a spare. */
  readonly threads?: number;
  /** Deadline for every call, in ms from the moment it starts running on a worker (default: none; at most 2^31-1, or Infinity). */
  readonly timeoutMs?: number;
  /**
   * Deadline for a worker's sandbox to start, C constructors and _initialize included, in ms
   * (default 10000, at most 2^31-1; Infinity: none, as for load()). Past it the worker is terminated and the start fails with
   * CboxLoadError 'init-timeout': createPool() and reload() reject with it; a replacement worker
   * is retried with backoff (event 'respawn-failed').
   */
  readonly startTimeoutMs?: number;
  /** Calls allowed to wait for a worker; one more is refused with CboxQueueFullError (default 10000). */
  readonly maxQueue?: number;
  /**
   * Calls a worker may hold at once, the running one included (default 16, at most 4096). More
   * keeps workers fed under load; 1 gives a worker its next call only once it answered, so a
   * slow call never holds up others behind it.
   */
  readonly pipeline?: number;
  /**
   * C stdout/stderr lines, delivered on the main thread. Default: process.stderr, prefixed with
   * the library name; null drops them in the worker. While the main thread has 1 MiB of a
   * worker's output still to deliver, that worker drops further lines and then delivers one
   * stderr line saying how many it dropped, so C printing in a loop cannot grow host memory.
   */
  readonly logger?: LoadOptions['logger'];
}

export interface CallOptions {
  /**
   * Cancels the call. A queued call is dropped at once; a running one is stopped by terminating
   * its worker (a fresh one takes its place). The promise rejects with `signal.reason`. Calls
   * with a signal run alone on a worker, so aborting one never disturbs another call.
   */
  readonly signal?: AbortSignal;
  /** Deadline for this call in ms from when it starts running; replaces the pool's timeoutMs. */
  readonly timeoutMs?: number;
  /**
   * Move the bytes arguments' buffers to the worker instead of copying them: the caller's
   * Uint8Arrays become detached (length 0). Only views spanning their whole ArrayBuffer move;
   * others are copied. Bytes results are always moved from the worker (they are fresh copies).
   * Refused for exports that take writable arrays (mut:), which are copied back into after the call.
   */
  readonly transfer?: boolean;
}

/** A worker thread was replaced (a deadline, an abort, or the thread died), or started again after failed starts. */
export interface RespawnEvent {
  readonly library: string; readonly slot: number;
  /** The worker thread that was replaced (stats() shows the one serving the slot now). */
  readonly threadId: number;
}
/**
 * A worker's sandbox could not start (start-up code that fails or hangs, a granted directory
 * that is gone). The pool starts whatever is missing again after `delayMs` (50 ms doubling to 5 s);
 * meanwhile calls that no worker can take fail with the start error (CboxLoadError).
 */
export interface RespawnFailedEvent {
  readonly library: string;
  /** The slot of the worker that failed (-1: the warm spare). */
  readonly slot: number;
  /** Failed starts in a row. */
  readonly attempt: number;
  readonly delayMs: number;
  /** Code 'init-failed', 'init-timeout', 'bad-wasi-options', ... */
  readonly error: CboxLoadError;
}
/** What pool.reload() takes. */
export interface PoolReloadOptions<T = GenericExports> {
  /**
   * Health check of the new version, given its exports as async functions served by a worker
   * thread of it (started under startTimeoutMs; each call runs under the pool's timeoutMs, or
   * startTimeoutMs when the pool has none). Throw (or reject) to refuse the new version. The
   * worker is ended afterwards: what the probe did there is dropped.
   */
  readonly probe?: (candidate: PoolFunctions<T>) => void | Promise<void>;
}
/** A hot reload of the pool switched its workers to a new module, or changed nothing. */
export interface PoolReloadEvent {
  readonly library: string; readonly outcome: 'switched' | 'rolled-back';
  /** sha256 of the module before, and of the one switched to (null when rolled back). */
  readonly from: string; readonly to: string | null; readonly error?: Error;
}
export interface PoolEvents {
  /** Any call that trapped, a deadline included. */
  trap: [TrapEvent];
  /** A call ran past its deadline and its worker was terminated. */
  timeout: [TrapEvent];
  respawn: [RespawnEvent];
  'respawn-failed': [RespawnFailedEvent];
  reload: [PoolReloadEvent];
  [event: string]: unknown[];
}

export interface CloseOptions {
  /** Reject queued and running calls with CboxClosedError instead of letting them finish. */
  readonly force?: boolean;
}

type IsAny<X> = 0 extends 1 & X ? true : false;

/**
 * Exports that take or return a Handle are not offered: a handle points into one worker's
 * sandbox, and the pool would have to pin every later call to that worker. Nor are exports that
 * take a callback: a JS function of this thread, which C in a worker cannot call. Use load() for them.
 */
type MainThreadOnly<F> = F extends (...args: infer A) => infer R
  ? IsAny<A[number] | R> extends true ? false
    : [Extract<A[number] | R, Handle>] extends [never] ? ([Extract<A[number], (...args: any[]) => unknown>] extends [never] ? false : true) : true
  : false;

/** Each export of T a worker can serve, returning a Promise of what the sync binding returns. */
export type PoolFunctions<T> = {
  readonly [K in keyof T as T[K] extends (...args: any[]) => unknown ? (MainThreadOnly<T[K]> extends true ? never : K) : never]:
    T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export type PoolFunctionName<T> = keyof PoolFunctions<T> & string;
type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;
type ResultOf<F> = F extends (...args: any[]) => infer R ? R : never;

export interface PoolControl<T> {
  /** The library's name. */
  readonly name: string;
  /** Worker threads serving calls (the warm spare not counted). */
  readonly threads: number;
  /**
   * Calls an export with per-call options:
   * `pool.call('spin', [], { signal: AbortSignal.timeout(20), timeoutMs: 10 })`.
   * Also reaches an export whose name the control surface uses (e.g. a C function `close`).
   */
  call<K extends PoolFunctionName<T>>(fn: K, args: ArgsOf<PoolFunctions<T>[K]>, options?: CallOptions): ResultOf<PoolFunctions<T>[K]>;
  /** The exports with these options applied to every call: `pool.with({ timeoutMs: 10 }).spin()`. */
  with(options: CallOptions): PoolFunctions<T>;
  stats(): PoolStats;
  /**
   * Stops taking calls (later ones reject with CboxClosedError), lets queued and running calls
   * finish (or rejects them with `force`), then ends every worker thread. (An idle pool does
   * not keep the process alive, but its threads live until close().)
   */
  close(options?: CloseOptions): Promise<void>;
  /** The pool's event stream: trap, timeout, respawn, respawn-failed, reload. */
  on<E extends keyof PoolEvents & string>(event: E, listener: (...args: PoolEvents[E]) => void): Pool<T>;
  off<E extends keyof PoolEvents & string>(event: E, listener: (...args: PoolEvents[E]) => void): Pool<T>;
  /**
   * Hot reload: switch the workers to a new build of the library with the same ABI, once
   * `probe` passed on a worker of it. The new module's start-up code runs only in workers,
   * under startTimeoutMs. New workers start from the new module and take over; the old ones
   * finish the calls they hold, then end. Rejects with CboxLoadError ('abi-mismatch',
   * 'reload-probe-failed', 'init-timeout', 'init-failed', ...) and changes nothing otherwise.
   */
  reload(source: ModuleSource, options?: PoolReloadOptions<T>): Promise<void>;
}

/** What createPool returns: the exports of T as async functions, and the control surface (which wins a name clash). */
export type Pool<T = GenericExports> = Omit<PoolFunctions<T>, keyof PoolControl<T>> & PoolControl<T>;
