// The event stream of a loaded library: traps, recycles, and what supervision adds.
import { EventEmitter } from 'node:events';
import type { CboxLoadError, CboxTrap } from './errors.js';
import type { CircuitState } from './supervise/circuit-state.js';

export interface RecycleEvent { readonly library: string; readonly reason: string; readonly fromGeneration: number; readonly toGeneration: number; readonly usedSpare: boolean }
export interface TrapEvent { readonly library: string; readonly error: CboxTrap }
/** No instance could start (after a trap or recycle); calls fail with `error` until a retry works. */
export interface StartFailedEvent { readonly library: string; readonly attempt: number; readonly retryInMs: number; readonly error: CboxLoadError }
/** A function's circuit breaker changed state (see LoadOptions.breaker). */
export interface BreakerEvent { readonly library: string; readonly function: string; readonly from: CircuitState; readonly to: CircuitState; readonly reason: string }
/** A reload switched to a new module ('switched'), or was refused and changed nothing ('rolled-back', with the error). */
export interface ReloadEvent {
  readonly library: string; readonly outcome: 'switched' | 'rolled-back'; readonly fromGeneration: number; readonly toGeneration: number;
  /** sha256 of the module before, and of the one switched to (null when rolled back). */
  readonly from: string; readonly to: string | null; readonly error?: Error;
}

export interface LibraryEvents {
  trap: [TrapEvent];
  recycle: [RecycleEvent];
  'start-failed': [StartFailedEvent];
  breaker: [BreakerEvent];
  reload: [ReloadEvent];
  [event: string]: unknown[];
}

/** A typed EventEmitter: `on('trap', (event) => ...)` knows the event's shape. */
export class LibraryEmitter<Events extends Record<string, unknown[]> = LibraryEvents> {
  private readonly emitter = new EventEmitter();
  on<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }
  off<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }
  emit<E extends keyof Events & string>(event: E, ...args: Events[E]): void {
    if (this.emitter.listenerCount(event) > 0) this.emitter.emit(event, ...args);
  }
}
