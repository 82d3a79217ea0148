// A cstring result: C answers `const char *` (borrowed) or, with the manifest's "free", a `char *`
// the caller owns. The string is copied out of the sandbox, an owned one then released by the
// named C function, and the arena settled, whatever the copy found (bad-result is thrown after).
import type { Sandbox } from './sandbox.js';
import type { SandboxInstance } from './instance.js';

export function takeCString(box: Sandbox, s: SandboxInstance, index: number, pointer: number, fn: string, args: readonly unknown[]): string | null {
  if (pointer === 0) {
    box.settle(s);
    return null;
  }
  let text: string | null = null;
  let refused: unknown = null;
  try {
    text = s.arena.cstringAt(pointer, fn);
  } catch (error) {
    refused = error;
  }
  const release = s.frees[index];
  if (release) {
    try {
      release(pointer);
    } catch (error) {
      // A release that traps (a double free) ends the sandbox like any trap.
      throw box.fail(error, fn, args);
    }
  }
  box.settle(s);
  if (refused !== null) throw refused;
  return text;
}
