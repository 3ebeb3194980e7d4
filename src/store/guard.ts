import { StoreError } from '../errors.js';

/** Runs a store operation; any failure becomes a StoreError naming what could not be done. */
export async function guard<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(what, err);
  }
}
