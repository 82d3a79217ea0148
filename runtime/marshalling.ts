// Marshalling: how a call's buffers cross into the sandbox and its answers come back out.
// Arguments (bytes, strings, the result slot) are written into the instance's arena, a region of
// linear memory the C runtime (c-src/runtime/cbox_rt.c) hands out at start-up; big ones spill to
// a heap block. Every answer read back is tainted: C wrote it, so every pointer and length is
// checked against the memory before a byte is copied. After each call the arena is empty again.
import { ARRAY_ELEMENTS, type ArrayType, type OutValueType } from './abi.js';
import { arrayLength, typedArraySet } from './arguments.js';
import { CboxCallError, CboxError } from './errors.js';

// struct cbox_arena_header in c-src/runtime/cbox_rt.c
const HEADER_BASE = 0;
const HEADER_CURSOR = 4;
const HEADER_END = 8;
const HEADER_SPILLED = 12;
const HEADER_OOM = 16;
const HEADER_TOUCHED = 20;
const HEADER_SIZE = 24;
const OUT_SIZE = 12;
/** An out-parameter's slot: room for the widest scalar (int64_t, double). */
const SLOT_SIZE = 8;
/** Strings up to this many units are converted by a JS loop when ASCII. */
const SHORT_STRING = 64;
/** Longest error message read back from C (cbox_return_error). */
const MAX_ERROR_MESSAGE = 4096;

/** How a slot of an out- or in/out parameter of this type is read and written. */
export function slotKind(type: OutValueType): 'i32' | 'i64' | 'f32' | 'f64' {
  switch (type) {
    case 'i64': case 'u64': case 'i53': case 'u53': return 'i64';
    case 'f32': return 'f32';
    case 'f64': return 'f64';
    // i32, u32, and a handle C writes (a pointer)
    default: return 'i32';
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class Marshalling {
  private readonly base: number;
  private readonly end: number;
  private readonly cursorSlot: number;
  private readonly spilledSlot: number;
  private readonly oomSlot: number;
  private readonly touchedSlot: number;
  private cursor: number;
  /** Where a call's arguments start: the base, or above what the calls a callback interrupted hold. */
  private floor: number;
  /** Per callback in progress (innermost last): the floor, the host's and C's cursors and the OOM flag to restore. */
  private readonly frames: number[] = [];
  private buffer: ArrayBuffer;
  private u8: Uint8Array;
  private u32: Uint32Array;
  private data: DataView;
  /** Views of the memory per typed-array class, made on first use (and again after a grow). */
  private arrayViews = new Map<unknown, ArrayLike<number> & { set(source: ArrayLike<number>, offset: number): void }>();

  /** `header` is what cbox_arena_header() answered: checked here, as everything C hands over. */
  constructor(
    private readonly memory: WebAssembly.Memory,
    header: number,
    private readonly alloc: (size: number) => number,
    private readonly release: () => void,
  ) {
    this.buffer = memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.data = new DataView(this.buffer);
    if (header % 4 !== 0 || header + HEADER_SIZE > this.u8.byteLength) throw new CboxError('bad-arena', `the arena header at 0x${header.toString(16)} lies outside the memory`);
    this.base = this.u32[(header + HEADER_BASE) >>> 2]!;
    this.end = this.u32[(header + HEADER_END) >>> 2]!;
    if (this.base === 0 || this.base > this.end || this.end > this.u8.byteLength) throw new CboxError('bad-arena', `the arena [0x${this.base.toString(16)}, 0x${this.end.toString(16)}) lies outside the memory`);
    this.cursorSlot = (header + HEADER_CURSOR) >>> 2;
    this.spilledSlot = (header + HEADER_SPILLED) >>> 2;
    this.oomSlot = (header + HEADER_OOM) >>> 2;
    this.touchedSlot = (header + HEADER_TOUCHED) >>> 2;
    this.cursor = this.floor = this.base;
  }

  /** Views are re-made when the memory grew: a grow detaches the old buffer, which leaves the old
   * views empty (a length read is far cheaper than the memory.buffer getter, ~20 ns a call). */
  private views(): Uint8Array {
    if (this.u8.length === 0) {
      const buffer = this.memory.buffer;
      this.buffer = buffer;
      this.u8 = new Uint8Array(buffer);
      this.u32 = new Uint32Array(buffer);
      this.data = new DataView(buffer);
      this.arrayViews.clear();
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
    if (pointer === 0 || pointer + size > this.views().byteLength) {
      this.reset();
      throw new CboxError('arena-full', `no room for a ${size}-byte argument in the sandbox (memory limit reached)`);
    }
    return pointer;
  }

  /** Every marshalling call starts from an empty arena, whatever a failed call left. */
  begin(): void {
    this.cursor = this.floor;
  }

  /**
   * A callback starts: calls it makes into the library marshal above everything the interrupted
   * calls hold (their arguments, and C's scratch up to C's own cursor), so none is overwritten.
   */
  enterFrame(): void {
    this.views();
    const cCursor = this.u32[this.cursorSlot]!;
    this.frames.push(this.floor, this.cursor, cCursor, this.u32[this.oomSlot]!);
    this.floor = this.cursor = (Math.max(this.cursor, cCursor <= this.end ? cCursor : this.end) + 15) & ~15;
    this.u32[this.cursorSlot] = this.cursor;
  }

  /** The callback returned (or threw): the interrupted call's arena as it was; it settles when it returns. */
  exitFrame(): void {
    this.views();
    const frames = this.frames;
    this.u32[this.oomSlot] = frames.pop()!;
    this.u32[this.cursorSlot] = frames.pop()!;
    this.cursor = frames.pop()!;
    this.floor = frames.pop()!;
    this.u32[this.touchedSlot] = 1;
  }

  putBytes(data: Uint8Array, length: number): number {
    const pointer = this.reserve(length);
    this.views().set(data, pointer);
    return pointer;
  }

  /** A typed array's `count` elements (checked by arrayLength), copied as they are: no per-call view of the source. */
  putArray(array: ArrayLike<number>, count: number, type: ArrayType): number {
    const { bytes, view } = ARRAY_ELEMENTS[type];
    const pointer = this.reserve(count * bytes);
    this.views();
    let target = this.arrayViews.get(view);
    if (target === undefined) {
      target = new view(this.buffer);
      this.arrayViews.set(view, target);
    }
    // The arena and spilled blocks are 16-byte aligned, so the pointer is a whole element index.
    target.set(array, pointer / bytes);
    return pointer;
  }

  /** UTF-8 bytes of the last string put (without its NUL): a `text` parameter's length. */
  textLength = 0;

  /** A string as UTF-8 with a NUL after it; its byte length is left in textLength. */
  putString(text: string): number {
    if (text.length <= SHORT_STRING) {
      // Short ASCII strings: a plain loop beats encodeInto's call into C++.
      const pointer = this.reserve(text.length * 3 + 1);
      const memory = this.views();
      let written = 0;
      for (; written < text.length; written++) {
        const unit = text.charCodeAt(written);
        if (unit >= 0x80) break;
        memory[pointer + written] = unit;
      }
      if (written < text.length) written = utf8Encoder.encodeInto(text, memory.subarray(pointer, pointer + text.length * 3)).written;
      memory[pointer + written] = 0;
      this.textLength = written;
      return pointer;
    }
    // Longer strings get exactly their UTF-8 size, so a big text costs its bytes, not 3x them.
    const size = Buffer.byteLength(text, 'utf8');
    const pointer = this.reserve(size + 1);
    const memory = this.views();
    utf8Encoder.encodeInto(text, memory.subarray(pointer, pointer + size));
    memory[pointer + size] = 0;
    this.textLength = size;
    return pointer;
  }

  /** The cbox_out slot a bytes or string result is answered in. */
  putOut(): number {
    const pointer = this.reserve(OUT_SIZE);
    this.views().fill(0, pointer, pointer + OUT_SIZE);
    return pointer;
  }

  /** A zeroed slot an out-parameter points at (C may leave it unwritten: it then reads 0). */
  putSlot(): number {
    return this.putZeroed(SLOT_SIZE);
  }

  /** A slot holding an in/out parameter's value (checked by the invoker) for C to read and change. */
  putSlotValue(value: number | bigint, kind: 'i32' | 'i64' | 'f32' | 'f64'): number {
    const pointer = this.putZeroed(SLOT_SIZE);
    const data = this.dataView;
    switch (kind) {
      case 'i32': data.setInt32(pointer, value as number, true); break;
      case 'i64': data.setBigInt64(pointer, value as bigint, true); break;
      case 'f32': data.setFloat32(pointer, value as number, true); break;
      case 'f64': data.setFloat64(pointer, value as number, true); break;
    }
    return pointer;
  }

  /** `size` zeroed bytes, 16-aligned: a slot, or a struct's bytes (padding included). */
  putZeroed(size: number): number {
    const pointer = this.reserve(size);
    this.views().fill(0, pointer, pointer + size);
    return pointer;
  }

  /** The memory as a DataView, fresh after a grow: struct fields are written and read through it. */
  get dataView(): DataView {
    this.views();
    return this.data;
  }

  /**
   * What C left in a writable array this call put at `pointer` (putArray), copied back into the
   * caller's array; false (nothing copied) when that array no longer has the `count` elements it had.
   */
  copyArrayBack(array: unknown, pointer: number, count: number, type: ArrayType): boolean {
    const { kind, view } = ARRAY_ELEMENTS[type];
    if (arrayLength(array, kind) !== count) return false;
    this.views();
    // The engine's own set(): a subclass that overrides set() gets no say (and cannot throw here).
    typedArraySet.call(array, new view(this.buffer, pointer, count));
    return true;
  }

  // What C wrote into a slot this call reserved (inside the memory by construction), read
  // before reset(). wasm is little-endian.
  slotI32(pointer: number): number {
    this.views();
    return this.data.getInt32(pointer, true);
  }

  slotI64(pointer: number): bigint {
    this.views();
    return this.data.getBigInt64(pointer, true);
  }

  slotF32(pointer: number): number {
    this.views();
    return this.data.getFloat32(pointer, true);
  }

  slotF64(pointer: number): number {
    this.views();
    return this.data.getFloat64(pointer, true);
  }

  /** Tells C's cbox_alloc where the host's arguments end. */
  commit(): void {
    this.views();
    this.u32[this.cursorSlot] = this.cursor;
  }

  /**
   * Whether a call that marshalled nothing needs settling: C took arena scratch (cbox_alloc), met
   * a failed malloc, or printed (markTouched). One read of a word set for each; a memory that grew leaves this
   * view empty, which reads as undefined and so also answers yes (reset() re-makes the views).
   * Resetting then means scratch never accumulates and an old allocation failure never colours
   * a later abort().
   */
  get touched(): boolean {
    return this.u32[this.touchedSlot] !== 0;
  }

  /** The host has something to do after this call (C printed a line). */
  markTouched(): void {
    this.views();
    this.u32[this.touchedSlot] = 1;
  }

  /** After every call: the arena is empty again; spilled heap blocks are freed; the OOM flag cleared. */
  reset(): void {
    this.views();
    this.cursor = this.floor;
    this.u32[this.cursorSlot] = this.floor;
    this.u32[this.oomSlot] = 0;
    this.u32[this.touchedSlot] = 0;
    // Inside a callback, spilled blocks may hold the interrupted call's arguments: the outermost
    // call's reset frees them all.
    if (this.u32[this.spilledSlot] !== 0 && this.frames.length === 0) this.release();
  }

  /** malloc failed since the last reset (set by the wrapped sbrk). */
  get allocationFailed(): boolean {
    this.views();
    return this.u32[this.oomSlot] !== 0;
  }

  /** Reads a cbox_out the C code filled in, checking every field against the memory. */
  private readOut(out: number, fn: string): [data: number, length: number] {
    const memory = this.views();
    const data = this.u32[out >>> 2]!;
    const length = this.u32[(out + 4) >>> 2]!;
    const error = this.u32[(out + 8) >>> 2]!;
    if (error !== 0) throw new CboxCallError(fn, this.readCString(error, MAX_ERROR_MESSAGE));
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

  /** A bytes result as a view into the memory (no copy): C's bytes only, read by the caller before the next call. */
  viewBytes(out: number, fn: string): Uint8Array {
    try {
      const [data, length] = this.readOut(out, fn);
      return new Uint8Array(this.views().buffer, data, length);
    } finally {
      this.reset();
    }
  }

  takeString(out: number, fn: string): string {
    try {
      const [data, length] = this.readOut(out, fn);
      return this.decode(data, length, fn);
    } finally {
      this.reset();
    }
  }

  /**
   * The NUL-terminated UTF-8 string C answered with a pointer to (a cstring result), copied out.
   * Tainted: the pointer must lie inside the memory and a NUL must end the string before the memory does.
   */
  cstringAt(pointer: number, fn: string): string {
    const memory = this.views();
    const end = pointer < memory.byteLength ? memory.indexOf(0, pointer) : -1;
    if (end < 0) throw new CboxCallError(fn, `the C function returned a string at 0x${pointer.toString(16)} that does not end inside the sandbox memory`, 'bad-result');
    return this.decode(pointer, end - pointer, fn);
  }

  /** A copy of `length` bytes C passed at `pointer` (a callback's argument), checked against the memory. */
  bytesAt(pointer: number, length: number, fn: string): Uint8Array {
    const memory = this.views();
    if (pointer + length > memory.byteLength) throw new CboxCallError(fn, `C passed ${length} bytes at 0x${pointer.toString(16)}, which lie outside the sandbox memory`, 'bad-result');
    return memory.slice(pointer, pointer + length);
  }

  /** `length` bytes of UTF-8 C passed at `pointer` (a callback's argument), as a string. */
  textAt(pointer: number, length: number, fn: string): string {
    if (pointer + length > this.views().byteLength) throw new CboxCallError(fn, `C passed ${length} bytes of text at 0x${pointer.toString(16)}, which lie outside the sandbox memory`, 'bad-result');
    return this.decode(pointer, length, fn);
  }

  /** `length` bytes of C's UTF-8 at `data` (already checked against the memory) as a string. */
  private decode(data: number, length: number, fn: string): string {
    const memory = this.views();
    if (length <= SHORT_STRING) {
      // Short ASCII strings: a plain loop beats TextDecoder's call into C++.
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
  }

  private readCString(pointer: number, maxLength: number): string {
    const memory = this.views();
    if (pointer >= memory.byteLength) return `<error message at 0x${pointer.toString(16)} lies outside the sandbox memory>`;
    let end = pointer;
    while (end < memory.byteLength && end - pointer < maxLength && memory[end] !== 0) end++;
    return lenientDecoder.decode(memory.subarray(pointer, end));
  }
}
