/**
 * Finding 9 (issue 16): SQLite deletes expired rows. keyv removes an expired key only when it is
 * read again, so the Slack replay cache, request claims and past days' counters grew forever.
 * The sweep (src/store/sqlite-sweep.ts) walks the table a batch at a time. The oracle is the file
 * itself, read with its own connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../src/domain.js';
import { openKeyv } from '../src/store/kv.js';
import { claimRequest } from '../src/store/request-claims.js';
import { SqliteStore, sqliteDriver } from '../src/store/sqlite-store.js';
import { ExpirySweep } from '../src/store/sqlite-sweep.js';
import { keyvStorage } from '../src/store/storage.js';

const HOUR = 3_600_000;
const dirs: string[] = [];
const opened: Keyv[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((kv) => kv.disconnect().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openFile(): Promise<{ kv: Keyv; sqlite: SqliteStore; keys: () => string[]; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kb-sweep-'));
  dirs.push(dir);
  const file = join(dir, 'store.sqlite');
  const kv = await openKeyv(`sqlite://${file}`);
  opened.push(kv);
  const sqlite = kv.store as SqliteStore;
  expect(sqlite).toBeInstanceOf(SqliteStore);
  const keys = () => {
    const db = sqliteDriver().open(file);
    try {
      return db
        .prepare('SELECT key FROM keyv ORDER BY key')
        .all()
        .map((r) => String((r as { key: unknown }).key));
    } finally {
      db.close();
    }
  };
  return { kv, sqlite, keys, file };
}

function record(id: string, createdAt: number): TaskRecord {
  return {
    id,
    scope: { platform: 'slack', guildId: 'T1', channelId: 'C1', userId: 'U1', userName: 'Ada' },
    request: { kind: 'text2video', prompt: 'p', model: 'kling-v1', mode: 'std', duration: '5', aspect_ratio: '16:9' },
    state: 'pending',
    createdAt,
    updatedAt: createdAt,
  };
}

describe('SQLite expiry sweep', () => {
  it('GIVEN rows past their keyv expiry THEN a sweep deletes them, and never a row without one or not in keyv form', async () => {
    const { kv, sqlite, keys } = await openFile();
    await kv.set('soon', 1, 1000);
    await kv.set('later', 2, 10 * HOUR);
    await kv.set('forever', 3);
    await sqlite.set('raw', 'not json at all');
    await sqlite.set('odd', JSON.stringify({ value: 1, expires: 'tomorrow' }));
    expect(keys()).toEqual(['kb:forever', 'kb:later', 'kb:soon', 'odd', 'raw']);
    expect(sqlite.sweep.step(Date.now() + HOUR)).toBe(1);
    expect(keys()).toEqual(['kb:forever', 'kb:later', 'odd', 'raw']);
    expect(sqlite.sweep.step(Date.now() + 11 * HOUR)).toBe(0); // the batch walked past the end: starts over
    expect(sqlite.sweep.step(Date.now() + 11 * HOUR)).toBe(1);
    expect(keys()).toEqual(['kb:forever', 'odd', 'raw']);
    expect(await kv.get('forever')).toBe(3);
  });

  it('GIVEN more rows than a batch THEN each step looks at one batch and a full round deletes them all', async () => {
    const { kv, keys, file } = await openFile();
    for (let i = 0; i < 25; i++) await kv.set(`k${String(i).padStart(2, '0')}`, i, 1000);
    const db = sqliteDriver().open(file);
    try {
      const sweep = new ExpirySweep(db, 'keyv', 10);
      const later = Date.now() + HOUR;
      expect([sweep.step(later), sweep.step(later), sweep.step(later), sweep.step(later)]).toEqual([10, 10, 5, 0]);
    } finally {
      db.close();
    }
    expect(keys()).toEqual([]);
  });

  it('GIVEN the Slack replay cache, a request claim and a day counter THEN once expired the sweep leaves only the task record', async () => {
    const { kv, sqlite, keys } = await openFile();
    const storage = keyvStorage(kv);
    expect(await storage.replay.firstSighting('slack:v0=abc', 10 * 60_000)).toBe(true);
    await claimRequest(storage.replay, 'slack:trigger:1.2.3');
    expect(await storage.tasks.admit(record('kbsweep00001', Date.now()), { guildDailyTasks: 5 })).toBeUndefined();
    const before = keys();
    expect(before.length).toBeGreaterThan(3);
    // Four days on: the replay cache (10 min), the claim (15 min) and the day's counters (3 days) are all past.
    sqlite.sweep.step(Date.now() + 4 * 24 * HOUR);
    const after = keys();
    expect(after).toContain('kb:t:kbsweep00001');
    expect(after.some((k) => k.includes('slack:v0=abc'))).toBe(false);
    expect(after.some((k) => k.includes('trigger:1.2.3'))).toBe(false);
    expect(after.some((k) => /\d{4}-\d{2}-\d{2}/.test(k))).toBe(false);
    expect((await storage.tasks.get('kbsweep00001'))?.id).toBe('kbsweep00001');
  });
});
