// At load: a module may import cbox.meter only if its stamp says it was built metered, and a
// module stamped metered must really carry the instrumentation (the import and the fuel global),
// or the deadlines and budgets its stamp promises would silently not hold.
import type { AbiStamp } from '../abi.js';
import { CboxLoadError } from '../errors.js';
import type { ImportEntry, ModuleShape } from '../wasm-inspect.js';
import { FUEL_GLOBAL_EXPORT, METER_IMPORT_MODULE, METER_IMPORT_NAME } from './abi.js';

export function isMeterImport(entry: ImportEntry): boolean {
  return entry.kind === 'function' && entry.module === METER_IMPORT_MODULE && entry.name === METER_IMPORT_NAME;
}

export function checkMetering(stamp: AbiStamp, shape: ModuleShape, origin: string): void {
  const imports = shape.imports.some(isMeterImport);
  if (stamp.metered !== true) {
    if (imports) throw new CboxLoadError('unknown-import', `${origin}: imports ${METER_IMPORT_MODULE}.${METER_IMPORT_NAME} but its stamp does not say it is metered`);
    return;
  }
  const fuel = shape.exports.find((entry) => entry.name === FUEL_GLOBAL_EXPORT);
  if (!imports || fuel?.kind !== 'global') {
    throw new CboxLoadError('abi-stamp-corrupt', `${origin}: stamped metered but lacks the metering ${imports ? `export ${FUEL_GLOBAL_EXPORT}` : `import ${METER_IMPORT_MODULE}.${METER_IMPORT_NAME}`}: rebuild with \`cbox build --metered\``);
  }
}
