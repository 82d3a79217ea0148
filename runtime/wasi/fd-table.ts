// The guest's file descriptor table: what each WASI fd number stands for on the host side.
// Regular files and directories (preopens included) each hold one host fd, so the host fds a
// sandbox can pin are its table entries, bounded by MAX_DESCRIPTORS (plus the few a path walk
// holds during one call, see confined-path.ts).
import { closeSync } from 'node:fs';
import type { DirectoryEntry } from './directory-listing.js';
import { Errno, WasiErrnoError } from './errno.js';
import type { HeldDirectory } from './held-directory.js';
import type { LineOutput } from './line-output.js';

const MAX_DESCRIPTORS = 1024;

interface DescriptorState {
  /** fdflags (APPEND, SYNC, ...) as last set by path_open or fd_fdstat_set_flags. */
  flags: number;
  /** Advisory in wasi-libc; stored and reported back (fcntl(F_GETFL) derives O_RDWR & co from them). */
  rightsBase: bigint;
  rightsInheriting: bigint;
}

export interface StdinDescriptor extends DescriptorState {
  readonly kind: 'stdin';
}

export interface OutputDescriptor extends DescriptorState {
  readonly kind: 'output';
  readonly sink: LineOutput;
}

export interface FileDescriptor extends DescriptorState {
  readonly kind: 'file';
  readonly hostFd: number;
  /** Opened from a read-only preopen (the host fd is then read-only too). */
  readonly readOnly: boolean;
  /** The fd's own offset: reads and writes use positioned host I/O, never the host fd's offset. */
  position: number;
}

export interface DirectoryDescriptor extends DescriptorState {
  readonly kind: 'directory';
  /**
   * The host directory, held open (O_DIRECTORY|O_NOFOLLOW): a rename on the host does not change
   * which directory this is. Paths below it are resolved relative to it (confined-path.ts).
   */
  readonly held: HeldDirectory;
  /** Real path of the preopen this directory was reached from: nothing opened below it may lie elsewhere. */
  readonly grantPath: string;
  readonly readOnly: boolean;
  /** The name the guest sees for a preopened directory (fd_prestat_dir_name); undefined otherwise. */
  readonly preopenName: string | undefined;
  /** The entries fd_readdir hands out, read when the guest starts at cookie 0. */
  listing: DirectoryEntry[] | undefined;
}

export type Descriptor = StdinDescriptor | OutputDescriptor | FileDescriptor | DirectoryDescriptor;

export class FdTable {
  readonly #entries = new Map<number, Descriptor>();

  find(fd: number): Descriptor | undefined {
    return this.#entries.get(fd);
  }

  get(fd: number): Descriptor {
    const descriptor = this.find(fd);
    if (!descriptor) throw new WasiErrnoError(Errno.BADF);
    return descriptor;
  }

  /** A directory to resolve paths against (ENOTDIR for any other open fd, as in POSIX *at calls). */
  directory(fd: number): DirectoryDescriptor {
    const descriptor = this.get(fd);
    if (descriptor.kind !== 'directory') throw new WasiErrnoError(Errno.NOTDIR);
    return descriptor;
  }

  /** Puts the descriptor at the lowest free number, like POSIX open. */
  add(descriptor: Descriptor): number {
    if (this.#entries.size >= MAX_DESCRIPTORS) throw new WasiErrnoError(Errno.MFILE);
    let fd = 0;
    while (this.#entries.has(fd)) fd++;
    this.#entries.set(fd, descriptor);
    return fd;
  }

  close(fd: number): void {
    const descriptor = this.get(fd);
    // The number is free even if the host close fails, as with POSIX close.
    this.#entries.delete(fd);
    if (descriptor.kind === 'file') closeSync(descriptor.hostFd);
    else if (descriptor.kind === 'directory') descriptor.held.close();
  }

  /** fd_renumber: `from` takes over the number `to`, whose old descriptor is closed. */
  renumber(from: number, to: number): void {
    const descriptor = this.get(from);
    this.get(to);
    if (from === to) return;
    this.close(to);
    this.#entries.delete(from);
    this.#entries.set(to, descriptor);
  }

  /** Closes every host fd and empties the table. */
  closeAll(): void {
    for (const descriptor of this.#entries.values()) {
      try {
        if (descriptor.kind === 'file') closeSync(descriptor.hostFd);
        else if (descriptor.kind === 'directory') descriptor.held.close();
      } catch {
        // The sandbox is being discarded; a failed close leaves nothing the guest could still use.
      }
    }
    this.#entries.clear();
  }

  /** Host fds of regular files currently open on the guest's behalf (directories not counted). */
  get openHostFiles(): number {
    let count = 0;
    for (const descriptor of this.#entries.values()) if (descriptor.kind === 'file') count++;
    return count;
  }
}

/** The host fd behind a file or directory descriptor. */
export function hostFdOf(descriptor: FileDescriptor | DirectoryDescriptor): number {
  return descriptor.kind === 'file' ? descriptor.hostFd : descriptor.held.fd;
}
