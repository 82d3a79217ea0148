// Host directories held open by fd, and the *at-style operations done relative to them.
// Node has no openat(2), but on Linux `/proc/self/fd/<fd>/<name>` is one: the kernel resolves
// the magic link `/proc/self/fd/<fd>` to the very directory the fd refers to (wherever it has
// been moved since), then looks `<name>` up inside it. So with `name` a single component (never
// "" or "..", never containing "/"; "." names the held directory itself), every node:fs call on
// procPath(fd, name) acts on the entry `name` of that held directory, exactly like its *at
// counterpart. confined-path.ts builds the guest's path resolution on this.
import { closeSync, constants, fstatSync, openSync, readlinkSync, statSync } from 'node:fs';
import { CboxError } from '../errors.js';
import { Errno, WasiErrnoError } from './errno.js';

/** Opens a directory entry without following a symlink there, and never blocks on a FIFO. */
export const NO_FOLLOW = constants.O_NOFOLLOW | constants.O_NONBLOCK;
const DIRECTORY_ONLY = constants.O_RDONLY | constants.O_DIRECTORY | NO_FOLLOW;

/** The host path that names entry `name` of held directory `hostFd`, or the directory itself. */
export function procPath(hostFd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${hostFd}` : `/proc/self/fd/${hostFd}/${name}`;
}

/** openat(parent, name, O_DIRECTORY|O_NOFOLLOW): throws the host error (ELOOP/ENOTDIR for a symlink). */
export function openDirectoryAt(parentFd: number, name: string): number {
  return openSync(procPath(parentFd, name), DIRECTORY_ONLY);
}

/** A second fd on the directory `hostFd` holds (the guest's fd and the walk's fds close separately). */
export function reopenDirectory(hostFd: number): number {
  // Through "<fd>/.": O_NOFOLLOW would refuse the magic link itself.
  return openDirectoryAt(hostFd, '.');
}

/**
 * Opens a preopen's host directory (its real path) for the guest's descriptor table. Refuses
 * when /proc/self/fd does not resolve to the held directory (not Linux, /proc not mounted):
 * without it cbox has no race-free way to keep paths inside the grant.
 */
export function openGrant(guestName: string, hostPath: string): number {
  let hostFd: number;
  try {
    hostFd = openSync(hostPath, DIRECTORY_ONLY);
  } catch (error) {
    throw new CboxError('bad-wasi-options', `preopen ${guestName}: host directory ${hostPath} cannot be opened: ${(error as Error).message}`);
  }
  try {
    const held = fstatSync(hostFd);
    const seen = statSync(procPath(hostFd));
    if (held.dev === seen.dev && held.ino === seen.ino) return hostFd;
  } catch {
    // Reported below, like a mismatch.
  }
  closeSync(hostFd);
  throw new CboxError('bad-wasi-options',
    `preopen ${guestName}: preopens need Linux's /proc/self/fd (cbox resolves guest paths through held directory fds there, so they cannot be raced), and it is not available`);
}

/**
 * The last check before an fd reaches the guest or a write takes effect: where the kernel says
 * `hostFd` is must be the grant (a real path) or below it. Catches a directory the host moved
 * out of the grant while the guest held it.
 */
export function assertInsideGrant(hostFd: number, grantPath: string): void {
  const actual = readlinkSync(procPath(hostFd));
  const prefix = grantPath.endsWith('/') ? grantPath : `${grantPath}/`;
  if (actual !== grantPath && !actual.startsWith(prefix)) throw new WasiErrnoError(Errno.NOTCAPABLE, 'opened outside the grant');
}

export function sameDirectory(firstFd: number, secondFd: number): boolean {
  if (firstFd === secondFd) return true;
  const first = fstatSync(firstFd);
  const second = fstatSync(secondFd);
  return first.dev === second.dev && first.ino === second.ino;
}

/**
 * A directory descriptor's host fd. A preopen's is opened on first use: reset() restores the
 * preopens without opening anything, so an instance that is reset and discarded holds no fd.
 */
export class HeldDirectory {
  #hostFd: number | undefined;
  readonly #reopen: (() => number) | undefined;

  constructor(hostFd: number | undefined, reopen?: () => number) {
    this.#hostFd = hostFd;
    this.#reopen = reopen;
  }

  /** Throws the host error (mapped to an errno for the guest) when a preopen cannot be reopened. */
  get fd(): number {
    this.#hostFd ??= this.#reopen!();
    return this.#hostFd;
  }

  close(): void {
    const hostFd = this.#hostFd;
    this.#hostFd = undefined;
    if (hostFd !== undefined) closeSync(hostFd);
  }
}

/** Opens a preopen's directory again (after a reset); its real path is trusted, as the grant is. */
export function reopenGrant(hostPath: string): number {
  return openSync(hostPath, DIRECTORY_ONLY);
}

/** Closes fds the walk or a failed open held; a failure leaves nothing the guest could use. */
export function closeQuietly(hostFd: number): void {
  try {
    closeSync(hostFd);
  } catch {
    // Already gone.
  }
}
