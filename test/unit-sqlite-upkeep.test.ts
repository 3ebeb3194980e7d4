/**
 * The SQLite file's WAL is copied into the file between bursts, not inside one (src/store/sqlite-store.ts): a
 * checkpoint syncs and copies inside whichever commit crosses SQLite's 1,000-page line, holding every answer behind
 * it. The oracle is the file system: a checkpoint is what makes the database file itself grow.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHECKPOINT_EVERY_MS, SqliteStore, WAL_AUTOCHECKPOINT_PAGES } from '../src/store/sqlite-store.js';
import { SWEEP_EVERY_MS } from '../src/store/sqlite-sweep.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(stores.splice(0).map((s) => s.disconnect()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(): { store: SqliteStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kb-upkeep-'));
  dirs.push(dir);
  const file = join(dir, 'store.sqlite');
  const store = new SqliteStore(file);
  stores.push(store);
  return { store, file };
}

const size = (file: string) => statSync(file).size;
/** 2,500 commits of one new row each: well past SQLite's own 1,000-page checkpoint line. */
async function commits(store: SqliteStore): Promise<void> {
  for (let i = 0; i < 2500; i++) await store.set(`kb:k${i}`, JSON.stringify({ value: 'x'.repeat(200), expires: 1e15 }));
}

describe('SQLite upkeep: the WAL is checkpointed between bursts', () => {
  it('GIVEN thousands of commits THEN none of them checkpoints (the file stays as created, the WAL holds them)', async () => {
    const { store, file } = open();
    const created = size(file);
    await commits(store);
    expect(WAL_AUTOCHECKPOINT_PAGES).toBe(10_000);
    expect(size(file)).toBe(created);
    expect(size(`${file}-wal`)).toBeGreaterThan(1000 * 4096);
  });

  it('GIVEN a checkpoint THEN the rows are copied into the file', async () => {
    const { store, file } = open();
    await commits(store);
    const before = size(file);
    store.checkpoint();
    expect(size(file)).toBeGreaterThan(before + 2500 * 200);
    expect(await store.get('kb:k2499')).toContain('xxxx');
  });

  it('GIVEN the upkeep THEN each checkpoint and sweep waits until the bot is quiet', async () => {
    vi.useFakeTimers();
    const { store } = open();
    const checkpoint = vi.spyOn(store, 'checkpoint');
    const sweep = vi.spyOn(store.sweep, 'step');
    let quiet!: () => void;
    const burstOver = new Promise<void>((resolve) => (quiet = resolve));
    store.upkeepWhenQuiet(() => burstOver);
    store.startUpkeep(Date.now);
    await vi.advanceTimersByTimeAsync(SWEEP_EVERY_MS);
    expect(checkpoint).not.toHaveBeenCalled();
    expect(sweep).not.toHaveBeenCalled();
    quiet();
    await vi.advanceTimersByTimeAsync(0);
    // Once each: the runs that came due meanwhile were not queued up behind the wait.
    expect(checkpoint).toHaveBeenCalledTimes(1);
    expect(sweep).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(CHECKPOINT_EVERY_MS);
    expect(checkpoint).toHaveBeenCalledTimes(2);
  });
});
