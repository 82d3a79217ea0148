// createPool(): a library's typed exports run on worker threads, each worker holding its own
// sandbox. The main thread keeps the queue (bounded, FIFO), sends calls to the least busy
// worker (several per message when many wait), and replaces any worker that is terminated
// (deadline, abort) or dies, from a warm spare started ahead so recovery costs no thread start.
// Every worker starts under a start deadline; when none can start (hostile start-up code, a
// granted directory that is gone), calls fail with the typed start error while the pool keeps
// retrying with backoff. Start-up code of a new module (reload) only ever runs in workers.
import { mainThreadOnly, type Refusals } from './main-thread-only.js';
import { availableParallelism } from 'node:os';
import { isBinding, type Binding, type GenericExports } from '../binding.js';
import { compileModule, type CompiledModule, type ModuleSource } from '../compiled-module.js';
import { CboxArgumentError, CboxClosedError, CboxError, CboxLoadError, CboxTrap } from '../errors.js';
import { DEFAULT_START_TIMEOUT_MS, describeDeadline, isDeadline, resolveDeadline, resolveMemoryLimit } from '../limits.js';
import { writeCrashReport, type CrashReportOptions } from '../crash-report.js';
import { reloadCandidate, ReloadQueue, runProbe } from '../supervise/reload.js';
import type { CallOptions, CloseOptions, Pool, PoolControl, PoolEvents, PoolOptions, PoolReloadOptions } from './api.js';
import { LibraryEmitter } from '../events.js';
import { errorFromData, installComlinkErrorTransfer } from './error-transport.js';
import { CboxQueueFullError, CboxWorkerExitError } from './errors.js';
import { settle, type Job } from './job.js';
import { JobQueue } from './job-queue.js';
import { stderrSink, type OutputSink } from './output-channel.js';
import { PoolWorker, type WorkerHost, type WorkerSpawn } from './pool-worker.js';
import { probeInWorker } from './probe-worker.js';
import type { CallStart } from './progress.js';
import { epochMs, isErrorReply, valueOfReply, writableArguments, type CallReply } from './protocol.js';
import { typedArraySet } from '../arguments.js';
import { RespawnBackoff } from './respawn-backoff.js';
import { CallCounters, type PoolStats } from './stats.js';
import { timeoutTrap } from './timeout-trap.js';
import { workerUrl } from './worker-url.js';

const DEFAULT_MAX_QUEUE = 10_000;
const DEFAULT_PIPELINE = 16;
const MAX_PIPELINE = 4096;
const MAX_THREADS = 256;

interface Slot {
  worker: PoolWorker;
  readonly counters: CallCounters;
}

function wholeNumber(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CboxLoadError('bad-option', `createPool: ${what} must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Why a worker could not start, as a CboxLoadError with the start failure's code ('init-failed' for a thread that died). */
function startErrorOf(error: Error): CboxLoadError {
  if (error instanceof CboxLoadError) return error;
  return new CboxLoadError(error instanceof CboxError ? error.code : 'init-failed', error.message, { cause: error });
}

/** The error a call gets while no worker can start: the start failure's code, saying what the pool does about it. */
function unavailableError(pool: string, fn: string, cause: CboxLoadError): CboxLoadError {
  return new CboxLoadError(cause.code, `${pool} pool: ${fn} refused: no worker can start its sandbox (the pool keeps retrying): ${cause.message}`, { cause });
}

class WorkerPool implements WorkerHost {
  readonly events = new LibraryEmitter<PoolEvents>();
  readonly name: string;
  readonly threads: number;
  /** Export names in ABI stamp order: a call names its export by index. */
  readonly names: readonly string[];
  /** Exports that take or return a handle or take a callback (refused: see PoolFunctions). */
  private readonly refusals: Refusals;
  /** Per export: the arguments C may write, copied back into the caller's arrays (protocol.ts). */
  private readonly writable: readonly (readonly number[] | null)[];
  private readonly timeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly crashReports: CrashReportOptions | undefined;
  private readonly maxQueue: number;
  private readonly pipeline: number;
  private readonly memoryLimit: number;
  private readonly tableLimit: number | undefined;
  private spawnSpec: WorkerSpawn;
  private readonly slots: Slot[];
  private spare: PoolWorker | null = null;
  /** Retired workers whose threads have not finished exiting. */
  private readonly exiting = new Set<PoolWorker>();
  /** Workers a reload replaced that still hold calls: each ends once it has answered them. */
  private readonly draining = new Set<PoolWorker>();
  private readonly reloads = new ReloadQueue();
  private readonly queue = new JobQueue();
  private readonly totals = new CallCounters();
  /** Calls accepted and not settled: queued or on a worker. */
  private unsettled = 0;
  private pumpScheduled = false;
  /** Set by close(): the reason new calls are refused. */
  private closedFor: string | null = null;
  /** createPool() has returned: a worker that cannot start is retried from then on, not fatal. */
  private opened = false;
  /** The last start failure, until a worker starts again. */
  private startFailure: CboxLoadError | null = null;
  private readonly backoff = new RespawnBackoff();
  /** Workers started while starts fail, and the thread each replaces: once up, that is a 'respawn'. */
  private readonly retrying = new Map<PoolWorker, number>();
  private forced = false;
  /** Every worker is being terminated for good: no more replacements. */
  private stopping = false;
  private closing: Promise<void> | null = null;
  private whenDrained: (() => void) | null = null;

  constructor(private compiled: CompiledModule, options: PoolOptions) {
    const { stamp } = compiled;
    this.name = stamp.name;
    this.names = Object.keys(stamp.exports);
    this.refusals = mainThreadOnly(stamp);
    this.writable = writableArguments(compiled);
    this.threads = wholeNumber(options.threads, availableParallelism(), 1, MAX_THREADS, 'threads');
    this.maxQueue = wholeNumber(options.maxQueue, DEFAULT_MAX_QUEUE, 0, Number.MAX_SAFE_INTEGER, 'maxQueue');
    this.pipeline = wholeNumber(options.pipeline, DEFAULT_PIPELINE, 1, MAX_PIPELINE, 'pipeline');
    this.timeoutMs = resolveDeadline(options.timeoutMs, Infinity, 'createPool: timeoutMs');
    this.startTimeoutMs = resolveDeadline(options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS, 'createPool: startTimeoutMs');
    this.crashReports = options.crashReports;
    this.tableLimit = options.tableLimit;
    this.memoryLimit = resolveMemoryLimit(options.memoryLimit, stamp.memoryMaximum, compiled.memory, stamp.name);
    const { logger } = options;
    const sink: OutputSink | null = logger === null ? null : logger ? { line: (stream, text) => logger[stream]?.(text) } : stderrSink(stamp.name);
    this.spawnSpec = {
      url: workerUrl(),
      inFlight: this.pipeline,
      init: { compiled, load: { memoryLimit: this.memoryLimit, wasi: options.wasi, crashReports: options.crashReports } },
      sink,
      startTimeoutMs: this.startTimeoutMs,
    };
    installComlinkErrorTransfer();
    this.slots = Array.from({ length: this.threads }, (_, slot) => ({ worker: this.spawn(slot), counters: new CallCounters(this.totals) }));
    this.spare = this.spawn(-1);
  }

  /** Resolves when every slot's worker has its sandbox up; rejects with the first start failure. */
  async started(): Promise<void> {
    try {
      await Promise.all(this.slots.map(({ worker }) => worker.ready));
    } catch (error) {
      // The first failure may be the spare's; the slot workers then only report being terminated.
      throw this.startFailure ?? error;
    }
    if (this.startFailure) throw this.startFailure; // the spare could not start either
    this.opened = true;
  }

  private spawn(slot: number): PoolWorker {
    const worker = new PoolWorker(this, this.spawnSpec);
    worker.slot = slot;
    return worker;
  }

  private serves(worker: PoolWorker): boolean {
    return this.slots[worker.slot]?.worker === worker || worker === this.spare;
  }

  startSucceeded(worker: PoolWorker): void {
    if (!this.serves(worker)) return;
    this.backoff.succeeded();
    this.startFailure = null;
    const replaced = this.retrying.get(worker);
    if (replaced !== undefined && worker.slot >= 0) this.respawned(worker.slot, replaced);
    this.retrying.delete(worker);
    this.schedulePump();
  }

  private respawned(slot: number, replacedThreadId: number): void {
    this.slots[slot]!.counters.respawned();
    this.events.emit('respawn', { library: this.name, slot, threadId: replacedThreadId });
  }

  startFailed(worker: PoolWorker, error: Error): void {
    if (!this.serves(worker)) return; // a reload's candidate: the reload reports it
    this.startFailure = startErrorOf(error);
    this.retrying.delete(worker);
    if (!this.opened) {
      // createPool() rejects with it: the module cannot start with these options.
      this.closedFor ??= `${this.name} pool: a worker thread could not start (${error.message})`;
      void this.close({ force: true });
      return;
    }
    if (this.closedFor !== null && this.unsettled === 0) return;
    const retry = this.backoff.failed(() => this.restore());
    if (retry) this.events.emit('respawn-failed', { library: this.name, slot: worker.slot, ...retry, error: this.startFailure });
  }

  /** After a failed start: starts a worker in every slot whose worker is gone, and the spare. */
  private restore(): void {
    if (this.stopping || this.forced) return;
    this.slots.forEach((slot, index) => {
      if (!slot.worker.retired) return;
      const replaced = slot.worker.threadId;
      slot.worker = this.spawn(index);
      this.retrying.set(slot.worker, replaced);
    });
    if (this.closedFor === null && (this.spare === null || this.spare.retired)) this.spare = this.spawn(-1);
  }

  /** A slot worker that is up or starting: calls queued now will be served (or fail when it cannot start). */
  private hasWorker(): boolean {
    return this.slots.some(({ worker }) => !worker.retired);
  }

  /** While no worker can start, waiting calls fail with the start error rather than wait for a retry that may never work. */
  private failWaitingIfNoWorker(): void {
    const cause = this.startFailure;
    if (!cause || this.hasWorker()) return;
    for (const job of this.queue.drain()) this.finish(job, 'reject', unavailableError(this.name, this.names[job.fnIndex]!, cause));
  }

  indexOf(fn: string): number {
    return this.names.indexOf(fn);
  }

  call(fnIndex: number, args: unknown[], options: CallOptions | undefined): Promise<unknown> {
    const fn = this.names[fnIndex]!;
    if (this.closedFor !== null) return Promise.reject(new CboxClosedError(this.closedFor));
    const refusal = this.refusals.get(fnIndex);
    if (refusal) return Promise.reject(refusal());
    if (options?.transfer === true && this.writable[fnIndex]) {
      return Promise.reject(new CboxArgumentError(`${fn}: transfer would detach the arrays C writes, which are copied back into them after the call: call it without transfer`));
    }
    if (options?.timeoutMs !== undefined && !isDeadline(options.timeoutMs)) return Promise.reject(new CboxArgumentError(describeDeadline(`${fn}: timeoutMs`, options.timeoutMs)));
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.startFailure && !this.hasWorker()) return Promise.reject(unavailableError(this.name, fn, this.startFailure));
    // Full: maxQueue calls wait already, or (maxQueue 0) this one would have to wait.
    const waiting = this.queue.length;
    if (waiting >= this.maxQueue && (waiting > 0 || !this.leastBusy(signal ? 1 : this.pipeline))) {
      return Promise.reject(new CboxQueueFullError(`${this.name} pool: ${fn} refused, the queue is full (${this.maxQueue} calls waiting; raise maxQueue or slow down)`));
    }
    return new Promise((resolve, reject) => {
      const job: Job = {
        fnIndex, args, timeoutMs, signal, transfer: options?.transfer === true, enqueuedAt: epochMs(),
        resolve, reject, settled: false, seq: 0, worker: undefined, unlisten: undefined,
      };
      if (signal) {
        const onAbort = (): void => this.aborted(job);
        signal.addEventListener('abort', onAbort, { once: true });
        job.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.unsettled++;
      this.queue.push(job);
      // Into an empty queue: send it now if a worker has room. Behind others: a pump is due
      // (scheduled, or when a worker answers), and calls made meanwhile go in the same message.
      if (this.queue.length === 1) this.pump();
    });
  }

  private aborted(job: Job): void {
    if (job.settled) return;
    const { worker } = job;
    if (worker) this.slots[worker.slot]!.counters.aborted();
    else {
      this.totals.aborted();
      this.queue.forget();
    }
    this.finish(job, 'reject', job.signal!.reason);
    worker?.abort(job);
  }

  private finish(job: Job, outcome: 'resolve' | 'reject', value: unknown): void {
    if (!settle(job, outcome, value)) return;
    this.unsettled--;
    if (this.unsettled === 0) this.whenDrained?.();
  }

  /**
   * Pumps once the messages that arrived together have been handled (setImmediate runs after
   * the event loop's poll phase), so the room their replies free goes out in one message per
   * worker rather than one message per reply.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  /** Sends waiting calls, in order, to workers with room; stops at the first call that must wait. */
  private pump(): void {
    this.pumpScheduled = false;
    for (let head = this.queue.peek(); head; head = this.queue.peek()) {
      // A call that can be aborted runs alone, so terminating its worker stops nothing else.
      const alone = head.signal !== undefined;
      const worker = this.leastBusy(alone ? 1 : this.pipeline);
      if (!worker) return;
      const room = alone ? 1 : Math.min(this.pipeline - worker.pending, Math.ceil(this.queue.length / this.threads));
      const batch: Job[] = [];
      for (let job: Job | undefined = head; job && batch.length < room && (job.signal === undefined || batch.length === 0); job = this.queue.peek()) {
        batch.push(this.queue.shift()!);
        if (job.signal) break;
      }
      worker.send(batch, (job, error) => {
        this.finish(job, 'reject', new CboxArgumentError(`${this.names[job.fnIndex]}: an argument cannot be sent to a worker thread (${error.message})`));
      });
    }
  }

  /** The accepting worker with the fewest calls under `limit`, started ones first. */
  private leastBusy(limit: number): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    for (const { worker } of this.slots) {
      if (!worker.accepts || worker.pending >= limit) continue;
      if (!best || (worker.started && !best.started) || (worker.started === best.started && worker.pending < best.pending)) best = worker;
    }
    return best;
  }

  answered(worker: PoolWorker, job: Job, reply: CallReply, startedAt: number, runMs: number): void {
    const { counters } = this.slots[worker.slot]!;
    counters.answered(startedAt - job.enqueuedAt, runMs);
    if (isErrorReply(reply)) {
      const error = errorFromData(reply);
      if (error instanceof CboxTrap) {
        counters.trapped(error.kind);
        if (error.kind === 'timeout') this.events.emit('timeout', { library: this.name, error }); // a metered module's own deadline
        this.events.emit('trap', { library: this.name, error });
      } else if (error instanceof CboxLoadError) {
        // Only making an instance fails so: the worker's sandbox could not replace a trapped
        // instance, and the thread cannot serve on. A fresh worker (retried with backoff) can.
        void worker.terminate(new Error(`was replaced: its sandbox could not make a new instance (${error.message})`));
      }
      this.finish(job, 'reject', error);
    } else {
      const written = this.writable[job.fnIndex];
      try {
        // What C wrote into the worker's copies, into the caller's arrays (same kind and length: clones of them).
        if (written && Array.isArray(reply)) written.forEach((position, k) => typedArraySet.call(job.args[position], (reply[1] as unknown[])[k]));
        this.finish(job, 'resolve', valueOfReply(reply));
      } catch (error) {
        // The caller detached an array (transferred it elsewhere) while the call ran: its call fails, not the pool.
        this.finish(job, 'reject', new CboxArgumentError(`${this.names[job.fnIndex]}: what C wrote could not be copied back into the arrays passed (${(error as Error).message})`));
      }
    }
    if (this.queue.length > 0) this.schedulePump();
    this.drained(worker);
  }

  timedOut(worker: PoolWorker, job: Job, start: CallStart): CboxTrap {
    const trap = timeoutTrap(this.compiled, this.memoryLimit, { fn: this.names[job.fnIndex]!, args: job.args, timeoutMs: job.timeoutMs }, start);
    this.writeReport(trap);
    this.slots[worker.slot]!.counters.trapped('timeout');
    this.finish(job, 'reject', trap);
    this.events.emit('timeout', { library: this.name, error: trap });
    this.events.emit('trap', { library: this.name, error: trap });
    return trap;
  }

  /** A timeout's crash report, like the sandbox writes for other traps (no memory dump: the thread is gone). */
  private writeReport(trap: CboxTrap): void {
    if (!this.crashReports) return;
    try {
      Object.assign(trap.report, { files: writeCrashReport(trap.report, this.crashReports.dir, null) });
    } catch {
      // The folder cannot be written: the trap still reaches the caller and the events.
    }
  }

  retired(worker: PoolWorker): void {
    this.exiting.add(worker);
    if (this.stopping || this.forced) return;
    // While starts fail, the retry replaces what is gone (see restore).
    const waitForRetry = worker.startError !== null || this.backoff.waiting;
    if (worker === this.spare) {
      this.spare = this.closedFor === null && !waitForRetry ? this.spawn(-1) : null;
      return;
    }
    const slot = this.slots[worker.slot];
    if (slot?.worker !== worker) return;
    if (waitForRetry && this.spare === null) {
      this.failWaitingIfNoWorker();
      return;
    }
    const replacement = this.spare ?? this.spawn(worker.slot);
    replacement.slot = worker.slot;
    slot.worker = replacement;
    // While starts fail, a replacement still starting may fail too: it counts once it is up.
    if (waitForRetry && !replacement.started) this.retrying.set(replacement, worker.threadId);
    else this.respawned(worker.slot, worker.threadId);
    this.spare = this.closedFor === null && !waitForRetry ? this.spawn(-1) : null;
    this.schedulePump();
  }

  exited(worker: PoolWorker, unstarted: Job[], lost: Job[], cause: Error): void {
    this.exiting.delete(worker);
    this.draining.delete(worker);
    for (const job of lost) {
      this.finish(job, 'reject', new CboxWorkerExitError(`${this.names[job.fnIndex]}: its worker thread ended before answering: it ${cause.message}`, { cause }));
    }
    if (this.forced) {
      unstarted.forEach((job) => this.finish(job, 'reject', this.forcedError()));
      return;
    }
    for (const job of unstarted) {
      job.seq = 0;
      job.worker = undefined;
    }
    this.queue.requeue(unstarted);
    this.failWaitingIfNoWorker();
    this.schedulePump();
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closedFor ??= `${this.name} pool: closed; no more calls`;
    this.failWaitingIfNoWorker();
    if (options.force && !this.forced) {
      this.forced = true;
      this.queue.drain().forEach((job) => this.finish(job, 'reject', this.forcedError()));
      for (const worker of this.workers()) [...worker.jobs].forEach((job) => this.finish(job, 'reject', this.forcedError()));
    }
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private forcedError(): CboxClosedError {
    return new CboxClosedError(`${this.name} pool: closed with force before the call finished`);
  }

  private async shutdown(): Promise<void> {
    if (this.unsettled > 0) await new Promise<void>((resolve) => { this.whenDrained = resolve; });
    this.stopping = true;
    this.backoff.cancel();
    await Promise.all(this.workers().map((worker) => worker.terminate(new Error('was ended by close()'))));
  }

  /** Every worker thread the pool started that may still be running. */
  private workers(): PoolWorker[] {
    return [...this.slots.map(({ worker }) => worker), ...(this.spare ? [this.spare] : []), ...this.exiting, ...this.draining];
  }

  /**
   * Hot reload (see supervise/reload.ts): the new module is compiled and checked here, but its
   * start-up code and the probe run only in workers, under the start deadline.
   */
  reload(source: ModuleSource, options: PoolReloadOptions<GenericExports> = {}): Promise<void> {
    return this.reloads.run(async () => {
      const from = this.compiled.sha256;
      try {
        if (this.closedFor !== null) throw new CboxClosedError(this.closedFor);
        const next = await reloadCandidate(source, this.compiled, this.memoryLimit, this.tableLimit);
        const { probe } = options;
        if (probe) {
          const limits = { memoryLimit: this.memoryLimit, callTimeoutMs: this.timeoutMs === Infinity ? this.startTimeoutMs : this.timeoutMs, refusals: this.refusals };
          await probeInWorker(this.specFor(next), limits, (candidate) => runProbe(next, () => probe(candidate as never)));
        }
        await this.swapModule(next);
        this.events.emit('reload', { library: this.name, outcome: 'switched', from, to: next.sha256 });
      } catch (error) {
        this.events.emit('reload', { library: this.name, outcome: 'rolled-back', from, to: null, error: error as Error });
        throw error;
      }
    });
  }

  /**
   * Fresh workers from `compiled` take every slot once they have started (calls keep flowing to
   * the old ones meanwhile); the old ones finish the calls they hold, then end.
   */
  private async swapModule(compiled: CompiledModule): Promise<void> {
    if (this.closedFor !== null) throw new CboxClosedError(this.closedFor);
    const previous = this.spawnSpec;
    this.spawnSpec = this.specFor(compiled);
    const fresh = this.slots.map((_, slot) => this.spawn(slot));
    try {
      await Promise.all(fresh.map((worker) => worker.ready));
    } catch (error) {
      this.spawnSpec = previous;
      await Promise.all(fresh.map((worker) => worker.terminate(new Error('was not needed: the reload failed'))));
      throw error;
    }
    this.compiled = compiled;
    this.slots.forEach((slot, index) => {
      const old = slot.worker;
      slot.worker = fresh[index]!;
      this.draining.add(old);
      this.drained(old);
    });
    void this.spare?.terminate(new Error('was replaced by a reload')); // retired() starts the next spare from the new module
    this.schedulePump();
  }

  private specFor(compiled: CompiledModule): WorkerSpawn {
    return { ...this.spawnSpec, init: { ...this.spawnSpec.init, compiled } };
  }

  /** A worker a reload replaced ends once it holds no calls. */
  private drained(worker: PoolWorker): void {
    if (!this.draining.has(worker) || worker.pending > 0) return;
    this.draining.delete(worker);
    void worker.terminate(new Error('was replaced by a reload'));
  }

  stats(): PoolStats {
    const queued = this.queue.length;
    const workers = this.slots.map(({ worker, counters }, slot) => ({ slot, threadId: worker.threadId, inFlight: worker.pending, ...counters.snapshot() }));
    return {
      name: this.name,
      threads: this.threads,
      liveWorkers: this.workers().filter((worker) => worker.alive).length,
      spareReady: this.spare?.started ?? false,
      queued,
      inFlight: this.unsettled - queued,
      closed: this.closedFor !== null,
      ...this.totals.snapshot(), // after the slots': their snapshots record into it
      workers,
    };
  }
}

/** The handle-free exports as async functions, each call made with `options`. */
function exportFunctions(pool: WorkerPool, options: CallOptions | undefined): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const functions: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  pool.names.forEach((fn, index) => {
    functions[fn] = (...args) => pool.call(index, args, options);
  });
  return functions;
}

export async function createPool<T>(source: Binding<T>, options?: PoolOptions): Promise<Pool<T>>;
export async function createPool(source: ModuleSource, options?: PoolOptions): Promise<Pool<GenericExports>>;
export async function createPool(source: ModuleSource, options: PoolOptions = {}): Promise<Pool<unknown>> {
  const compiled = await compileModule(source, isBinding(source) ? source : undefined, { tableLimit: options.tableLimit });
  const pool = new WorkerPool(compiled, options);
  try {
    await pool.started();
  } catch (error) {
    await pool.close({ force: true });
    throw error;
  }
  const control: PoolControl<GenericExports> = {
    name: pool.name,
    threads: pool.threads,
    call: (fn, args, callOptions) => {
      const index = pool.indexOf(fn);
      if (index < 0) return Promise.reject(new CboxArgumentError(`${pool.name} has no export named ${JSON.stringify(fn)}`));
      if (!Array.isArray(args)) return Promise.reject(new CboxArgumentError(`${pool.name}.call(${JSON.stringify(fn)}, args): args must be an array`));
      return pool.call(index, args, callOptions);
    },
    with: (callOptions) => exportFunctions(pool, callOptions),
    stats: () => pool.stats(),
    reload: (source, reloadOptions) => pool.reload(source, reloadOptions),
    close: (closeOptions) => pool.close(closeOptions),
    on(event, listener) { pool.events.on(event, listener); return api as unknown as Pool<GenericExports>; },
    off(event, listener) { pool.events.off(event, listener); return api as unknown as Pool<GenericExports>; },
  };
  const api = exportFunctions(pool, undefined);
  Object.defineProperties(api, Object.getOwnPropertyDescriptors(control));
  return Object.freeze(api) as unknown as Pool<unknown>;
}
