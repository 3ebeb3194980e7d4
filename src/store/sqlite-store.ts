import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { ExpirySweep, SWEEP_EVERY_MS } from './sqlite-sweep.js';

/**
 * keyv's storage adapter for an embedded SQLite file, on a driver that never builds from source:
 * Node's own `node:sqlite` where the running Node has it (22.13+, nothing to install, no extra
 * memory), otherwise `libsql` (prebuilt binaries shipped as npm optional dependencies; Node-API,
 * so one binary serves every Node line). The table is the one @keyv/sqlite used, so an existing
 * data file keeps working.
 */

/** The few synchronous calls used here; node:sqlite's DatabaseSync and libsql's Database both have them. */
interface SqlStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint };
}
interface SqlDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqlStatement;
  close(): unknown;
}
type OpenDatabase = (file: string) => SqlDatabase;

export type SqliteDriver = 'node:sqlite' | 'libsql';

const require = createRequire(import.meta.url);

function isDatabaseClass(value: unknown): value is new (file: string) => SqlDatabase {
  return typeof value === 'function';
}

/** node:sqlite when this Node has it unflagged, else libsql; `prefer` forces one (tests cover both). */
export function sqliteDriver(prefer?: SqliteDriver): { name: SqliteDriver; open: OpenDatabase } {
  if (prefer !== 'libsql') {
    try {
      // A builtin that older Nodes lack (Node 20) or keep behind a flag (22 before 22.13): it throws there.
      const mod: unknown = require('node:sqlite');
      const DatabaseSync: unknown =
        typeof mod === 'object' && mod !== null && 'DatabaseSync' in mod ? mod.DatabaseSync : undefined;
      if (isDatabaseClass(DatabaseSync)) return { name: 'node:sqlite', open: (file) => new DatabaseSync(file) };
    } catch (err) {
      if (prefer === 'node:sqlite') throw err;
    }
    if (prefer === 'node:sqlite') throw new Error(`node:sqlite is not available on Node ${process.version}`);
  }
  const Database: unknown = require('libsql');
  if (!isDatabaseClass(Database)) throw new Error('the libsql package did not load');
  return { name: 'libsql', open: (file) => new Database(file) };
}

const TABLE = 'keyv';
/**
 * WAL pages past which a commit copies the log into the file itself (SQLite's default is 1,000, ~4 MB). Such a
 * checkpoint syncs and copies inside whichever commit crosses the line: 10–30 ms in a burst's admission, holding every
 * answer behind it (bench/burst.ts). The bot checkpoints on its own between bursts (`startUpkeep`); this stays as a
 * safety net for a writer that never pauses.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** How often the upkeep checkpoints the WAL (when the bot is quiet). */
export const CHECKPOINT_EVERY_MS = 1000;

function textOf(row: unknown): string | undefined {
  if (typeof row !== 'object' || row === null || !('value' in row)) return undefined;
  return typeof row.value === 'string' ? row.value : undefined;
}

export class SqliteStore extends EventEmitter {
  /** keyv reads these: no iterator dialect, TTL kept by keyv itself inside the stored value. */
  readonly opts = { dialect: 'sqlite', url: '' };
  readonly ttlSupport = false;
  namespace?: string;
  readonly driver: SqliteDriver;
  private readonly db: SqlDatabase;
  private readonly file: string;
  private readonly selectOne: SqlStatement;
  private readonly selectMany: SqlStatement;
  private readonly upsert: SqlStatement;
  private readonly deleteOne: SqlStatement;
  private readonly deleteMatching: SqlStatement;
  private closed = false;
  /** Deletes rows whose keyv expiry has passed (sqlite-sweep.ts); run by the upkeep. */
  readonly sweep: ExpirySweep;
  private readonly timers: NodeJS.Timeout[] = [];
  /** What the upkeep waits for before each job (`upkeepWhenQuiet`: the core's burst gate). */
  private quiet: () => Promise<void> = () => Promise.resolve();

  constructor(file: string, options: { busyTimeoutMs?: number; driver?: SqliteDriver } = {}) {
    super();
    const driver = sqliteDriver(options.driver);
    this.driver = driver.name;
    this.opts.url = `sqlite://${file}`;
    this.db = driver.open(file);
    // Another process on the same file waits this long for a lock instead of failing at once.
    this.db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 10_000))}`);
    if (file !== ':memory:') {
      // WAL keeps a write from blocking readers and avoids an fsync per statement.
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec('PRAGMA synchronous = NORMAL');
      this.db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    }
    this.file = file;
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (key VARCHAR(255) PRIMARY KEY, value TEXT)`);
    this.selectOne = this.db.prepare(`SELECT value FROM ${TABLE} WHERE key = ?`);
    this.selectMany = this.db.prepare(`SELECT key, value FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`);
    this.upsert = this.db.prepare(
      `INSERT INTO ${TABLE} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    );
    this.deleteOne = this.db.prepare(`DELETE FROM ${TABLE} WHERE key = ?`);
    this.deleteMatching = this.db.prepare(`DELETE FROM ${TABLE} WHERE key LIKE ? ESCAPE '\\'`);
    this.sweep = new ExpirySweep(this.db, TABLE);
  }

  async get(key: string): Promise<string | undefined> {
    this.assertOpen();
    return textOf(this.selectOne.get(key));
  }

  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    this.assertOpen();
    const found = new Map<string, string>();
    for (const row of this.selectMany.all(JSON.stringify(keys))) {
      const value = textOf(row);
      const key = typeof row === 'object' && row !== null && 'key' in row ? row.key : undefined;
      if (typeof key === 'string' && value !== undefined) found.set(key, value);
    }
    return keys.map((key) => found.get(key));
  }

  /** keyv hands over the serialised value (its own TTL inside); true once the row is written. */
  async set(key: string, value: unknown): Promise<boolean> {
    this.assertOpen();
    this.upsert.run(key, typeof value === 'string' ? value : JSON.stringify(value));
    return true;
  }

  /** Every entry or none: one transaction (kv-admissions.ts writes a batch of new tasks with it). */
  async setMany(entries: ReadonlyArray<{ key: string; value: unknown }>): Promise<boolean[]> {
    this.assertOpen();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const { key, value } of entries)
        this.upsert.run(key, typeof value === 'string' ? value : JSON.stringify(value));
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
    return entries.map(() => true);
  }

  /** Key names under a prefix (operators' tools only, see scan-ids.ts): one range query on the primary key. */
  keysStartingWith(prefix: string): string[] {
    this.assertOpen();
    const rows = this.db.prepare(`SELECT key FROM ${TABLE} WHERE key >= ? AND key < ?`).all(prefix, `${prefix}\uffff`);
    return rows.flatMap((row) =>
      typeof row === 'object' && row !== null && 'key' in row && typeof row.key === 'string' ? [row.key] : [],
    );
  }

  async has(key: string): Promise<boolean> {
    this.assertOpen();
    return this.selectOne.get(key) !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    return Number(this.deleteOne.run(key).changes) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    let deleted = false;
    for (const key of keys) deleted = (await this.delete(key)) || deleted;
    return deleted;
  }

  async clear(): Promise<void> {
    this.assertOpen();
    const prefix = this.namespace ? `${this.namespace.replace(/[\\%_]/g, (c) => `\\${c}`)}:` : '';
    this.deleteMatching.run(`${prefix}%`);
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.db.close();
  }

  /** Copies the WAL into the file as far as readers allow (PASSIVE: it never waits for a lock). */
  checkpoint(): void {
    this.assertOpen();
    if (this.file !== ':memory:') this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
  }

  /** The file's upkeep, each job when `quiet` lets it: the expiry sweep, and the WAL checkpoint. */
  startUpkeep(now: () => number): void {
    this.every(SWEEP_EVERY_MS, () => this.sweep.step(now()));
    this.every(CHECKPOINT_EVERY_MS, () => this.checkpoint());
  }

  /** From now on the upkeep waits for `quiet` before each job (the core's burst gate: bounded). */
  upkeepWhenQuiet(quiet: () => Promise<void>): void {
    this.quiet = quiet;
  }

  private every(everyMs: number, job: () => void): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.quiet()
        .then(() => {
          if (!this.closed) job();
        })
        // The file is busy or closing: nothing is lost, the next run tries again.
        .catch(() => undefined)
        .finally(() => (running = false));
    }, everyMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** libsql's prepared statements keep working on a closed database; a closed store must not. */
  private assertOpen(): void {
    if (this.closed) throw new Error(`the SQLite store ${this.opts.url} is closed`);
  }
}
