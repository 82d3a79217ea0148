// The pool's FIFO of calls waiting for a worker. Aborted calls are removed lazily (marked
// settled, skipped when reached), so cancelling is O(1) however long the queue; calls a dead
// worker never started go back to the front, ahead of later callers.
import type { Job } from './job.js';

const COMPACT_AFTER = 1024;

export class JobQueue {
  private items: Job[] = [];
  private head = 0;
  private live = 0;

  /** Calls waiting (aborted ones excluded). */
  get length(): number {
    return this.live;
  }

  push(job: Job): void {
    this.items.push(job);
    this.live++;
  }

  /** Puts jobs back at the front, keeping their order. */
  requeue(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    this.items = [...jobs, ...this.items.slice(this.head)];
    this.head = 0;
    this.live += jobs.length;
  }

  /** The next live job, without taking it. */
  peek(): Job | undefined {
    while (this.head < this.items.length && this.items[this.head]!.settled) this.advance();
    return this.items[this.head];
  }

  shift(): Job | undefined {
    const job = this.peek();
    if (job) {
      this.advance();
      this.live--;
    }
    return job;
  }

  /** The job was settled while queued (aborted): it no longer counts. */
  forget(): void {
    this.live--;
  }

  /** Takes every live job out, in order. */
  drain(): Job[] {
    const jobs = this.items.slice(this.head).filter((job) => !job.settled);
    this.items = [];
    this.head = 0;
    this.live = 0;
    return jobs;
  }

  private advance(): void {
    this.head++;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
