// Turns a guest path, relative to a directory descriptor, into a host path that stays inside
// that directory. `..` is resolved lexically against components already known to be real
// directories, and every symlink on the way is expanded here (not by the OS) so a link that
// points outside (absolute, or climbing above the base) is refused with ENOTCAPABLE.
// The guest runs synchronously, so it cannot race this walk; other host processes changing the
// directory meanwhile are outside the threat model (opens still add O_NOFOLLOW).
import { lstatSync, readlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Errno, WasiErrnoError } from './errno.js';

const MAX_SYMLINK_EXPANSIONS = 40;

export interface ConfinedPath {
  readonly hostPath: string;
  /** The path names the base directory itself (".", "a/.."), which guests may not remove or rename. */
  readonly isBase: boolean;
}

/**
 * @param followFinalSymlink whether a symlink in the last component is expanded too
 *   (intermediate ones always are); false makes the path name the link itself.
 */
export function resolveConfinedPath(baseHostPath: string, guestPath: string, followFinalSymlink: boolean): ConfinedPath {
  if (guestPath === '') throw new WasiErrnoError(Errno.NOENT);
  if (guestPath.includes('\0')) throw new WasiErrnoError(Errno.INVAL);
  // A stack of components still to walk, the next one last.
  const pending = components(guestPath).reverse();
  const resolved: string[] = [];
  let expansions = 0;
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (resolved.length === 0) throw new WasiErrnoError(Errno.NOTCAPABLE, 'path leaves its directory');
      resolved.pop();
      continue;
    }
    // Anything after this component (even a trailing "/") means it is used as a directory.
    if (pending.length > 0 || followFinalSymlink) {
      const candidate = join(baseHostPath, ...resolved, name);
      if (lstatSync(candidate, { throwIfNoEntry: false })?.isSymbolicLink()) {
        if (++expansions > MAX_SYMLINK_EXPANSIONS) throw new WasiErrnoError(Errno.LOOP);
        pending.push(...components(readlinkSync(candidate, 'utf8')).reverse());
        continue;
      }
    }
    resolved.push(name);
  }
  const isBase = resolved.length === 0;
  // A trailing slash keeps its meaning ("must be a directory") for the host call.
  const hostPath = join(baseHostPath, ...resolved) + (guestPath.endsWith('/') && !isBase ? '/' : '');
  return { hostPath, isBase };
}

function components(path: string): string[] {
  if (path.startsWith('/') || isAbsolute(path)) throw new WasiErrnoError(Errno.NOTCAPABLE, 'absolute path');
  // On Windows a backslash or drive colon inside a "component" would be a separator to the host.
  if (process.platform === 'win32' && /[\\:]/.test(path)) throw new WasiErrnoError(Errno.NOTCAPABLE, 'host separator in path');
  return path.split('/');
}
