// Acceptance of issue 10's load side: seeded mutations of a built module and of its cbox.abi
// stamp, and the hand-made hostile corpus, each loaded with load(bytes, { spare: false }) and its
// start-up deadline in a worker thread. Every case ends in a CboxLoadError with a code or a safe
// library: no raw error, no unsafe library, no hang, no dead worker.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { corpusCases, mutatedCases } from './fuzz/cases.js';
import { formatReport, runCases } from './fuzz/harness.js';
import { HOSTILE_MODULES } from './fuzz/hostile-corpus.js';
import { modulePath } from './helpers.js';

const SEED = 20261127;

it('a few thousand mutated modules and stamps, and the hostile corpus: every load ends in a CboxLoadError or a safe library', async () => {
  const zoo = new Uint8Array(readFileSync(modulePath('zoo')));
  // A module with callback imports too: its stamp's callback types and its imports are mutated.
  const callbacks = new Uint8Array(readFileSync(modulePath('callbacks')));
  const corpus = await corpusCases(HOSTILE_MODULES);
  const counts = { bytes: 1000, stamps: 1000 };
  const callbackCounts = { bytes: 300, stamps: 300 };
  function* cases() {
    yield* corpus;
    yield* mutatedCases(zoo, SEED, counts);
    yield* mutatedCases(callbacks, SEED + 2, callbackCounts);
  }
  // One worker: the other core stays with the test files vitest runs alongside (some time deadlines).
  const report = await runCases(cases(), { workers: 1, watchdogMs: 60_000 });
  console.log(formatReport(report));
  expect(report.cases).toBe(corpus.length + counts.bytes + counts.stamps + callbackCounts.bytes + callbackCounts.stamps);
  expect(report.raw).toEqual([]);
  expect(report.unsafe).toEqual([]);
  expect(report.crashes).toEqual([]);
  expect(report.hangs).toEqual([]);
  expect(report.refused['init-timeout']).toBeGreaterThanOrEqual(1); // the corpus's endless start-up
}, 180_000);
