// C's stdout and stderr lines, held while the C code runs and handed to the logger once the
// call has returned. Delivering them during the call would run the logger inside C's write():
// a logger that calls into the same library would then run a call inside a call and corrupt
// it. The queue is bounded: a call that prints without end costs at most MAX_QUEUED_UNITS of
// host memory, and the logger is told how much was dropped.
import type { CLogger } from './logger.js';

/** UTF-16 units of output held for one delivery (about 1 MiB of text); the rest is counted and dropped. */
export const MAX_QUEUED_UNITS = 1 << 20;

type Stream = 'stdout' | 'stderr';

export class OutputQueue {
  private lines: { stream: Stream; line: string }[] = [];
  private units = 0;
  private dropped = 0;
  /** A warning about a failing logger is given once per queue, not once per line. */
  private warned = false;

  /** `logger` null: output is discarded (nothing is even queued). */
  constructor(private readonly logger: Required<CLogger> | null) {}

  readonly stdout = (line: string): void => this.push('stdout', line);
  readonly stderr = (line: string): void => this.push('stderr', line);

  /** Lines (or a count of dropped ones) wait for deliver(). A field, read after every call. */
  pending = false;

  private push(stream: Stream, line: string): void {
    if (this.logger === null) return;
    this.pending = true;
    if (this.units + line.length > MAX_QUEUED_UNITS) {
      this.dropped++;
      return;
    }
    this.units += line.length;
    this.lines.push({ stream, line });
  }

  /**
   * Hands every queued line to the logger, in order. A logger that throws loses no other line and
   * fails no call (the C call already returned): its error becomes one process warning.
   */
  deliver(library: string): void {
    const { lines, dropped } = this;
    this.lines = [];
    this.units = 0;
    this.dropped = 0;
    this.pending = false;
    const logger = this.logger!;
    for (const { stream, line } of lines) this.send(library, () => logger[stream](line));
    if (dropped > 0) this.send(library, () => logger.stderr(`[cbox] ${dropped} line${dropped === 1 ? '' : 's'} of C output dropped: more than ${MAX_QUEUED_UNITS} characters in one call`));
  }

  private send(library: string, write: () => void): void {
    try {
      write();
    } catch (error) {
      if (this.warned) return;
      this.warned = true;
      process.emitWarning(`cbox: the logger of ${library} threw (${(error as Error)?.message ?? String(error)}); later logger errors of this library are not reported`, { code: 'CBOX_LOGGER_FAILED' });
    }
  }
}
