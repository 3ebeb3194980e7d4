/**
 * Finding 5: `/tasks` with a huge page number must not read the whole history (SQLite's driver
 * is synchronous: a long read stalls the event loop past Discord's 3-second deadline).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepare } from '../commands/prepare.js';
import tasks from '../commands/tasks.js';
import type { TaskRecord } from '../src/domain.js';
import { ValidationError } from '../src/errors.js';
import { pageOf, type PageQuery } from '../src/store/paging.js';
import { openStorage, type Storage } from '../src/store/storage.js';
import { createTask } from '../src/store/task-store.js';

const N = 2500;
const T0 = Date.UTC(2026, 10, 1);
let store: Storage;

function record(i: number): TaskRecord {
  return {
    id: `kbpage${String(i).padStart(7, '0')}`,
    scope: { platform: 'discord', guildId: 'g1', channelId: 'c1', userId: 'u1', userName: 'u' },
    request: {
      kind: 'text2video',
      prompt: `prompt ${i}`,
      model: 'kling-v2-1-master',
      mode: 'std',
      duration: '5',
      aspect_ratio: '16:9',
    },
    state: i % 2 === 0 ? 'succeed' : 'failed',
    createdAt: T0 + i * 1000,
    updatedAt: T0 + i * 1000,
  };
}

beforeAll(async () => {
  store = await openStorage('memory://');
  for (let i = 0; i < N; i++) await createTask(store.tasks, record(i));
});
afterAll(async () => {
  await store.close();
});

const q = (over: Partial<PageQuery>): PageQuery => ({
  platform: 'discord',
  guildId: 'g1',
  channelId: 'c1',
  page: 1,
  pageSize: 25,
  ...over,
});

async function recordsRead(query: PageQuery) {
  const before = store.tasks.reads.records;
  const page = await pageOf(store.tasks, query);
  return { page, read: store.tasks.reads.records - before };
}

describe('/tasks page bounds', () => {
  it('the schema refuses page 2^53 - 1 (and anything over 2,000) with a clear message', () => {
    const defaults = { videoModel: 'm', imageModel: 'i' };
    const refused = prepare(tasks, { options: { page: 2 ** 53 - 1 } }, defaults);
    const err = refused.kind === 'refused' ? refused.error : undefined;
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).userMessage).toContain('from 1 to 2,000');
    expect(prepare(tasks, { options: { page: 2000 } }, defaults).kind).toBe('ready');
  });

  it('a page past the end is answered without reading a record, filtered or not', async () => {
    for (const status of [undefined, 'succeed'] as const) {
      const { page, read } = await recordsRead(q({ page: 2 ** 53, ...(status ? { status } : {}) }));
      expect(read).toBe(0);
      expect(page.items).toEqual([]);
      expect(page.hasMore).toBe(false);
    }
  });

  it('a deep filtered page reads at most 2,000 records and says it is too deep', async () => {
    // Page 60 of 25 `failed` tasks begins at the 1,475th match: about 2,950 records back.
    const { page, read } = await recordsRead(q({ page: 60, status: 'failed' }));
    expect(read).toBeLessThanOrEqual(2000);
    expect(page.items).toEqual([]);
    expect(page.searchLimit).toBe(2000);
    // A shallow filtered page still works as before.
    const shallow = await recordsRead(q({ page: 2, status: 'failed' }));
    expect(shallow.page.items.map((r) => r.id)).toEqual(
      Array.from({ length: 25 }, (_, i) => record(N - 1 - 2 * (25 + i)).id),
    );
    expect(shallow.read).toBeLessThan(200);
  });
});
