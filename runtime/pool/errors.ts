// Errors only the pool raises. Calls after close() get CboxClosedError; an aborted call rejects
// with its signal's reason; a deadline is a CboxTrap of kind 'timeout'.
import { CboxError } from '../errors.js';

/** The pool's queue holds maxQueue calls already: this one was refused, not queued. */
export class CboxQueueFullError extends CboxError {
  constructor(message: string) {
    super('queue-full', message);
    this.name = 'CboxQueueFullError';
  }
}

/** The worker thread running (or holding) the call died before it answered. */
export class CboxWorkerExitError extends CboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('worker-exit', message, options);
    this.name = 'CboxWorkerExitError';
  }
}
