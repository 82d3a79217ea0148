// C output from a worker to the main thread, bounded. The worker's sandbox hands over its lines
// after each call (its OutputQueue bounds what one call holds); the worker never waits for the
// main thread, so every line it sends is charged to a shared counter that the main thread pays
// back once it has delivered the line. Past MAX_QUEUED_OUTPUT_BYTES owed, lines are dropped and
// one line says how many, so C that prints call after call cannot grow host memory faster than
// the logger takes it. Lines travel on their own port, stdout and stderr together, in order.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { defaultLogger } from '../logger.js';

/** Output a worker may have sent and the main thread not yet delivered (per worker). */
export const MAX_QUEUED_OUTPUT_BYTES = 1 << 20;
/** What a line costs besides its text (the message and the string headers), so empty lines count too. */
const LINE_OVERHEAD_BYTES = 64;

export type OutputStream = 'stdout' | 'stderr';

/** Receives the lines on the main thread. */
export interface OutputSink {
  line(stream: OutputStream, text: string): void;
}

/** What the worker needs to send (crosses to it in workerData; the port is transferred). */
export interface OutputChannelEnd {
  readonly port: MessagePort;
  /** Int32: bytes sent and not yet delivered. */
  readonly owed: SharedArrayBuffer;
}

/** Without a logger: each line to the main thread's process.stderr, as load() does on the main thread. */
export function stderrSink(library: string): OutputSink {
  const logger = defaultLogger(library);
  return { line: (stream, text) => logger[stream](text) };
}

function cost(text: string): number {
  return LINE_OVERHEAD_BYTES + 2 * text.length; // UTF-16: a line in a JS string takes at most this
}

/** Main thread: opens the channel and delivers each line to `sink` (a sink that throws loses that line only). */
export function receiveOutput(sink: OutputSink): { end: OutputChannelEnd; close(): void } {
  const { port1, port2 } = new MessageChannel();
  const owed = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const counter = new Int32Array(owed);
  port1.on('message', ([stream, text]: [OutputStream, string]) => {
    try {
      sink.line(stream, text);
    } catch {
      // The user's logger failed: the C call has long moved on, there is no one to tell.
    } finally {
      Atomics.sub(counter, 0, cost(text));
    }
  });
  port1.unref();
  return { end: { port: port2, owed }, close: () => port1.close() };
}

/** Worker thread: sends lines while the main thread keeps up, drops and counts them otherwise. */
export class OutputSender {
  private readonly owed: Int32Array;
  private dropped = 0;

  constructor(private readonly end: OutputChannelEnd) {
    this.owed = new Int32Array(end.owed);
  }

  line(stream: OutputStream, text: string): void {
    if (this.dropped > 0 && !this.tellDropped(false)) {
      this.dropped++;
      return;
    }
    if (!this.send(stream, text, false)) this.dropped++;
  }

  /** At the end of a call: says how many lines were dropped, if any, even when the main thread is behind (one line per call). */
  flush(): void {
    if (this.dropped > 0) this.tellDropped(true);
  }

  private tellDropped(force: boolean): boolean {
    const { dropped } = this;
    const notice = `[cbox] ${dropped} line${dropped === 1 ? '' : 's'} of C output dropped: the main thread had ${MAX_QUEUED_OUTPUT_BYTES} bytes of this worker's output still to deliver`;
    if (!this.send('stderr', notice, force)) return false;
    this.dropped = 0;
    return true;
  }

  private send(stream: OutputStream, text: string, force: boolean): boolean {
    const bytes = cost(text);
    if (!force && Atomics.load(this.owed, 0) + bytes > MAX_QUEUED_OUTPUT_BYTES) return false;
    Atomics.add(this.owed, 0, bytes);
    this.end.port.postMessage([stream, text]);
    return true;
  }
}
