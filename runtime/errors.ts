// Every failure a caller can meet is a typed error with a stable `code`; CboxTrap is the one for
// C code that crashed. All of them survive structured clone / JSON via toJSON + revive (pool).

export const TRAP_KINDS = [
  'out-of-bounds', 'null-dereference', 'stack-overflow', 'unreachable', 'abort', 'exit',
  'divide-by-zero', 'integer-overflow', 'indirect-call', 'out-of-memory', 'timeout', 'wasm-exception',
  'fuel-exhausted',
] as const;
export type TrapKind = (typeof TRAP_KINDS)[number];

/** A count of zero for every trap kind (stats start from it). */
export function emptyTrapCounts(): Record<TrapKind, number> {
  return Object.fromEntries(TRAP_KINDS.map((kind) => [kind, 0])) as Record<TrapKind, number>;
}

export interface CFrame {
  /** C function name from the module's name section (or wasm-function[N] when it has none). */
  readonly function: string;
  /** Byte offset of the instruction in the module. */
  readonly offset: number;
}

export interface ArgumentShape { readonly type: string; readonly length?: number }

export interface CrashReport {
  readonly kind: TrapKind;
  readonly message: string;
  readonly export: string;
  readonly args: readonly ArgumentShape[];
  readonly cStack: readonly CFrame[];
  readonly exitCode?: number;
  /** Work units the call used before a metered module stopped it (timeout, fuel-exhausted). */
  readonly fuel?: number;
  readonly memory: { readonly size: number; readonly limit: number; readonly highWater: number };
  readonly stackPointer: number | null;
  readonly stackSize: number;
  readonly callsSinceStart: number;
  readonly module: { readonly name: string; readonly abiHash: string; readonly sha256: string };
  readonly generation: number;
  readonly time: string;
  /** Where the report (and memory dump) were written, when the sandbox was asked to. */
  readonly files?: { readonly report: string; readonly memoryDump?: string };
}

export class CboxError extends Error {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CboxError';
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, stack: this.stack };
  }
}

/** C code crashed (or ran out of time); the sandbox it ran in has been replaced. */
export class CboxTrap extends CboxError {
  readonly kind: TrapKind;
  /** The export that was called. */
  readonly function: string;
  /** C functions on the stack at the trap, innermost first. */
  readonly cStack: readonly string[];
  /** Generation of the sandbox instance that died. */
  readonly generation: number;
  readonly exitCode: number | undefined;
  readonly report: CrashReport;
  constructor(report: CrashReport, options?: { cause?: unknown }) {
    const where = report.cStack.length > 0 ? ` in ${report.cStack[0]!.function}` : '';
    // The stack worth showing is the trap's own (C frames, then the JS caller): take it from the
    // cause instead of capturing a second, JS-only one, which would cost more than the trap.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(`trap-${report.kind}`, `${report.export}: C code trapped (${report.kind}${report.kind === 'exit' ? ` ${report.exitCode}` : ''})${where}: ${report.message}`, options);
    } finally {
      Error.stackTraceLimit = limit;
    }
    const causeStack = (options?.cause as Error | undefined)?.stack;
    const frames = causeStack?.slice(causeStack.indexOf('\n    at ')) ?? '';
    this.stack = `CboxTrap: ${this.message}${frames.startsWith('\n') ? frames : ''}`;
    this.name = 'CboxTrap';
    this.kind = report.kind;
    this.function = report.export;
    this.cStack = report.cStack.map((frame) => frame.function);
    this.generation = report.generation;
    this.exitCode = report.exitCode;
    this.report = report;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), report: this.report };
  }
}

/** The module or binding cannot be used: refused at load, before any call. */
export class CboxLoadError extends CboxError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'CboxLoadError';
  }
}

/** An argument does not fit the export's signature (type, range, content). */
export class CboxArgumentError extends CboxError {
  constructor(message: string) {
    super('bad-argument', message);
    this.name = 'CboxArgumentError';
  }
}

/** The C function answered with an error (cbox_return_error) or an answer that fails checks. */
export class CboxCallError extends CboxError {
  /** The export that was called. */
  readonly function: string;
  constructor(fn: string, readonly detail: string, code = 'call-failed', options?: { cause?: unknown }) {
    super(code, `${fn}: ${detail}`, options);
    this.name = 'CboxCallError';
    this.function = fn;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), function: this.function, detail: this.detail };
  }
}

/** A handle from an instance that has since been recycled (or from another sandbox). */
export class StaleHandleError extends CboxError {
  constructor(message: string) {
    super('stale-handle', message);
    this.name = 'StaleHandleError';
  }
}

/** The library, sandbox or pool has been closed. */
export class CboxClosedError extends CboxError {
  constructor(message: string) {
    super('closed', message);
    this.name = 'CboxClosedError';
  }
}

const REVIVERS: Record<string, (data: Record<string, unknown>) => CboxError> = {
  CboxTrap: (data) => new CboxTrap(data.report as CrashReport),
  CboxLoadError: (data) => new CboxLoadError(String(data.code), String(data.message)),
  CboxArgumentError: (data) => new CboxArgumentError(String(data.message)),
  CboxCallError: (data) => new CboxCallError(String(data.function), String(data.detail), String(data.code)),
  StaleHandleError: (data) => new StaleHandleError(String(data.message)),
  CboxClosedError: (data) => new CboxClosedError(String(data.message)),
  CboxError: (data) => new CboxError(String(data.code), String(data.message)),
};

/** Rebuilds a typed error from its toJSON() form (e.g. after crossing a thread). */
export function reviveError(data: Record<string, unknown>, reviveExtra?: (data: Record<string, unknown>) => Error | undefined): Error {
  const extra = reviveExtra?.(data);
  const revive = REVIVERS[String(data.name)];
  const error = extra ?? (revive ? revive(data) : Object.assign(new Error(String(data.message)), { name: String(data.name) }));
  if (typeof data.stack === 'string') error.stack = data.stack;
  return error;
}
