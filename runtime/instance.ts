// One live WebAssembly instance of a cbox module: its own memory (maximum = the memory limit),
// its own WASI host, and the arena through which every call's buffers pass. Values read back
// from the sandbox (result pointers and lengths) are untrusted and checked before use.
import type { CompiledModule } from './compiled-module.js';
import { CboxCallError, CboxError, CboxLoadError } from './errors.js';
import { InstanceMeter, MeterPolicy, MeterStop } from './metering/meter.js';
import { WASM_PAGE } from './sizes.js';
import { createWasiHost, type WasiHost, type WasiOptions } from './wasi/host.js';

// struct cbox_arena_header in c-src/runtime/cbox_rt.c
const HEADER_CURSOR = 4;
const HEADER_SPILLED = 12;
const HEADER_OOM = 16;
const OUT_SIZE = 12;
/** Strings up to this many units are converted by a JS loop when ASCII. */
const SHORT_STRING = 64;

type ExportFn = (...args: any[]) => any;

function initTimeout(name: string, startTimeoutMs: number, cause: MeterStop): CboxLoadError {
  return new CboxLoadError('init-timeout', `${name}: the module's start-up code ran past its ${startTimeoutMs} ms start deadline (startTimeoutMs)`, { cause });
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export class SandboxInstance {
  readonly memory: WebAssembly.Memory;
  /** Library exports in the order of the stamp's export list. */
  readonly fns: ExportFn[];
  calls = 0;
  private readonly wasi: WasiHost;
  private readonly alloc: (size: number) => number;
  private readonly release: () => void;
  private readonly stackPointer: WebAssembly.Global;
  private readonly header: number;
  private readonly base: number;
  private readonly end: number;
  private cursor: number;
  private u8: Uint8Array;
  private u32: Uint32Array;

  constructor(readonly compiled: CompiledModule, readonly generation: number, limitBytes: number, wasi: WasiOptions, meterPolicy: MeterPolicy | null = null) {
    this.memory = new WebAssembly.Memory({ initial: compiled.memory.minPages, maximum: Math.floor(limitBytes / WASM_PAGE) });
    this.wasi = createWasiHost(wasi);
    // Metered modules: start-up code runs under the start deadline, each export under the call's limits.
    // (A metered build reloaded into a sandbox opened unmetered runs without limits.)
    const policy = compiled.stamp.metered === true ? meterPolicy ?? MeterPolicy.unlimited() : null;
    const meter = policy ? new InstanceMeter(policy) : null;
    meter?.begin({ timeoutMs: policy!.startTimeoutMs });
    let exports: Record<string, any>;
    try {
      const instance = new WebAssembly.Instance(compiled.module, {
        env: { memory: this.memory },
        wasi_snapshot_preview1: this.wasi.imports,
        ...meter?.imports,
      });
      exports = instance.exports as Record<string, any>;
      if (meter && !meter.bind(exports)) throw new CboxLoadError('abi-stamp-corrupt', `${compiled.stamp.name}: stamped metered, but its fuel global is not a mutable i32`);
    } catch (error) {
      this.wasi.reset();
      throw error instanceof MeterStop ? initTimeout(compiled.stamp.name, policy!.startTimeoutMs, error) : error;
    }
    this.wasi.bind(this.memory);
    this.fns = Object.keys(compiled.stamp.exports).map((name) => (meter ? meter.wrap(exports[name]) : exports[name]) as ExportFn);
    this.alloc = exports.cbox_alloc;
    this.release = exports.cbox_arena_release;
    this.stackPointer = exports.__stack_pointer;
    try {
      exports._initialize();
      this.header = exports.cbox_arena_header() >>> 0;
    } catch (error) {
      this.wasi.reset();
      if (error instanceof MeterStop) throw initTimeout(compiled.stamp.name, policy!.startTimeoutMs, error);
      throw new CboxLoadError('init-failed', `${compiled.stamp.name}: the module's initialisation trapped: ${(error as Error).message}`, { cause: error });
    }
    this.u8 = new Uint8Array(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
    if (this.header === 0) {
      this.wasi.reset();
      throw new CboxLoadError('init-failed', `${compiled.stamp.name}: no memory for the ${compiled.stamp.arenaSize}-byte arena under the memory limit`);
    }
    this.base = this.u32[this.header >>> 2]!;
    this.end = this.u32[(this.header + 8) >>> 2]!;
    this.cursor = this.base;
  }

  /** Views are re-made after memory.grow, which detaches the old buffer. */
  private views(): Uint8Array {
    if (this.u8.byteLength === 0) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.u32 = new Uint32Array(this.memory.buffer);
    }
    return this.u8;
  }

  /** Room for `size` bytes: the arena if it fits, else a heap block released after the call. */
  private reserve(size: number): number {
    const start = (this.cursor + 15) & ~15;
    if (start + size <= this.end) {
      this.cursor = start + size;
      return start;
    }
    this.commit();
    const pointer = this.alloc(size) >>> 0;
    if (pointer === 0) throw new CboxError('arena-full', `no room for a ${size}-byte argument in the sandbox (memory limit reached)`);
    return pointer;
  }

  /** Every marshalling call starts from an empty arena, whatever a failed call left. */
  begin(): void {
    this.cursor = this.base;
  }

  putBytes(data: Uint8Array): number {
    const pointer = this.reserve(data.byteLength);
    this.views().set(data, pointer);
    return pointer;
  }

  putString(text: string): number {
    // UTF-8 needs at most 3 bytes per UTF-16 unit, plus the NUL.
    const pointer = this.reserve(text.length * 3 + 1);
    const memory = this.views();
    let written = 0;
    if (text.length <= SHORT_STRING) {
      // Short ASCII strings: a plain loop beats encodeInto's call into C++.
      for (; written < text.length; written++) {
        const unit = text.charCodeAt(written);
        if (unit >= 0x80) break;
        memory[pointer + written] = unit;
      }
    }
    if (written < text.length) written = utf8Encoder.encodeInto(text, memory.subarray(pointer, pointer + text.length * 3)).written;
    memory[pointer + written] = 0;
    return pointer;
  }

  putOut(): number {
    const pointer = this.reserve(OUT_SIZE);
    this.views().fill(0, pointer, pointer + OUT_SIZE);
    return pointer;
  }

  /** Tells C's cbox_alloc where the host's arguments end. */
  commit(): void {
    this.views();
    this.u32[(this.header + HEADER_CURSOR) >>> 2] = this.cursor;
  }

  /** After every call: the arena is empty again; spilled heap blocks are freed. */
  reset(): void {
    this.views();
    this.cursor = this.base;
    this.u32[(this.header + HEADER_CURSOR) >>> 2] = this.base;
    if (this.u32[(this.header + HEADER_SPILLED) >>> 2] !== 0) this.release();
  }

  /** Reads a cbox_out the C code filled in, checking every field against the memory. */
  private readOut(out: number, fn: string): [data: number, length: number] {
    const memory = this.views();
    const data = this.u32[out >>> 2]!;
    const length = this.u32[(out + 4) >>> 2]!;
    const error = this.u32[(out + 8) >>> 2]!;
    if (error !== 0) throw new CboxCallError(fn, this.readCString(error, 4096));
    if (data === 0 && length === 0) throw new CboxCallError(fn, 'the C function returned without an answer (no cbox_return_* call)', 'no-result');
    if (data + length > memory.byteLength) throw new CboxCallError(fn, `the result (${length} bytes at 0x${data.toString(16)}) lies outside the sandbox memory`, 'bad-result');
    return [data, length];
  }

  takeBytes(out: number, fn: string): Uint8Array {
    try {
      const [data, length] = this.readOut(out, fn);
      return this.views().slice(data, data + length);
    } finally {
      this.reset();
    }
  }

  takeString(out: number, fn: string): string {
    try {
      const [data, length] = this.readOut(out, fn);
      const memory = this.views();
      if (length <= SHORT_STRING) {
        let ascii = '';
        let index = 0;
        for (; index < length; index++) {
          const byte = memory[data + index]!;
          if (byte >= 0x80) break;
          ascii += String.fromCharCode(byte);
        }
        if (index === length) return ascii;
      }
      try {
        return utf8Decoder.decode(memory.subarray(data, data + length));
      } catch {
        throw new CboxCallError(fn, 'the C function returned a string that is not valid UTF-8', 'bad-result');
      }
    } finally {
      this.reset();
    }
  }

  private readCString(pointer: number, maxLength: number): string {
    const memory = this.views();
    if (pointer >= memory.byteLength) return `<error message at 0x${pointer.toString(16)} lies outside the sandbox memory>`;
    let end = pointer;
    while (end < memory.byteLength && end - pointer < maxLength && memory[end] !== 0) end++;
    return new TextDecoder().decode(memory.subarray(pointer, end));
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

  get allocationFailed(): boolean {
    return this.views()[this.header + HEADER_OOM] !== 0;
  }

  /** C stdout/stderr lines still buffered (a partial last line). */
  flushOutput(): void {
    this.wasi.flush();
  }

  dispose(): void {
    this.wasi.flush();
    this.wasi.reset();
  }
}
