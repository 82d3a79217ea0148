// Errors cross threads as their toJSON() data and come back as real instances (a CboxTrap with
// its kind, C stack and report) through errors.ts's reviveError. The call path uses the two
// functions directly; comlink's 'throw' handler is swapped for one that does the same, so a
// control call that fails in the worker (the sandbox cannot start) rejects with the same class.
import * as Comlink from 'comlink';
import { CboxError, reviveError } from '../errors.js';

export type ErrorData = Record<string, unknown>;

export function errorToData(error: unknown): ErrorData {
  if (error instanceof CboxError) return error.toJSON();
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

export function errorFromData(data: ErrorData): Error {
  return reviveError(data);
}

/** Both threads call this once before using comlink. */
export function installComlinkErrorTransfer(): void {
  const standard = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: standard.canHandle,
    // comlink wraps what was thrown as { value }.
    serialize: (thrown) => [errorToData((thrown as { value: unknown }).value), []],
    deserialize: (data) => { throw errorFromData(data as ErrorData); },
  });
}
