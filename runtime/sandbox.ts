// A sandbox: the live instance of a module plus a warm spare. When a call traps, the instance
// is thrown away (its shadow stack pointer and heap are suspect), the spare takes its place at
// once and a new spare is made off the hot path. Generations number the instances, so handles
// from a dead one are recognised.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CompiledModule } from './compiled-module.js';
import { CboxClosedError, CboxError, CboxTrap, StaleHandleError, TRAP_KINDS, type CrashReport, type TrapKind } from './errors.js';
import { LibraryEmitter, type LibraryEvents } from './events.js';
import { Handle, HandleOwner } from './handles.js';
import { SandboxInstance } from './instance.js';
import { classifyTrap, isWasmTrap, type Classified } from './traps.js';
import type { WasiOptions } from './wasi/host.js';
import { argumentShape } from './argument-shape.js';
import type { MeterPolicy } from './metering/meter.js';

export interface CrashReportOptions {
  /** Folder to write each crash report (JSON) into. */
  readonly dir: string;
  /** Also write the dead instance's linear memory (<report>.mem). */
  readonly memoryDump?: boolean;
}

export interface SandboxOptions {
  readonly memoryLimit: number;
  readonly wasi: WasiOptions;
  /** Keep a warm spare instance so recovery from a trap is a swap (default true). */
  readonly spare: boolean;
  readonly crashReports?: CrashReportOptions;
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

export class Sandbox {
  current: SandboxInstance;
  readonly events = new LibraryEmitter<LibraryEvents>();
  readonly owner: HandleOwner;
  private spare: SandboxInstance | null = null;
  private readonly retiring: SandboxInstance[] = [];
  private housekeepingScheduled = false;
  private generations = 0;
  private retiredCalls = 0;
  private recycles = 0;
  private memoryHighWater = 0;
  private readonly traps = Object.fromEntries(TRAP_KINDS.map((kind) => [kind, 0])) as Record<TrapKind, number>;
  private closed = false;

  /** The module instances are made from; replaced by a hot reload (replaceModule). */
  compiled: CompiledModule;

  constructor(compiled: CompiledModule, readonly options: SandboxOptions) {
    this.compiled = compiled;
    this.owner = new HandleOwner(compiled.stamp.name);
    this.current = this.newInstance();
    if (options.spare) this.spare = this.newInstance();
  }

  get name(): string { return this.compiled.stamp.name; }
  get generation(): number { return this.current.generation; }

  private newInstance(): SandboxInstance {
    return new SandboxInstance(this.compiled, ++this.generations, this.options.memoryLimit, this.options.wasi, this.options.meter);
  }

  /** Replace the live instance (after a trap, or on request); returns the new generation. */
  recycle(reason: string): number {
    if (this.closed) throw new CboxClosedError(`${this.name}: the library is closed`);
    const dead = this.current;
    this.retire(dead);
    const usedSpare = this.spare !== null;
    this.current = this.spare ?? this.newInstance();
    this.spare = null;
    this.recycles++;
    this.events.emit('recycle', { library: this.name, reason, fromGeneration: dead.generation, toGeneration: this.current.generation, usedSpare });
    return this.current.generation;
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
    if (this.closed || !this.options.spare || this.spare !== null) return;
    try {
      this.spare = this.newInstance();
    } catch {
      // Start-up failed this time (a start deadline, say): the next recycle instantiates on the
      // spot and its caller gets the typed error.
    }
  }

  /** Called by a binding wrapper when the wasm call threw: classify, report, recycle. */
  fail(error: unknown, fn: string, args: readonly unknown[]): Error {
    if (error instanceof CboxError) return error; // cbox's own refusals (closed, arena full) are not traps
    const dead = this.current;
    if (!isWasmTrap(error)) {
      // A host error (e.g. a logger that threw) unwound through C: the instance is still suspect.
      this.recycle(`host error during ${fn}`);
      return error as Error;
    }
    const classified = classifyTrap(error, {
      stackPointer: dead.stackPointerValue, stackSize: this.compiled.stamp.stackSize, allocationFailed: dead.allocationFailed,
    });
    const report = this.report(classified, fn, args, dead);
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

  /** A timeout or other trap decided outside the call (the pool's deadline). */
  recordTrap(kind: TrapKind): void {
    this.traps[kind]++;
  }

  private report(classified: Classified, fn: string, args: readonly unknown[], dead: SandboxInstance): CrashReport {
    return {
      kind: classified.kind,
      message: classified.message,
      export: fn,
      args: args.map(argumentShape),
      cStack: classified.cStack,
      ...(classified.exitCode !== undefined ? { exitCode: classified.exitCode } : {}),
      ...(classified.fuel !== undefined ? { fuel: classified.fuel } : {}),
      memory: { size: dead.memoryBytes, limit: this.options.memoryLimit, highWater: Math.max(this.memoryHighWater, dead.memoryBytes) },
      stackPointer: dead.stackPointerValue,
      stackSize: this.compiled.stamp.stackSize,
      callsSinceStart: dead.calls,
      module: { name: this.name, abiHash: this.compiled.stamp.hash, sha256: this.compiled.sha256 },
      generation: dead.generation,
      time: new Date().toISOString(),
    };
  }

  wrapHandle(address: number): Handle | null {
    return address === 0 ? null : new Handle(this.owner, this.current.generation, address >>> 0);
  }

  unwrapHandle(handle: unknown, fn: string, param: string): number {
    if (!(handle instanceof Handle)) throw new StaleHandleError(`${fn}: ${param} must be a Handle returned by this library (got ${describe(handle)})`);
    if (Handle.ownerOf(handle) !== this.owner) throw new StaleHandleError(`${fn}: ${param} is ${handle}, which belongs to another sandbox`);
    if (handle.generation !== this.current.generation) {
      throw new StaleHandleError(`${fn}: ${param} is ${handle}, from sandbox generation ${handle.generation}; the sandbox was recycled (now generation ${this.current.generation}) and the C object is gone`);
    }
    return handle.address;
  }

  stats(): SandboxStats {
    return {
      calls: this.retiredCalls + this.current.calls,
      traps: { ...this.traps },
      recycles: this.recycles,
      generation: this.current.generation,
      memory: { size: this.current.memoryBytes, limit: this.options.memoryLimit, highWater: Math.max(this.memoryHighWater, this.current.memoryBytes) },
      ...(this.options.meter ? { fuel: { lastCall: this.options.meter.lastCallFuel, total: this.options.meter.totalFuel } } : {}),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.retire(this.current);
    this.housekeeping();
    this.spare?.dispose();
    this.spare = null;
    this.current = closedInstance(this.name) as unknown as SandboxInstance;
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value as object).constructor?.name ?? 'object' : typeof value;
}


/** Stands in for the instance after close(): every use fails with CboxClosedError. */
function closedInstance(name: string): object {
  const fail = (): never => { throw new CboxClosedError(`${name}: the library is closed`); };
  return new Proxy({}, {
    get: (_target, property) => (property === 'fns' ? new Proxy([], { get: () => fail }) : property === 'calls' ? 0 : property === 'generation' ? -1 : fail),
    set: () => true,
  });
}

function writeCrashReport(report: CrashReport, dir: string, memory: Uint8Array | null): { report: string; memoryDump?: string } {
  mkdirSync(dir, { recursive: true });
  const stem = path.join(dir, `${report.module.name}-${report.time.replace(/[:.]/g, '-')}-gen${report.generation}-${report.kind}`);
  const files: { report: string; memoryDump?: string } = { report: `${stem}.json` };
  if (memory) {
    files.memoryDump = `${stem}.mem`;
    writeFileSync(files.memoryDump, memory);
  }
  writeFileSync(files.report, `${JSON.stringify({ ...report, files }, null, 2)}\n`);
  return files;
}
