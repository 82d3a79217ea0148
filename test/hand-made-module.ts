// Hand-made modules (WAT through jco's parse) with a cbox stamp: the mismatches and attacks that
// `cbox build` never produces, for the load and hostile-module tests.
import { parse } from '@bytecodealliance/jco';
import { CboxLoadError, type AbiStamp } from 'cbox';
import { ABI_SECTION, abiHash, type ExportSignature } from '../runtime/abi.js';
import { appendCustomSection } from '../build/custom-section.js';

export function stampOf(exports: Record<string, ExportSignature>, extra: Partial<AbiStamp> = {}): AbiStamp {
  const stamp = {
    abi: 1, name: 'fake', hash: '', exports, memoryMaximum: 1 << 24, stackSize: 65536, arenaSize: 4096,
    strict: false, native: [], trusted: [], ...extra,
  };
  return { ...stamp, hash: extra.hash ?? abiHash(stamp) };
}

/** The exports every cbox module has (c-src/runtime/cbox_rt.c), as stubs. */
export const RUNTIME_WAT = `
  (global (export "__stack_pointer") (mut i32) (i32.const 65536))
  (func (export "_initialize"))
  (func (export "cbox_arena_header") (result i32) (i32.const 1024))
  (data (i32.const 1024) "\\00\\08\\00\\00\\00\\08\\00\\00\\00\\10\\00\\00")
  (func (export "cbox_arena_release"))
  (func (export "cbox_alloc") (param i32) (result i32) (i32.const 0))`;

export const MEMORY_IMPORT = '(import "env" "memory" (memory 2))';

/** A module from WAT with a stamp (JSON, or raw section text); imports in body must precede definitions. */
export async function fakeModule(body: string, stamp: AbiStamp | string | null, memory = MEMORY_IMPORT, runtime = RUNTIME_WAT): Promise<Uint8Array> {
  const wasm = await parse(`(module ${memory} ${body} ${runtime})`);
  if (stamp === null) return wasm;
  return appendCustomSection(wasm, ABI_SECTION, new TextEncoder().encode(typeof stamp === 'string' ? stamp : JSON.stringify(stamp)));
}

/** The CboxLoadError a load ends in; anything else (a raw error, a library) fails the test. */
export async function refusal(promise: Promise<unknown>): Promise<CboxLoadError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CboxLoadError) return error;
    throw error;
  }
  throw new Error('loaded, but a CboxLoadError was expected');
}

export const ADD: ExportSignature = { params: ['i32', 'i32'], paramNames: ['a', 'b'], result: 'i32' };
export const ADD_WAT = '(func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))';
