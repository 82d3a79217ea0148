// A call into a cbox library through its WASI component (cbox build --component, jco transpile,
// preview2-shim: what any jco user runs) against the same call through cbox's typed binding, in
// one run. Writes bench/results/component.{json,md}.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { load } from 'cbox';
import type { KernelsExports } from '../wasm-modules/kernels.js';
import { transpileComponentFile } from '../build/component/jco-host.js';
import { describeMachine } from './machine.js';
import { Suite } from './measure.js';
import { bindingOf, resultsDir, root } from './paths.js';

const outDir = mkdtempSync(path.join(os.tmpdir(), 'cbox-bench-component-'));
execFileSync(process.execPath, [path.join(root, 'dist/cli.js'), 'build', 'c-src/kernels/cbox.json', '--component', '--no-native', '--quiet', '--out', outDir],
  { cwd: root, stdio: 'inherit' });
const transpiled = await transpileComponentFile(path.join(outDir, 'kernels.component.wasm'), path.join(outDir, 'kernels-js'));
const component = (await transpiled.instantiate()).kernels!;
const kernels = await load(await bindingOf<KernelsExports>('kernels'), { logger: null });

const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 31) & 255);
const CASES = [
  { case: 'add_i32(1, 2)', typed: () => kernels.add_i32(1, 2), component: () => component.addI32!(1, 2), batch: 1000 },
  { case: 'crc32(1 KiB)', typed: () => kernels.crc32(data), component: () => component.crc32!(data), batch: 100 },
  { case: 'echo(1 KiB) -> 1 KiB', typed: () => kernels.echo(data), component: () => component.echo!(data), batch: 100 },
  { case: "base64_decode('aGVsbG8=')", typed: () => kernels.base64_decode('aGVsbG8='), component: () => component.base64Decode!('aGVsbG8='), batch: 100 },
];
for (const { case: name, typed, component: viaComponent } of CASES) {
  const ours = JSON.stringify(typed(), (_, value) => typeof value === 'bigint' ? String(value) : value);
  const theirs = JSON.stringify(viaComponent(), (_, value) => typeof value === 'bigint' ? String(value) : value);
  if (ours !== theirs) throw new Error(`bench: ${name} answers differently through the component (${theirs}) and load() (${ours})`);
}

const TYPED = 'cbox typed binding';
const COMPONENT = 'component via jco transpile';
const suite = new Suite('call', { time: 500 });
for (const { case: name, typed, component: viaComponent, batch } of CASES) {
  suite.add({ case: name, path: TYPED, batch, run: typed });
  suite.add({ case: name, path: COMPONENT, batch, run: viaComponent });
}
const measurements = await suite.run();
kernels.close();

const rows = CASES.map(({ case: name }) => {
  const typedNs = measurements.find((m) => m.case === name && m.path === TYPED)!.medianNs;
  const componentNs = measurements.find((m) => m.case === name && m.path === COMPONENT)!.medianNs;
  return { case: name, typedNs, componentNs, ratio: componentNs / typedNs };
});
const machine = describeMachine();
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'component.json'), `${JSON.stringify({ machine, rows, measurements }, null, 2)}\n`);
const table = [
  '| call | cbox typed binding (median) | component via jco (median) | component / typed |',
  '|---|---:|---:|---:|',
  ...rows.map((row) => `| ${row.case} | ${formatNs(row.typedNs)} | ${formatNs(row.componentNs)} | ${row.ratio.toFixed(0)}x |`),
].join('\n');
writeFileSync(path.join(resultsDir, 'component.md'),
  `# A call through the WASI component vs cbox's typed binding\n\n\`npm run bench:component\`, ${machine.date}, ${machine.cpu} (${machine.cores} cores), Node ${machine.node}.\n\n${table}\n`);
console.log(table);

function formatNs(ns: number): string {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}
