// What the pool and its worker threads say to each other. Two channels per worker:
// - control (comlink over the worker's parentPort): start the sandbox, forward C output lines;
// - calls (a dedicated MessagePort, no comlink): flat arrays of numbers and arguments out, bare
//   answers back, because a call's round trip is the hot path and comlink's per-message
//   envelope costs as much as the call.
// A worker runs one call at a time in arrival order, so replies need no ids: the n-th reply on
// a port answers the n-th call sent on it; its times are in CallProgress.
import type { MessagePort } from 'node:worker_threads';
import type { CompiledModule } from '../compiled-module.js';
import type { LoadOptions } from '../load.js';
import type { ErrorData } from './error-transport.js';

/** workerData of a pool worker. */
export interface WorkerInit {
  readonly compiled: CompiledModule;
  /** Sandbox options that survive structured clone (the logger is set up by `start`). */
  readonly load: Pick<LoadOptions, 'memoryLimit' | 'wasi' | 'crashReports'>;
  /** Where C stdout/stderr go: the worker's default (its process.stderr), nowhere, or forwarded to the pool's logger. */
  readonly output: 'default' | 'discard' | 'forward';
  readonly calls: MessagePort;
  /** CallProgress's shared memory. */
  readonly progress: SharedArrayBuffer;
}

/** Receives the C output lines of a worker whose output is 'forward' (a comlink proxy). */
export interface OutputSink {
  line(stream: 'stdout' | 'stderr', text: string): void;
}

/** The worker's comlink-exposed control surface. */
export interface WorkerControl {
  /** Opens the sandbox and starts serving calls; throws the load error if the sandbox cannot start. */
  start(sink?: OutputSink): void;
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

/** The export's parameter count, by fnIndex. */
export function arities(compiled: CompiledModule): number[] {
  return Object.values(compiled.stamp.exports).map((signature) => signature.params.length);
}

/**
 * One call's answer: its value, or the error it threw as ErrorData. Values are numbers, bigints,
 * booleans, strings, Uint8Arrays or undefined, never plain objects, so the two cannot be confused.
 */
export type CallReply = unknown;

export function isErrorReply(reply: CallReply): reply is ErrorData {
  return typeof reply === 'object' && reply !== null && !ArrayBuffer.isView(reply);
}

const timeOrigin = performance.timeOrigin; // a getter call each time otherwise: this is read twice per call

/** Milliseconds since the Unix epoch, sub-millisecond, comparable across threads. */
export function epochMs(): number {
  return timeOrigin + performance.now();
}
