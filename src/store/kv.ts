import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv from 'keyv';
import type { SharedLock } from './redis.js';
import { SqliteStore } from './sqlite-store.js';

/** Opens the keyv backend named by STORE_URL: sqlite:// (default), redis:// or memory://. */
export async function openKeyv(url: string): Promise<Keyv> {
  if (url.startsWith('memory://')) return new Keyv({ namespace: 'kb', throwOnErrors: true });
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const { default: KeyvRedis } = await import('@keyv/redis');
    // A Redis that is down fails each call at once (no offline queue holding commands until it is
    // back, no endless first connect): a store error is an answer the bot can give, a hang is not.
    const redis = new KeyvRedis(
      { url, disableOfflineQueue: true, socket: { connectTimeout: 5000 } },
      { throwOnErrors: true, throwOnConnectError: true, connectionTimeout: 5000 },
    );
    // Connected and ready (database selected) before the first command: without an offline queue,
    // a command sent while it is still connecting would fail.
    const client = await redis.getClient();
    if ('isReady' in client && !client.isReady)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('Redis did not become ready within 5 s')), 5000);
        client.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    return new Keyv({ store: redis, namespace: 'kb', useKeyPrefix: false, throwOnErrors: true });
  }
  const file = url.replace(/^sqlite:\/\//, '');
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  return new Keyv({ store: new SqliteStore(file, { busyTimeoutMs: 10_000 }), namespace: 'kb' });
}

/**
 * Serialises read-modify-write sequences per key: in this process always, and across processes
 * too when a shared lock is given (several replicas on one Redis).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly shared?: SharedLock) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const shared = this.shared;
    const guarded = shared
      ? async () => {
          const release = await shared(key);
          try {
            return await work();
          } finally {
            await release();
          }
        }
      : work;
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(guarded, guarded);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
