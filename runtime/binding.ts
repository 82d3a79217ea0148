// What a generated binding (<name>.js from `cbox build`) holds, and the export types it implies.
import type { AbiStamp } from './abi.js';

/** A loaded export, when no generated binding types it. */
export type GenericExports = Record<string, (...args: any[]) => any>;

export interface Binding<T = GenericExports> {
  readonly wasm: URL | string;
  /** The N-API addon built from the same C, when the manifest lists native exports. */
  readonly native: URL | string | null;
  readonly stamp: AbiStamp;
  /** Carries the typed export interface; never set at run time. */
  readonly __exports?: T;
}

export function isBinding(value: unknown): value is Binding {
  return typeof value === 'object' && value !== null && 'stamp' in value && 'wasm' in value;
}
