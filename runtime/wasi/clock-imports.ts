// Clocks and poll_oneoff (which wasi-libc uses for sleep, nanosleep and poll). All of it is
// withheld when the `clock` option is false, since time is also a side channel.
import { fstatSync } from 'node:fs';
import { ClockId, EVENT_SIZE, EventType, SUBCLOCK_ABSTIME, SUBSCRIPTION_SIZE } from './abi.js';
import type { WasiContext } from './context.js';
import { Errno, WasiErrnoError } from './errno.js';
import type { FdTable } from './fd-table.js';
import type { Preview1Handlers } from './preview1.js';

const NS_PER_MS = 1_000_000n;
/** The guest sleeps by blocking this thread, as a synchronous C sleep() would. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

interface ReadyEvent {
  readonly userdata: bigint;
  readonly error: number;
  readonly type: number;
  readonly nbytes: bigint;
}

export function clockImports({ memory, fds, options }: WasiContext) {
  const allowed = (): void => {
    if (!options.clock) throw new WasiErrnoError(Errno.NOTCAPABLE);
  };
  return {
    clock_res_get(clockId, resolutionOut) {
      allowed();
      memory.setU64(resolutionOut, clockResolution(clockId));
    },
    clock_time_get(clockId, _precision, timeOut) {
      allowed();
      memory.setU64(timeOut, clockNow(clockId));
    },
    poll_oneoff(subscriptions, eventsOut, subscriptionCount, eventCountOut) {
      const count = subscriptionCount >>> 0;
      if (count === 0) throw new WasiErrnoError(Errno.INVAL);
      memory.bytes(subscriptions, count * SUBSCRIPTION_SIZE);
      memory.bytes(eventsOut, count * EVENT_SIZE);
      memory.bytes(eventCountOut, 4);
      const ready: ReadyEvent[] = [];
      const timers: { userdata: bigint; waitNs: bigint }[] = [];
      for (let index = 0; index < count; index++) {
        const at = subscriptions + index * SUBSCRIPTION_SIZE;
        const userdata = memory.u64(at);
        const type = memory.u8(at + 8);
        if (type === EventType.CLOCK) {
          try {
            allowed();
            const timeout = memory.u64(at + 24);
            const absolute = (memory.u16(at + 40) & SUBCLOCK_ABSTIME) !== 0;
            const waitNs = absolute ? timeout - clockNow(memory.u32(at + 16)) : timeout;
            timers.push({ userdata, waitNs: waitNs > 0n ? waitNs : 0n });
          } catch (error) {
            if (!(error instanceof WasiErrnoError)) throw error;
            ready.push({ userdata, error: error.errno, type, nbytes: 0n });
          }
        } else if (type === EventType.FD_READ || type === EventType.FD_WRITE) {
          ready.push(fdReadiness(fds, memory.u32(at + 16), userdata, type));
        } else {
          ready.push({ userdata, error: Errno.INVAL, type, nbytes: 0n });
        }
      }
      // Nothing is ever "not ready" but time: wait only when timers are all there is.
      if (ready.length === 0) {
        const waitNs = timers.reduce((earliest, timer) => (timer.waitNs < earliest ? timer.waitNs : earliest), timers[0]!.waitNs);
        if (waitNs > 0n) Atomics.wait(sleeper, 0, 0, Number(waitNs) / Number(NS_PER_MS));
        for (const timer of timers) {
          if (timer.waitNs <= waitNs) ready.push({ userdata: timer.userdata, error: Errno.SUCCESS, type: EventType.CLOCK, nbytes: 0n });
        }
      }
      memory.bytes(eventsOut, ready.length * EVENT_SIZE).fill(0);
      ready.forEach((event, index) => {
        const at = eventsOut + index * EVENT_SIZE;
        memory.setU64(at, event.userdata);
        memory.setU16(at + 8, event.error);
        memory.setU8(at + 10, event.type);
        memory.setU64(at + 16, event.nbytes);
      });
      memory.setU32(eventCountOut, ready.length);
    },
  } satisfies Partial<Preview1Handlers>;
}

/** Regular files and the stdio streams never block; a read event reports the bytes left. */
function fdReadiness(fds: FdTable, fd: number, userdata: bigint, type: number): ReadyEvent {
  const descriptor = fds.find(fd);
  if (!descriptor) return { userdata, error: Errno.BADF, type, nbytes: 0n };
  let nbytes = 0n;
  if (descriptor.kind === 'file' && type === EventType.FD_READ) {
    const remaining = fstatSync(descriptor.hostFd, { bigint: true }).size - BigInt(descriptor.position);
    nbytes = remaining > 0n ? remaining : 0n;
  }
  return { userdata, error: Errno.SUCCESS, type, nbytes };
}

function clockNow(clockId: number): bigint {
  switch (clockId) {
    case ClockId.REALTIME: return BigInt(Date.now()) * NS_PER_MS;
    case ClockId.MONOTONIC: return process.hrtime.bigint();
    case ClockId.PROCESS_CPUTIME: {
      const usage = process.cpuUsage();
      return BigInt(usage.user + usage.system) * 1000n;
    }
    // Node offers no per-thread CPU time; the process's would be a wrong answer.
    case ClockId.THREAD_CPUTIME: throw new WasiErrnoError(Errno.NOTSUP);
    default: throw new WasiErrnoError(Errno.INVAL);
  }
}

function clockResolution(clockId: number): bigint {
  switch (clockId) {
    case ClockId.REALTIME: return NS_PER_MS;
    case ClockId.MONOTONIC: return 1n;
    case ClockId.PROCESS_CPUTIME: return 1000n;
    case ClockId.THREAD_CPUTIME: throw new WasiErrnoError(Errno.NOTSUP);
    default: throw new WasiErrnoError(Errno.INVAL);
  }
}
