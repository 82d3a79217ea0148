// The floor under the typed binding: the same module instantiated by hand, its exports called
// directly. WASI imports are stubs that answer ENOSYS (the exports timed here never reach them);
// there is no sandbox bookkeeping, no argument checks, no trap classification.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inspectModule } from '../runtime/wasm-inspect.js';
import { modulesDir } from './paths.js';

const ENOSYS = 52;
const MAX_PAGES = 4096; // 256 MiB

export interface RawInstance {
  readonly exports: Record<string, (...args: number[]) => number>;
  readonly memory: WebAssembly.Memory;
}

export async function instantiateRaw(name: string): Promise<RawInstance> {
  const bytes = readFileSync(path.join(modulesDir, `${name}.wasm`));
  const { imports } = inspectModule(bytes);
  const minPages = imports.find((entry) => entry.kind === 'memory')?.memory?.minPages ?? 2;
  const memory = new WebAssembly.Memory({ initial: minPages, maximum: MAX_PAGES });
  const wasi = Object.fromEntries(imports.filter((entry) => entry.kind === 'function').map((entry) => [entry.name, () => ENOSYS]));
  const { instance } = await WebAssembly.instantiate(bytes, { env: { memory }, wasi_snapshot_preview1: wasi });
  const exports = instance.exports as Record<string, (...args: number[]) => number>;
  exports._initialize!();
  return { exports, memory };
}

/**
 * echo by hand, as little as marshalling can be: copy the bytes into the arena, call, copy the
 * answer out of the cbox_out struct, set the arena cursor back. What the typed binding adds on top
 * of this is what its marshalling costs. Inputs up to 64 KiB.
 */
export function rawEcho(raw: RawInstance): (data: Uint8Array) => Uint8Array {
  const header = raw.exports.cbox_arena_header!() >>> 0;
  let u8 = new Uint8Array(raw.memory.buffer);
  let u32 = new Uint32Array(raw.memory.buffer);
  const input = u32[header >>> 2]!; // struct cbox_arena_header { base, cursor, ... }
  const out = input + 64 * 1024;
  const scratch = out + 16;
  const echo = raw.exports.echo!;
  return (data) => {
    if (u8.byteLength === 0) {
      u8 = new Uint8Array(raw.memory.buffer);
      u32 = new Uint32Array(raw.memory.buffer);
    }
    u8.set(data, input);
    u32[(header + 4) >>> 2] = scratch;
    echo(input, data.byteLength, out);
    const pointer = u32[out >>> 2]!;
    return u8.slice(pointer, pointer + u32[(out + 4) >>> 2]!);
  };
}
