/**
 * The `exports.default` of a CommonJS module compiled from TypeScript (Bolt's App.js and
 * HTTPReceiver.js), from its ESM namespace. Node and the bundle give `default` = `module.exports`,
 * so the class is `default.default`; the test runner's interop already unwraps it to the class.
 */
export function commonJsDefault<T>(namespace: { default: { default: T } }): T {
  const outer: unknown = namespace.default;
  if (typeof outer === 'function') return outer as T;
  const inner: unknown = typeof outer === 'object' && outer !== null ? Reflect.get(outer, 'default') : undefined;
  if (typeof inner !== 'function') throw new TypeError('a CommonJS module has no default export to construct');
  return inner as T;
}
