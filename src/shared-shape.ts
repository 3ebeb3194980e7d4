/**
 * A shallow copy of `value` built key by key from `{}`, so it shares its hidden class with every
 * other object that has the same keys in the same order.
 *
 * Why: on Node 20 (V8 11.3), once a function is optimised, every object made by `{ ...x, newKey }`
 * (a key `x` lacks) gets a hidden class of its own: a map, a descriptor array and, once serialised,
 * an enum cache, about 0.4 KB per object. That is nothing for a temporary, but objects kept for a
 * task's whole life (its card handle, its live record) cost ~4 MB more with 10,000 tasks in flight.
 * Newer V8s (Node 22+) share the class; there the copy is only a copy. Use it where such an object
 * is kept, not on every spread.
 */
export function sharedShape<T extends object>(value: T): T {
  return Object.assign({}, value);
}
