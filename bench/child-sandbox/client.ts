// The parent side of the child-process sandbox: one forked child at a time, calls matched to
// replies by id, and a restart after the child dies.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { CallReply, CallRequest } from './protocol.js';

/** The child's bundle sits next to the bench's (bench/run.mjs builds both). */
const CHILD_SCRIPT = new URL('./child-sandbox.js', import.meta.url);

interface Pending { resolve(value: unknown): void; reject(error: Error): void }

export class ChildSandbox {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(private child: ChildProcess) {
    this.attach(child);
  }

  static async start(): Promise<ChildSandbox> {
    return new ChildSandbox(await startChild());
  }

  call(library: CallRequest['library'], fn: string, ...args: unknown[]): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, library, fn, args } satisfies CallRequest);
    });
  }

  /** Makes the child crash in native code (abort()), waits for it to die and starts a new one. */
  async crashAndRestart(): Promise<void> {
    const exited = once(this.child, 'exit');
    this.call('zoo', 'crash_abort').catch(() => { /* the child died answering, as intended */ });
    await exited;
    this.child = await startChild();
    this.attach(this.child);
  }

  close(): void {
    this.child.kill();
  }

  private attach(child: ChildProcess): void {
    child.on('message', (reply: CallReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ('error' in reply) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply.result);
    });
    child.on('exit', (code, signal) => {
      for (const waiting of this.pending.values()) waiting.reject(new Error(`the sandbox child died (${signal ?? `exit ${code}`})`));
      this.pending.clear();
    });
  }
}

async function startChild(): Promise<ChildProcess> {
  const child = fork(CHILD_SCRIPT, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const [message] = await once(child, 'message') as [unknown];
  if (!(typeof message === 'object' && message !== null && 'ready' in message)) throw new Error('the sandbox child did not start');
  return child;
}
