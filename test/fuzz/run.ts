// npm run fuzz [cases] [seed]: the long fuzz run (default 100000 mutated cases, seed from the
// clock), outside vitest; prints the report and exits 1 on any raw error, unsafe load, hang or dead worker.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { modulePath } from '../helpers.js';
import { corpusCases, mutatedCases } from './cases.js';
import { formatReport, runCases } from './harness.js';
import { HOSTILE_MODULES } from './hostile-corpus.js';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
if (!Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz [cases] [seed]');
  process.exit(2);
}
console.log(`fuzz: ${count} mutated cases of zoo.wasm, seed ${seed}`);
const zoo = new Uint8Array(readFileSync(modulePath('zoo')));
const corpus = await corpusCases(HOSTILE_MODULES);
const half = Math.floor(count / 2);
function* cases() {
  yield* corpus;
  yield* mutatedCases(zoo, seed, { bytes: count - half, stamps: half }); // made one by one: 100000 modules would not fit in memory
}
const report = await runCases(cases(), {
  workers: Math.max(1, Math.min(os.availableParallelism(), 4)),
  watchdogMs: 60_000,
  onResult: (done) => { if (done % 5000 === 0) console.log(`  ${done} cases`); },
});
console.log(formatReport(report));
process.exit(report.raw.length + report.unsafe.length + report.hangs.length + report.crashes.length > 0 ? 1 : 0);
