// Grants under attack by a race: two pool workers run sandboxed C (c-src/wasi-fixture/race_probe.c)
// that keeps reading, writing, touching and creating through "dir" and "link" in a writable
// preopen, while a host thread keeps swapping both between an inside directory and a symlink
// to a canary directory outside the grant. Whatever the interleaving, the canary must never be
// read, written, touched or added to.
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from 'cbox';
import type { WasiRaceExports } from '../wasm-modules/wasi-race.js';
import { bindingOf } from './helpers.js';

const SWAP_MS = 3000;
const MAX_SWAPS = 200_000;
const ROUNDS_PER_CALL = 50;
const SECRET = `CANARY-SECRET-${process.pid}`;
const TARGET = `CANARY-TARGET-${process.pid}`;

// The attacker outside the sandbox: atomically swaps grant/dir (a real directory, then a symlink
// to the canary, and back) and grant/link (inside, outward relative, outward absolute).
const SWAPPER = `
const { renameSync, symlinkSync } = require('node:fs');
const { join } = require('node:path');
const { parentPort, workerData: { grant, canary, ms, maxSwaps } } = require('node:worker_threads');
const targets = ['inside', '../canary', canary];
const started = Date.now();
let swaps = 0;
while (Date.now() - started < ms && swaps < maxSwaps) {
  renameSync(join(grant, 'dir'), join(grant, 'parked-dir'));
  renameSync(join(grant, 'parked-link'), join(grant, 'dir'));
  renameSync(join(grant, 'dir'), join(grant, 'parked-link'));
  renameSync(join(grant, 'parked-dir'), join(grant, 'dir'));
  symlinkSync(targets[swaps % 3], join(grant, 'link.next'));
  renameSync(join(grant, 'link.next'), join(grant, 'link'));
  swaps++;
}
parentPort.postMessage(swaps);
`;

interface Totals { calls: number; reads: number; writes: number; creates: number; refusals: number; odd: string[] }

let work: string;
let grant: string;
let canary: string;
let pool: Pool<WasiRaceExports>;

function fillDirectory(directory: string): void {
  writeFileSync(join(directory, 'secret.txt'), 'inside');
  writeFileSync(join(directory, 'target.txt'), 'inside target');
}

beforeAll(async () => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'cbox-wasi-race-')));
  grant = join(work, 'grant');
  canary = join(work, 'canary');
  mkdirSync(canary);
  writeFileSync(join(canary, 'secret.txt'), SECRET);
  writeFileSync(join(canary, 'target.txt'), TARGET);
  mkdirSync(grant);
  for (const name of ['inside', 'dir']) {
    mkdirSync(join(grant, name));
    fillDirectory(join(grant, name));
  }
  symlinkSync('inside', join(grant, 'link'));
  symlinkSync(canary, join(grant, 'parked-link'));
  pool = await createPool(await bindingOf<WasiRaceExports>('wasi-race'), {
    threads: 2, logger: null, wasi: { preopens: { '/data': { path: grant } } },
  });
});

afterAll(async () => {
  await pool?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a writable preopen shared by two workers while the host swaps symlinks and directories', () => {
  it('never lets the sandboxed C read, write, touch or create anything outside the grant', async () => {
    const canaryBefore = canaryState();
    const outsideBefore = readdirSync(work).sort();
    const swapper = new Worker(SWAPPER, { eval: true, workerData: { grant, canary, ms: SWAP_MS, maxSwaps: MAX_SWAPS } });
    const swapped = new Promise<number>((resolve, reject) => {
      swapper.once('message', resolve);
      swapper.once('error', reject);
    });
    let swapping = true;
    void swapped.finally(() => { swapping = false; });

    const totals: Totals = { calls: 0, reads: 0, writes: 0, creates: 0, refusals: 0, odd: [] };
    while (swapping) {
      const answers = await Promise.all([pool.race_attack(ROUNDS_PER_CALL), pool.race_attack(ROUNDS_PER_CALL)]);
      for (const answer of answers) addAnswer(totals, answer);
    }
    const swaps = await swapped;
    await swapper.terminate();

    const leaked = totals.odd.filter((text) => text.includes('CANARY'));
    console.info(`wasi race: ${swaps} swaps, ${totals.calls} calls x ${ROUNDS_PER_CALL} rounds, ${totals.reads} reads, `
      + `${totals.writes} writes/touches, ${totals.creates} creates, ${totals.refusals} refusals, ${leaked.length} canary reads`);
    // The race ran: the C code did get through both paths many times.
    expect(swaps).toBeGreaterThan(0);
    expect(totals.reads).toBeGreaterThan(0);
    const canaryAfter = canaryState();
    const outsideAfter = readdirSync(work).sort();
    console.info(`wasi race: canary ${JSON.stringify(canaryAfter) === JSON.stringify(canaryBefore) ? 'unchanged' : `changed: ${JSON.stringify(canaryAfter)}`}, `
      + `outside the grant: ${JSON.stringify(outsideAfter)}`);
    expect(leaked).toEqual([]);
    expect(canaryAfter).toEqual(canaryBefore);
    expect(outsideAfter).toEqual(outsideBefore);
  }, 120_000);
});

function addAnswer(totals: Totals, answer: string): void {
  const [header, ...odd] = answer.split('\n');
  const [reads, writes, creates, refusals] = header!.split(' ').map(Number) as [number, number, number, number];
  totals.calls++;
  totals.reads += reads;
  totals.writes += writes;
  totals.creates += creates;
  totals.refusals += refusals;
  totals.odd.push(...odd.filter((line) => line !== ''));
}

/** Everything about the canary directory a leak could change: names, contents, times. */
function canaryState(): unknown {
  return readdirSync(canary).sort().map((name) => {
    const stats = lstatSync(join(canary, name));
    return { name, content: stats.isFile() ? readFileSync(join(canary, name), 'utf8') : null, mtimeMs: stats.mtimeMs, atimeMs: statSync(join(canary, name)).atimeMs };
  });
}
