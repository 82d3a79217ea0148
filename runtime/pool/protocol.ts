// What the pool and its worker threads say to each other. Two channels per worker:
// - control (comlink over the worker's parentPort): start the sandbox;
// - calls (a dedicated MessagePort, no comlink): flat arrays of numbers and arguments out, bare
//   answers back, because a call's round trip is the hot path and comlink's per-message
//   envelope costs as much as the call.
// C output lines travel on a third port, bounded (output-channel.ts).
// A worker runs one call at a time in arrival order, so replies need no ids: the n-th reply on
// a port answers the n-th call sent on it; its times are in CallProgress.
import type { MessagePort } from 'node:worker_threads';
import { isMutArrayType, jsParamIndexes } from '../abi.js';
import type { CompiledModule } from '../compiled-module.js';
import type { LoadOptions } from '../load.js';
import type { ErrorData } from './error-transport.js';
import type { OutputChannelEnd } from './output-channel.js';

/** workerData of a pool worker. */
export interface WorkerInit {
  readonly compiled: CompiledModule;
  /** Sandbox options that survive structured clone (the logger is the output channel). */
  readonly load: Pick<LoadOptions, 'memoryLimit' | 'wasi' | 'crashReports'>;
  /** Where C stdout/stderr lines go: to the main thread, or (null) nowhere. */
  readonly output: OutputChannelEnd | null;
  readonly calls: MessagePort;
  /** CallProgress's shared memory. */
  readonly progress: SharedArrayBuffer;
}

/** The worker's comlink-exposed control surface. */
export interface WorkerControl {
  /** Opens the sandbox and starts serving calls; throws the load error if the sandbox cannot start. */
  start(): void;
}

/**
 * Calls sent in one message: [fnIndex, ...its arguments, fnIndex, ...]. fnIndex is the export's
 * position in the ABI stamp, which both threads share, and the stamp says how many arguments
 * follow (the signature's parameter count: extra ones are dropped, missing ones undefined, as
 * the sync binding would treat them). For a metered module each fnIndex is followed by the
 * call's timeoutMs (0: none), which the worker's meter enforces without losing the thread.
 */
export type CallBatch = unknown[];

/** The module stops its own calls at their deadlines (`cbox build --metered`). */
export function isMetered(compiled: CompiledModule): boolean {
  return compiled.stamp.metered === true;
}

/** The export's argument count (out-parameters take none), by fnIndex. */
export function arities(compiled: CompiledModule): number[] {
  return Object.values(compiled.stamp.exports).map((signature) => jsParamIndexes(signature.params).length);
}

/**
 * One call's answer: its value, or the error it threw as ErrorData. Values are numbers, bigints,
 * booleans, strings, Uint8Arrays or undefined, or an out-parameter object wrapped in an array
 * (replyOf), never plain objects, so the two cannot be confused.
 */
export type CallReply = unknown;

export function isErrorReply(reply: CallReply): reply is ErrorData {
  return typeof reply === 'object' && reply !== null && !ArrayBuffer.isView(reply) && !Array.isArray(reply);
}

/** The answer of a call with out-parameters is an object: it travels inside an array, never mistaken for ErrorData. */
export function replyOf(value: unknown): CallReply {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) ? [value] : value;
}

/**
 * The answer of a "view" export, its bytes copied out of the sandbox memory: structured clone
 * would copy the whole memory (which cannot be transferred either). With out-parameters the
 * view is the answer's result field (spread: the other fields stay own properties).
 */
export function copyView(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.slice();
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'result')) return value;
  const { result } = value as { result: unknown };
  return result instanceof Uint8Array ? { ...value, result: result.slice() } : value;
}

/** The value a reply carries (structured clone keeps an object answer's keys own properties). */
export function valueOfReply(reply: CallReply): unknown {
  return Array.isArray(reply) ? reply[0] : reply;
}

/**
 * Per export, the positions of the JS arguments C may write (`mut:T[]`, `mut:u8*`), or null: the
 * worker answers such a call with those arrays as C left them, and the pool copies them back into
 * the caller's (who passed them to be written, as on the main thread).
 */
export function writableArguments(compiled: CompiledModule): (readonly number[] | null)[] {
  return Object.values(compiled.stamp.exports).map(({ params }) => {
    const positions = jsParamIndexes(params).flatMap((index, position) => (isMutArrayType(params[index]!) || params[index] === 'mut:u8*' ? [position] : []));
    return positions.length > 0 ? positions : null;
  });
}

/** The reply of a call with writable arguments: the answer, then the arrays C wrote. */
export function writtenReplyOf(value: unknown, args: readonly unknown[], positions: readonly number[]): CallReply {
  return [value, positions.map((position) => args[position])];
}

const timeOrigin = performance.timeOrigin; // a getter call each time otherwise: this is read twice per call

/** Milliseconds since the Unix epoch, sub-millisecond, comparable across threads. */
export function epochMs(): number {
  return timeOrigin + performance.now();
}
