// The contract between `cbox build --metered` and the host: the module imports one function,
// cbox.meter (no arguments, no result), and exports one mutable i32 global, cbox_fuel: the work
// units left before the module calls cbox.meter again (it calls when the balance drops below 0).
export const METER_IMPORT_MODULE = 'cbox';
export const METER_IMPORT_NAME = 'meter';
export const FUEL_GLOBAL_EXPORT = 'cbox_fuel';
