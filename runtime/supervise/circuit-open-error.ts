// Thrown instead of calling C when a function's circuit is open and it has no fallback: the
// caller learns at once (no sandbox touched) and when the breaker will let a probe through.
import { CboxError } from '../errors.js';

export class CircuitOpenError extends CboxError {
  /** The export that was refused. */
  readonly function: string;
  constructor(readonly library: string, fn: string, readonly retryInMs: number, reason: string) {
    super('circuit-open', `${library}.${fn}: circuit open (${reason}); no fallback; next probe in ${Math.ceil(retryInMs)}ms`);
    this.name = 'CircuitOpenError';
    this.function = fn;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), library: this.library, function: this.function, retryInMs: this.retryInMs };
  }
}
