// Resolves a guest path inside a directory descriptor so that what is checked is what is used,
// even while other threads, workers or processes rename directories and swap symlinks.
//
// Design (Linux; Node has no openat, held-directory.ts emulates it through /proc/self/fd):
// - Every directory descriptor, preopens included, holds a host directory fd opened with
//   O_DIRECTORY|O_NOFOLLOW; it never stands for a path string, so a rename on the host does not
//   change which directory it is.
// - The walk starts at that fd and opens each intermediate component relative to the directory
//   held last (`/proc/self/fd/<held>/<name>`, O_DIRECTORY|O_NOFOLLOW), pushing the new fd on a
//   stack. A component that is a symlink (ELOOP/ENOTDIR) is read with readlink through the same
//   held directory and expanded here: an absolute target is refused with ENOTCAPABLE, a relative
//   one is walked like the rest of the path. `..` pops the stack (closing the fd), never below
//   the descriptor's own directory (ENOTCAPABLE), so no expansion can climb above the grant.
// - The caller gets the last held directory and the final name; its operation (open with
//   O_NOFOLLOW, mkdir, unlink, rename, link, lstat, lutimes, readlink) acts on that entry of
//   that directory. A final symlink the caller asked to follow is expanded here first, so the
//   operation itself never follows a link (a link swapped in meanwhile makes it fail or act on
//   the link itself, inside the grant).
// - Before the caller runs, the held directory's real path (the kernel's, via /proc/self/fd) is
//   checked to lie inside the grant, catching a directory the host moved out while it was held;
//   path_open checks the fd it opened the same way before it truncates or hands it out.
// - Every fd the walk opened is closed when the caller returns or throws.
import { readlinkSync } from 'node:fs';
import { Errno, WasiErrnoError } from './errno.js';
import type { DirectoryDescriptor } from './fd-table.js';
import { assertInsideGrant, closeQuietly, openDirectoryAt, procPath } from './held-directory.js';

const MAX_SYMLINK_EXPANSIONS = 40;
/** Directories a walk holds open at once (its nesting depth); bounds the host fds one call pins. */
const MAX_HELD_DIRECTORIES = 256;
/** Linux PATH_MAX: the host would refuse longer paths anyway, so no more work is done for them. */
export const MAX_PATH_BYTES = 4096;

export interface ConfinedPath {
  /** The held host directory the path ends in. */
  readonly parentFd: number;
  /** The final entry; undefined when the path names `parentFd` itself (".", "a/.."). */
  readonly name: string | undefined;
  /** The path names the descriptor's own directory, which guests may not remove or rename. */
  readonly isBase: boolean;
  /**
   * A trailing "/" asks for the final entry to be a directory. It is never passed on to the host
   * (a trailing slash makes the kernel follow a symlink even with O_NOFOLLOW): callers check it.
   */
  readonly mustBeDirectory: boolean;
  /** The host path of the entry (or of the directory itself), through /proc/self/fd; no trailing slash. */
  readonly hostPath: string;
}

/** One level of the walk: a held directory, or the error a missing one gave (only `..` may undo it). */
type Step = { readonly fd: number } | { readonly error: unknown };

/**
 * Resolves `guestPath` inside `directory` and runs `use` on the result; the directories held on
 * the way are closed afterwards, so `use` must not keep `parentFd`.
 * @param followFinalSymlink whether a symlink in the last component is expanded too
 *   (intermediate ones always are); false makes the path name the link itself.
 */
export function withConfinedPath<T>(directory: DirectoryDescriptor, guestPath: string, followFinalSymlink: boolean, use: (target: ConfinedPath) => T): T {
  if (guestPath === '') throw new WasiErrnoError(Errno.NOENT);
  if (guestPath.includes('\0')) throw new WasiErrnoError(Errno.INVAL);
  const held: Step[] = [];
  const current = (): number => {
    const step = held.at(-1);
    if (step === undefined) return directory.held.fd;
    if ('error' in step) throw step.error;
    return step.fd;
  };
  try {
    // A stack of components still to walk, the next one last.
    const pending = components(guestPath).reverse();
    let expansions = 0;
    /** Pushes the target of `name` in `parentFd` if it is a symlink; false when it is not one (or missing). */
    const expandSymlink = (parentFd: number, name: string): boolean => {
      let target: string;
      try {
        target = readlinkSync(procPath(parentFd, name), 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EINVAL' || code === 'ENOENT') return false;
        throw error;
      }
      if (++expansions > MAX_SYMLINK_EXPANSIONS) throw new WasiErrnoError(Errno.LOOP);
      pending.push(...components(target).reverse());
      return true;
    };

    while (pending.length > 0) {
      const name = pending.pop()!;
      if (name === '') continue;
      if (name === '..') {
        const step = held.pop();
        if (step === undefined) throw new WasiErrnoError(Errno.NOTCAPABLE, 'path leaves its directory');
        if ('fd' in step) closeQuietly(step.fd);
        continue;
      }
      const parentFd = current();
      // Only trailing-slash markers left: this is the final entry.
      if (pending.every((next) => next === '')) {
        const mustBeDirectory = pending.length > 0;
        if ((followFinalSymlink || mustBeDirectory) && expandSymlink(parentFd, name)) continue;
        assertInsideGrant(parentFd, directory.grantPath);
        return use({ parentFd, name, isBase: false, mustBeDirectory, hostPath: procPath(parentFd, name) });
      }
      if (held.length >= MAX_HELD_DIRECTORIES) throw new WasiErrnoError(Errno.NAMETOOLONG);
      try {
        held.push({ fd: openDirectoryAt(parentFd, name) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'ELOOP' || code === 'ENOTDIR') && expandSymlink(parentFd, name)) continue;
        // "missing/.." names the directory again, as it always did lexically.
        if (code === 'ENOENT' || code === 'ENOTDIR') held.push({ error });
        else throw error;
      }
    }
    const parentFd = current();
    assertInsideGrant(parentFd, directory.grantPath);
    return use({ parentFd, name: undefined, isBase: held.length === 0, mustBeDirectory: false, hostPath: procPath(parentFd) });
  } finally {
    for (const step of held) if ('fd' in step) closeQuietly(step.fd);
  }
}

/**
 * The names in a path, without "" and "."; a trailing "/" or "/." becomes a final "" marker
 * (the entry before it must be a directory).
 */
function components(path: string): string[] {
  if (path.startsWith('/')) throw new WasiErrnoError(Errno.NOTCAPABLE, 'absolute path');
  const parts = path.split('/');
  const names = parts.filter((part) => part !== '' && part !== '.');
  const last = parts.at(-1);
  if (names.length > 0 && (last === '' || last === '.') && names.at(-1) !== '..') names.push('');
  return names;
}
