import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import { openKeyv } from '../src/store/kv.js';
import { SqliteStore, sqliteDriver, type SqliteDriver } from '../src/store/sqlite-store.js';

const require = createRequire(import.meta.url);
function nodeHasSqlite(): boolean {
  try {
    require('node:sqlite');
    return true;
  } catch {
    return false;
  }
}
// libsql serves every Node line; node:sqlite is covered wherever the running Node has it (CI's Node 26 run).
const drivers: SqliteDriver[] = nodeHasSqlite() ? ['libsql', 'node:sqlite'] : ['libsql'];

const dirs: string[] = [];
const open: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.disconnect().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kb-sqlite-'));
  dirs.push(dir);
  return join(dir, 'store.sqlite');
}

function store(file: string, driver: SqliteDriver): SqliteStore {
  const s = new SqliteStore(file, { driver });
  open.push(s);
  return s;
}

describe('sqlite driver choice', () => {
  it('uses node:sqlite when this Node has it, libsql otherwise', () => {
    expect(sqliteDriver().name).toBe(nodeHasSqlite() ? 'node:sqlite' : 'libsql');
    expect(sqliteDriver('libsql').name).toBe('libsql');
  });
});

describe.each(drivers)('SqliteStore on %s', (driver) => {
  it('gets, sets, overwrites, deletes, and answers many keys in their order', async () => {
    const s = store(tempFile(), driver);
    expect(await s.get('kb:a')).toBeUndefined();
    expect(await s.set('kb:a', '1')).toBe(true);
    await s.set('kb:b', '2');
    await s.set('kb:a', '3');
    expect(await s.get('kb:a')).toBe('3');
    expect(await s.has('kb:b')).toBe(true);
    expect(await s.getMany(['kb:b', 'kb:none', 'kb:a'])).toEqual(['2', undefined, '3']);
    expect(await s.delete('kb:a')).toBe(true);
    expect(await s.delete('kb:a')).toBe(false);
    expect(await s.has('kb:a')).toBe(false);
    expect(await s.deleteMany(['kb:b', 'kb:none'])).toBe(true);
    expect(await s.getMany(['kb:b'])).toEqual([undefined]);
  });

  it('clear() empties its own namespace only, with LIKE wildcards in the name taken literally', async () => {
    const s = store(tempFile(), driver);
    await s.set('k_b:x', '1');
    await s.set('kxb:y', '2');
    await s.set('other:z', '3');
    s.namespace = 'k_b';
    await s.clear();
    expect(await s.getMany(['k_b:x', 'kxb:y', 'other:z'])).toEqual([undefined, '2', '3']);
  });

  it('under keyv: values round-trip, TTLs expire, and a file persists across a reopen in WAL mode', async () => {
    const file = tempFile();
    const kv = new Keyv({ store: store(file, driver), namespace: 'kb' });
    await kv.set('t:1', { id: '1', tags: ['a'] });
    await kv.set('short', 1, 1);
    await new Promise((r) => setTimeout(r, 5));
    expect(await kv.get('short')).toBeUndefined();
    expect(existsSync(`${file}-wal`)).toBe(true);
    await kv.disconnect();

    const again = new Keyv({ store: store(file, driver), namespace: 'kb' });
    expect(await again.get('t:1')).toEqual({ id: '1', tags: ['a'] });
    expect(await again.getMany(['t:1', 't:2'])).toEqual([{ id: '1', tags: ['a'] }, undefined]);
  });

  it('a write after the file is closed rejects instead of being lost silently', async () => {
    const s = new SqliteStore(tempFile(), { driver });
    await s.disconnect();
    await expect(s.set('kb:a', '1')).rejects.toThrow();
  });
});

describe('sqlite:// through openKeyv', () => {
  it('reads a data file in the layout @keyv/sqlite wrote (table keyv, keyv-serialised values)', async () => {
    const file = tempFile();
    // The table and row exactly as @keyv/sqlite 4 created and stored them.
    const raw = sqliteDriver('libsql').open(file);
    raw.exec('CREATE TABLE IF NOT EXISTS keyv(key VARCHAR(255) PRIMARY KEY, value TEXT )');
    raw
      .prepare('INSERT INTO keyv (key, value) VALUES(?, ?)')
      .run('kb:t:old', JSON.stringify({ value: { id: 'old', state: 'succeed' }, expires: null }));
    raw.close();
    const kv = await openKeyv(`sqlite://${file}`);
    expect(await kv.get('t:old')).toEqual({ id: 'old', state: 'succeed' });
    await kv.disconnect();
  });
});
