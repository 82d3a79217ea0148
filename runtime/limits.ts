// The limits a sandbox runs under, resolved from the user's options in one place: memory (the
// linear memory's maximum) and deadlines (start-up; the pool's call deadlines use the same rule).
import { CboxLoadError } from './errors.js';
import { formatSize, parseSize, WASM32_MAX_BYTES, WASM_PAGE } from './sizes.js';
import type { MemoryType } from './wasm-inspect.js';

/** Longest deadline a Node timer can wait (setTimeout fires at once past it). */
export const MAX_DEADLINE_MS = 2 ** 31 - 1;

/** Default deadline for C start-up code (constructors, _initialize). */
export const DEFAULT_START_TIMEOUT_MS = 10_000;

/**
 * The memory cap in bytes (whole pages): the option, else the stamp's default; never below what
 * the module needs to start, and never above the maximum its memory import declares (an import
 * above it would not link; a lower cap stays within what the user allowed).
 */
export function resolveMemoryLimit(requested: number | string | undefined, defaultBytes: number, memory: MemoryType, name: string): number {
  const { minPages } = memory;
  let bytes: number;
  try {
    bytes = requested === undefined ? defaultBytes : parseSize(requested, 'memoryLimit');
  } catch (error) {
    throw new CboxLoadError('bad-option', (error as Error).message);
  }
  const pages = Math.floor(bytes / WASM_PAGE);
  if (bytes > WASM32_MAX_BYTES) throw new CboxLoadError('bad-option', `memoryLimit ${formatSize(bytes)} is more than wasm32 can address (4GiB)`);
  if (pages < minPages) {
    throw new CboxLoadError('bad-option', `memoryLimit ${formatSize(bytes)} is below what ${name} needs to start (${formatSize(minPages * WASM_PAGE)}: static data and stack)`);
  }
  return Math.min(pages, memory.maxPages ?? pages) * WASM_PAGE;
}

/** Whether `value` is a deadline a timer can keep: 0 < ms <= 2^31-1, or Infinity for none. */
export function isDeadline(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && (value <= MAX_DEADLINE_MS || value === Number.POSITIVE_INFINITY);
}

export function describeDeadline(what: string, value: unknown): string {
  return `${what} must be a number of milliseconds from 1 to ${MAX_DEADLINE_MS} (Infinity for none), got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}

/** A deadline option, or its default; CboxLoadError('bad-option') naming it otherwise. */
export function resolveDeadline(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!isDeadline(value)) throw new CboxLoadError('bad-option', describeDeadline(what, value));
  return value;
}
