// The crash-survival demo (README's main job): good calls, then every class of C crash, each
// caught as a typed CboxTrap with its C function, the sandbox recycled, the next call fine.
import { CboxTrap, createPool, load, type Library } from 'cbox';
import { binding as zooBinding } from '../wasm-modules/zoo.js';
import { binding as zooStrictBinding } from '../wasm-modules/zoo-strict.js';
import type { ZooExports } from '../wasm-modules/zoo.js';

interface Row { fn: string; failure: string; kind: string; frame: string; next: string; recoveryUs: string }

const zoo = await load(zooBinding, { memoryLimit: '32MiB', logger: null });
const strict = await load(zooStrictBinding, { memoryLimit: '32MiB', logger: null });

console.log(`cbox crash-survival demo: zoo.wasm in a ${zoo.stats().memory.limit / 2 ** 20} MiB sandbox, Node ${process.version}, pid ${process.pid}\n`);
const counter = zoo.counter_new(10n)!;
console.log(`good calls: add(2, 3) = ${zoo.add(2, 3)}; greet("world") = ${JSON.stringify(zoo.greet('world'))}; ` +
  `echo(1 MiB) = ${zoo.echo(new Uint8Array(1 << 20)).length} bytes; counter 10 + 5 = ${zoo.counter_add(counter, 5n)}\n`);

/** Recovery = from calling the crashing function to the next good answer: classification, crash
 * report, swap to the warm spare, and the next call. Between crashes the event loop turns (as it
 * would between requests), which lets the sandbox make its next spare off the hot path. */
async function crash(lib: Library<ZooExports>, fn: string, failure: string, call: () => unknown): Promise<Row> {
  await new Promise(setImmediate);
  let trap: CboxTrap | null = null;
  const started = process.hrtime.bigint();
  try {
    call();
  } catch (error) {
    if (!(error instanceof CboxTrap)) throw error;
    trap = error;
  }
  const answer = lib.add(2, 3);
  const recovered = process.hrtime.bigint();
  return {
    fn, failure,
    kind: trap ? `${trap.kind}${trap.exitCode !== undefined ? ` (${trap.exitCode})` : ''}` : 'no trap: wrote silently',
    frame: trap?.cStack.find((name) => !name.startsWith('__') && !name.startsWith('cbox_trap_')) ?? '-',
    next: answer === 5 ? 'add(2,3) = 5' : `WRONG ${answer}`,
    recoveryUs: trap ? (Number(recovered - started) / 1000).toFixed(0) : '-',
  };
}

const rows: Row[] = [];
for (const [lib, fn, failure, call] of [
  [zoo, 'crash_null_write', 'NULL write, plain build', () => zoo.crash_null_write()],
  [strict, 'crash_null_write', 'NULL write, strict build', () => strict.crash_null_write()],
  [zoo, 'crash_oob_write', 'wild write past memory', () => zoo.crash_oob_write()],
  [zoo, 'crash_stack_overflow', 'unbounded recursion', () => zoo.crash_stack_overflow(-1)],
  [zoo, 'crash_abort', 'abort()', () => zoo.crash_abort()],
  [zoo, 'crash_exit', 'exit(3)', () => zoo.crash_exit(3)],
  [zoo, 'crash_trap', '__builtin_trap()', () => zoo.crash_trap()],
  [zoo, 'crash_div_zero', '1 / 0', () => zoo.crash_div_zero(1, 0)],
  [zoo, 'crash_int_overflow', 'INT_MIN / -1', () => zoo.crash_int_overflow(-2147483648, -1)],
  [zoo, 'crash_bad_indirect_call', 'call through a mistyped pointer', () => zoo.crash_bad_indirect_call()],
  [zoo, 'crash_oom', 'malloc until NULL, then abort', () => zoo.crash_oom()],
  [zoo, 'crash_double_free', 'double free / heap corruption', () => zoo.crash_double_free()],
] as const) rows.push(await crash(lib, fn, failure, call));

const headers: Row = { fn: 'C function', failure: 'failure', kind: 'cbox saw', frame: 'innermost C frame', next: 'next call', recoveryUs: 'recovery (µs)' };
const keys = Object.keys(headers) as (keyof Row)[];
const widths = keys.map((key) => Math.max(...[headers, ...rows].map((row) => row[key].length)));
const line = (row: Row): string => keys.map((key, i) => row[key].padEnd(widths[i]!)).join(' | ');
console.log(line(headers));
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const row of rows) console.log(line(row));

// A runaway loop cannot be interrupted on the main thread; on a pool worker it can.
const pool = await createPool(zooBinding, { threads: 1, timeoutMs: 50, logger: null });
await pool.add(0, 0);
const spinStarted = performance.now();
const spinTrap = await pool.spin().then(() => null, (error: unknown) => error);
const stoppedAfter = performance.now() - spinStarted;
const nextAnswer = await pool.add(2, 3);
const answeredAfter = performance.now() - spinStarted;
console.log(`\nspin() (infinite loop) on a pool worker with a 50 ms deadline: ${spinTrap instanceof CboxTrap ? spinTrap.kind : `no trap: ${String(spinTrap)}`} after ` +
  `${stoppedAfter.toFixed(0)} ms (worker terminated, warm spare took over); next call add(2,3) = ${nextAnswer} at ${answeredAfter.toFixed(0)} ms`);
await pool.close();

let staleRefused = false;
try {
  zoo.counter_add(counter, 1n);
} catch (error) {
  staleRefused = (error as Error).name === 'StaleHandleError';
}
const stats = zoo.stats();
const traps = Object.values(stats.traps).reduce((a, b) => a + b, 0) + Object.values(strict.stats().traps).reduce((a, b) => a + b, 0)
  + (spinTrap instanceof CboxTrap ? 1 : 0);
console.log(`\nhandle from before the crashes refused: ${staleRefused}; zoo: ${stats.calls} calls, ${stats.recycles} recycles, now generation ${stats.generation}`);
console.log(`${traps} crashes caught as typed errors; process alive`);
zoo.close();
strict.close();
