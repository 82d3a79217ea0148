// The pool's side of one worker thread: starts it, sends it calls, matches its replies, and
// watches deadlines. It decides when the thread must die (a deadline passed, a running call
// was aborted, the thread failed, its start-up ran past the start deadline) and, once the thread
// is gone, which of the calls it held never started; what to do with the calls is the pool's
// (WorkerHost's) business.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { CboxLoadError, type CboxTrap } from '../errors.js';
import type { Job } from './job.js';
import { receiveOutput, type OutputSink } from './output-channel.js';
import { CallProgress, type CallStart } from './progress.js';
import { arities, epochMs, isMetered, type CallBatch, type CallReply, type WorkerControl, type WorkerInit } from './protocol.js';

/** A metered module ends a call at its deadline inside the worker; the thread is terminated only
 * if the call is still running this long after it (a module whose metering does not hold). */
const METERED_BACKSTOP_MS = 500;

/** How long after its thread exits a worker's last messages (replies, its start error) may still arrive. */
const AFTER_EXIT_GRACE_MS = 50;

export interface WorkerHost {
  /** The worker answered a call it was sent: startedAt is epochMs() in the worker, runMs its run time. */
  answered(worker: PoolWorker, job: Job, reply: CallReply, startedAt: number, runMs: number): void;
  /** The worker's sandbox is up: it takes calls. */
  startSucceeded(worker: PoolWorker): void;
  /** The worker's sandbox could not start, or not within the start deadline (the thread is being terminated). */
  startFailed(worker: PoolWorker, error: Error): void;
  /** A call ran past its deadline; the worker is being terminated. */
  timedOut(worker: PoolWorker, job: Job, start: CallStart): CboxTrap;
  /** The worker takes no more calls (it is being terminated or has died): replace it. */
  retired(worker: PoolWorker): void;
  /**
   * The thread is gone and every reply it sent has arrived. `unstarted` never began (safe to
   * run elsewhere); `lost` had started or may have, and their results are gone.
   */
  exited(worker: PoolWorker, unstarted: Job[], lost: Job[], cause: Error): void;
}

export interface WorkerSpawn {
  readonly url: URL;
  /** Calls a worker may hold at once (the pool's pipeline). */
  readonly inFlight: number;
  readonly init: Omit<WorkerInit, 'calls' | 'progress' | 'output'>;
  /** Receives the C output lines; null drops them in the worker. */
  readonly sink: OutputSink | null;
  /** The sandbox must be up this long after the thread was asked to start (C constructors and _initialize included; Infinity: no deadline). */
  readonly startTimeoutMs: number;
}

export class PoolWorker {
  /** The pool slot it serves; -1 while it is the warm spare. */
  slot = -1;
  /** Settles when the sandbox in the thread is up; rejects with the load error if it cannot start. */
  readonly ready: Promise<void>;
  private readonly thread: Worker;
  private readonly port: MessagePort;
  private readonly progress: CallProgress;
  /** Parameter count by fnIndex: how many arguments follow each call in a batch. */
  private readonly arity: number[];
  /** Metered module: deadlines travel with the calls; terminating is the backstop, this late. */
  private readonly metered: boolean;
  private readonly backstopMs: number;
  /** Calls sent and not answered, in the order sent (= the order the thread runs them). */
  private readonly inFlight: Job[] = [];
  private sent = 0;
  /** Why it was retired (told to the calls that lose their results with it); null while serving. */
  private retiredFor: Error | null = null;
  /** Why its sandbox could not start (it was retired for that); null otherwise. */
  startError: Error | null = null;
  private isReady = false;
  /** False once the thread has exited and its last replies have been handled. */
  alive = true;
  private referenced = true;
  private watchdog: NodeJS.Timeout | undefined;
  private watchdogAt = Infinity;
  private readonly gone: Promise<void>;

  constructor(private readonly host: WorkerHost, spawn: WorkerSpawn) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.progress = CallProgress.create(spawn.inFlight);
    this.arity = arities(spawn.init.compiled);
    this.metered = isMetered(spawn.init.compiled);
    this.backstopMs = this.metered ? METERED_BACKSTOP_MS : 0;
    const output = spawn.sink ? receiveOutput(spawn.sink) : null;
    this.thread = new Worker(spawn.url, {
      execArgv: workerExecArgv(),
      workerData: { ...spawn.init, calls: port2, progress: this.progress.buffer, output: output?.end ?? null } satisfies WorkerInit,
      transferList: output ? [port2, output.end.port] : [port2],
    });
    this.port.on('message', (reply: CallReply) => this.reply(reply));
    this.port.unref();
    const threadExited = new Promise<Error>((resolve) => {
      let failure: Error | undefined;
      this.thread.on('error', (error) => { failure = error; });
      this.thread.once('exit', (code) => resolve(failure ?? new Error(`exited with code ${code}`)));
    });
    // A thread terminated before it took its end of the channel never closes it: once the thread
    // is gone, replies already sent arrive within a turn or two, so close our end after a grace.
    const portClosed = new Promise<void>((resolve) => {
      this.port.once('close', resolve);
      void threadExited.then(() => setTimeout(() => this.port.close(), AFTER_EXIT_GRACE_MS));
    });
    // The last replies are delivered before the port's 'close'; the progress is final at 'exit'.
    this.gone = Promise.all([threadExited, portClosed]).then(([cause]) => {
      output?.close();
      this.exited(cause);
    });
    const control = Comlink.wrap<WorkerControl>(nodeEndpoint(this.thread));
    const started = control.start();
    // A sandbox that fails to start throws in the worker, which then exits: its typed error may
    // arrive just after 'exit', and it says more than "exited with code 1".
    const exitedWhileStarting = threadExited.then((cause) => new Promise<never>((_, reject) => {
      setTimeout(() => reject(cause), AFTER_EXIT_GRACE_MS);
    }));
    // Start-up code (C constructors, _initialize) may never return: past the deadline the
    // thread is terminated like a runaway call.
    let startTimer: NodeJS.Timeout | undefined;
    const startDeadline = new Promise<never>((_, reject) => {
      if (spawn.startTimeoutMs === Infinity) return;
      startTimer = setTimeout(() => reject(new CboxLoadError('init-timeout',
        `${spawn.init.compiled.stamp.name}: the module's start-up (C constructors, _initialize) did not finish within startTimeoutMs (${spawn.startTimeoutMs} ms); its worker thread was terminated`)), spawn.startTimeoutMs);
    });
    this.ready = Promise.race([started, exitedWhileStarting, startDeadline]).finally(() => clearTimeout(startTimer)).then(() => {
      this.isReady = true;
      this.updateRef();
      if (!this.retiredFor) this.host.startSucceeded(this);
    });
    this.ready.catch((error: unknown) => {
      if (this.retiredFor) return; // terminated while starting: not a failure to start
      this.startError = error as Error;
      this.host.startFailed(this, error as Error);
      this.stop(error as Error);
    });
  }

  get threadId(): number {
    return this.thread.threadId;
  }

  get pending(): number {
    return this.inFlight.length;
  }

  /** Open for calls: not retired, and not holding a call that can be aborted (those run alone). */
  get accepts(): boolean {
    return this.retiredFor === null && this.inFlight[0]?.signal === undefined;
  }

  get started(): boolean {
    return this.isReady;
  }

  /** It takes no more calls (terminated, dying, or its sandbox could not start). */
  get retired(): boolean {
    return this.retiredFor !== null;
  }

  /** Sends calls in one message; a call whose arguments cannot cross threads is rejected alone. */
  send(jobs: readonly Job[], argumentError: (job: Job, error: Error) => void): void {
    const batch: CallBatch = [];
    const transfer: ArrayBuffer[] = [];
    for (const job of jobs) {
      this.append(batch, job);
      if (job.transfer) collectTransfer(job.args, transfer);
    }
    try {
      if (transfer.length > 0) this.port.postMessage(batch, transfer);
      else this.port.postMessage(batch); // an empty transfer list still costs a pass over it
      jobs.forEach((job) => this.track(job));
    } catch {
      for (const job of jobs) {
        try {
          this.port.postMessage(this.append([], job));
          this.track(job);
        } catch (error) {
          argumentError(job, error as Error);
        }
      }
    }
    this.updateRef();
  }

  private append(batch: CallBatch, job: Job): CallBatch {
    batch.push(job.fnIndex);
    if (this.metered) batch.push(job.timeoutMs === Infinity ? 0 : job.timeoutMs);
    for (let i = 0; i < this.arity[job.fnIndex]!; i++) batch.push(job.args[i]);
    return batch;
  }

  private track(job: Job): void {
    job.seq = ++this.sent;
    job.worker = this;
    this.inFlight.push(job);
    if (job.timeoutMs !== Infinity) this.armWatchdog(epochMs() + job.timeoutMs + this.backstopMs);
  }

  private reply(reply: CallReply): void {
    // A call given up on (deadline, abort) stays in line until its worker is gone, so a reply
    // that still comes for it is matched to it and dropped, not to the next call.
    const job = this.inFlight.shift()!;
    this.updateRef();
    if (!job.settled) this.host.answered(this, job, reply, this.progress.startedAt(job.seq), this.progress.runMs(job.seq));
  }

  /** The calls sent here and not answered, in order. */
  get jobs(): readonly Job[] {
    return this.inFlight;
  }

  /** A job sent here was aborted (the pool has settled it): stop it with the thread. */
  abort(job: Job): void {
    if (this.inFlight.includes(job)) this.stop(new Error('was terminated to stop an aborted call'));
  }

  /** Retires the worker and terminates its thread; resolves once it is gone. */
  terminate(cause: Error): Promise<void> {
    this.stop(cause);
    return this.gone;
  }

  private stop(cause: Error): void {
    if (this.retiredFor) return;
    this.retiredFor = cause;
    clearTimeout(this.watchdog);
    this.host.retired(this);
    void this.thread.terminate();
  }

  private exited(cause: Error): void {
    clearTimeout(this.watchdog);
    if (!this.retiredFor) this.stop(new Error(`exited unexpectedly (${cause.message})`, { cause }));
    this.alive = false;
    const { call } = this.progress.read();
    const jobs = this.inFlight.splice(0).filter((job) => !job.settled);
    this.host.exited(this, jobs.filter((job) => job.seq > call), jobs.filter((job) => job.seq <= call), this.retiredFor!);
  }

  // Deadlines: one timer per worker, set for the earliest moment a sent call could pass its
  // deadline. A call's clock starts when the thread starts it (CallProgress), so a call that
  // waited behind another is not charged for the wait.
  private armWatchdog(at: number): void {
    if (at >= this.watchdogAt) return;
    clearTimeout(this.watchdog);
    this.watchdogAt = at;
    this.watchdog = setTimeout(() => this.checkDeadlines(), Math.max(0, at - epochMs()) + 1).unref();
  }

  private checkDeadlines(): void {
    this.watchdogAt = Infinity;
    if (this.retiredFor) return;
    const now = epochMs();
    const start = this.progress.read();
    let next = Infinity;
    for (const job of this.inFlight) {
      // Finished (its reply is on the way) or nothing to enforce.
      if (job.settled || job.timeoutMs === Infinity || job.seq <= start.finished) continue;
      if (job.seq === start.call) {
        const deadline = start.startedAt + job.timeoutMs + this.backstopMs;
        if (now >= deadline) {
          const trap = this.host.timedOut(this, job, start);
          this.stop(new Error(`was terminated when another call on it (${trap.function}) ran past its deadline`));
          return;
        }
        next = Math.min(next, deadline);
      } else {
        next = Math.min(next, now + job.timeoutMs + this.backstopMs); // not started: cannot expire before this
      }
    }
    if (next !== Infinity) this.armWatchdog(next);
  }

  /** An idle, started worker must not keep the process alive; one that is starting or busy must. */
  private updateRef(): void {
    const needed = !this.isReady || this.inFlight.length > 0;
    if (needed === this.referenced) return;
    this.referenced = needed;
    if (needed) this.thread.ref();
    else this.thread.unref();
  }
}

/**
 * Workers inherit the process's Node flags, and one started from a file fails to load under
 * `node --input-type=module -e ...`: then they get the flags minus --input-type. Otherwise they
 * inherit them as usual (an explicit list would be refused if it named a per-process flag).
 */
function workerExecArgv(): string[] | undefined {
  const inputType = (arg: string, index: number, all: readonly string[]): boolean => arg.startsWith('--input-type') || all[index - 1] === '--input-type';
  return process.execArgv.some(inputType) ? process.execArgv.filter((arg, index, all) => !inputType(arg, index, all)) : undefined;
}

/** Buffers of bytes arguments that a view spans whole (moving part of a buffer would detach the rest). */
function collectTransfer(args: readonly unknown[], transfer: ArrayBuffer[]): void {
  for (const arg of args) {
    if (arg instanceof Uint8Array && arg.buffer instanceof ArrayBuffer && arg.byteOffset === 0
      && arg.byteLength === arg.buffer.byteLength && !transfer.includes(arg.buffer)) {
      transfer.push(arg.buffer);
    }
  }
}
