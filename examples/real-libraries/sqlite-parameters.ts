// What a statement call binds: values in order (`?`, `?NNN`), or one object for named parameters
// (`:name`, `@name`, `$name`), as better-sqlite3 takes them. Counts are checked here, because
// SQLite would quietly bind NULL to a parameter left out.
import { CboxArgumentError } from '../../runtime/index.js';
import type { SqlValue } from './sqlite-values.js';

export type NamedParameters = Readonly<Record<string, SqlValue>>;
export type BindParameters = readonly SqlValue[] | readonly [NamedParameters];

function isNamed(args: readonly unknown[]): args is readonly [NamedParameters] {
  const [first] = args;
  return args.length === 1 && typeof first === 'object' && first !== null && !(first instanceof Uint8Array) && !Array.isArray(first);
}

/**
 * The values for parameters 1..count. `names()` gives each parameter's name with its prefix
 * ("" for a nameless `?`); it is only asked for when the call passes an object.
 */
export function orderParameters(args: BindParameters, count: number, names: () => readonly string[]): readonly SqlValue[] {
  if (!isNamed(args)) {
    if (args.length !== count) throw new CboxArgumentError(`the statement takes ${count} parameter${count === 1 ? '' : 's'}, got ${args.length}`);
    return args as readonly SqlValue[];
  }
  const [named] = args;
  return names().map((name, index) => {
    if (name === '' || name.startsWith('?')) throw new CboxArgumentError(`parameter ${index + 1} (${name || '?'}) has no name: pass the values in order instead of an object`);
    const key = name.slice(1);
    if (!Object.hasOwn(named, key)) throw new CboxArgumentError(`missing named parameter ${name} (no key "${key}" in the object)`);
    return named[key]!;
  });
}
