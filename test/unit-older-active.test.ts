import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { OlderActive, SCAN_TTL_MS } from '../src/older-active.js';

const DAY = 86_400_000;

function record(id: string, userId: string, createdAt: number, state: TaskRecord['state'] = 'processing'): TaskRecord {
  return {
    id,
    scope: { platform: 'discord', guildId: 'g', channelId: 'c', userId, userName: userId },
    request: { kind: 'image', prompt: 'p', model: 'kling-v2-1', aspect_ratio: '1:1', n: 1 },
    state,
    createdAt,
    updatedAt: createdAt,
  } as TaskRecord;
}

/** The in-flight set and the records, counting how often the whole set is read. */
function store(records: TaskRecord[]) {
  const byId = new Map(records.map((r) => [r.id, r]));
  const reads = { inflight: 0 };
  return {
    reads,
    byId,
    inflightIds: async () => {
      reads.inflight++;
      await Promise.resolve();
      return [...byId.keys()];
    },
    getMany: async (ids: readonly string[]) => ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])),
  };
}

describe('OlderActive (USER_MAX_ACTIVE_TASKS past the one-day scan) under a burst', () => {
  it('GIVEN 200 commands at once THEN the in-flight set is read once for all of them, and each counts its own old tasks', async () => {
    const now = 10 * DAY;
    const tasks = store([record('kbold1', 'u1', now - 2 * DAY), record('kbnew1', 'u2', now - 1000)]);
    const older = new OlderActive(tasks, () => now);
    const counts = await Promise.all(
      Array.from({ length: 200 }, (_, i) => older.count('discord', 'g', i % 2 ? 'u1' : 'u2', now - DAY)),
    );
    expect(tasks.reads.inflight).toBe(1);
    expect(counts.filter((n, i) => (i % 2 ? n === 1 : n === 0))).toHaveLength(200);
  });

  it('GIVEN a scan older than SCAN_TTL_MS THEN the set is read again: a task that entered it since counts', async () => {
    let now = 10 * DAY;
    const tasks = store([]);
    const older = new OlderActive(tasks, () => now);
    expect(await older.count('discord', 'g', 'u1', now - DAY)).toBe(0);
    tasks.byId.set('kbold2', record('kbold2', 'u1', now - 2 * DAY));
    now += SCAN_TTL_MS;
    expect(await older.count('discord', 'g', 'u1', now - DAY)).toBe(1);
    expect(tasks.reads.inflight).toBe(2);
  });

  it('GIVEN a fresh scan THEN an old task that finished since no longer counts (its state is read again)', async () => {
    const now = 10 * DAY;
    const tasks = store([record('kbold3', 'u1', now - 2 * DAY)]);
    const older = new OlderActive(tasks, () => now);
    expect(await older.count('discord', 'g', 'u1', now - DAY)).toBe(1);
    tasks.byId.set('kbold3', record('kbold3', 'u1', now - 2 * DAY, 'succeed'));
    expect(await older.count('discord', 'g', 'u1', now - DAY)).toBe(0);
    expect(tasks.reads.inflight).toBe(1);
  });
});
