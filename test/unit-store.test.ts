import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord, TaskScope, TaskState } from '../src/domain.js';
import { openKeyv } from '../src/store/kv.js';
import { pageOf, userActivity } from '../src/store/paging.js';
import { keyvStorage, openStorage, type Storage } from '../src/store/storage.js';
import { createTask, type TaskStore } from '../src/store/task-store.js';

const stores: Storage[] = [];
const dirs: string[] = [];
afterEach(async () => {
  // A close that fails is a finding, not noise: it fails the test.
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openAll(url = 'memory://'): Promise<Storage> {
  const storage = await openStorage(url);
  stores.push(storage);
  return storage;
}

async function open(url = 'memory://'): Promise<TaskStore> {
  return (await openAll(url)).tasks;
}

const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
let counter = 0;

function record(
  over: { id?: string; scope?: Partial<TaskScope>; state?: TaskState; createdAt?: number; prompt?: string } = {},
): TaskRecord {
  counter++;
  const createdAt = over.createdAt ?? T0 + counter * 1000;
  return {
    id: over.id ?? `kbtest${String(counter).padStart(6, '0')}`,
    scope: { platform: 'discord', guildId: 'g1', channelId: 'c1', userId: 'u1', userName: 'Ada', ...over.scope },
    request: {
      kind: 'text2video',
      prompt: over.prompt ?? `prompt ${counter}`,
      model: 'kling-v1',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    },
    state: over.state ?? 'pending',
    createdAt,
    updatedAt: createdAt,
  };
}

async function createAll(store: TaskStore, records: readonly TaskRecord[]): Promise<void> {
  for (const r of records) await createTask(store, r);
}

const channelPage = (
  store: TaskStore,
  page: number,
  pageSize: number,
  extra: {
    status?: TaskState;
    since?: number;
    until?: number;
    channelId?: string;
    guildId?: string;
    platform?: TaskScope['platform'];
  } = {},
) =>
  pageOf(store, {
    platform: extra.platform ?? 'discord',
    guildId: extra.guildId ?? 'g1',
    channelId: extra.channelId ?? 'c1',
    page,
    pageSize,
    ...(extra.status ? { status: extra.status } : {}),
    ...(extra.since !== undefined ? { since: extra.since } : {}),
    ...(extra.until !== undefined ? { until: extra.until } : {}),
  });

describe('TaskStore (memory://)', () => {
  it('creates, gets and updates a record; finds it by Kling id', async () => {
    const store = await open();
    const rec = record();
    await createTask(store, rec);
    expect(await store.get(rec.id)).toEqual(rec);
    const updated = await store.update(rec.id, (cur) => ({
      ...cur,
      state: 'submitted',
      klingTaskId: 'k-1',
      submittedAt: cur.createdAt + 5,
    }));
    expect(updated).toMatchObject({ state: 'submitted', klingTaskId: 'k-1' });
    expect(await store.get(rec.id)).toMatchObject({
      state: 'submitted',
      klingTaskId: 'k-1',
      submittedAt: rec.createdAt + 5,
    });
    expect(await store.idForKlingTask('k-1')).toBe(rec.id);
    expect(await store.update('kbnope', (cur) => cur)).toBeUndefined();
    expect(await store.get('kbnope')).toBeUndefined();
  });

  it('concurrent updates of one task do not lose a change', async () => {
    const store = await open();
    const rec = record();
    await createTask(store, rec);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update(rec.id, (cur) => ({
          ...cur,
          updatedAt: cur.updatedAt + 1,
          statusMsg: `${cur.statusMsg ?? ''}${i},`,
        })),
      ),
    );
    const final = await store.get(rec.id);
    expect(final?.updatedAt).toBe(rec.updatedAt + 20);
    expect(final?.statusMsg?.split(',').filter(Boolean)).toHaveLength(20);
  });

  it('pages newest first across index chunks (450 tasks), with page and pageCount', async () => {
    const store = await open();
    const records = Array.from({ length: 450 }, () => record());
    await createAll(store, records);
    const newestFirst = [...records].reverse().map((r) => r.id);
    const first = await channelPage(store, 1, 25);
    // Counted from the index, not by reading 450 records.
    expect(first).toMatchObject({ total: 450, page: 1, pageCount: 18, hasMore: true });
    expect(await channelPage(store, 18, 25)).toMatchObject({ total: 450, page: 18, pageCount: 18, hasMore: false });
    expect(first.items.map((r) => r.id)).toEqual(newestFirst.slice(0, 25));
    const seen: string[] = [];
    for (let page = 1; page <= 18; page++) seen.push(...(await channelPage(store, page, 25)).items.map((r) => r.id));
    expect(seen).toEqual(newestFirst);
    // Page 3 of 20 straddles the boundary between the newest chunk (50 ids) and the full one before it.
    expect((await channelPage(store, 3, 20)).items.map((r) => r.id)).toEqual(newestFirst.slice(40, 60));
    const past = await channelPage(store, 19, 25);
    expect(past.items).toEqual([]);
    expect(past.pageCount).toBe(18);
  });

  it('filters by status, since and until', async () => {
    const store = await open();
    const states: TaskState[] = ['submitted', 'succeed', 'failed', 'succeed', 'processing', 'succeed'];
    const records = states.map((state, i) => record({ state, createdAt: T0 + i * 60_000 }));
    await createAll(store, records);
    const ids = (p: Awaited<ReturnType<typeof channelPage>>) => p.items.map((r) => r.id);
    expect(ids(await channelPage(store, 1, 25, { status: 'succeed' }))).toEqual([
      records[5]?.id,
      records[3]?.id,
      records[1]?.id,
    ]);
    expect(ids(await channelPage(store, 1, 25, { since: T0 + 2 * 60_000 }))).toEqual(
      [5, 4, 3, 2].map((i) => records[i]?.id),
    );
    expect(ids(await channelPage(store, 1, 25, { until: T0 + 60_000 }))).toEqual([records[1]?.id, records[0]?.id]);
    const both = await channelPage(store, 1, 2, { status: 'succeed', since: T0 + 60_000, until: T0 + 4 * 60_000 });
    expect(both).toMatchObject({ total: 2, pageCount: 1 });
    expect(ids(both)).toEqual([records[3]?.id, records[1]?.id]);
  });

  it('channel and user indexes; one server or platform never sees another', async () => {
    const storage = await openAll();
    const store = storage.tasks;
    const mineHere = record({ scope: { channelId: 'c1', userId: 'u1' } });
    const otherUserHere = record({ scope: { channelId: 'c1', userId: 'u2' } });
    const mineElsewhere = record({ scope: { channelId: 'c2', userId: 'u1' } });
    // Same channel and user ids in another guild, and on another platform.
    const otherGuild = record({ scope: { guildId: 'g2', channelId: 'c1', userId: 'u1' } });
    const otherPlatform = record({ scope: { platform: 'slack', guildId: 'g1', channelId: 'c1', userId: 'u1' } });
    await createAll(store, [mineHere, otherUserHere, mineElsewhere, otherGuild, otherPlatform]);

    const ids = (items: TaskRecord[]) => items.map((r) => r.id);
    expect(ids((await channelPage(store, 1, 25)).items)).toEqual([otherUserHere.id, mineHere.id]);
    const mine = await pageOf(store, { platform: 'discord', guildId: 'g1', userId: 'u1', page: 1, pageSize: 25 });
    expect(ids(mine.items)).toEqual([mineElsewhere.id, mineHere.id]);
    expect(ids((await channelPage(store, 1, 25, { guildId: 'g2' })).items)).toEqual([otherGuild.id]);
    expect(ids((await channelPage(store, 1, 25, { platform: 'slack' })).items)).toEqual([otherPlatform.id]);
    expect((await channelPage(store, 1, 25, { guildId: 'g3' })).total).toBe(0);
    expect(await storage.counts.countOn('discord', 'g1', '2026-11-20')).toBe(3);
    expect(await storage.counts.countOn('discord', 'g2', '2026-11-20')).toBe(1);
  });

  it('deleted tasks leave the pages', async () => {
    const store = await open();
    const [a, b] = [record({ state: 'succeed' }), record({ state: 'succeed' })];
    await createAll(store, [a, b]);
    await store.update(a.id, (cur) => ({ ...cur, deleted: true }));
    // Deleting twice counts once.
    await store.update(a.id, (cur) => ({ ...cur, deleted: true }));
    expect((await channelPage(store, 1, 25)).items.map((r) => r.id)).toEqual([b.id]);
    expect(await channelPage(store, 1, 25)).toMatchObject({ total: 1, pageCount: 1, hasMore: false });
    expect(
      (await pageOf(store, { platform: 'discord', guildId: 'g1', userId: 'u1', page: 1, pageSize: 1 })).total,
    ).toBe(1);
  });

  it('keeps the in-flight set: added on create, removed when final, back if un-finalised', async () => {
    const store = await open();
    const running = Array.from({ length: 70 }, () => record()); // spread over many shards
    const done = record({ state: 'succeed' });
    await createAll(store, [...running, done]);
    expect(new Set(await store.inflightIds())).toEqual(new Set(running.map((r) => r.id)));
    const [first, second] = running;
    await store.update(first?.id ?? '', (cur) => ({ ...cur, state: 'processing' }));
    expect(await store.inflightIds()).toContain(first?.id);
    await store.update(first?.id ?? '', (cur) => ({ ...cur, state: 'succeed' }));
    await store.update(second?.id ?? '', (cur) => ({ ...cur, state: 'failed' }));
    const left = await store.inflightIds();
    expect(left).toHaveLength(68);
    expect(left).not.toContain(first?.id);
    expect(left).not.toContain(second?.id);
  });

  it('a corrupt record is skipped, not thrown', async () => {
    const kv = openKeyv('memory://');
    const storage = keyvStorage(kv);
    stores.push(storage);
    const store = storage.tasks;
    const [a, b, c] = [record(), record(), record()];
    await createAll(store, [a, b, c]);
    await kv.set(`t:${b.id}`, { id: b.id, state: 'exploded', scope: 'nope' });
    expect(await store.get(b.id)).toBeUndefined();
    expect((await store.getMany([a.id, b.id, c.id])).map((r) => r.id)).toEqual([a.id, c.id]);
    const page = await channelPage(store, 1, 25);
    expect(page.items.map((r) => r.id)).toEqual([c.id, a.id]);
    expect(await store.update(b.id, (cur) => cur)).toBeUndefined();
    expect((await store.getMany(await store.inflightIds())).map((r) => r.id).sort()).toEqual([a.id, c.id].sort());
  });

  it('userActivity counts active tasks and today’s tasks of one user in one server', async () => {
    const store = await open();
    const now = Date.UTC(2026, 10, 26, 15, 0, 0);
    const dayStart = Date.UTC(2026, 10, 26);
    await createAll(store, [
      record({ state: 'succeed', createdAt: dayStart - 3 * 86_400_000 }), // long ago
      record({ state: 'processing', createdAt: dayStart - 3_600_000 }), // yesterday evening, still running
      record({ state: 'succeed', createdAt: dayStart + 3_600_000 }),
      record({ state: 'failed', createdAt: dayStart + 2 * 3_600_000 }),
      record({ state: 'queued', createdAt: dayStart + 3 * 3_600_000 }),
      record({ state: 'pending', createdAt: now - 1000 }),
      record({ state: 'pending', createdAt: now - 500, scope: { userId: 'u2' } }),
      record({ state: 'pending', createdAt: now - 500, scope: { guildId: 'g2' } }),
    ]);
    expect(await userActivity(store, 'discord', 'g1', 'u1', dayStart, now)).toMatchObject({ active: 3, today: 4 });
    expect(await userActivity(store, 'discord', 'g1', 'u2', dayStart, now)).toMatchObject({ active: 1, today: 1 });
    expect(await userActivity(store, 'slack', 'g1', 'u1', dayStart, now)).toMatchObject({ active: 0, today: 0 });
  });
});

describe('TaskStore (sqlite://)', () => {
  it('persists records, pages across a chunk boundary and the in-flight set across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-store-'));
    dirs.push(dir);
    const url = `sqlite://${join(dir, 't.sqlite')}`;
    const storage = await openStorage(url);
    const store = storage.tasks;
    const records = Array.from({ length: 205 }, (_, i) => record({ state: i % 2 === 0 ? 'succeed' : 'submitted' }));
    await createAll(store, records);
    await store.update(records[1]?.id ?? '', (cur) => ({ ...cur, state: 'succeed', klingTaskId: 'k-sql' }));
    await storage.close();

    const reopened = await open(url);
    const newestFirst = [...records].reverse().map((r) => r.id);
    const page1 = await channelPage(reopened, 1, 25);
    expect(page1).toMatchObject({ total: 205, pageCount: 9, hasMore: true });
    expect(page1.items.map((r) => r.id)).toEqual(newestFirst.slice(0, 25));
    const last = await channelPage(reopened, 9, 25);
    expect(last).toMatchObject({ total: 205, pageCount: 9, hasMore: false });
    expect(last.items.map((r) => r.id)).toEqual(newestFirst.slice(200));
    expect(await reopened.get(records[1]?.id ?? '')).toMatchObject({ state: 'succeed', klingTaskId: 'k-sql' });
    expect(await reopened.idForKlingTask('k-sql')).toBe(records[1]?.id);
    expect((await reopened.inflightIds()).sort()).toEqual(
      records
        .filter((_, i) => i % 2 === 1 && i !== 1)
        .map((r) => r.id)
        .sort(),
    );
  });
});

describe('/tasks cost does not grow with history', () => {
  /** Records parsed by one call. */
  async function cost(store: TaskStore, run: () => Promise<unknown>): Promise<number> {
    const before = store.reads.records;
    await run();
    return store.reads.records - before;
  }

  it('GIVEN 20,000 tasks in one channel THEN a page reads about a page of records, the same as with 100; a rare filter reads a bounded number and says "more"', async () => {
    const small = await open();
    const big = await open();
    const states: TaskState[] = ['succeed', 'failed', 'succeed', 'processing'];
    for (let i = 0; i < 100; i++) await createTask(small, record({ state: states[i % 4] }));
    for (let i = 0; i < 20_000; i++) await createTask(big, record({ state: i === 5 ? 'submitted' : states[i % 4] }));

    const smallPage = await cost(small, () => channelPage(small, 1, 25));
    const bigPage = await cost(big, () => channelPage(big, 1, 25));
    expect(bigPage).toBe(smallPage);
    expect(bigPage).toBeLessThanOrEqual(26);
    expect(await channelPage(big, 1, 25)).toMatchObject({ total: 20_000, pageCount: 800, hasMore: true });
    const second = await channelPage(big, 2, 25);
    expect(second).toMatchObject({ page: 2, hasMore: true });
    expect(second.items).toHaveLength(25);
    // A deep page jumps straight to its place while nothing in the channel was deleted.
    expect(await cost(big, () => channelPage(big, 2, 25))).toBeLessThanOrEqual(26);
    expect(await cost(big, () => channelPage(big, 500, 25))).toBeLessThanOrEqual(26);
    expect((await channelPage(big, 800, 25)).items).toHaveLength(25);
    expect(await channelPage(big, 801, 25)).toMatchObject({ items: [], total: 20_000, hasMore: false });

    // One 'submitted' task among 20,000, far back: the page gives up after a bounded read and offers "more".
    const rare = await channelPage(big, 1, 25, { status: 'submitted' });
    expect(rare.total).toBeUndefined();
    expect(rare.hasMore).toBe(true);
    expect(await cost(big, () => channelPage(big, 1, 25, { status: 'submitted' }))).toBeLessThanOrEqual(26 + 1000);
    // A since filter stops at the first task well before it.
    const recent = Date.UTC(2026, 10, 20, 12) + (counter - 10) * 1000;
    expect(await cost(big, () => channelPage(big, 1, 25, { since: recent }))).toBeLessThanOrEqual(100);
    expect((await channelPage(big, 1, 25, { since: recent })).total).toBeGreaterThan(0);
  }, 60_000);
});
