// When a worker's sandbox cannot start (start-up code that fails or hangs, a granted directory
// that is gone), the pool keeps trying rather than giving up for good: one retry at a time,
// 50 ms after the first failure, doubling up to 5 s, and back to none once a start succeeds.
export const FIRST_RETRY_MS = 50;
export const MAX_RETRY_MS = 5000;

export interface ScheduledRetry {
  /** Failed starts in a row (1 for the first). */
  readonly attempt: number;
  readonly delayMs: number;
}

export class RespawnBackoff {
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;

  /** A retry is scheduled and has not run yet. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /**
   * A start failed: schedules `retry` (which starts whatever is missing), or returns null when a
   * retry is already scheduled (failures of workers started together count once).
   */
  failed(retry: () => void): ScheduledRetry | null {
    if (this.timer !== undefined) return null;
    const attempt = ++this.attempts;
    const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 30));
    // Unreferenced: a pool that only waits to retry must not keep the process alive.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      retry();
    }, delayMs).unref();
    return { attempt, delayMs };
  }

  /** A start succeeded: the next failure starts from the first delay again. */
  succeeded(): void {
    this.attempts = 0;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
