// Turns what V8 throws out of a wasm call into a trap kind and a C stack. V8's trap messages
// name the fault; the C stack (from the name section) tells apart faults V8 reports alike:
// abort() and __builtin_trap() are both `unreachable`, a shadow-stack overflow is an
// out-of-bounds store made with a stack pointer that wrapped below zero.
import type { CFrame, TrapKind } from './errors.js';
import { WasiExit } from './wasi/host.js';
import { MeterStop } from './metering/meter.js';


/** What the sandbox can tell about the dead instance, read right after the trap. */
export interface TrapContext {
  /** __stack_pointer as an unsigned number, or null if unreadable. */
  readonly stackPointer: number | null;
  readonly stackSize: number;
  /** malloc's sbrk failed during this instance's life (set by the wrapped sbrk in cbox_rt.c). */
  readonly allocationFailed: boolean;
}

export interface Classified {
  readonly kind: TrapKind;
  readonly message: string;
  readonly cStack: CFrame[];
  readonly exitCode?: number;
  readonly fuel?: number;
}

const MESSAGE_KINDS: [RegExp, TrapKind][] = [
  [/divide by zero|remainder by zero/, 'divide-by-zero'],
  [/divide result unrepresentable|float unrepresentable in integer range/, 'integer-overflow'],
  [/null function or function signature mismatch|table index is out of bounds|function signature mismatch|indirect call/, 'indirect-call'],
  [/memory access out of bounds|data segment out of bounds|out of bounds memory access/, 'out-of-bounds'],
  [/unreachable/, 'unreachable'],
];

// wasi-libc's dlmalloc compiles its own corruption checks out, so a corrupt heap shows up as a
// wild access inside these.
const ALLOCATOR_FUNCTIONS = new Set(['dlfree', 'dlmalloc', 'dlrealloc', 'free', 'malloc', 'realloc', 'calloc', 'aligned_alloc']);

/** Strict mode's trap functions in cbox_rt.c, by name: what each one reports. */
const STRICT_HANDLERS = new Map<string, { kind: TrapKind; message: string }>([
  ['cbox_trap_null_dereference', { kind: 'null-dereference', message: 'NULL pointer access (strict mode)' }],
  ['cbox_trap_null_offset', {
    kind: 'out-of-bounds',
    message: 'pointer arithmetic on NULL: a non-zero offset added to a NULL pointer (strict mode, -fsanitize=pointer-overflow; no access was made yet)',
  }],
  ['cbox_trap_pointer_overflow', { kind: 'out-of-bounds', message: 'pointer arithmetic wrapped around the address space (strict mode, -fsanitize=pointer-overflow)' }],
]);

/** cbox's sanitizer handler frames (cbox_rt.c) dropped, so the library's function comes first. */
function withoutStrictHandlers(cStack: CFrame[]): CFrame[] {
  const first = cStack.findIndex((frame) => !/^(cbox_trap_|cbox_check_|__ubsan_handle_)/.test(frame.function));
  return first < 0 ? cStack : cStack.slice(first);
}

const FRAME = /^\s*at (?:(\S+) )?\(?wasm:\/\/wasm\/([^:]*):wasm-function\[(\d+)\]:(0x[0-9a-f]+)\)?/;

/** C frames of the trapping call, innermost first; the module-name prefix V8 adds is dropped. */
export function parseCStack(stack: string | undefined): CFrame[] {
  const frames: CFrame[] = [];
  for (const line of (stack ?? '').split('\n')) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const [, qualified, moduleUrl, index, offset] = match;
    // moduleUrl is "<module name>-<hash>"; V8 qualifies function names with "<module name>."
    const moduleName = moduleUrl!.replace(/-[0-9a-f]+$/, '');
    let name = qualified ?? `wasm-function[${index}]`;
    if (moduleName && name.startsWith(`${moduleName}.`)) name = name.slice(moduleName.length + 1);
    frames.push({ function: name, offset: Number.parseInt(offset!, 16) });
  }
  return frames;
}

// Node 20's lib types do not declare it yet; the engine has it.
const WasmException = (WebAssembly as unknown as { Exception: new (...args: never[]) => Error }).Exception;

export function isWasmTrap(error: unknown): boolean {
  return error instanceof WebAssembly.RuntimeError
    || error instanceof WasmException
    || (error instanceof RangeError && /Maximum call stack size exceeded/.test(error.message))
    || error instanceof WasiExit || error instanceof MeterStop;
}

export function classifyTrap(error: unknown, context: TrapContext): Classified {
  if (error instanceof WasiExit) {
    return { kind: 'exit', message: `the C code called exit(${error.code})`, cStack: parseCStack(error.stack), exitCode: error.code };
  }
  if (error instanceof WasmException) {
    // C has no exceptions: only a hand-made or miscompiled module throws one, and nothing in it caught it.
    return { kind: 'wasm-exception', message: 'the module threw a WebAssembly exception that nothing caught', cStack: parseCStack(error.stack) };
  }
  if (error instanceof MeterStop) return { kind: error.kind, message: error.message, cStack: parseCStack(error.stack), fuel: error.fuelUsed };
  const { message, stack } = error as Error;
  const cStack = parseCStack(stack);
  if (error instanceof RangeError) return { kind: 'stack-overflow', message: `the native stack ran out (${message})`, cStack };
  const kind = MESSAGE_KINDS.find(([pattern]) => pattern.test(message))?.[1] ?? 'unreachable';
  const innermost = cStack[0]?.function;
  if (kind === 'out-of-bounds') {
    // With --stack-first the shadow stack is [0, stackSize): a pointer outside it means the stack
    // ran off its bottom (wrapping below zero) on the way to this access.
    const sp = context.stackPointer;
    if (sp !== null && sp > context.stackSize) return { kind: 'stack-overflow', message: `the C shadow stack (${context.stackSize} bytes) overflowed: ${message}`, cStack };
    if (innermost !== undefined && ALLOCATOR_FUNCTIONS.has(innermost)) {
      return { kind, message: `${message} inside the allocator (${innermost}): the heap is corrupt (double free, or a block header overwritten)`, cStack };
    }
    return { kind, message, cStack };
  }
  if (kind === 'unreachable') {
    const strict = STRICT_HANDLERS.get(innermost ?? '');
    if (strict) return { ...strict, cStack: withoutStrictHandlers(cStack) };
    if (innermost === 'abort') {
      if (context.allocationFailed) return { kind: 'out-of-memory', message: 'abort() after malloc could not get memory (memory limit reached)', cStack };
      return { kind: 'abort', message: 'the C code called abort()', cStack };
    }
  }
  return { kind, message, cStack };
}
