// What the pool and its worker threads say to each other. Two channels per worker:
// - control (comlink over the worker's parentPort): start the sandbox, forward C output lines;
// - calls (a dedicated MessagePort, no comlink): flat positional arrays, because a call's
//   round trip is the hot path and comlink's per-message envelope costs as much as the call.
// A worker runs one call at a time in arrival order, so replies need no ids: the n-th reply on
// a port answers the n-th call sent on it.
import type { MessagePort } from 'node:worker_threads';
import type { CompiledModule } from '../compiled-module.js';
import type { LoadOptions } from '../load.js';

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
 * Calls sent in one message: [fnIndex, args, fnIndex, args, ...]. fnIndex is the export's
 * position in the ABI stamp, which both threads share.
 */
export type CallBatch = unknown[];

export const REPLY_VALUE = 0;
export const REPLY_ERROR = 1;

/**
 * One call's answer: [REPLY_VALUE, value, startedAt, runMs] or [REPLY_ERROR, error JSON, ...].
 * Times are measured in the worker, where they are exact; startedAt is epochMs().
 */
export type CallReply = [outcome: typeof REPLY_VALUE | typeof REPLY_ERROR, value: unknown, startedAt: number, runMs: number];

const timeOrigin = performance.timeOrigin; // a getter call each time otherwise: this is read twice per call

/** Milliseconds since the Unix epoch, sub-millisecond, comparable across threads. */
export function epochMs(): number {
  return timeOrigin + performance.now();
}
