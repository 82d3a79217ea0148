// The states of a function's circuit breaker (see circuit-breaker.ts), shared with the events it emits.
export type CircuitState = 'closed' | 'open' | 'half-open';
