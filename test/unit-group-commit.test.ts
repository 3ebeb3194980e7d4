/**
 * Group commit on keyv (issue 17, a faster answer under a burst): the admissions that arrive while one
 * batch is written go to the store together (src/store/kv-admissions.ts), each checked against the caps
 * on its own, all of it or none of it written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { StoreError } from '../src/errors.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { keyvStorage, type Storage } from '../src/store/storage.js';
import { flakyStore } from './helpers/flaky-store.js';

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const DAY = '2026-12-07';
const dir = mkdtempSync(join(tmpdir(), 'kb-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const opened: Storage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

let n = 0;
function record(userId: string, units = 1, guildId = 'G1'): TaskRecord {
  n++;
  return {
    id: `kbgroup${String(n).padStart(6, '0')}`,
    scope: { platform: 'discord', guildId, channelId: 'C1', userId, userName: userId },
    request: { kind: 'text2video', prompt: 'p', model: 'kling-v3', mode: 'pro', duration: '5', aspect_ratio: '16:9' },
    state: 'pending',
    createdAt: T0,
    updatedAt: T0,
    budget: { units },
  };
}

/** An SQLite file, counting the transactions (setMany) the admissions take and keeping the last one's entries. */
function sqliteStorage() {
  const store = new SqliteStore(join(dir, `g${n}.sqlite`));
  let transactions = 0;
  let last: ReadonlyArray<{ key: string; value: unknown }> = [];
  const setMany = store.setMany.bind(store);
  store.setMany = (entries) => {
    transactions++;
    last = entries;
    return setMany(entries);
  };
  const kv = new Keyv({ store, namespace: 'kb', throwOnErrors: true });
  const storage = keyvStorage(kv);
  opened.push(storage);
  let reads = 0;
  const get = store.get.bind(store);
  const getMany = store.getMany.bind(store);
  store.get = (key) => (reads++, get(key));
  store.getMany = (keys) => (reads++, getMany(keys));
  return { storage, kv, transactions: () => transactions, lastWrite: () => last, reads: () => reads };
}

const nothing = { user: 0, guild: 0, bot: 0 };

describe('group commit of new tasks (keyv)', () => {
  it('GIVEN 40 commands that arrive together THEN they are written in 2 transactions, each with its record, indexes, count and units', async () => {
    const { storage, transactions } = sqliteStorage();
    const recs = Array.from({ length: 40 }, (_, i) => record(`U${i}`));
    const outcomes = await Promise.all(recs.map((r) => storage.tasks.admit(r)));
    expect(outcomes.every((o) => o === undefined)).toBe(true);
    // The first goes alone (nothing was being written); the other 39 arrived meanwhile and go together.
    expect(transactions()).toBe(2);
    expect((await storage.tasks.getMany(recs.map((r) => r.id))).map((r) => r.id)).toEqual(recs.map((r) => r.id));
    expect(await storage.tasks.indexLength({ platform: 'discord', guildId: 'G1', channelId: 'C1' })).toBe(40);
    expect(await storage.tasks.newest({ platform: 'discord', guildId: 'G1', userId: 'U7' }, 0, 5)).toEqual([
      recs[7]?.id,
    ]);
    expect((await storage.tasks.inflightIds()).sort()).toEqual(recs.map((r) => r.id).sort());
    expect(await storage.counts.countOn('discord', 'G1', DAY)).toBe(40);
    expect((await storage.units.on('discord', 'G1', DAY)).ledger['*']).toBe(4000);
  });

  it('GIVEN a batch in which caps refuse some THEN only those are refused: the others are written, in order, and nothing is counted twice', async () => {
    const { storage } = sqliteStorage();
    const first = record('A', 1);
    // Then together: the server's task cap is 4, its unit budget 10 (1 used by the first).
    const batch = [record('B', 2), record('C', 20), record('D', 2), record('E', 5), record('F', 1)];
    const caps = { guildDailyTasks: 4, units: { ...nothing, guild: 10 } };
    const [, ...outcomes] = await Promise.all([first, ...batch].map((r) => storage.tasks.admit(r, caps)));
    expect(outcomes).toEqual([
      undefined,
      { kind: 'units', budget: 'guild', cap: 1000, used: 300, needs: 2000 },
      undefined,
      undefined,
      { kind: 'guild_tasks' },
    ]);
    const written = [first, batch[0], batch[2], batch[3]].map((r) => r?.id);
    expect((await storage.tasks.getMany([first, ...batch].map((r) => r.id))).map((r) => r.id)).toEqual(written);
    expect(await storage.counts.countOn('discord', 'G1', DAY)).toBe(4);
    const { ledger, bot } = await storage.units.on('discord', 'G1', DAY);
    expect(ledger).toEqual({ A: 100, B: 200, D: 200, E: 500, '*': 1000 });
    expect(bot).toBe(1000);
    expect(
      (await storage.tasks.newest({ platform: 'discord', guildId: 'G1', channelId: 'C1' }, 0, 10)).reverse(),
    ).toEqual(written);
  });

  it("GIVEN 2,000 users who each ran a task today THEN a batch's largest write stays small: no key it writes grows with the day's users", async () => {
    const { storage, lastWrite, reads } = sqliteStorage();
    await Promise.all(Array.from({ length: 2000 }, (_, i) => storage.tasks.admit(record(`U${i}`))));
    await Promise.all(Array.from({ length: 20 }, (_, i) => storage.tasks.admit(record(`V${i}`))));
    const sizes = lastWrite().map((e) => ({ key: e.key, bytes: JSON.stringify(e.value).length }));
    // The channel's index chunk (up to 200 ids) is the largest a batch writes; the ledger written whole was 27 kB.
    expect(Math.max(...sizes.map((s) => s.bytes))).toBeLessThan(6000);
    // /credits reads the day (the ledger, its parts, the bot's total) in one store read, not one per part.
    const before = reads();
    const { ledger } = await storage.units.on('discord', 'G1', DAY);
    expect(reads() - before).toBe(1);
    expect(Object.keys(ledger)).toHaveLength(2021);
    expect(ledger['*']).toBe(202_000);
    expect(ledger['U1999']).toBe(100);
  });

  it("GIVEN a day whose ledger an earlier version wrote whole THEN its users' units still count, show and can be given back", async () => {
    const { storage, kv } = sqliteStorage();
    await kv.set(`units:discord:G1:${DAY}`, { A: 600, '*': 600 }, 86_400_000);
    const caps = { units: { ...nothing, user: 10 } };
    expect(await storage.tasks.admit(record('A', 6), caps)).toEqual({
      kind: 'units',
      budget: 'user',
      cap: 1000,
      used: 600,
      needs: 600,
    });
    const lost = record('A', 3);
    expect(await storage.tasks.admit(lost, caps)).toBeUndefined();
    expect(await storage.tasks.admit(record('B', 2), caps)).toBeUndefined();
    expect((await storage.units.on('discord', 'G1', DAY)).ledger).toEqual({ A: 900, B: 200, '*': 1100 });
    expect(await storage.budgets.release(lost.id)).toBe(true);
    expect((await storage.units.on('discord', 'G1', DAY)).ledger).toEqual({ A: 600, B: 200, '*': 800 });
  });

  it('GIVEN a write that fails inside a batch THEN every command of that batch fails with a StoreError and nothing of any of them is left; the batch before stands', async () => {
    const { storage, map } = flakyStore();
    opened.push(storage);
    const recs = Array.from({ length: 5 }, (_, i) => record(`U${i}`));
    map.faults.write = (key) => key === `kb:t:${recs[3]?.id}`;
    const outcomes = await Promise.allSettled(recs.map((r) => storage.tasks.admit(r)));
    map.faults.write = undefined;
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: undefined });
    for (const o of outcomes.slice(1)) {
      expect(o.status).toBe('rejected');
      expect(o.status === 'rejected' && o.reason).toBeInstanceOf(StoreError);
    }
    expect((await storage.tasks.getMany(recs.map((r) => r.id))).map((r) => r.id)).toEqual([recs[0]?.id]);
    expect(await storage.tasks.inflightIds()).toEqual([recs[0]?.id]);
    expect(await storage.tasks.indexLength({ platform: 'discord', guildId: 'G1', channelId: 'C1' })).toBe(1);
    expect(await storage.counts.countOn('discord', 'G1', DAY)).toBe(1);
    expect((await storage.units.on('discord', 'G1', DAY)).ledger).toEqual({ U0: 100, '*': 100 });
    // The store works again: the next command is written as usual.
    expect(await storage.tasks.admit(record('U9'))).toBeUndefined();
    expect(await storage.counts.countOn('discord', 'G1', DAY)).toBe(2);
  });
});
