// One live WebAssembly instance of a cbox module: its own memory (maximum = the memory limit),
// its own WASI host, and the arena its calls marshal through (marshalling.ts). Starting one runs
// the module's C start-up code; whatever goes wrong there (a trap, a link error, a missing
// export, a bad arena) is a CboxLoadError, never a raw engine error.
import { callbackSlots } from './abi.js';
import { CALLBACK_POINTER_EXPORT } from './callback-type.js';
import { refusedCallbackImports } from './callbacks.js';
import type { CompiledModule } from './compiled-module.js';
import { CboxError, CboxLoadError } from './errors.js';
import { linkImports, memoryDescriptor } from './linker.js';
import { Marshalling } from './marshalling.js';
import { InstanceMeter, MeterPolicy, MeterStop } from './metering/meter.js';
import { createWasiHost, type WasiHost, type WasiOptions } from './wasi/host.js';

type ExportFn = (...args: any[]) => any;

export class SandboxInstance {
  readonly memory: WebAssembly.Memory;
  /** Library exports in the order of the stamp's export list. */
  readonly fns: ExportFn[];
  /** Per export, in the same order: the C function that releases its owned cstring result, or null. */
  readonly frees: (ExportFn | null)[];
  readonly arena: Marshalling;
  /** Per callback slot (callbacks.ts): the table index C calls it through. */
  readonly callbackPointers: readonly number[];
  calls = 0;
  private readonly wasi: WasiHost;
  private readonly stackPointer: WebAssembly.Global;

  /** `meterPolicy`: the sandbox's deadlines and fuel, for a metered module. */
  constructor(
    readonly compiled: CompiledModule, readonly generation: number, limitBytes: number, wasi: WasiOptions,
    meterPolicy: MeterPolicy | null = null, callbacks: ((instance: SandboxInstance) => WebAssembly.Imports) | null = null,
  ) {
    const { name } = compiled.stamp;
    this.memory = new WebAssembly.Memory(memoryDescriptor(compiled.memory, limitBytes, name));
    try {
      this.wasi = createWasiHost(wasi);
    } catch (error) {
      // Grants that cannot be given (a preopen that is gone) keep their code: 'bad-wasi-options'.
      throw error instanceof CboxError ? new CboxLoadError(error.code, error.message, { cause: error }) : error;
    }
    // Metered modules: start-up code runs under the start deadline, each export under the call's limits.
    const policy = compiled.stamp.metered === true ? meterPolicy ?? MeterPolicy.unlimited() : null;
    const meter = policy ? new InstanceMeter(policy) : null;
    try {
      meter?.begin({ timeoutMs: policy!.startTimeoutMs });
      const instance = new WebAssembly.Instance(compiled.module, linkImports(this.memory, this.wasi.imports, { ...meter?.imports, ...(callbacks ? callbacks(this) : refusedCallbackImports(compiled.stamp)) }));
      this.wasi.bind(this.memory);
      const exports = instance.exports as Record<string, any>;
      if (meter && !meter.bind(exports)) throw new CboxLoadError('abi-stamp-corrupt', `${name}: stamped metered, but its fuel global is not a mutable i32`);
      const bound = (fn: string): ExportFn => (meter ? meter.wrap(exports[fn]) : exports[fn]) as ExportFn;
      this.fns = Object.keys(compiled.stamp.exports).map(bound);
      this.frees = Object.values(compiled.stamp.exports).map((signature) => (signature.free === undefined ? null : bound(signature.free)));
      this.stackPointer = exports.__stack_pointer;
      exports._initialize();
      const header = exports.cbox_arena_header() >>> 0;
      if (header === 0) throw new CboxLoadError('init-failed', `${name}: no memory for the ${compiled.stamp.arenaSize}-byte arena under the memory limit`);
      this.arena = new Marshalling(this.memory, header, exports.cbox_alloc, exports.cbox_arena_release);
      // Tainted like every answer, but only ever handed back to C, which calls through it.
      this.callbackPointers = callbackSlots(compiled.stamp).map((_, n) => exports[CALLBACK_POINTER_EXPORT](n) >>> 0);
    } catch (error) {
      this.wasi.reset();
      if (error instanceof CboxLoadError) throw error;
      if (error instanceof MeterStop) throw new CboxLoadError('init-timeout', `${name}: the module's start-up code ran past its ${policy!.startTimeoutMs} ms start deadline (startTimeoutMs)`, { cause: error });
      const why = error instanceof CboxError ? error.message : `${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}`;
      throw new CboxLoadError('init-failed', `${name}: the module could not start: ${why}`, { cause: error });
    }
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  get stackPointerValue(): number | null {
    try {
      return (this.stackPointer.value as number) >>> 0;
    } catch {
      return null;
    }
  }

  dispose(): void {
    this.wasi.reset();
  }
}
