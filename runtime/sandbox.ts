// A sandbox: the live instance of a module plus a warm spare. When a call traps, the instance
// is thrown away (its shadow stack pointer and heap are suspect), the spare takes its place at
// once and a new spare is made off the hot path. Generations number the instances, so handles
// from a dead one are recognised.
// Starting an instance runs the module's C start-up code, which may fail (a file it depends on
// changed, a grant was removed). Such a failure never escapes as an exception from clean-up: the
// sandbox goes "down", calls get the start error as a CboxLoadError at once, and restarts are
// tried again with a growing delay until one works.
import { CboxClosedError, CboxError, CboxLoadError, CboxTrap, CboxCallError, emptyTrapCounts, type TrapKind } from './errors.js';
import { CallbackTable } from './callbacks.js';
import { crashReport, writeCrashReport, type CrashReportOptions } from './crash-report.js';
import { LibraryEmitter, type LibraryEvents } from './events.js';
import type { CompiledModule } from './compiled-module.js';
import { Handle, HandleOwner } from './handles.js';
import { SandboxInstance } from './instance.js';
import { OutputQueue } from './output-queue.js';
import { classifyTrap, isWasmTrap } from './traps.js';
import type { WasiOptions } from './wasi/host.js';
import type { CLogger } from './logger.js';
import type { MeterPolicy } from './metering/meter.js';

export type { CrashReportOptions } from './crash-report.js';

export interface SandboxOptions {
  readonly memoryLimit: number;
  /** Capabilities; stdout/stderr are the sandbox's own (see logger). */
  readonly wasi: Omit<WasiOptions, 'stdout' | 'stderr'>;
  /** Where C's output lines go, after each call returns; null drops them. */
  readonly logger: Required<CLogger> | null;
  /** Keep a warm spare instance so recovery from a trap is a swap (default true). */
  readonly spare: boolean;
  readonly crashReports?: CrashReportOptions | undefined;
  /** The table cap modules were checked against (a reload checks the new one against it too). */
  readonly tableLimit?: number | undefined;
  /** Deadlines and fuel, for a metered module (null otherwise). */
  readonly meter?: MeterPolicy | null;
}

export interface SandboxStats {
  readonly calls: number;
  readonly traps: Readonly<Record<TrapKind, number>>;
  readonly recycles: number;
  readonly generation: number;
  readonly memory: { readonly size: number; readonly limit: number; readonly highWater: number };
  /** Metered modules: work units the last call and all calls used. */
  readonly fuel?: { readonly lastCall: number; readonly total: number };
}

/** First delay before retrying a start that failed; it doubles up to the maximum. */
const RESTART_DELAY_MS = 50;
const MAX_RESTART_DELAY_MS = 5_000;

export class Sandbox {
  /** The newest instance: the live one, or the last one to have died while no other could start. */
  current: SandboxInstance;
  /** The instance calls run on; null while closed or while no instance can start. */
  callable: SandboxInstance | null;
  readonly events = new LibraryEmitter<LibraryEvents>();
  readonly owner: HandleOwner;
  private spare: SandboxInstance | null = null;
  private readonly retiring: SandboxInstance[] = [];
  private readonly output: OutputQueue;
  private housekeepingScheduled = false;
  private generations = 0;
  private retiredCalls = 0;
  private recycles = 0;
  private memoryHighWater = 0;
  private readonly traps = emptyTrapCounts();
  private closed = false;
  /** While down: why the last start failed, how many in a row, and when the next may be tried. */
  private down: { error: CboxLoadError; attempts: number; retryAt: number; timer: NodeJS.Timeout } | null = null;

  /** The module instances are made from; replaced by a hot reload (replaceModule). */
  compiled: CompiledModule;
  /** The library's callback parameters and the JS functions bound to them. */
  readonly callbacks: CallbackTable;

  /** Throws the CboxLoadError of the first instance's start: a sandbox that never started does not exist. */
  constructor(compiled: CompiledModule, readonly options: SandboxOptions) {
    this.compiled = compiled;
    this.owner = new HandleOwner(compiled.stamp.name);
    this.callbacks = new CallbackTable(compiled.stamp);
    this.output = new OutputQueue(options.logger);
    this.current = this.newInstance();
    this.callable = this.current;
    this.deliverOutput();
    if (options.spare) this.spare = this.trySpare();
  }

  // A line printed during a call also marks the arena touched, so the one check an invoker makes
  // after a numeric call covers output too. (Lines from start-up code are delivered after it.)
  private readonly stdout = (line: string): void => { this.output.stdout(line); this.callable?.arena.markTouched(); };
  private readonly stderr = (line: string): void => { this.output.stderr(line); this.callable?.arena.markTouched(); };

  private readonly callbackImports = (instance: SandboxInstance): WebAssembly.Imports => this.callbacks.imports(this, instance);

  get name(): string { return this.compiled.stamp.name; }
  get generation(): number { return this.current.generation; }

  private newInstance(): SandboxInstance {
    return new SandboxInstance(
      this.compiled, ++this.generations, this.options.memoryLimit, { ...this.options.wasi, stdout: this.stdout, stderr: this.stderr },
      this.options.meter, this.callbackImports,
    );
  }

  /** A spare, or null when none can start now (the next recycle will tell). */
  private trySpare(): SandboxInstance | null {
    try {
      return this.newInstance();
    } catch {
      return null;
    }
  }

  /** Replace the live instance (after a trap, or on request); returns the new generation. */
  recycle(reason: string): number {
    if (this.closed) throw new CboxClosedError(`${this.name}: the library is closed`);
    const dead = this.current;
    if (this.callable !== null) this.retire(dead);
    this.callable = null;
    const usedSpare = this.spare !== null;
    const next = this.spare ?? this.startOrGoDown();
    this.spare = null;
    this.recycles++;
    if (next !== null) this.goLive(next, reason, dead.generation, usedSpare);
    return this.current.generation;
  }

  private goLive(next: SandboxInstance, reason: string, fromGeneration: number, usedSpare: boolean): void {
    this.current = next;
    this.callable = next;
    this.callbacks.clear();
    this.events.emit('recycle', { library: this.name, reason, fromGeneration, toGeneration: next.generation, usedSpare });
    this.deliverOutput();
    this.scheduleHousekeeping();
  }

  /** A fresh instance, or null with the sandbox marked down and a retry scheduled. */
  private startOrGoDown(): SandboxInstance | null {
    try {
      const started = this.newInstance();
      this.clearDown();
      return started;
    } catch (error) {
      this.goDown(error);
      return null;
    }
  }

  private goDown(error: unknown): void {
    // A typed refusal keeps its code (a grant that is gone: 'bad-wasi-options'); anything else failed the start.
    const startError = error instanceof CboxLoadError ? error
      : error instanceof CboxError ? new CboxLoadError(error.code, error.message, { cause: error })
        : new CboxLoadError('init-failed', `${this.name}: the module could not start: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    const attempts = (this.down?.attempts ?? 0) + 1;
    const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** (attempts - 1));
    if (this.down) clearTimeout(this.down.timer);
    // The timer keeps trying even when no call comes, so events tell when the library is back;
    // unref'd, it never keeps the process alive on its own.
    const timer = setTimeout(() => this.restart('restart'), delay).unref();
    this.down = { error: startError, attempts, retryAt: Date.now() + delay, timer };
    this.deliverOutput();
    this.events.emit('start-failed', { library: this.name, attempt: attempts, retryInMs: delay, error: startError });
  }

  private clearDown(): void {
    if (this.down) clearTimeout(this.down.timer);
    this.down = null;
  }

  /** Tries to bring a down sandbox back; true when it is live. */
  private restart(reason: string): boolean {
    if (this.closed || this.callable !== null) return this.callable !== null;
    const next = this.startOrGoDown();
    if (next === null) return false;
    this.goLive(next, reason, this.current.generation, false);
    return true;
  }

  /**
   * Called by an invoker when `callable` is null: the instance to call if a due restart works,
   * else the typed reason there is none (closed, or the start error with when it is retried).
   */
  unavailable(): SandboxInstance {
    if (this.closed) throw new CboxClosedError(`${this.name}: the library is closed`);
    const down = this.down!;
    if (Date.now() >= down.retryAt && this.restart('restart')) return this.callable!;
    const { error, retryAt, attempts } = this.down!;
    throw new CboxLoadError(error.code, `${error.message} (the sandbox is down after ${attempts} failed start${attempts === 1 ? '' : 's'}; next try in ${Math.max(0, retryAt - Date.now())} ms)`, { cause: error });
  }

  /** Hot reload: instances now come from `compiled` (its ABI checked by the caller) and the live
   * one is replaced by a fresh instance of it at once; returns the new generation. */
  replaceModule(compiled: CompiledModule): number {
    if (this.closed) throw new CboxClosedError(`${this.name}: the library is closed`);
    const previous = this.compiled;
    this.compiled = compiled;
    let fresh: SandboxInstance;
    try {
      fresh = this.newInstance();
    } catch (error) {
      this.compiled = previous;
      throw error;
    }
    this.spare?.dispose();
    this.spare = fresh;
    return this.recycle('reload');
  }

  /** Counts what the instance did; its WASI files are closed off the hot path, with the next
   * spare. In a burst of traps at most one dead instance (and its memory) waits for that. */
  private retire(instance: SandboxInstance): void {
    this.retiredCalls += instance.calls;
    this.memoryHighWater = Math.max(this.memoryHighWater, instance.memoryBytes);
    for (const waiting of this.retiring.splice(0)) waiting.dispose();
    this.retiring.push(instance);
    this.scheduleHousekeeping();
  }

  private scheduleHousekeeping(): void {
    if (this.housekeepingScheduled) return;
    this.housekeepingScheduled = true;
    setImmediate(() => this.housekeeping());
  }

  private housekeeping(): void {
    this.housekeepingScheduled = false;
    for (const instance of this.retiring.splice(0)) instance.dispose();
    if (!this.closed && this.callable !== null && this.options.spare && this.spare === null) this.spare = this.trySpare();
    this.deliverOutput();
  }

  /** After a call returned: the arena empty again, C's output delivered. */
  settle(instance: SandboxInstance): void {
    instance.arena.reset();
    this.deliverOutput();
  }

  /** Hands the lines C wrote to the logger (never while C runs: a logger may call this library). */
  deliverOutput(): void {
    if (this.output.pending && this.callbacks.depth === 0) this.output.deliver(this.name);
  }

  /** Called by an invoker when the wasm call threw: classify, report, recycle. Returns what to throw. */
  fail(error: unknown, fn: string, args: readonly unknown[]): unknown {
    // A callback's exception unwound C's frames: that instance is suspect (its shadow stack, any
    // lock C held). Recycled once, by the innermost call it crossed; the caller gets the exception.
    const unwound = this.callbacks.takeUnwound(error);
    if (unwound !== null) {
      if (this.callable === unwound) this.recycle(`a callback threw through C in ${fn}`);
      this.deliverOutput();
      return error;
    }
    // cbox's own refusals (closed, arena full) are not traps; the instance stays as it is.
    if (error instanceof CboxError) {
      this.deliverOutput();
      return error;
    }
    const dead = this.current;
    if (!isWasmTrap(error)) {
      // A host function threw through C (a host bug): the instance's state is suspect.
      const detail = `the host failed during the call (${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)})`;
      this.recycle(`host error during ${fn}`);
      return new CboxCallError(fn, detail, 'host-error', { cause: error });
    }
    const classified = classifyTrap(error, {
      stackPointer: dead.stackPointerValue, stackSize: this.compiled.stamp.stackSize, allocationFailed: dead.arena.allocationFailed,
    });
    const report = crashReport(classified, fn, args, dead, this);
    const trap = new CboxTrap(report, { cause: error });
    this.traps[trap.kind]++;
    const memoryDump = this.options.crashReports?.memoryDump ? new Uint8Array(dead.memory.buffer) : null;
    this.recycle(`trap ${trap.kind} in ${fn}`);
    if (this.options.crashReports) {
      Object.assign(report, { files: writeCrashReport(report, this.options.crashReports.dir, memoryDump) });
    }
    this.events.emit('trap', { library: this.name, error: trap });
    return trap;
  }

  /** Memory high-water over every instance so far, this one included. */
  highWater(instance: SandboxInstance): number {
    return Math.max(this.memoryHighWater, instance.memoryBytes);
  }

  wrapHandle(address: number): Handle | null {
    return address === 0 ? null : new Handle(this.owner, this.current.generation, address >>> 0);
  }

  stats(): SandboxStats {
    const live = this.callable;
    return {
      calls: this.retiredCalls + (live?.calls ?? 0),
      traps: { ...this.traps },
      recycles: this.recycles,
      generation: this.current.generation,
      memory: { size: live?.memoryBytes ?? 0, limit: this.options.memoryLimit, highWater: live ? this.highWater(live) : this.memoryHighWater },
      ...(this.options.meter ? { fuel: { lastCall: this.options.meter.lastCallFuel, total: this.options.meter.totalFuel } } : {}),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearDown();
    if (this.callable !== null) this.retire(this.callable);
    this.callable = null;
    this.housekeeping();
    this.spare?.dispose();
    this.spare = null;
  }
}
