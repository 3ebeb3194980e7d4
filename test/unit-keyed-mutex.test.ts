/**
 * KeyedMutex with a lock shared across replicas (src/store/kv.ts): the caller gets its result once its work ends,
 * without waiting for the lock's release (a Redis round trip); the next holder in this process waits for it.
 */
import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../src/store/kv.js';
import type { SharedLock } from '../src/store/redis.js';

/** A shared lock whose releases wait until `release()` is called; it records the order things happen in. */
function slowReleaseLock(log: string[]): { lock: SharedLock; release: () => void } {
  const pending: Array<() => void> = [];
  const lock: SharedLock = async (key) => {
    log.push(`take ${key}`);
    return () =>
      new Promise<void>((resolve) =>
        pending.push(() => {
          log.push(`give back ${key}`);
          resolve();
        }),
      );
  };
  return { lock, release: () => pending.splice(0).forEach((go) => go()) };
}

describe('KeyedMutex over a shared lock', () => {
  it('GIVEN work done THEN its caller has the result before the release, and the next holder only after it', async () => {
    const log: string[] = [];
    const { lock, release } = slowReleaseLock(log);
    const mutex = new KeyedMutex(lock);
    const first = await mutex.run('u', async () => 'one');
    expect(first).toBe('one');
    expect(log).toEqual(['take u']);
    const second = mutex.run('u', async () => {
      log.push('second works');
      return 'two';
    });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['take u']); // still held: the second waits
    release();
    expect(await second).toBe('two');
    expect(log).toEqual(['take u', 'give back u', 'take u', 'second works']);
  });

  it('GIVEN a release that fails THEN the work still succeeds and the next holder goes on', async () => {
    const lock: SharedLock = async () => () => Promise.reject(new Error('store gone'));
    const mutex = new KeyedMutex(lock);
    expect(await mutex.run('u', async () => 1)).toBe(1);
    expect(await mutex.run('u', async () => 2)).toBe(2);
  });

  it('GIVEN work that fails THEN the caller sees its error and the lock is still given back', async () => {
    const log: string[] = [];
    const { lock, release } = slowReleaseLock(log);
    const mutex = new KeyedMutex(lock);
    await expect(mutex.run('u', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    release();
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['take u', 'give back u']);
  });
});
